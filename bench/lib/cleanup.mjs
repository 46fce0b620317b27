// Everything the bench starts is registered here and ended on the way out, on success, failure or Ctrl-C:
// processes by pid (checked against their start time, so a reused pid is never hit) and their groups, and
// steps that stop a daemon politely first.
import { processGroup, signalGroup, startTime } from "./proc.mjs";

const sets = new Set();
const hooks = new Set();

/** A set of pids that one system owns, killed together when that system stops (or at the end). */
export class Pids {
  constructor() {
    this.started = new Map();
    sets.add(this);
  }

  /** Remembers pid with its start time, so that kill() never hits a reused pid. */
  track(pid) {
    if (!Number.isInteger(pid) || pid <= 0 || this.started.has(pid)) return;
    const started = startTime(pid);
    if (started !== null) this.started.set(pid, started);
  }

  /** SIGKILLs every tracked process still alive, and its group when it leads one. */
  kill() {
    for (const [pid, started] of this.started) {
      this.started.delete(pid);
      if (startTime(pid) !== started) continue;
      if (processGroup(pid) === pid) signalGroup(pid, "SIGKILL");
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }
}

const loose = new Pids();

/** Tracks a pid that belongs to no system (a wrk run, a shell loop). */
export function track(pid) {
  loose.track(pid);
}

/** Registers an async step (stop a daemon) to run before the tracked processes are killed; returns an undo. */
export function onCleanup(step) {
  hooks.add(step);
  return () => hooks.delete(step);
}

/** Runs every registered step (each bounded by its own code), then kills what is still tracked. */
export async function cleanupAll() {
  for (const step of [...hooks].reverse()) {
    hooks.delete(step);
    try {
      await step();
    } catch (error) {
      process.stderr.write(`bench: cleanup step failed: ${error.message}\n`);
    }
  }
  for (const set of sets) set.kill();
}
