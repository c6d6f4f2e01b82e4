import type { Llama } from "node-llama-cpp";

let llama: Promise<Llama> | null = null;

/**
 * The llama.cpp reference (node-llama-cpp, prebuilt CPU binary), loaded once per test worker.
 * It never builds from source nor downloads anything.
 */
export function referenceLlama(): Promise<Llama> {
  if (!llama) {
    llama = import("node-llama-cpp").then(({ getLlama, LlamaLogLevel }) =>
      getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, usePrebuiltBinaries: true }),
    );
  }
  return llama;
}
