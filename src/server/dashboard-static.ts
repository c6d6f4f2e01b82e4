/**
 * The dashboard's static files (`dist/web/`, built by `npm install` / `npm run build` from `web/`):
 * read into memory on first use, gzipped once, served with an ETag. Nothing is fetched from the
 * network; a missing build answers with a page that says how to build it.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** One file ready to send. */
export interface StaticAsset {
  readonly body: Buffer;
  /** `null` when gzip would not make it smaller. */
  readonly gzip: Buffer | null;
  readonly contentType: string;
  /** A strong ETag of the content (quoted). */
  readonly etag: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json; charset=utf-8",
  ".ico": "image/x-icon",
};

/** `dist/web/` of this checkout (the same folder from `src/server/` under vitest and from `dist/server/`). */
export function defaultDashboardDir(): string {
  return fileURLToPath(new URL("../../dist/web/", import.meta.url));
}

function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

function assetOf(path: string): StaticAsset {
  const body = readFileSync(path);
  const contentType = CONTENT_TYPES[extname(path)] ?? "application/octet-stream";
  const compressible = !contentType.startsWith("image/png");
  const zipped = compressible ? gzipSync(body, { level: 9 }) : null;
  return {
    body,
    gzip: zipped && zipped.length < body.length ? zipped : null,
    contentType,
    etag: `"${createHash("sha1").update(body).digest("base64url").slice(0, 20)}"`,
  };
}

/** The built files of one dashboard folder, by URL path relative to it (`index.html`, `js/main.js`). */
export class DashboardAssets {
  private files: Map<string, StaticAsset> | null = null;

  /** @param dir the built folder (default {@link defaultDashboardDir}) */
  constructor(readonly dir: string = defaultDashboardDir()) {}

  /** Whether the folder has been built (has `index.html`). */
  get isBuilt(): boolean {
    return existsSync(join(this.dir, "index.html"));
  }

  /** The file at `path` (forward slashes, no leading slash); `null` when there is none. */
  get(path: string): StaticAsset | null {
    if (!this.files) this.files = this.load();
    return this.files.get(path) ?? null;
  }

  /** Total bytes of all files, and gzipped where that is how they are sent (page weight). */
  sizes(): { bytes: number; sentBytes: number } {
    if (!this.files) this.files = this.load();
    let bytes = 0;
    let sentBytes = 0;
    for (const a of this.files.values()) {
      bytes += a.body.length;
      sentBytes += (a.gzip ?? a.body).length;
    }
    return { bytes, sentBytes };
  }

  private load(): Map<string, StaticAsset> {
    const files = new Map<string, StaticAsset>();
    if (!existsSync(this.dir)) return files;
    for (const path of listFiles(this.dir)) {
      if (path.endsWith(".map")) continue;
      files.set(relative(this.dir, path).split(sep).join("/"), assetOf(path));
    }
    return files;
  }
}

/** The page served at `/` when `dist/web/` has not been built. */
export const NOT_BUILT_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tokenflow</title></head>
<body><h1>tokenflow</h1><p>The dashboard's files are not built. Run <code>npm run build</code>
(or <code>npm install</code>) in the tokenflow checkout, then reload. The API is at <code>/v1</code>.</p></body></html>
`;
