// The instruction-set level the kernels run at: the best the CPU supports, or a lower one
// asked for explicitly (tests compare levels; never a higher one than the CPU has).
#pragma once

#include <string>

namespace tokenflow {

enum class IsaLevel { Scalar = 0, Avx2 = 1, Avx512 = 2 };

// Best level this CPU supports (AVX-512 needs F, BW, AVX2, FMA, F16C; AVX2 needs FMA, F16C).
IsaLevel best_isa();

// Parses "auto" | "avx512" | "avx2" | "scalar" and clamps it to best_isa(). Throws
// std::invalid_argument on anything else.
IsaLevel isa_from_name(const std::string& name);

const char* isa_name(IsaLevel level);

}  // namespace tokenflow
