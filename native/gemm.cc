#include "gemm.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "half.h"

namespace tokenflow {

namespace {

struct Task {
  int out;
  int64_t n0;
  int64_t n1;
};

// Weight rows per task: a chunk of about 256 KB stays in L2 while every activation row passes
// over it, and there are several tasks per thread for balance.
int64_t rows_per_task(int64_t total_rows, int64_t row_bytes, int threads) {
  int64_t nc = std::max<int64_t>(8, (256 * 1024) / std::max<int64_t>(1, row_bytes));
  const int64_t balanced = (total_rows + threads * 4 - 1) / (threads * 4);
  nc = std::min(nc, std::max<int64_t>(8, balanced));
  return (nc + 7) / 8 * 8;
}

}  // namespace

void quantize_row_q8_0(const float* x, int64_t k, int8_t* q, float* scales) {
  for (int64_t b = 0; b < k / kQ8BlockSize; ++b) {
    const float* xb = x + b * kQ8BlockSize;
    float amax = 0.0f;
    for (int e = 0; e < kQ8BlockSize; ++e) amax = std::max(amax, std::fabs(xb[e]));
    scales[b] = round_f16(amax / 127.f);
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    for (int e = 0; e < kQ8BlockSize; ++e) {
      q[b * kQ8BlockSize + e] = static_cast<int8_t>(std::nearbyint(xb[e] * id));
    }
  }
}

GemmKernel Gemm::kernel_for(const Matrix& w, bool decode_rows) const {
  const DType type = w.type;
  GemmKernel k = nullptr;
  const bool vecdot = decode_rows || w.vecdot_order || !tinyblas_takes(w.rows, w.cols);
  if (isa_ == IsaLevel::Avx512) k = gemm_kernel_avx512(type, vecdot);
  if (!k && isa_ != IsaLevel::Scalar) k = gemm_kernel_avx2(type);
  if (!k) k = gemm_kernel_scalar(type);
  return k;
}

PreparedActivations Gemm::prepare(DType type, const float* x, int64_t m, int64_t k) {
  PreparedActivations a;
  a.m = m;
  a.k = k;
  if (type == DType::F32) {
    a.f = x;
    return a;
  }
  const bool wide = m * k >= 64 * 1024;
  if (type == DType::Q8_0) {
    if (k % kQ8BlockSize != 0) throw std::runtime_error("Q8_0 row width is not a multiple of 32");
    q_.resize(static_cast<size_t>(m * k));
    q_scale_.resize(static_cast<size_t>(m * (k / kQ8BlockSize)));
    auto row = [&](int i, int) { quantize_row_q8_0(x + i * k, k, q_.data() + i * k, q_scale_.data() + i * (k / kQ8BlockSize)); };
    if (wide) pool_.run(static_cast<int>(m), row);
    else for (int i = 0; i < m; ++i) row(i, 0);
    a.q = q_.data();
    a.q_scale = q_scale_.data();
    return a;
  }
  a_.resize(static_cast<size_t>(m * k));
  auto row = [&](int i, int) {
    const float* src = x + i * k;
    float* dst = a_.data() + i * k;
    if (type == DType::BF16) {
      for (int64_t e = 0; e < k; ++e) dst[e] = round_bf16(src[e]);
    } else if (isa_ != IsaLevel::Scalar) {
      round_f16_f16c(src, dst, k);
    } else {
      for (int64_t e = 0; e < k; ++e) dst[e] = round_f16(src[e]);
    }
  };
  if (wide) pool_.run(static_cast<int>(m), row);
  else for (int i = 0; i < m; ++i) row(i, 0);
  a.f = a_.data();
  return a;
}

void Gemm::run(const Matrix& w, const float* x, int64_t m, float* y, int64_t m_decode) {
  const GemmOutput out{&w, y};
  run_many(&out, 1, x, m, m_decode);
}

namespace {

PreparedActivations row_range(const PreparedActivations& a, int64_t r0, int64_t r1) {
  PreparedActivations s = a;
  s.m = r1 - r0;
  if (a.f) s.f = a.f + r0 * a.k;
  if (a.q) s.q = a.q + r0 * a.k;
  if (a.q_scale) s.q_scale = a.q_scale + r0 * (a.k / kQ8BlockSize);
  return s;
}

}  // namespace

void Gemm::run_many(const GemmOutput* outs, int count, const float* x, int64_t m, int64_t m_decode) {
  if (count <= 0 || m <= 0) return;
  const Matrix& first = *outs[0].w;
  int64_t total_rows = 0;
  for (int o = 0; o < count; ++o) {
    if (outs[o].w->type != first.type || outs[o].w->cols != first.cols) {
      throw std::runtime_error("run_many needs weights of one type and width");
    }
    total_rows += outs[o].w->rows;
  }
  const PreparedActivations a = prepare(first.type, x, m, first.cols);
  GemmKernel decode_kernels[8];
  GemmKernel prefill_kernels[8];
  if (count > 8) throw std::runtime_error("run_many takes at most 8 weights");
  for (int o = 0; o < count; ++o) {
    decode_kernels[o] = kernel_for(*outs[o].w, true);
    prefill_kernels[o] = kernel_for(*outs[o].w, false);
  }
  const PreparedActivations decode_rows = row_range(a, 0, m_decode);
  const PreparedActivations prefill_rows = row_range(a, m_decode, m);
  const int64_t nc = rows_per_task(total_rows, first.row_bytes, pool_.size());
  std::vector<Task> tasks;
  for (int o = 0; o < count; ++o) {
    for (int64_t n0 = 0; n0 < outs[o].w->rows; n0 += nc) tasks.push_back({o, n0, std::min(n0 + nc, outs[o].w->rows)});
  }
  pool_.run(static_cast<int>(tasks.size()), [&](int t, int) {
    const Task& task = tasks[t];
    const Matrix& w = *outs[task.out].w;
    const uint8_t* wp = w.data + task.n0 * w.row_bytes;
    float* y = outs[task.out].y + task.n0;
    if (decode_rows.m > 0) decode_kernels[task.out](decode_rows, wp, w.row_bytes, task.n1 - task.n0, y, w.rows);
    if (prefill_rows.m > 0) {
      prefill_kernels[task.out](prefill_rows, wp, w.row_bytes, task.n1 - task.n0, y + m_decode * w.rows, w.rows);
    }
  });
}

}  // namespace tokenflow
