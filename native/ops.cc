#include "ops.h"

#include <cmath>

namespace tokenflow {

void rms_norm_row(const float* x, const float* w, float* y, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  if (w) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale;
  }
}

void rope_cache(const RopeParams& p, int32_t pos, float* cache) {
  const float theta_scale = std::pow(p.theta_base, -2.0f / static_cast<float>(p.head_dim));
  float theta = static_cast<float>(pos);
  for (int i0 = 0; i0 < p.head_dim; i0 += 2) {
    const float ff = p.freq_factors ? p.freq_factors[i0 / 2] : 1.0f;
    const float theta_interp = p.freq_scale * (theta / ff);
    cache[i0] = std::cos(theta_interp);
    cache[i0 + 1] = std::sin(theta_interp);
    theta *= theta_scale;
  }
}

void rope_apply(const RopeParams& p, const float* cache, float* x) {
  const int d = p.head_dim;
  for (int i0 = 0; i0 < d; i0 += 2) {
    const float c = cache[i0];
    const float s = cache[i0 + 1];
    const int a = p.neox ? i0 / 2 : i0;
    const int b = p.neox ? i0 / 2 + d / 2 : i0 + 1;
    const float x0 = x[a];
    const float x1 = x[b];
    if (p.fused) {
      x[a] = std::fma(x0, c, -(x1 * s));
      x[b] = std::fma(x0, s, x1 * c);
    } else {
      x[a] = x0 * c - x1 * s;
      x[b] = x0 * s + x1 * c;
    }
  }
}

void swiglu(IsaLevel isa, const float* g, const float* u, float* y, int64_t n) {
  if (isa == IsaLevel::Avx512) return swiglu_avx512(g, u, y, n);
  if (isa == IsaLevel::Avx2) return swiglu_avx2(g, u, y, n);
  for (int64_t i = 0; i < n; ++i) y[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

void softmax_inplace(IsaLevel isa, float* s, int64_t n) {
  float max = -INFINITY;
  for (int64_t i = 0; i < n; ++i) max = s[i] > max ? s[i] : max;
  int64_t i = 0;
  double sum = 0.0;
  if (isa == IsaLevel::Avx512) sum = softmax_exp_avx512(s, s, n, max, &i);
  else if (isa == IsaLevel::Avx2) sum = softmax_exp_avx2(s, s, n, max, &i);
  for (; i < n; ++i) {
    const float v = std::exp(s[i] - max);
    s[i] = v;
    sum += static_cast<double>(v);
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t k = 0; k < n; ++k) s[k] *= inv;
}

}  // namespace tokenflow
