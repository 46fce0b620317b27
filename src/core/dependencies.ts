// `after` between jobs: names that point nowhere, cycles (reported with their path, `x -> y -> x`), the order
// to stop in, and whether a job may start. Pure.

import type { JobStateName } from "../protocol/states.js";

/**
 * Jobs whose `after` is broken, with the sentence saying why. `graph` maps each job to the jobs it waits for;
 * `known` holds names declared elsewhere (other loaders) that may also be waited for.
 */
export function dependencyErrors(graph: Map<string, string[]>, known: Set<string>): Map<string, string> {
  const errors = new Map<string, string>();
  for (const [job, after] of graph) {
    const missing = after.filter((name) => !graph.has(name) && !known.has(name));
    if (missing.length > 0) {
      const list = missing.map((m) => `"${m}"`).join(", ");
      errors.set(job, `job "${job}" waits for unknown job ${list}; fix its "after" list`);
    }
  }
  const color = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (job: string): void => {
    color.set(job, 1);
    stack.push(job);
    for (const next of graph.get(job) ?? []) {
      if (!graph.has(next)) continue;
      const c = color.get(next);
      if (c === 1) {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const text = cycle.join(" -> ");
        for (const member of cycle) {
          if (!errors.has(member))
            errors.set(member, `job "${member}" is in a dependency cycle: ${text}; break it in "after"`);
        }
      } else if (c === undefined) {
        visit(next);
      }
    }
    stack.pop();
    color.set(job, 2);
  };
  for (const job of [...graph.keys()].sort()) if (!color.has(job)) visit(job);
  return errors;
}

export interface DependencyView {
  state: JobStateName;
  exitCode: number | null;
}

/** null when `after` is satisfied (each is running, or exited with 0), else what the job is waiting for. */
export function waitingFor(
  after: string[],
  lookup: (name: string) => DependencyView | undefined,
): string | null {
  const pending: string[] = [];
  for (const name of after) {
    const dep = lookup(name);
    if (!dep) pending.push(`${name} (not declared)`);
    else if (!(dep.state === "running" || (dep.state === "exited" && dep.exitCode === 0))) {
      pending.push(`${name} (${dep.state})`);
    }
  }
  if (pending.length === 0) return null;
  return `waiting for ${pending.join(", ")}`;
}

/** Groups of jobs to stop, first group first: a job comes only after every job that waits for it. */
export function stopOrder(graph: Map<string, string[]>): string[][] {
  const dependants = new Map<string, number>();
  for (const name of graph.keys()) dependants.set(name, 0);
  for (const after of graph.values()) {
    for (const dep of after) if (dependants.has(dep)) dependants.set(dep, (dependants.get(dep) ?? 0) + 1);
  }
  const groups: string[][] = [];
  const left = new Set(graph.keys());
  while (left.size > 0) {
    const ready = [...left].filter((name) => (dependants.get(name) ?? 0) === 0);
    const group = ready.length > 0 ? ready : [...left]; // a cycle that slipped through: stop the rest together
    for (const name of group) {
      left.delete(name);
      for (const dep of graph.get(name) ?? []) {
        if (dependants.has(dep)) dependants.set(dep, (dependants.get(dep) ?? 0) - 1);
      }
    }
    groups.push(group.sort());
  }
  return groups;
}
