// Cron expressions (SPEC 15): parsing five or six fields and the macros into sets of allowed values, and the next
// fire time in a time zone. Pure: zone offsets come from Date's local methods (no zone named) or from
// Intl.DateTimeFormat, which costs about 8 MiB of ICU data once, so it is loaded only when a zone is named.
//
// Semantics follow Vixie cron: when both day fields are restricted a day matches either one (a field whose text
// starts with `*` does not restrict); across a DST change a "wildcard" job (minute or hour field starting with `*`)
// keeps to the real clock, so it skips the missing hour and runs in both passes of a repeated one, while a
// fixed-time job whose time falls in a missing hour fires once when the clock jumps and fires only in the first
// pass of a repeated hour. Zone changes are assumed to be at least seven days apart, which every zone keeps today.

export interface Cron {
  /** The expression as written (trimmed). */
  readonly source: string;
  /** Sorted allowed values: seconds 0-59, minutes 0-59, hours 0-23, days 1-31, months 1-12, weekdays 0-6. */
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly days: readonly number[];
  readonly months: readonly number[];
  readonly weekdays: readonly number[];
  /** Day-of-month and day-of-week both restricted: a day matches either (Vixie's OR rule). */
  readonly daysOr: boolean;
  /** Minute or hour field starts with `*`: keeps to the real clock across DST changes (see above). */
  readonly wildcard: boolean;
}

export type CronParse = { ok: true; cron: Cron } | { ok: false; message: string };

interface Field {
  name: string;
  min: number;
  max: number;
  /** Where `*` and `N/STEP` end, when not at max. */
  last?: number;
  names?: readonly string[];
}

const SECOND: Field = { name: "second", min: 0, max: 59 };
const MINUTE: Field = { name: "minute", min: 0, max: 59 };
const HOUR: Field = { name: "hour", min: 0, max: 23 };
const DAY: Field = { name: "day-of-month", min: 1, max: 31 };
const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const MONTH: Field = { name: "month", min: 1, max: 12, names: MONTH_NAMES };
const WEEKDAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
// 7 is Sunday too; folded to 0 once the field is read.
const WEEKDAY: Field = { name: "day-of-week", min: 0, max: 7, last: 6, names: WEEKDAY_NAMES };

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

class CronSyntaxError extends Error {}

export function parseCron(text: string): CronParse {
  const source = text.trim();
  const quoted = `cron ${JSON.stringify(source)}`;
  try {
    return { ok: true, cron: parseFields(source) };
  } catch (error) {
    if (!(error instanceof CronSyntaxError)) throw error;
    return { ok: false, message: `${quoted}: ${error.message}` };
  }
}

function parseFields(source: string): Cron {
  if (source === "") {
    throw new CronSyntaxError(
      'is empty; write five fields (minute hour day-of-month month day-of-week), e.g. "0 3 * * *", or a macro such as @daily',
    );
  }
  let expanded = source;
  if (source.startsWith("@")) {
    const macro = MACROS[source.toLowerCase()];
    if (macro === undefined) {
      throw new CronSyntaxError(
        `unknown macro ${source}; use one of ${Object.keys(MACROS).join(" ")}, or five fields`,
      );
    }
    expanded = macro;
  }
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new CronSyntaxError(
      `has ${parts.length} field${parts.length === 1 ? "" : "s"}; write five (minute hour day-of-month month day-of-week) or six (second first)`,
    );
  }
  const texts = parts.length === 5 ? ["0", ...parts] : parts;
  const [second, minute, hour, day, month, weekday] = texts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const weekdays = [...new Set(readField(weekday, WEEKDAY, true).map((d) => d % 7))].sort((a, b) => a - b);
  const dayStar = isStar(day);
  const weekdayStar = isStar(weekday);
  return {
    source,
    seconds: readField(second, SECOND, false),
    minutes: readField(minute, MINUTE, false),
    hours: readField(hour, HOUR, false),
    days: readField(day, DAY, true),
    months: readField(month, MONTH, false),
    weekdays,
    daysOr: !dayStar && !weekdayStar,
    wildcard: isStar(minute) || isStar(hour),
  };
}

/** Vixie's test: a field restricts unless its text starts with `*` (`?` is taken as `*`, as Quartz and PM2 write). */
function isStar(text: string): boolean {
  return text.startsWith("*") || text === "?";
}

function readField(text: string, field: Field, questionMark: boolean): number[] {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    if (item === "") {
      throw new CronSyntaxError(`${field.name} "${text}" has an empty list item; remove the extra comma`);
    }
    for (const value of readItem(item === "?" && questionMark ? "*" : item, field)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

/** One list item: `*`, `N`, `N-M`, each optionally `/STEP`; `N/STEP` runs from N to the field's maximum. */
function readItem(item: string, field: Field): number[] {
  const slash = item.indexOf("/");
  const range = slash === -1 ? item : item.slice(0, slash);
  let step = 1;
  if (slash !== -1) {
    const stepText = item.slice(slash + 1);
    if (!/^\d+$/.test(stepText)) {
      throw new CronSyntaxError(`${field.name} step "${stepText}" in "${item}" is not a whole number`);
    }
    step = Number(stepText);
    if (step === 0) {
      throw new CronSyntaxError(`${field.name} step 0 in "${item}" must be at least 1`);
    }
  }
  let low: number;
  let high: number;
  if (range === "*") {
    low = field.min;
    high = field.last ?? field.max;
  } else {
    const dash = range.indexOf("-", 1);
    low = readValue(dash === -1 ? range : range.slice(0, dash), field);
    if (dash !== -1) high = readValue(range.slice(dash + 1), field);
    else high = slash === -1 ? low : (field.last ?? field.max);
    // A weekday range may end on Sunday written 0 or SUN (SAT-SUN): that Sunday is 7.
    if (field === WEEKDAY && high === 0 && low > 0) high = 7;
    if (high < low) {
      throw new CronSyntaxError(
        `${field.name} range ${range} runs backwards; write the smaller value first, or two ranges in a list`,
      );
    }
  }
  const values: number[] = [];
  for (let value = low; value <= high; value += step) values.push(value);
  return values;
}

function readValue(text: string, field: Field): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < field.min || value > field.max) {
      throw new CronSyntaxError(`${field.name} ${value} is out of range ${field.min}-${field.max}`);
    }
    return value;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index !== -1) return index + field.min;
  if (/^(L|LW|\d+W|\d*L|.+#\d+)$/i.test(text)) {
    throw new CronSyntaxError(
      `${field.name} "${text}": L, W and # are not supported; list the days instead, e.g. 1,15`,
    );
  }
  const hint = field.names
    ? ` or a name (${field.names[0]}-${field.names[field.names.length - 1]})`
    : ` from ${field.min} to ${field.max}`;
  throw new CronSyntaxError(`${field.name} "${text}" is not a number${hint}`);
}

// --- The next fire time -------------------------------------------------------------------------------------
// A "wall" is a local date and time written as milliseconds since 1970 as if it were UTC, so calendar arithmetic
// is Date.UTC's; an instant is wall minus the zone's offset at that instant.

const SECOND_MS = 1000;
const DAY_MS = 86_400_000;
/** Zone changes are assumed to be further apart than this (see the top of the file). */
const STRIDE_MS = 7 * DAY_MS;
/** Far enough for Feb 29 on a given weekday; a cron with no match within it never fires. */
const SEARCH_YEARS = 100;

type OffsetOf = (instantMs: number) => number;

const zoneOffsets = new Map<string, OffsetOf>();

/** The time zone's offset function; throws a RangeError for a name Intl does not know. */
function offsetFunction(timeZone: string | null): OffsetOf {
  if (timeZone === null) return (t) => -new Date(t).getTimezoneOffset() * 60_000;
  const cached = zoneOffsets.get(timeZone);
  if (cached !== undefined) return cached;
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const offset: OffsetOf = (t) => {
    const f: Record<string, number> = {};
    for (const part of format.formatToParts(t)) f[part.type] = Number(part.value);
    const wall = Date.UTC(f["year"]!, f["month"]! - 1, f["day"]!, f["hour"]!, f["minute"]!, f["second"]!);
    return wall - Math.floor(t / SECOND_MS) * SECOND_MS;
  };
  zoneOffsets.set(timeZone, offset);
  return offset;
}

/** Null when Intl knows the zone; else a sentence naming it and the fix. */
export function timeZoneError(timeZone: string): string | null {
  try {
    offsetFunction(timeZone);
    return null;
  } catch {
    return `unknown time zone "${timeZone}"; use an IANA name such as "Europe/Berlin" or "UTC"`;
  }
}

/**
 * Everything a JobSpec's cron needs checking at load: the expression, the zone (null: the machine's), and that it
 * fires at all after `nowMs` (`0 0 30 2 *` never does). Errors are one sentence each.
 */
export function checkCron(text: string, timeZone: string | null, nowMs: number): CronParse {
  const parsed = parseCron(text);
  if (!parsed.ok) return parsed;
  const quoted = `cron ${JSON.stringify(parsed.cron.source)}`;
  const zone = timeZone === null ? null : timeZoneError(timeZone);
  if (zone !== null) return { ok: false, message: `${quoted}: ${zone}` };
  if (nextFire(parsed.cron, nowMs, timeZone) === null) {
    return {
      ok: false,
      message: `${quoted} never fires: no day exists with its day-of-month in its months; pick days those months have`,
    };
  }
  return parsed;
}

/**
 * The first instant strictly after `afterMs` (whole seconds) at which the cron fires in `timeZone` (an IANA name;
 * null for the machine's local zone), or null if it never does (Feb 30). Throws a RangeError for an unknown zone:
 * check it with timeZoneError first.
 */
export function nextFire(cron: Cron, afterMs: number, timeZone: string | null): number | null {
  const offsetOf = offsetFunction(timeZone);
  let from = Math.floor(afterMs / SECOND_MS) * SECOND_MS + SECOND_MS;
  // Each turn either answers or moves `from` past a zone change or a repeated time; a handful suffice.
  for (let turn = 0; turn < 10_000; turn++) {
    const offset = offsetOf(from);
    const wall = nextWall(cron, from + offset);
    if (wall === null) return null;
    const instant = wall - offset;
    const change = firstChange(offsetOf, from, instant, offset);
    if (change === null) {
      if (!cron.wildcard && repeated(offsetOf, wall, instant, offset)) {
        from = instant + SECOND_MS;
        continue;
      }
      return instant;
    }
    // The clock jumps forward at `change`: a fixed time in the missing stretch fires once, when it jumps.
    if (!cron.wildcard && wall < change + offsetOf(change)) return change;
    from = change;
  }
  return null;
}

/** The first instant in (fromMs, toMs] whose offset is not `offset`, or null. */
function firstChange(offsetOf: OffsetOf, fromMs: number, toMs: number, offset: number): number | null {
  let low = fromMs;
  for (let turn = 0; low < toMs && turn < 100_000; turn++) {
    const high = Math.min(low + STRIDE_MS, toMs);
    if (offsetOf(high) !== offset) {
      let lo = low;
      let hi = high;
      while (hi - lo > SECOND_MS) {
        const mid = lo + Math.floor((hi - lo) / 2 / SECOND_MS) * SECOND_MS;
        if (offsetOf(mid) === offset) lo = mid;
        else hi = mid;
      }
      return hi;
    }
    low = high;
  }
  return null;
}

/** The wall time also happened earlier, under a larger offset: the second pass of a repeated hour. */
function repeated(offsetOf: OffsetOf, wall: number, instant: number, offset: number): boolean {
  const before = offsetOf(instant - DAY_MS);
  return before > offset && offsetOf(wall - before) === before;
}

/** The first wall time at or after `fromWall` (rounded up to a second) that the cron matches. */
function nextWall(cron: Cron, fromWall: number): number | null {
  const start = new Date(Math.ceil(fromWall / SECOND_MS) * SECOND_MS);
  let year = start.getUTCFullYear();
  let month = start.getUTCMonth() + 1;
  let day = start.getUTCDate();
  let hour = start.getUTCHours();
  let minute = start.getUTCMinutes();
  let second = start.getUTCSeconds();
  const lastYear = year + SEARCH_YEARS;
  // Each turn moves at least one field forward and resets the smaller ones; bounded by the years searched.
  for (let turn = 0; turn < 1_000_000 && year <= lastYear; turn++) {
    const nextMonth = atOrAfter(cron.months, month);
    if (nextMonth !== month) {
      if (nextMonth === null) year++;
      month = nextMonth ?? cron.months[0]!;
      day = 1;
      hour = minute = second = 0;
      continue;
    }
    if (day > daysIn(year, month)) {
      day = 1;
      month++;
      if (month > 12) {
        month = 1;
        year++;
      }
      hour = minute = second = 0;
      continue;
    }
    if (!dayMatches(cron, year, month, day)) {
      day++;
      hour = minute = second = 0;
      continue;
    }
    const nextHour = atOrAfter(cron.hours, hour);
    if (nextHour === null) {
      day++;
      hour = minute = second = 0;
      continue;
    }
    if (nextHour !== hour) {
      hour = nextHour;
      minute = second = 0;
    }
    const nextMinute = atOrAfter(cron.minutes, minute);
    if (nextMinute === null) {
      hour++;
      minute = second = 0;
      if (hour > 23) {
        day++;
        hour = 0;
      }
      continue;
    }
    if (nextMinute !== minute) {
      minute = nextMinute;
      second = 0;
    }
    const nextSecond = atOrAfter(cron.seconds, second);
    if (nextSecond === null) {
      minute++;
      second = 0;
      if (minute > 59) {
        hour++;
        minute = 0;
        if (hour > 23) {
          day++;
          hour = 0;
        }
      }
      continue;
    }
    return Date.UTC(year, month - 1, day, hour, minute, nextSecond);
  }
  return null;
}

function atOrAfter(values: readonly number[], value: number): number | null {
  for (const v of values) if (v >= value) return v;
  return null;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function dayMatches(cron: Cron, year: number, month: number, day: number): boolean {
  const inDays = cron.days.includes(day);
  const inWeekdays = cron.weekdays.includes(new Date(Date.UTC(year, month - 1, day)).getUTCDay());
  return cron.daysOr ? inDays || inWeekdays : inDays && inWeekdays;
}
