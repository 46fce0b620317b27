// Watching and checking the log of the flood job. waitForLines() follows a log (and the files it is rotated
// into) by inode until it holds the expected number of lines; checkLog() then counts what is lost, duplicated,
// torn and reordered in the whole of it.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { epochNs, sleep } from "./clock.mjs";

/** PATH and its rotations PATH.1 .. PATH.9 that exist, oldest first. */
export function rotatedFiles(path) {
  const files = [];
  for (let i = 9; i >= 1; i--) if (existsSync(`${path}.${i}`)) files.push(`${path}.${i}`);
  if (existsSync(path)) files.push(path);
  return files;
}

/**
 * Polls every 10 ms until the log at `path` (with its rotations) holds `count` newline-ended lines.
 * Resolves { doneNs, lines }: doneNs is when that was first seen (null if never: the job ended, given by
 * `endFile`, and nothing was written for idleMs, or deadlineMs passed).
 */
export async function waitForLines(path, count, { endFile, idleMs = 2000, deadlineMs = 90_000 }) {
  const open = new Map();
  const buffer = Buffer.alloc(1 << 20);
  const deadline = Date.now() + deadlineMs;
  let lines = 0;
  let lastGrowth = Date.now();
  try {
    for (;;) {
      for (const file of [path, ...Array.from({ length: 9 }, (_, i) => `${path}.${i + 1}`)]) {
        let ino;
        try {
          ino = statSync(file).ino;
        } catch {
          continue;
        }
        if (!open.has(ino)) open.set(ino, { fd: openSync(file, "r"), offset: 0 });
      }
      for (const entry of open.values()) {
        const size = fstatSync(entry.fd).size;
        while (entry.offset < size) {
          const n = readSync(entry.fd, buffer, 0, buffer.length, entry.offset);
          if (n === 0) break;
          entry.offset += n;
          lastGrowth = Date.now();
          const chunk = buffer.subarray(0, n);
          for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
        }
      }
      if (lines >= count) return { doneNs: epochNs(), lines };
      const ended = existsSync(endFile);
      if ((ended && Date.now() - lastGrowth > idleMs) || Date.now() > deadline)
        return { doneNs: null, lines };
      await sleep(10);
    }
  } finally {
    for (const entry of open.values()) closeSync(entry.fd);
  }
}

/** Lines that are not out of place: the length of the longest strictly increasing subsequence. */
function longestIncreasing(values) {
  const tails = new Float64Array(values.length);
  let length = 0;
  for (const v of values) {
    let lo = 0;
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tails[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    tails[lo] = v;
    if (lo === length) length++;
  }
  return length;
}

/**
 * Checks the flood's lines in `files` (read in order). `pattern` takes one log line and has a named group `msg`,
 * the job's own text, which must be "out N" with N even or "err N" with N odd. Counts:
 * lost (numbers never seen), duplicated (extra copies), torn (lines that do not parse: split, merged, mangled),
 * and reordered: lines out of place, i.e. how many must be removed to leave the rest in increasing order,
 * within stdout, within stderr, and across both (the relative order, which only a merged pipe can keep).
 */
export function checkLog(files, count, pattern) {
  const seen = new Uint8Array(count);
  const out = [];
  const err = [];
  const both = [];
  let torn = 0;
  let duplicated = 0;
  let lines = 0;
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    let start = 0;
    for (;;) {
      const end = text.indexOf("\n", start);
      if (end === -1) {
        // A last line without its newline is torn.
        if (start < text.length) torn++;
        break;
      }
      const line = text.slice(start, end);
      start = end + 1;
      lines++;
      const msg = pattern.exec(line)?.groups?.msg;
      const m = msg === undefined ? null : /^(out|err) (\d+)$/.exec(msg);
      const n = m ? Number(m[2]) : -1;
      if (!m || n >= count || (m[1] === "out") !== (n % 2 === 0)) {
        torn++;
        continue;
      }
      if (seen[n]) duplicated++;
      seen[n] = 1;
      (m[1] === "out" ? out : err).push(n);
      both.push(n);
    }
  }
  let lost = 0;
  for (let i = 0; i < count; i++) if (!seen[i]) lost++;
  return {
    lines,
    lost,
    duplicated,
    torn,
    reorderedOut: out.length - longestIncreasing(out),
    reorderedErr: err.length - longestIncreasing(err),
    reorderedRelative: both.length - longestIncreasing(both),
  };
}
