import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Absolute path of the repository root. */
export const REPO_ROOT = repoRoot;

/** The shared data directory: `$TOKENFLOW_SHARED`, else `../shared` beside the repository. */
export const SHARED_DIR = resolve(process.env.TOKENFLOW_SHARED ?? join(repoRoot, "..", "shared"));

/**
 * Absolute path of a file under the shared data directory, or `null` (with a loud warning that
 * names it) when it is absent. Tests pass `null` to `describe.skipIf`.
 */
export function sharedPath(relative: string): string | null {
  const path = join(SHARED_DIR, relative);
  if (existsSync(path)) return path;
  console.warn(
    `SKIPPING: shared test data ${path} is missing (set TOKENFLOW_SHARED to the shared directory)`,
  );
  return null;
}
