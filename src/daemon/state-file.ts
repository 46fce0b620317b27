// state.json: every live process as {job, pid, pgid, startTime} (SPEC 9) plus how to stop it and what a later
// god needs to adopt it (SPEC 13: its index and run, when it started, whether it was ready, its output FIFOs,
// its notify socket, the spec it was started with and its program's identity), written atomically after each
// spawn (its .tmp file written before, as the check that it can be) and soon after each exit. A god that
// starts after its predecessor died reads it and adopts the survivors (or, with --no-adopt, stops them before
// it starts anything). A recorded pid now worn by another process (another start time) is left alone; a group
// whose leader died while god was down is still found through its remaining members. A file of a newer
// format, or one that cannot be read, is refused: guessing could kill or duplicate what runs.

import {
  closeSync,
  constants as fsConstants,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { constants } from "node:os";
import { liveProcesses, type ProcStat, readProcStat } from "../process/proc-stat.js";
import { signalGroup, signalProcess } from "../process/signal-group.js";

export interface InstanceRecord {
  job: string;
  pid: number;
  /** Always the pid itself for what god writes: every instance leads its own group. */
  pgid: number;
  /** Field 22 of /proc/PID/stat when the instance was recorded. */
  startTime: number;
  stopSignal: string;
  stopTimeoutMs: number;
  /** What adoption needs (SPEC 13); absent in files of a god before it (format 1). */
  adopt?: AdoptRecord;
}

export interface AdoptRecord {
  /** The loader that declared the job, which the next god waits for before it decides. */
  loader: string;
  index: number;
  run: number;
  spawnedAtMs: number;
  /** Whether it had become ready (otherwise the next god waits for its readiness again). */
  ready: boolean;
  /** Its stdout and stderr FIFOs under GOD_HOME (one for logs.merge); empty when its output cannot be taken. */
  pipes: string[];
  /** Its ready fd's FIFO, while it has not said it is ready. */
  readyPipe: string | null;
  notify: string | null;
  /** The spec it was started with, to tell whether the loaders changed it meanwhile. */
  spec: {
    exec: string[];
    env: Record<string, string | null>;
    cwd: string | null;
    listen: Record<string, string>;
  };
  /** Its program files' identities when it started (a deploy meanwhile is a new identity). */
  files: Array<[string, string | null]>;
}

/** The format this god writes and the newest it reads. */
export const STATE_FORMAT = 2;

const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** A hand-edited state.json must not hold god's start up for longer than this per survivor. */
const MAX_STOP_TIMEOUT_MS = 600_000;
const POLL_MS = 50;

export function writeState(path: string, instances: InstanceRecord[]): void {
  probeState(path, instances);
  renameSync(`${path}.tmp`, path);
}

/**
 * The part of writeState() that can fail for want of space or rights: what state.json would hold now, written
 * to its .tmp file, which the next writeState() overwrites and renames. A spawn checks with it that it can
 * record what it starts (SPEC 9) at a tenth of a full write's cost: the rename over state.json is what costs on
 * ext4 (it starts the writeback of the new file, auto_da_alloc), and it comes with the spawn's own record. The
 * file is written from its start and cut to its length, not truncated first, which on ext4 would also start a
 * writeback when it is closed.
 */
export function probeState(path: string, instances: InstanceRecord[]): void {
  const text = JSON.stringify({ format: STATE_FORMAT, god: process.pid, instances }, null, 1);
  const bytes = Buffer.from(`${text}\n`);
  const fd = openSync(`${path}.tmp`, fsConstants.O_WRONLY | fsConstants.O_CREAT, 0o600);
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, done);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}

/**
 * The records of state.json: none for a missing file; the sentence refusing it for a file of a newer format or
 * one that is not god's JSON (nothing may be guessed from it). A damaged record alone is skipped.
 */
export function readState(path: string): InstanceRecord[] | { error: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    return {
      error: `god cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    };
  }
  const refuse = (why: string) => ({
    error: `${path} ${why}; god will not guess which processes it names. Move it away to start afresh (what it names keeps running, unsupervised), or start the god that wrote it`,
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse("is not valid JSON (damaged)");
  }
  if (typeof value !== "object" || value === null) return refuse("is not god's state (not an object)");
  const format = (value as { format?: unknown }).format ?? 1;
  if (typeof format !== "number" || !Number.isInteger(format) || format < 1)
    return refuse("has no valid format number");
  if (format > STATE_FORMAT) {
    return refuse(`was written by a newer god (format ${format}; this god reads up to ${STATE_FORMAT})`);
  }
  const list = (value as { instances?: unknown }).instances;
  if (!Array.isArray(list)) return refuse('has no "instances" list');
  const records: InstanceRecord[] = [];
  for (const item of list as unknown[]) {
    if (typeof item !== "object" || item === null) continue;
    const r = item as Record<string, unknown>;
    const { job, pid, pgid, startTime, stopSignal, stopTimeoutMs } = r;
    if (typeof job !== "string" || !isPid(pid) || !isPid(pgid)) continue;
    if (typeof startTime !== "number" || !Number.isFinite(startTime) || startTime <= 0) continue;
    const adopt = adoptRecord(r["adopt"]);
    records.push({
      job,
      pid,
      pgid,
      startTime,
      ...(adopt ? { adopt } : {}),
      stopSignal:
        typeof stopSignal === "string" &&
        /^SIG[A-Z0-9]+$/.test(stopSignal) &&
        Object.hasOwn(constants.signals, stopSignal)
          ? stopSignal
          : "SIGTERM",
      stopTimeoutMs:
        typeof stopTimeoutMs === "number" && stopTimeoutMs >= 0
          ? Math.min(stopTimeoutMs, MAX_STOP_TIMEOUT_MS)
          : DEFAULT_STOP_TIMEOUT_MS,
    });
  }
  return records;
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

/** The adoption part of a record, checked field by field; null (not adoptable) when any is wrong. */
function adoptRecord(value: unknown): AdoptRecord | null {
  if (typeof value !== "object" || value === null) return null;
  const a = value as Record<string, unknown>;
  const spec = a["spec"] as Record<string, unknown> | null | undefined;
  const ok =
    Number.isInteger(a["index"]) &&
    (a["index"] as number) >= 0 &&
    Number.isInteger(a["run"]) &&
    (a["run"] as number) >= 1 &&
    typeof a["loader"] === "string" &&
    typeof a["spawnedAtMs"] === "number" &&
    typeof a["ready"] === "boolean" &&
    isStrings(a["pipes"]) &&
    (a["readyPipe"] === null || typeof a["readyPipe"] === "string") &&
    (a["notify"] === null || typeof a["notify"] === "string") &&
    typeof spec === "object" &&
    spec !== null &&
    isStrings(spec["exec"]) &&
    typeof spec["env"] === "object" &&
    spec["env"] !== null &&
    (spec["cwd"] === null || typeof spec["cwd"] === "string") &&
    typeof spec["listen"] === "object" &&
    spec["listen"] !== null &&
    Array.isArray(a["files"]);
  return ok ? (a as unknown as AdoptRecord) : null;
}

function isPid(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 1;
}

/** A recorded instance that is still there: its leader, or what is left of its group. */
export interface Survivor {
  record: InstanceRecord;
  /** The live processes found: the leader (if alive) and the other members of its group. */
  processes: number[];
}

interface Presence {
  /** The leader is alive (not a zombie) and is still the recorded process. */
  leaderUp: boolean;
  /** The leader left its group (setsid): it must be signalled on its own. */
  leaderOutside: boolean;
  /** Live members of the recorded group, the leader included when it is in it. */
  members: number[];
}

/**
 * What is left of a record, or null when nothing is. Only a leader with the recorded start time is ours; a
 * pid in use by a process with another start time means the pid was reused, and then the old group is gone
 * too (the kernel does not hand out a pid while a group of that number exists). A group is searched only
 * when the record names the leader's own group, the only kind god writes, so a hand-edited pgid can never
 * point god at somebody else's group. Members must have started no earlier than the leader.
 */
function presence(r: InstanceRecord, processes: ProcStat[] | null): Presence | null {
  if (r.pid === process.pid || r.pgid === process.pid) return null;
  const leader = readProcStat(r.pid);
  if (leader !== null && leader.startTime !== r.startTime) return null;
  const leaderUp = leader !== null && leader.state !== "Z";
  const ownGroup = r.pgid === r.pid;
  const members = ownGroup
    ? (processes ?? liveProcesses())
        .filter((p) => p.pgrp === r.pgid && p.startTime >= r.startTime)
        .map((p) => p.pid)
    : [];
  const leaderOutside = leaderUp && !members.includes(r.pid);
  if (!leaderUp && members.length === 0) return null;
  return { leaderUp, leaderOutside, members };
}

/** The recorded instances with something left alive. */
export function survivors(records: InstanceRecord[]): Survivor[] {
  const processes = liveProcesses();
  const found: Survivor[] = [];
  for (const record of records) {
    const p = presence(record, processes);
    if (p)
      found.push({
        record,
        processes: [...new Set([...(p.leaderOutside ? [record.pid] : []), ...p.members])],
      });
  }
  return found;
}

export interface SurvivorOutcome {
  job: string;
  pid: number;
  /** stopped: gone after its stop signal; killed: SIGKILL was needed; left: still there (not ours to kill). */
  outcome: "stopped" | "killed" | "left";
}

function send(r: InstanceRecord, p: Presence, signal: NodeJS.Signals): void {
  if (p.members.length > 0) signalGroup(r.pgid, signal);
  // Gone meanwhile, or not ours to signal: nothing to do either way.
  if (p.leaderOutside) signalProcess(r.pid, signal);
}

/**
 * Stops survivors of a crashed god as god stops its own jobs: the job's stop signal to the group, SIGKILL
 * after the job's stop timeout, and SIGKILL to the rest of the group as soon as the leader is gone. They are
 * not god's children, so their end is seen by polling /proc. Bounded by the longest timeout plus 5 s.
 */
export async function stopSurvivors(found: Survivor[]): Promise<SurvivorOutcome[]> {
  const startedMs = Date.now();
  const killed = new Set<Survivor>();
  const now = liveProcesses();
  for (const s of found) {
    const p = presence(s.record, now);
    if (p) send(s.record, p, s.record.stopSignal as NodeJS.Signals);
  }
  const limitMs = Math.max(0, ...found.map((s) => s.record.stopTimeoutMs)) + 5000;
  let left = found;
  for (let i = 0; i < limitMs / POLL_MS + 10 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const processes = liveProcesses();
    const elapsedMs = Date.now() - startedMs;
    left = left.filter((s) => {
      const p = presence(s.record, processes);
      if (!p) return false;
      if (!p.leaderUp || elapsedMs >= s.record.stopTimeoutMs) {
        send(s.record, p, "SIGKILL");
        killed.add(s);
      }
      return true;
    });
  }
  return found.map((s) => ({
    job: s.record.job,
    pid: s.record.pid,
    outcome: left.includes(s) ? "left" : killed.has(s) ? "killed" : "stopped",
  }));
}
