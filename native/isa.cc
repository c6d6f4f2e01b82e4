#include "isa.h"

#include <stdexcept>

#include "cpu_features.h"

namespace tokenflow {

IsaLevel best_isa() {
  const CpuFeatures& f = cpu_features();
  const bool avx2 = f.avx2 && f.fma && f.f16c;
  if (avx2 && f.avx512f && f.avx512bw) return IsaLevel::Avx512;
  if (avx2) return IsaLevel::Avx2;
  return IsaLevel::Scalar;
}

IsaLevel isa_from_name(const std::string& name) {
  IsaLevel wanted;
  if (name == "auto") return best_isa();
  if (name == "avx512") wanted = IsaLevel::Avx512;
  else if (name == "avx2") wanted = IsaLevel::Avx2;
  else if (name == "scalar") wanted = IsaLevel::Scalar;
  else throw std::invalid_argument("isa must be auto, avx512, avx2 or scalar (got \"" + name + "\")");
  const IsaLevel best = best_isa();
  return static_cast<int>(wanted) < static_cast<int>(best) ? wanted : best;
}

const char* isa_name(IsaLevel level) {
  switch (level) {
    case IsaLevel::Avx512: return "avx512";
    case IsaLevel::Avx2: return "avx2";
    case IsaLevel::Scalar: return "scalar";
  }
  return "?";
}

}  // namespace tokenflow
