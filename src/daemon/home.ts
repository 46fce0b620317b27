// GOD_HOME: the directory that holds one god's socket, logs, state and `jobs/` (the loader directory that
// `god add` writes to and god always watches, SPEC 14), all created 0700, and the lock that keeps a second god
// off the same home. The lock file holds the owner's pid and start time, so a lock left by a crashed god (or a
// reused pid) is recognised as stale and taken over.

import {
  chmodSync,
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { processStartTime } from "../process/proc-stat.js";
import { signalProcess } from "../process/signal-group.js";
import { ErrorCode, GodError } from "../protocol/errors.js";

export interface HomePaths {
  home: string;
  socket: string;
  logs: string;
  state: string;
  lock: string;
  /** The loader directory god always watches: `god add` writes NAME.json there. */
  jobs: string;
}

export function homePaths(home: string): HomePaths {
  return {
    home,
    socket: join(home, "god.sock"),
    logs: join(home, "logs"),
    state: join(home, "state.json"),
    lock: join(home, "god.lock"),
    jobs: join(home, "jobs"),
  };
}

export function ensureHome(paths: HomePaths): void {
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  if ((statSync(paths.home).mode & 0o077) !== 0) chmodSync(paths.home, 0o700);
  mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
  mkdirSync(paths.jobs, { recursive: true, mode: 0o700 });
}

/**
 * Takes the home's lock or throws the sentence saying which god holds it. Returns a note when it took over a
 * stale lock. The lock file appears whole (written aside, then hard-linked into place), so it is never seen
 * half-written. Only the holder of `god.lock.takeover` may remove a stale lock, so of several gods started at
 * once after a crash exactly one takes it; the others are told that one is starting.
 */
export function takeLock(paths: HomePaths): string | null {
  const mine = `${process.pid} ${processStartTime(process.pid) ?? 0}\n`;
  const marker = `${paths.lock}.takeover`;
  for (let tries = 0; tries < 5; tries++) {
    if (createWhole(paths.lock, mine)) return null;
    const owner = readOwner(paths.lock);
    if (owner && isLive(owner)) throw running(paths, owner.pid);
    if (!createWhole(marker, mine)) {
      const other = readOwner(marker);
      if (other && isLive(other)) {
        throw new GodError(
          ErrorCode.InvalidState,
          `another god (pid ${other.pid}) is starting at ${paths.home} right now; talk to it with \`god status --home ${paths.home}\``,
        );
      }
      // Left by a god that died in the middle of a takeover.
      rmSync(marker, { force: true });
      continue;
    }
    try {
      const again = readOwner(paths.lock);
      if (again && isLive(again)) throw running(paths, again.pid);
      rmSync(paths.lock, { force: true });
      if (createWhole(paths.lock, mine)) return `took over the lock of a god that is gone (${paths.lock})`;
    } finally {
      rmSync(marker, { force: true });
    }
  }
  throw new GodError(
    ErrorCode.InvalidState,
    `could not take the lock ${paths.lock}; remove it if no god is running`,
  );
}

function running(paths: HomePaths, pid: number): GodError {
  return new GodError(
    ErrorCode.InvalidState,
    `a god is already running at ${paths.home} (pid ${pid}); talk to it with \`god status --home ${paths.home}\` or stop it with \`god shutdown --home ${paths.home}\``,
  );
}

/** Creates `path` with `text` unless it exists; false when it does. */
function createWhole(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    // A file system without hard links: exclusive create, then write (a reader may see it empty briefly).
    return createExclusive(path, text);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  writeSync(fd, text);
  closeSync(fd);
  return true;
}

/** The owner is a running process other than this one: the same start time, or alive where /proc is absent. */
function isLive(owner: { pid: number; startTime: number }): boolean {
  if (owner.pid === process.pid) return false;
  const startTime = processStartTime(owner.pid);
  if (startTime !== null || owner.startTime > 0) return startTime === owner.startTime;
  return signalProcess(owner.pid, 0);
}

export function releaseLock(paths: HomePaths): void {
  const owner = readOwner(paths.lock);
  if (owner?.pid === process.pid) rmSync(paths.lock, { force: true });
}

function readOwner(path: string): { pid: number; startTime: number } | null {
  try {
    const [pid, start] = readFileSync(path, "utf8").trim().split(" ");
    const owner = { pid: Number(pid), startTime: Number(start) };
    return Number.isInteger(owner.pid) && owner.pid > 0 ? owner : null;
  } catch {
    return null;
  }
}
