// `--warm-starts N` of `god run` and `god startup`: how many restarted instances get their next process forked
// ahead (daemon/warm-start.ts). Checked here, so a bad count is a usage error before anything starts.

import { UsageError } from "./command.js";

/** The most warm starts the flag allows (each is a waiting process). */
export const MAX_WARM_STARTS = 1000;

/** The count given with --warm-starts, or null when the flag is absent. */
export function warmStartsFlag(given: string | null): number | null {
  if (given === null) return null;
  const count = /^\d{1,4}$/.test(given) ? Number(given) : Number.NaN;
  if (!(count <= MAX_WARM_STARTS)) {
    throw new UsageError(
      `--warm-starts ${given} is not a count; give a whole number from 0 (none) to ${MAX_WARM_STARTS}.`,
    );
  }
  return count;
}
