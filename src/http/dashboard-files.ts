// The dashboard's files (web/): found by walking up from this module to the package root, read once, served
// from memory with an ETag, gzip when the browser takes it, and a Content-Security-Policy that allows nothing
// from elsewhere. Only the files that exist in web/ at start are served: a path is a key, never a file path.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
}

/** The package root (the directory holding package.json and web/), walking up from `start`. */
export function findPackageRoot(start = dirname(fileURLToPath(import.meta.url))): string | null {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "web", "index.html"))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

export class DashboardFiles {
  readonly root: string | null;
  private readonly assets = new Map<string, Asset>();

  constructor(root: string | null) {
    this.root = root;
    if (root === null) return;
    const web = join(root, "web");
    for (const entry of readdirSync(web, { withFileTypes: true })) {
      const type = TYPES[extname(entry.name)];
      if (!entry.isFile() || type === undefined || entry.name.startsWith(".")) continue;
      const body = readFileSync(join(web, entry.name));
      const compressible = !type.startsWith("image/png");
      this.assets.set(`/${entry.name}`, {
        type,
        body,
        gzip: compressible ? gzipSync(body, { level: 9 }) : null,
        etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
      });
    }
  }

  /** Total bytes of the files, and gzipped as served. */
  size(): { bytes: number; gzipBytes: number } {
    let bytes = 0;
    let gzipBytes = 0;
    for (const asset of this.assets.values()) {
      bytes += asset.body.length;
      gzipBytes += asset.gzip?.length ?? asset.body.length;
    }
    return { bytes, gzipBytes };
  }

  has(pathname: string): boolean {
    return this.assets.has(pathname === "/" ? "/index.html" : pathname);
  }

  serve(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    const asset = this.assets.get(pathname === "/" ? "/index.html" : pathname);
    if (asset === undefined) throw new Error(`no dashboard file ${pathname}`);
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      etag: asset.etag,
      vary: "accept-encoding",
    };
    if (req.headers["if-none-match"] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = asset.gzip !== null && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const body = gzip && asset.gzip !== null ? asset.gzip : asset.body;
    res.writeHead(200, {
      ...headers,
      "content-type": asset.type,
      "content-length": String(body.length),
      ...(gzip ? { "content-encoding": "gzip" } : {}),
    });
    res.end(body);
  }
}
