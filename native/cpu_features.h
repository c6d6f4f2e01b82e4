// Runtime CPU-feature detection: the kernels pick their code path from this, never from
// compile-time flags, so one build runs on every x86-64 machine.
#pragma once

namespace tokenflow {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
};

// Detected once per process; cheap to call.
const CpuFeatures& cpu_features();

}  // namespace tokenflow
