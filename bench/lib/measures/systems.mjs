// Starting and stopping the systems of one measure: side by side (each in its own temp dir, in a rotating order),
// a failure of one recorded for the report rather than ending the run.
import { mkdirSync } from "node:fs";
import { join } from "node:path";

/** array rotated left by k: the order in which systems take their turn changes every round. */
export function rotate(array, k) {
  if (array.length === 0) return [];
  const n = ((k % array.length) + array.length) % array.length;
  return [...array.slice(n), ...array.slice(0, n)];
}

/**
 * Starts each variant ({ key, id, jobs }) with ctx.systems.get(id), all at once. Resolves the variants that
 * started, each with its `system` and `dir`; a variant that failed is stopped and pushed to `failures`.
 */
export async function startAll(ctx, variants, label, failures) {
  const settled = await Promise.allSettled(
    variants.map(async (v) => {
      const dir = join(ctx.tmp, `${label}-${v.key}`);
      mkdirSync(dir, { recursive: true });
      return { ...v, dir, system: await ctx.systems.get(v.id).start(v.jobs, dir, v.runArgs ?? []) };
    }),
  );
  const started = [];
  settled.forEach((s, i) => {
    if (s.status === "fulfilled") started.push(s.value);
    else {
      failures.push({ key: variants[i].key, reason: s.reason?.message ?? String(s.reason) });
      ctx.progress(`  ${variants[i].key} failed to start: ${s.reason?.message ?? s.reason}`);
    }
  });
  return started;
}

export async function stopAll(started) {
  await Promise.allSettled(started.map((v) => v.system.stop()));
}
