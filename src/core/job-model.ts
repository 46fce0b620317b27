// A job is N runs of the instance table plus a desired count (SPEC 6, 12): commands address every instance or
// one (`JOB:K`), `scale` changes the count (new instances start in index order, removed ones stop from the
// highest index), and a reload by "replace" rolls one instance at a time, each step waiting for the candidate
// to be ready and the process it replaced to be gone (at most one extra process per job). Pure.

import type { JobStateName } from "../protocol/states.js";
import type { Deps, Effect, InstanceEvent } from "./instance-events.js";
import { type InstanceModel, initialInstance, isReady } from "./instance-state.js";
import type { InstancePolicy } from "./policy.js";
import { transition } from "./transitions.js";

/** A rolling reload: the instances still to reload, in order, and the one being reloaded. */
export interface Roll {
  cmd: number;
  why: string;
  current: number | null;
  queue: number[];
  /** Why the roll stopped early; the instances left in `queue` keep their processes. */
  failed: string | null;
}

export interface JobModel {
  /** How many instances should run: the spec's `instances`, or what `god scale` set. */
  desired: number;
  /** Index i is instance i. Instances past `desired` remain only while they stop. */
  instances: InstanceModel[];
  /** The sequence number of the last command. */
  cmd: number;
  roll: Roll | null;
}

export type Command = "start" | "stop" | "restart" | "reload";

export type JobEvent =
  /** `target` null: every instance (and start brings up the missing ones); else the instance of that index. */
  | { type: Command; target: number | null; deps: Deps; why: string }
  | { type: "scale"; count: number; deps: Deps }
  | { type: "instance"; index: number; event: InstanceEvent }
  /** The dependencies became ready: waiting instances that want up spawn. */
  | { type: "depsReady" };

export interface JobEffect {
  index: number;
  effect: Effect;
}

export interface JobOutcome {
  model: JobModel;
  effects: JobEffect[];
  /** The indices whose instance model changed, in order. */
  changed: number[];
}

export function initialJob(desired: number): JobModel {
  return { desired, instances: [initialInstance(0)], cmd: 0, roll: null };
}

/** One job transition being built: the model so far, and every instance's effects in order. */
class Step {
  model: JobModel;
  readonly effects: JobEffect[] = [];
  readonly changed: number[] = [];
  private readonly policy: InstancePolicy;
  private readonly nowMs: number;
  constructor(model: JobModel, policy: InstancePolicy, nowMs: number) {
    this.model = model;
    this.policy = policy;
    this.nowMs = nowMs;
  }

  /** Feeds one instance an event; an instance that does not exist yet is made. */
  send(index: number, event: InstanceEvent): void {
    const instances = [...this.model.instances];
    for (let i = instances.length; i <= index; i++) instances[i] = initialInstance(i);
    const before = instances[index]!;
    const out = transition(before, event, this.policy, this.nowMs);
    instances[index] = out.model;
    this.model = { ...this.model, instances };
    for (const effect of out.effects) this.effects.push({ index, effect });
    if (out.model !== before && !this.changed.includes(index)) this.changed.push(index);
  }

  done(): JobOutcome {
    return { model: this.model, effects: this.effects, changed: this.changed };
  }
}

/** The one entry point of a job: the next model, the effects per instance, and which instances changed. */
export function jobTransition(m: JobModel, e: JobEvent, policy: InstancePolicy, nowMs: number): JobOutcome {
  const step = new Step(m, policy, nowMs);
  switch (e.type) {
    case "instance":
      step.send(e.index, e.event);
      break;
    case "depsReady":
      for (const inst of m.instances)
        if (inst.state.type === "waiting") step.send(inst.index, { type: "depsReady" });
      break;
    case "scale":
      scale(step, e.count, e.deps);
      break;
    case "start":
    case "stop":
    case "restart":
    case "reload":
      command(step, e, policy);
      break;
  }
  advanceRoll(step);
  trim(step);
  return step.done();
}

function command(step: Step, e: Extract<JobEvent, { type: Command }>, policy: InstancePolicy): void {
  const cmd = step.model.cmd + 1;
  step.model = { ...step.model, cmd };
  const all = step.model.instances
    .map((i) => i.index)
    .filter((i) => i < step.model.desired || e.type === "stop");
  if (e.type === "start" && e.target === null) {
    for (let i = 0; i < step.model.desired; i++) if (!all.includes(i)) all.push(i);
  }
  const targets = e.target === null ? all : [e.target];
  if (e.type === "stop" || e.type === "restart" || e.type === "start") {
    // A stop or restart ends a roll in progress: the instances not yet reloaded are left as they are.
    if (e.type !== "start" && step.model.roll !== null && e.target === null)
      step.model = { ...step.model, roll: null };
    for (const index of targets) {
      if (e.type === "stop") step.send(index, { type: "stop", cmd });
      else step.send(index, { type: e.type, cmd, deps: e.deps });
    }
    return;
  }
  // reload: by "restart" every target at once; by "replace" one instance at a time (a roll).
  const serving = targets.filter((i) => isReady(step.model.instances[i]?.state ?? { type: "stopped" }));
  const rolling = policy.reload === "replace" && serving.length > 0;
  for (const index of targets) {
    if (rolling && serving.includes(index)) continue;
    step.send(index, { type: "reload", cmd, deps: e.deps, why: e.why });
  }
  if (rolling)
    step.model = { ...step.model, roll: { cmd, why: e.why, current: null, queue: serving, failed: null } };
}

/**
 * Starts the next step of a roll once the current one is done: its candidate ready and its old process gone.
 * An instance that is no longer serving when its turn comes is reloaded at once (its reload is a restart or a
 * start, which adds no process); one stopped meanwhile, or given a later command, is left alone.
 */
function advanceRoll(step: Step): void {
  for (let guard = 0; guard <= step.model.instances.length + 1; guard++) {
    const roll = step.model.roll;
    if (roll === null || roll.failed !== null) return;
    if (roll.current !== null) {
      const inst = step.model.instances[roll.current];
      const record = inst?.reload ?? null;
      if (inst !== undefined && record !== null && record.cmd === roll.cmd && inst.cmd === roll.cmd) {
        const result = record.result;
        if (result === "pending") return;
        if (result !== "ok") {
          step.model = { ...step.model, roll: { ...roll, failed: result.failed } };
          return;
        }
        if (inst.retiring.length > 0) return;
      }
    }
    const [next, ...queue] = roll.queue;
    if (next === undefined) {
      step.model = { ...step.model, roll: null };
      return;
    }
    step.model = { ...step.model, roll: { ...roll, current: next, queue } };
    const inst = step.model.instances[next];
    if (inst === undefined || inst.want === "down" || inst.cmd > roll.cmd) continue;
    const serving = isReady(inst.state);
    step.send(next, { type: "reload", cmd: roll.cmd, deps: { ready: true, reason: null }, why: roll.why });
    if (serving) return;
  }
}

function scale(step: Step, count: number, deps: Deps): void {
  const cmd = step.model.cmd + 1;
  step.model = { ...step.model, desired: count, cmd };
  for (let i = 0; i < count; i++) {
    const inst = step.model.instances[i];
    if (inst === undefined || inst.want === "down") step.send(i, { type: "start", cmd, deps });
  }
  for (let i = step.model.instances.length - 1; i >= count; i--) {
    const inst = step.model.instances[i]!;
    if (inst.state.type !== "stopped") step.send(i, { type: "stop", cmd });
  }
}

/** Instances past the desired count are removed once stopped with nothing left to wait for, from the end. */
function trim(step: Step): void {
  const instances = [...step.model.instances];
  while (instances.length > Math.max(1, step.model.desired)) {
    const last = instances[instances.length - 1]!;
    if (last.state.type !== "stopped" || last.retiring.length > 0) break;
    instances.pop();
  }
  if (instances.length !== step.model.instances.length) step.model = { ...step.model, instances };
}

/** Well-being of a state, for the job's state: the best-off state every wanted instance shares. */
const RANK: Record<JobStateName, number> = {
  running: 8,
  degraded: 7,
  starting: 6,
  waiting: 5,
  stopping: 4,
  backoff: 3,
  exited: 2,
  failed: 1,
  stopped: 0,
};

/**
 * The job's state from its instances (SPEC 12): `running` only when every wanted instance is ready (running),
 * `degraded` when some are ready but not all running; otherwise the least well-off state among the wanted
 * instances. With no instance wanted: `stopping` while one stops, else the least well-off state (stopped).
 * With one instance this is that instance's state.
 */
export function jobState(m: JobModel): JobStateName {
  const wanted = m.instances.filter((i) => i.want === "up");
  if (m.instances.length === 1) return m.instances[0]!.state.type;
  if (wanted.length === 0) {
    if (m.instances.some((i) => i.state.type === "stopping")) return "stopping";
    return worst(m.instances);
  }
  if (wanted.every((i) => i.state.type === "running")) return "running";
  if (wanted.some((i) => isReady(i.state))) return "degraded";
  return worst(wanted);
}

function worst(instances: InstanceModel[]): JobStateName {
  let state: JobStateName = "running";
  for (const i of instances) if (RANK[i.state.type] < RANK[state]) state = i.state.type;
  return state;
}
