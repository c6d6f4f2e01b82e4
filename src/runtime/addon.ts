import { createRequire } from "node:module";
import type { NativeAddon } from "./addon-types.js";

const require = createRequire(import.meta.url);

let cached: NativeAddon | null = null;

/**
 * Loads the native addon built by `npm install` (node-gyp). Throws a clear error when it has not
 * been built. The result is cached for the life of the process.
 */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const candidates = ["../../build/Release/tokenflow_native.node", "../../build/Debug/tokenflow_native.node"];
  const failures: string[] = [];
  for (const rel of candidates) {
    try {
      cached = require(rel) as NativeAddon;
      return cached;
    } catch (err) {
      failures.push(`${rel}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(
    `the native addon is not built (run \`npm install\` or \`npx node-gyp rebuild\`): ${failures.join("; ")}`,
  );
}
