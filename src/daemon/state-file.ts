// state.json: every live instance as {job, pid, pgid, startTime} (SPEC 9), written atomically after each
// spawn and exit. A god that starts after its predecessor crashed reads it, and stops the survivors (only
// processes whose start time still matches: a reused pid is left alone) before it starts anything.

import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { processStartTime } from "../process/proc-stat.js";
import { signalGroup } from "../process/signal-group.js";

export interface InstanceRecord {
  job: string;
  pid: number;
  pgid: number;
  startTime: number;
  stopSignal: string;
  stopTimeoutMs: number;
}

export function writeState(path: string, instances: InstanceRecord[]): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify({ god: process.pid, instances }, null, 1) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
}

export function readState(path: string): InstanceRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return [];
  }
  const list = (value as { instances?: unknown })?.instances;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (r): r is InstanceRecord =>
      typeof r === "object" &&
      r !== null &&
      typeof r.job === "string" &&
      Number.isInteger(r.pid) &&
      Number.isInteger(r.pgid) &&
      typeof r.startTime === "number",
  );
}

/** The recorded instances that are still the same processes. */
export function survivors(records: InstanceRecord[]): InstanceRecord[] {
  return records.filter((r) => r.pid > 1 && processStartTime(r.pid) === r.startTime);
}

/**
 * Stops survivors of a crashed god: their stop signal to the group, SIGKILL after their timeout. They are
 * not our children, so their end is seen by polling /proc. Bounded by the longest timeout plus a second.
 */
export async function stopSurvivors(found: InstanceRecord[]): Promise<void> {
  const alive = (r: InstanceRecord) => processStartTime(r.pid) === r.startTime;
  for (const r of found) {
    const signal = /^SIG[A-Z0-9]+$/.test(r.stopSignal) ? (r.stopSignal as NodeJS.Signals) : "SIGTERM";
    try {
      signalGroup(r.pgid, signal);
    } catch {
      // Not ours to signal (EPERM): leave it.
    }
  }
  const started = Date.now();
  const limitMs = Math.max(0, ...found.map((r) => r.stopTimeoutMs ?? 10_000));
  let killed = false;
  for (let i = 0; i < 10_000; i++) {
    const left = found.filter(alive);
    if (left.length === 0) break;
    const elapsed = Date.now() - started;
    if (!killed && elapsed >= limitMs) {
      for (const r of left) signalGroup(r.pgid, "SIGKILL");
      killed = true;
    }
    if (elapsed > limitMs + 5000) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const r of found) signalGroup(r.pgid, "SIGKILL");
}
