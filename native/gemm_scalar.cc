// Portable GEMM kernels: the fallback on CPUs without AVX2/FMA/F16C.
#include <cstring>

#include "gemm_kernels.h"
#include "half.h"

namespace tokenflow {

namespace {

template <DType T>
float weight_at(const uint8_t* row, int64_t k) {
  if constexpr (T == DType::F32) {
    float v;
    std::memcpy(&v, row + k * 4, 4);
    return v;
  } else {
    uint16_t h;
    std::memcpy(&h, row + k * 2, 2);
    if constexpr (T == DType::F16) return f16_to_f32(h);
    return bf16_to_f32(h);
  }
}

template <DType T>
void gemm_float(const PreparedActivations& a, const uint8_t* w, int64_t ldw, int64_t n, float* y, int64_t ldy) {
  for (int64_t j = 0; j < n; ++j) {
    const uint8_t* row = w + j * ldw;
    for (int64_t i = 0; i < a.m; ++i) {
      const float* x = a.f + i * a.k;
      float sum = 0.0f;
      for (int64_t k = 0; k < a.k; ++k) sum += x[k] * weight_at<T>(row, k);
      y[i * ldy + j] = sum;
    }
  }
}

void gemm_q8_0(const PreparedActivations& a, const uint8_t* w, int64_t ldw, int64_t n, float* y, int64_t ldy) {
  const int64_t nb = a.k / kQ8BlockSize;
  for (int64_t j = 0; j < n; ++j) {
    const uint8_t* row = w + j * ldw;
    for (int64_t i = 0; i < a.m; ++i) {
      const int8_t* xq = a.q + i * a.k;
      const float* xd = a.q_scale + i * nb;
      float sum = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * kQ8BlockBytes;
        uint16_t dh;
        std::memcpy(&dh, blk, 2);
        const int8_t* wq = reinterpret_cast<const int8_t*>(blk + 2);
        int32_t isum = 0;
        for (int e = 0; e < kQ8BlockSize; ++e) isum += static_cast<int32_t>(wq[e]) * xq[b * kQ8BlockSize + e];
        sum += (f16_to_f32(dh) * xd[b]) * static_cast<float>(isum);
      }
      y[i * ldy + j] = sum;
    }
  }
}

}  // namespace

GemmKernel gemm_kernel_scalar(DType type) {
  switch (type) {
    case DType::F32: return gemm_float<DType::F32>;
    case DType::F16: return gemm_float<DType::F16>;
    case DType::BF16: return gemm_float<DType::BF16>;
    case DType::Q8_0: return gemm_q8_0;
  }
  return nullptr;
}

}  // namespace tokenflow
