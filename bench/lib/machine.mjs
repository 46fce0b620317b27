// What a figure was measured on: the machine (cores, CPU model, RAM, kernel) and the versions of everything
// compared, so that a table in the docs says where it came from.
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg, release, totalmem } from "node:os";
import { run } from "./proc.mjs";

export function machine() {
  let model = "unknown";
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? model;
  } catch {
    // not Linux
  }
  return {
    cores: availableParallelism(),
    model,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${process.platform} ${release()}`,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The git commit of the repo at root, with "+changes" when the work tree differs from it. */
export async function gitCommit(root) {
  const head = await run(["git", "-C", root, "rev-parse", "--short", "HEAD"], { timeoutMs: 10_000 });
  if (head.code !== 0) return null;
  const dirty = await run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"], {
    timeoutMs: 10_000,
  });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? " + uncommitted changes" : ""}`;
}

export async function wrkVersion() {
  const out = await run(["wrk", "-v"], { timeoutMs: 5000 });
  const m = /^wrk (\S+)/m.exec(out.stdout + out.stderr);
  return m ? m[1] : null;
}
