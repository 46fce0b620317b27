// The files a job's `exec` runs, and their identities (SPEC 2): argv[0] as execvp finds it, and every later
// argument that names an existing regular file (the script of `node server.js`, `python3 app.py`). A file
// with a new identity (device, inode, size, mtime) since a process started is a deploy; the same spec with the
// same files is not, however often the loader is reloaded.

import { statSync } from "node:fs";
import { resolve } from "node:path";
import { findExecutable, godEnvironment } from "./spawn-instance.js";

export function programFiles(
  exec: readonly string[],
  env: Record<string, string | null>,
  cwd: string | null,
): string[] {
  const dir = cwd === null ? process.cwd() : resolve(cwd);
  const [file, ...args] = exec;
  const files: string[] = [];
  // The job's PATH: its own (null: unset), else god's.
  const path = (Object.hasOwn(env, "PATH") ? env["PATH"] : godEnvironment()["PATH"]) ?? "";
  const program = file === undefined ? null : findExecutable(file, path, dir);
  if (program !== null) files.push(program);
  for (const arg of args) {
    if (arg === "" || arg.startsWith("-")) continue;
    const candidate = resolve(dir, arg);
    if (files.includes(candidate)) continue;
    try {
      // Not a file: an ordinary argument (a missing one answers undefined, not an exception with its stack).
      if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) files.push(candidate);
    } catch {
      // a path through a file (ENOTDIR) or one god may not see: an ordinary argument too
    }
  }
  return files;
}

/** dev:ino:size:mtime of each file (symlinks followed), or null for one that is gone. */
export function identitiesOf(files: string[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const file of files) {
    try {
      const s = statSync(file);
      out.set(file, `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`);
    } catch {
      out.set(file, null);
    }
  }
  return out;
}
