// Element types of weights, numbered as GGML/GGUF number them.
#pragma once

#include <cstdint>

namespace tokenflow {

enum class DType : int32_t { F32 = 0, F16 = 1, Q8_0 = 8, BF16 = 30 };

constexpr int kQ8BlockSize = 32;   // elements per Q8_0 block
constexpr int kQ8BlockBytes = 34;  // fp16 scale + 32 int8

// Whether `id` names a type the runtime can compute with.
inline bool is_supported_dtype(int32_t id) { return id == 0 || id == 1 || id == 8 || id == 30; }

// Bytes of one row of `cols` elements, or -1 when cols is not a whole number of blocks.
inline int64_t row_bytes(DType t, int64_t cols) {
  switch (t) {
    case DType::F32: return cols * 4;
    case DType::F16:
    case DType::BF16: return cols * 2;
    case DType::Q8_0: return cols % kQ8BlockSize == 0 ? cols / kQ8BlockSize * kQ8BlockBytes : -1;
  }
  return -1;
}

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::Q8_0: return "Q8_0";
  }
  return "?";
}

}  // namespace tokenflow
