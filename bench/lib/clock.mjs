// Time for the measures: the wall clock in ns as jobs see it (so a job's own start stamp and the bench's stamp
// of a kill can be subtracted), and bounded waits that poll.

/** Nanoseconds since the epoch, with microsecond resolution, as a BigInt. */
export function epochNs() {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` every everyMs until it returns a value other than undefined/false/null, and returns that;
 * throws after timeoutMs with the name of what was awaited and the last thing `probe` said about it.
 */
export async function until(what, probe, { timeoutMs = 30_000, everyMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false && value !== null) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ""}`,
      );
    }
    await sleep(everyMs);
  }
}
