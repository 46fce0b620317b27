// Finding loaders: every regular, executable, non-dot file of a --dir (symlinks followed), and watching the
// directory so that a file added, replaced or removed reloads that loader alone after a 200 ms debounce.

import { type FSWatcher, readdirSync, statSync, watch } from "node:fs";
import { join, resolve } from "node:path";

export const DEBOUNCE_MS = 200;

export type Identity = string;

/** A loader file's identity: a new inode, size or mtime means it was replaced. null: not a loader. */
export function loaderIdentity(path: string): { identity: Identity } | { skip: string } {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    return { skip: "it does not exist (or is a broken link)" };
  }
  if (!stat.isFile()) return { skip: "it is not a regular file" };
  if ((stat.mode & 0o111) === 0) return { skip: "it is not executable (chmod +x it to make it a loader)" };
  return { identity: `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}` };
}

export interface ScanEntry {
  path: string;
  result: { identity: Identity } | { skip: string };
}

export function scanDir(dir: string): ScanEntry[] {
  const names = readdirSync(dir)
    .filter((name) => !name.startsWith("."))
    .sort();
  return names.map((name) => {
    const path = resolve(join(dir, name));
    return { path, result: loaderIdentity(path) };
  });
}

/** Calls `changed(path)` once per file name after the debounce; returns a closer. */
export function watchDir(
  dir: string,
  changed: (path: string) => void,
  failed: (error: Error) => void,
): () => void {
  const timers = new Map<string, NodeJS.Timeout>();
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { persistent: false }, (_event, filename) => {
      if (!filename) {
        // The kernel dropped names (queue overflow): re-examine every file.
        for (const entry of readdirSync(dir)) schedule(entry);
        return;
      }
      schedule(filename.toString());
    });
  } catch (error) {
    failed(error as Error);
    return () => {};
  }
  watcher.on("error", failed);
  function schedule(name: string): void {
    if (name.startsWith(".")) return;
    const path = resolve(join(dir, name));
    const old = timers.get(path);
    if (old) clearTimeout(old);
    timers.set(
      path,
      setTimeout(() => {
        timers.delete(path);
        changed(path);
      }, DEBOUNCE_MS),
    );
  }
  return () => {
    watcher.close();
    for (const timer of timers.values()) clearTimeout(timer);
  };
}
