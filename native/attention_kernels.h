// Per-block attention kernels over one kv head's 16-token block of the paged cache, per ISA and
// cache type, summing in the order llama.cpp's CPU backend does (tinyBLAS tiles, or
// ggml_vec_dot_f16 for head widths tinyBLAS declines). Each output element is computed the
// same way whatever the batch.
#pragma once

#include <cstdint>

#include "isa.h"
#include "kv_pool.h"

namespace tokenflow {

// Floats of P·V accumulator space per head dimension (the most any kernel uses).
constexpr int kAttentionAccLanes = 64;

struct AttentionKernels {
  // s[j] = dot(q, key j) for j < count; q holds head_dim floats (already rounded to F16 for
  // an F16 cache, as llama.cpp converts Q to the cache type before K·Q).
  void (*scores)(const float* q, const uint8_t* kblock, int head_dim, int count, float* s);
  // acc[d * kAttentionAccLanes + lane] += p[j] * value j [d] for j < count, lane = j % (ISA
  // width): P·V summed over tokens in vector lanes. p holds 16 entries (zero past count).
  void (*accumulate)(const float* p, const uint8_t* vblock, int head_dim, int count, float* acc);
  // out[d] = the horizontal sum of acc[d * kAttentionAccLanes ...] in the ISA's fixed order.
  void (*finish)(const float* acc, int head_dim, float* out);
  // The same three for a decode token, in the order llama.cpp uses for one query row
  // (ggml_vec_dot_*: four 16-lane accumulators, block b going to accumulator b % 4) on
  // AVX-512. Other ISAs use the prefill order.
  void (*scores_decode)(const float* q, const uint8_t* kblock, int head_dim, int count, float* s);
  void (*accumulate_decode)(const float* p, const uint8_t* vblock, int head_dim, int count, int block, float* acc);
  void (*finish_decode)(const float* acc, int head_dim, float* out);
};


AttentionKernels attention_kernels(IsaLevel isa, KvDType dtype);

}  // namespace tokenflow
