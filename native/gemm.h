// Matrix multiplication of activations by a weight matrix used in place from the model map.
// Activations are first converted to the weight's dot-product type the way llama.cpp's CPU
// backend does (F16 for F16 weights, BF16 for BF16, Q8_0 blocks for Q8_0, F32 for F32), so the
// results track llama.cpp. Work is split over weight rows, so each weight is streamed from
// memory once per call for all activation rows.
#pragma once

#include <cstdint>
#include <vector>

#include "dtype.h"
#include "gemm_kernels.h"
#include "isa.h"
#include "thread_pool.h"

namespace tokenflow {

// A row-major weight matrix [rows = outputs][cols = inputs] in its stored type.
struct Matrix {
  const uint8_t* data = nullptr;
  DType type = DType::F32;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t row_bytes = 0;
  // Sum in ggml_vec_dot_* order even when tinyBLAS would take the shape: for the matrices
  // llama.cpp only ever multiplies by one row per sequence (LM head, last layer's FFN).
  bool vecdot_order = false;
};

// One output of a multi-matrix call: y (m x w->rows, row-major) = x · w^T.
struct GemmOutput {
  const Matrix* w;
  float* y;
};

class Gemm {
 public:
  Gemm(ThreadPool& pool, IsaLevel isa) : pool_(pool), isa_(isa) {}

  // y (m x w.rows) = x (m x w.cols) · w^T.
  void run(const Matrix& w, const float* x, int64_t m, float* y, int64_t m_decode = 0);

  // Several weights with the same input (same type and cols): one activation conversion and
  // one parallel region for all of them (Q/K/V, gate/up). Rows [0, m_decode) are decode rows:
  // on AVX-512 they are summed in ggml_vec_dot_* order, as llama.cpp multiplies one row.
  void run_many(const GemmOutput* outs, int count, const float* x, int64_t m, int64_t m_decode = 0);

 private:
  PreparedActivations prepare(DType type, const float* x, int64_t m, int64_t k);
  GemmKernel kernel_for(const Matrix& w, bool decode_rows) const;

  ThreadPool& pool_;
  IsaLevel isa_;
  std::vector<float> a_;
  std::vector<int8_t> q_;
  std::vector<float> q_scale_;
};

// Quantizes one row of k floats (k % 32 == 0) to Q8_0 as llama.cpp's x86 quantize_row_q8_0:
// d = amax / 127 stored as fp16 (returned as its float value), q = round-half-even(x * 127 / amax).
void quantize_row_q8_0(const float* x, int64_t k, int8_t* q, float* scales);

}  // namespace tokenflow
