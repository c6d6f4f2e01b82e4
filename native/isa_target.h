// Function-level instruction-set targeting: a file wraps its SIMD code in
// TF_BEGIN_TARGET("...") / TF_END_TARGET so the build needs no -m flags and one binary runs on
// every x86-64 CPU; callers choose the code path from cpu_features() at run time.
#pragma once

#if defined(__x86_64__) || defined(_M_X64)
#define TF_X86 1
#else
#define TF_X86 0
#endif

#define TF_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define TF_BEGIN_TARGET(isa) TF_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define TF_END_TARGET TF_PRAGMA(clang attribute pop)
#else
#define TF_BEGIN_TARGET(isa) TF_PRAGMA(GCC push_options) TF_PRAGMA(GCC target(isa))
#define TF_END_TARGET TF_PRAGMA(GCC pop_options)
#endif

// The sets the kernels are written for. AVX-512VL is deliberately not used (cpu_features does
// not report it), so the AVX-512 code uses only 512-bit EVEX forms.
#define TF_ISA_AVX512 "avx512f,avx512bw,avx2,fma,f16c"
#define TF_ISA_AVX2 "avx2,fma,f16c"
