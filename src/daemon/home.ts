// GOD_HOME: the directory that holds one god's socket, logs and state (created 0700), and the lock that keeps
// a second god off the same home. The lock file holds the owner's pid and start time, so a lock left by a
// crashed god (or a reused pid) is recognised as stale and taken over.

import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { processStartTime } from "../process/proc-stat.js";
import { ErrorCode, GodError } from "../protocol/errors.js";

export interface HomePaths {
  home: string;
  socket: string;
  logs: string;
  state: string;
  lock: string;
}

export function homePaths(home: string): HomePaths {
  return {
    home,
    socket: join(home, "god.sock"),
    logs: join(home, "logs"),
    state: join(home, "state.json"),
    lock: join(home, "god.lock"),
  };
}

export function ensureHome(paths: HomePaths): void {
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  if ((statSync(paths.home).mode & 0o077) !== 0) chmodSync(paths.home, 0o700);
  mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
}

/** Takes the home's lock or throws the sentence saying which god holds it. Returns a note when stale. */
export function takeLock(paths: HomePaths): string | null {
  const mine = `${process.pid} ${processStartTime(process.pid) ?? 0}\n`;
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = openSync(paths.lock, "wx", 0o600);
      writeSync(fd, mine);
      closeSync(fd);
      return tries === 0 ? null : `took over the lock of a god that is gone (${paths.lock})`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readOwner(paths.lock);
    if (owner && processStartTime(owner.pid) === owner.startTime && owner.pid !== process.pid) {
      throw new GodError(
        ErrorCode.InvalidState,
        `a god is already running at ${paths.home} (pid ${owner.pid}); talk to it with \`god status --home ${paths.home}\` or stop it with \`god shutdown --home ${paths.home}\``,
      );
    }
    rmSync(paths.lock, { force: true });
  }
  throw new GodError(
    ErrorCode.InvalidState,
    `could not take the lock ${paths.lock}; remove it if no god is running`,
  );
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
