// Per-ISA GEMM micro-kernels behind one signature. Every kernel computes each output element
// with the same arithmetic whatever the tile it falls in (lane-wise accumulation along K in a
// fixed order, then one fixed horizontal sum), so a row's result never depends on how many
// other rows share the batch: the basis of batch invariance.
#pragma once

#include <cstdint>

#include "dtype.h"

namespace tokenflow {

// Activations already converted to the weight's dot-product type (llama.cpp's vec_dot_type).
struct PreparedActivations {
  int64_t m = 0;                   // rows
  int64_t k = 0;                   // columns (elements)
  const float* f = nullptr;        // F32/F16/BF16 weights: m x k floats (rounded to F16/BF16)
  const int8_t* q = nullptr;       // Q8_0 weights: m x k int8
  const float* q_scale = nullptr;  // Q8_0 weights: m x (k / 32) block scales (fp16 values)
};

// y[i * ldy + j] = dot(activation row i, weight row j) for i < a.m, j < n. Weight rows are
// `w_row_bytes` apart starting at `w`.
using GemmKernel = void (*)(const PreparedActivations& a, const uint8_t* w, int64_t w_row_bytes, int64_t n,
                            float* y, int64_t ldy);

// The kernel for `type` on each instruction set; nullptr when that ISA lacks one (or the build
// is not x86-64). `vecdot_order` picks, on AVX-512, the summation order of ggml_vec_dot_*
// instead of tinyBLAS's (llama.cpp uses the former for matrices tinyBLAS declines).
GemmKernel gemm_kernel_avx512(DType type, bool vecdot_order);
GemmKernel gemm_kernel_avx2(DType type);
GemmKernel gemm_kernel_scalar(DType type);

// Whether llama.cpp's tinyBLAS (16-lane AVX-512 tiles) takes a weight matrix; otherwise it falls
// back to ggml_vec_dot_* and its 4 x 16-lane order.
inline bool tinyblas_takes(int64_t rows, int64_t cols) { return rows % 4 == 0 && cols % 16 == 0; }

// Rounds n floats to the nearest F16 value (F16C), in place allowed.
void round_f16_f16c(const float* x, float* y, int64_t n);

}  // namespace tokenflow
