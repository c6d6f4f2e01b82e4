/**
 * The shape of the native addon (`build/Release/tokenflow_native.node`). This file is the only
 * place that declares it; everything else imports these types.
 */

/** CPU features detected at run time; the kernels dispatch on them. */
export interface CpuFeatures {
  avx2: boolean;
  fma: boolean;
  f16c: boolean;
  avx512f: boolean;
  avx512bw: boolean;
}

/** Everything the addon exports. */
export interface NativeAddon {
  /** Version string of the compiled addon. */
  readonly version: string;
  /** CPU features available to the kernels on this machine. */
  cpuFeatures(): CpuFeatures;
}
