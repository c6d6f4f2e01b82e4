#include "cpu_features.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace tokenflow {

namespace {

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(_M_X64)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    f.fma = (c >> 12) & 1;
    f.f16c = (c >> 29) & 1;
  }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = (b >> 5) & 1;
    f.avx512f = (b >> 16) & 1;
    f.avx512bw = (b >> 30) & 1;
  }
  // The OS must also save the wide registers (XGETBV), or the instructions fault.
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) && ((c >> 27) & 1)) {
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  }
  const bool ymm_ok = (xcr0_lo & 0x6) == 0x6;
  const bool zmm_ok = ymm_ok && (xcr0_lo & 0xe0) == 0xe0;
  f.avx2 = f.avx2 && ymm_ok;
  f.fma = f.fma && ymm_ok;
  f.f16c = f.f16c && ymm_ok;
  f.avx512f = f.avx512f && zmm_ok;
  f.avx512bw = f.avx512bw && zmm_ok;
#endif
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace tokenflow
