// Which files are configuration files that god loads with its built-in loader (SPEC 14), by name alone: god
// asks this for every non-executable file of a loader directory, so it reads nothing.

import { basename } from "node:path";
import type { ConfigKind } from "./config-job.js";

const ECOSYSTEM = /(^|\.)ecosystem\.config\.(js|cjs|mjs|json)$/;
const PROCFILE = /^Procfile(\.[A-Za-z0-9_-]+)?$/;
/** JSON files that sit beside Node loaders (a package.json saying "type": "module") and are not job lists. */
const NOT_LOADERS = new Set(["package.json", "package-lock.json", "tsconfig.json", "jsconfig.json"]);

/**
 * The converter for a file of a loader directory: `ecosystem.config.js|.cjs|.mjs|.json` (also `NAME.ecosystem.config.js`),
 * `Procfile` (also `Procfile.NAME`, foreman's `Procfile.dev`), any other `*.json`; null for anything else.
 */
export function configLoaderKind(path: string): ConfigKind | null {
  const name = basename(path);
  if (name.startsWith(".")) return null;
  if (ECOSYSTEM.test(name)) return "ecosystem";
  if (PROCFILE.test(name)) return "procfile";
  if (name.endsWith(".json") && !NOT_LOADERS.has(name)) return "json";
  return null;
}

/**
 * The converter for a file named explicitly (`god import FILE`, `god run --loader FILE`): as in a directory, and
 * also any `*.config.js|.cjs|.mjs`, the names PM2 itself accepts for an ecosystem file.
 */
export function configFileKind(path: string): ConfigKind | null {
  const kind = configLoaderKind(path);
  if (kind !== null) return kind;
  return /\.config\.(js|cjs|mjs)$/.test(basename(path)) ? "ecosystem" : null;
}
