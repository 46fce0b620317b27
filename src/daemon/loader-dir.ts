// Finding loaders: in a loader directory, every configuration file god reads with its built-in loader (by name:
// *.json, Procfile, ecosystem.config.js; SPEC 14) and every other regular, executable, non-dot file (symlinks
// followed); and watching the directory so that a file added, replaced or removed reloads that loader alone
// after a 200 ms debounce. A `.env` belongs to the Procfiles beside it: its change reloads them.

import { type FSWatcher, readdirSync, realpathSync, type Stats, statSync, watch } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ConfigKind } from "../config/config-job.js";
import { configLoaderKind } from "../config/config-kind.js";

export const DEBOUNCE_MS = 200;

/** The file beside a Procfile that its built-in loader reads (procfile.ts). */
export const DOTENV = ".env";

export type Identity = string;

/** A loader file: its identity (a new one means it was replaced) and its converter when it is a config file. */
export type Examined = { identity: Identity; config: ConfigKind | null } | { skip: string };

/**
 * What `path` is as a loader. The name is decided before the execute bit, so a `+x` Procfile is still read as a
 * Procfile. A Procfile's identity includes its `.env`'s, so an edited `.env` reloads it.
 */
export function loaderIdentity(
  path: string,
  kindOf: (path: string) => ConfigKind | null = configLoaderKind,
): Examined {
  let stat: Stats;
  try {
    stat = statSync(path);
  } catch {
    return { skip: "it does not exist (or is a broken link)" };
  }
  if (!stat.isFile()) return { skip: "it is not a regular file" };
  const config = kindOf(path);
  if (config === null && (stat.mode & 0o111) === 0) {
    return {
      skip: "it is not executable (chmod +x it to make it a loader) and not a configuration file (*.json, Procfile, ecosystem.config.js)",
    };
  }
  const identity = fileIdentity(stat);
  return { identity: config === "procfile" ? `${identity}|${dotenvIdentity(path)}` : identity, config };
}

function fileIdentity(stat: Stats): Identity {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}

/** The `.env` the Procfile's loader reads: beside the file it really is (read-config.ts follows a symlink). */
function dotenvIdentity(procfile: string): string {
  try {
    return `env ${fileIdentity(statSync(join(dirname(realpathSync(procfile)), DOTENV)))}`;
  } catch {
    return "no env";
  }
}

export interface ScanEntry {
  path: string;
  result: Examined;
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
    if (name === DOTENV) {
      for (const procfile of procfilesIn(dir)) schedule(procfile);
      return;
    }
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

function procfilesIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => configLoaderKind(name) === "procfile");
  } catch {
    return [];
  }
}
