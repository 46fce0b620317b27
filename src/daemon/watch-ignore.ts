// Which paths a job's `watch` leaves out (SPEC 15): the defaults (`.git`, `node_modules`, god's home with its
// logs) always, and the job's own patterns added to them. A pattern without a slash names a file or directory at
// any depth (`*.log`, `tmp`); one with a slash is a path from the job's cwd (`dist/**/*.map`, `build/cache`), or
// absolute when it starts with `/`. `*` is any run of characters within a name, `?` one character, `**` any
// number of directories. A pattern that matches a directory leaves out everything under it.

import { relative, sep } from "node:path";

export const DEFAULT_IGNORES = [".git", "node_modules"] as const;

export type IgnoreTest = (absolutePath: string) => boolean;

/** A glob as a regular expression over a whole path (or a whole name). */
export function globRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      const slashAfter = pattern[i + 2] === "/";
      const slashBefore = i === 0 || pattern[i - 1] === "/";
      if (slashBefore && slashAfter) {
        // `**/`: zero or more whole directories.
        out += "(?:[^/]*/)*";
        i += 2;
      } else {
        out += ".*";
        i += 1;
      }
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/**
 * The test for one job: `cwd` anchors the patterns with a slash, `home` is god's home (its logs and state file
 * would otherwise replace a job that watches a tree holding them, in a loop).
 */
export function ignoreTest(patterns: readonly string[], cwd: string, home: string): IgnoreTest {
  const names: RegExp[] = [];
  const paths: Array<{ re: RegExp; absolute: boolean }> = [];
  for (const raw of [...DEFAULT_IGNORES, ...patterns]) {
    const pattern = raw.replace(/^\.\//, "").replace(/\/+$/, "");
    if (pattern === "") continue;
    if (!pattern.includes("/")) names.push(globRegExp(pattern));
    else paths.push({ re: globRegExp(pattern), absolute: pattern.startsWith("/") });
  }
  return (absolutePath) => {
    if (absolutePath === home || absolutePath.startsWith(home + sep)) return true;
    const rel = relative(cwd, absolutePath).split(sep).join("/");
    const parts = rel.split("/");
    if (parts.some((part) => names.some((re) => re.test(part)))) return true;
    if (paths.length === 0) return false;
    const absParts = absolutePath.split(sep).join("/");
    // The path itself or any directory above it.
    for (let n = 1; n <= parts.length; n++) {
      const prefix = parts.slice(0, n).join("/");
      if (paths.some((p) => !p.absolute && p.re.test(prefix))) return true;
    }
    const abs = absParts.split("/");
    for (let n = 2; n <= abs.length; n++) {
      const prefix = abs.slice(0, n).join("/");
      if (paths.some((p) => p.absolute && p.re.test(prefix))) return true;
    }
    return false;
  };
}
