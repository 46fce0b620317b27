// Durations in the library's options: a number of milliseconds or a string such as "500ms", "1.5s", "2m", "1h".
// The wire carries whole milliseconds only, so this is the one place that turns text into them.

export type DurationUnit = "ms" | "s" | "m" | "h";
export type Duration = number | `${number}${DurationUnit}`;

/** The longest duration a Node timer can wait (2^31 - 1 ms); the JobSpec schema has the same bound. */
export const MAX_DURATION_MS = 2_147_483_647;

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)\s*$/;

export const DURATION_FORMS = 'a number of milliseconds or a string such as "500ms", "1.5s", "2m" or "1h"';

/** Whole milliseconds, or null when the value is not a duration in range. */
export function durationMs(value: unknown): number | null {
  let ms: number;
  if (typeof value === "number") {
    ms = value;
  } else if (typeof value === "string") {
    const match = DURATION_PATTERN.exec(value);
    if (!match) return null;
    ms = Number(match[1]) * UNIT_MS[match[2] as DurationUnit];
  } else {
    return null;
  }
  if (!Number.isFinite(ms) || ms < 0) return null;
  const whole = Math.round(ms);
  return whole <= MAX_DURATION_MS ? whole : null;
}

/** Milliseconds of a duration; throws a TypeError saying which forms are accepted. */
export function parseDuration(value: Duration): number {
  const ms = durationMs(value);
  if (ms === null) {
    throw new TypeError(
      `expected a duration (${DURATION_FORMS}, at most ${MAX_DURATION_MS} ms), got ${show(value)}`,
    );
  }
  return ms;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
