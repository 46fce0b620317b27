// What "done" means for each command (SPEC 5, 9: every command answers within a bounded time, also when
// commands race): given the command as it was given and the job's model now, the command succeeded, failed
// (with the instance and why), or is not decided yet. A later command on the same instance supersedes an
// earlier one: the earlier one is answered at once instead of waiting for a state that will not come. Pure.

import type { InstanceModel } from "./instance-state.js";
import type { Command, JobModel } from "./job-model.js";

export interface PendingCommand {
  action: Command | "scale";
  /** The job's command number this command got. */
  cmd: number;
  /** The instances it concerns. */
  targets: number[];
  /** Each target's run number when the command was given (0 for an instance that did not exist). */
  runsBefore: ReadonlyMap<number, number>;
}

export type Failure =
  /** The instance is in a state that ends this command badly (backoff, failed, exited non-zero...). */
  | { kind: "state"; index: number }
  /** It was stopped (or wanted down) before it became ready. */
  | { kind: "stopped"; index: number }
  /** Another command reached the instance before this one was done. */
  | { kind: "superseded"; index: number }
  /** A reload by "replace" did not happen: the old process keeps serving. */
  | { kind: "reload"; index: number; why: string }
  /** The instance no longer exists (scaled away). */
  | { kind: "gone"; index: number };

export type Verdict = { ok: true } | { ok: false; failure: Failure } | null;

export function commandOutcome(c: PendingCommand, m: JobModel): Verdict {
  let undecided = false;
  for (const index of c.targets) {
    const inst = m.instances[index];
    const verdict = instanceOutcome(c, inst, index, m);
    if (verdict === null) undecided = true;
    else if (!verdict.ok) return verdict;
  }
  return undecided ? null : { ok: true };
}

function instanceOutcome(
  c: PendingCommand,
  inst: InstanceModel | undefined,
  index: number,
  m: JobModel,
): Verdict {
  const stopping = c.action === "stop" || (c.action === "scale" && index >= m.desired);
  if (inst === undefined) return stopping ? { ok: true } : { ok: false, failure: { kind: "gone", index } };
  const fail = (failure: Failure): Verdict => ({ ok: false, failure });
  const record = inst.reload;
  // A reload ended by a later command says why it did not happen, not only that it was superseded.
  if (c.action === "reload" && record !== null && record.cmd === c.cmd && record.result !== "pending") {
    if (record.result === "ok") return { ok: true };
    return fail({ kind: "reload", index, why: record.result.failed });
  }
  if (inst.cmd > c.cmd) return fail({ kind: "superseded", index });
  const s = inst.state;
  if (stopping)
    return s.type === "stopped" || s.type === "exited" || s.type === "failed" ? { ok: true } : null;
  if (c.action === "reload") {
    if (record !== null && record.cmd === c.cmd) return null;
    const roll = m.roll;
    if (roll !== null && roll.cmd === c.cmd && roll.failed !== null && roll.queue.includes(index)) {
      return fail({ kind: "reload", index, why: `the rolling reload stopped: ${roll.failed}` });
    }
    if (roll !== null && roll.cmd === c.cmd && (roll.queue.includes(index) || roll.current === index))
      return null;
  }
  const before = c.runsBefore.get(index) ?? 0;
  const fresh = c.action === "start" || c.action === "scale" || inst.run > before;
  switch (s.type) {
    case "running":
    case "degraded":
      return fresh ? { ok: true } : null;
    case "backoff":
      return inst.run > before ? fail({ kind: "state", index }) : null;
    case "failed":
      return fail({ kind: "state", index });
    case "exited":
      return inst.run > before ? (s.code === 0 ? { ok: true } : fail({ kind: "state", index })) : null;
    case "stopped":
      return inst.want === "down" ? fail({ kind: "stopped", index }) : null;
    case "waiting":
    case "starting":
    case "stopping":
      return null;
  }
}
