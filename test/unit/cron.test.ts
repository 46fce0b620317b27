// Cron expressions: the next fire times of many expressions worked out by hand (UTC, Europe/Berlin and
// America/New_York, across both DST changes, leap years, Vixie's day OR rule), the local zone by default, and
// every parse error as the sentence a user reads.

import assert from "node:assert/strict";
import { test } from "node:test";
import { type Cron, checkCron, nextFire, parseCron, timeZoneError } from "../../src/protocol/cron.js";

function cron(text: string): Cron {
  const parsed = parseCron(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cron;
}

/** The next `count` fire times after `after`, each strictly after the one before, as ISO strings. */
function fires(text: string, after: string, timeZone: string | null, count: number): string[] {
  const c = cron(text);
  const out: string[] = [];
  let t = Date.parse(after);
  for (let i = 0; i < count; i++) {
    const next = nextFire(c, t, timeZone);
    if (next === null) break;
    assert.ok(next > t, `${text}: ${new Date(next).toISOString()} is not after ${new Date(t).toISOString()}`);
    out.push(new Date(next).toISOString().replace(".000Z", "Z"));
    t = next;
  }
  return out;
}

type Row = [expression: string, after: string, timeZone: string | null, expected: string[]];

function table(rows: readonly Row[]): void {
  for (const [expression, after, timeZone, expected] of rows) {
    assert.deepEqual(
      fires(expression, after, timeZone, expected.length),
      expected,
      `${expression} after ${after} in ${timeZone}`,
    );
  }
}

test("fields, lists, ranges, steps and names (UTC)", () => {
  table([
    ["* * * * *", "2026-01-01T00:00:00Z", "UTC", ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"]],
    ["*/5 * * * *", "2026-01-01T00:03:10Z", "UTC", ["2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z"]],
    [
      "1-10/2 * * * *",
      "2026-01-01T00:05:00Z",
      "UTC",
      ["2026-01-01T00:07:00Z", "2026-01-01T00:09:00Z", "2026-01-01T01:01:00Z"],
    ],
    [
      "5/15 * * * *",
      "2026-01-01T00:00:00Z",
      "UTC",
      ["2026-01-01T00:05:00Z", "2026-01-01T00:20:00Z", "2026-01-01T00:35:00Z", "2026-01-01T00:50:00Z"],
    ],
    ["0,30 9,17 * * *", "2026-01-01T09:00:00Z", "UTC", ["2026-01-01T09:30:00Z", "2026-01-01T17:00:00Z"]],
    ["0 0 1 jan,Jul *", "2026-01-01T00:00:00Z", "UTC", ["2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"]],
    // 2026-03-31 is a Tuesday; the next weekday of January to March is Friday 2027-01-01.
    ["0 12 * JAN-MAR MON-FRI", "2026-03-31T12:00:00Z", "UTC", ["2027-01-01T12:00:00Z"]],
    ["0 0 * * 7", "2026-01-01T00:00:00Z", "UTC", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]],
    [
      "0 0 * * 5-7",
      "2026-01-04T00:00:00Z",
      "UTC",
      ["2026-01-09T00:00:00Z", "2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z"],
    ],
    ["0 0 * * SAT-SUN", "2026-01-04T00:00:00Z", "UTC", ["2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z"]],
    ["0 0 ? * MON", "2026-01-01T00:00:00Z", "UTC", ["2026-01-05T00:00:00Z"]],
    ["0 0 31 * *", "2026-01-31T00:00:00Z", "UTC", ["2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"]],
    // Six fields: seconds first.
    ["*/15 * * * * *", "2026-01-01T00:00:00Z", "UTC", ["2026-01-01T00:00:15Z", "2026-01-01T00:00:30Z"]],
    ["30 0 0 1 * *", "2026-01-01T00:00:00Z", "UTC", ["2026-01-01T00:00:30Z", "2026-02-01T00:00:30Z"]],
    ["59 59 23 31 12 *", "2026-06-01T00:00:00Z", "UTC", ["2026-12-31T23:59:59Z"]],
  ]);
});

test("macros", () => {
  table([
    ["@hourly", "2026-01-01T10:59:59Z", "UTC", ["2026-01-01T11:00:00Z"]],
    ["@daily", "2026-01-01T00:00:00Z", "UTC", ["2026-01-02T00:00:00Z"]],
    ["@midnight", "2026-01-01T23:59:59Z", "UTC", ["2026-01-02T00:00:00Z"]],
    ["@weekly", "2026-01-01T00:00:00Z", "UTC", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]],
    ["@monthly", "2026-01-31T12:00:00Z", "UTC", ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]],
    ["@yearly", "2026-01-01T00:00:00Z", "UTC", ["2027-01-01T00:00:00Z"]],
    ["@ANNUALLY", "2026-12-31T23:59:59Z", "UTC", ["2027-01-01T00:00:00Z"]],
  ]);
});

test("strictly after: a fire time gives the next one; a fraction of a second rounds up", () => {
  const c = cron("*/10 * * * * *");
  assert.equal(nextFire(c, Date.parse("2026-01-01T00:00:10Z"), "UTC"), Date.parse("2026-01-01T00:00:20Z"));
  assert.equal(
    nextFire(c, Date.parse("2026-01-01T00:00:09.999Z"), "UTC"),
    Date.parse("2026-01-01T00:00:10Z"),
  );
  assert.equal(
    nextFire(c, Date.parse("2026-01-01T00:00:10.001Z"), "UTC"),
    Date.parse("2026-01-01T00:00:20Z"),
  );
});

test("both day fields restricted: a day matches either (Vixie's OR rule); `*/2` counts as unrestricted", () => {
  table([
    // Friday the 2nd, Friday the 9th, Tuesday the 13th, Friday the 16th.
    [
      "0 0 13 * FRI",
      "2026-01-01T00:00:00Z",
      "UTC",
      ["2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z"],
    ],
    ["0 9 1 * MON", "2026-01-01T00:00:00Z", "UTC", ["2026-01-01T09:00:00Z", "2026-01-05T09:00:00Z"]],
    // Day-of-month starts with `*`, so both must hold: odd days that are Mondays (5th, 19th, then 9 February).
    [
      "0 0 */2 * MON",
      "2026-01-01T00:00:00Z",
      "UTC",
      ["2026-01-05T00:00:00Z", "2026-01-19T00:00:00Z", "2026-02-09T00:00:00Z"],
    ],
    // Day-of-week starts with `*`: the 1st and 15th only when they fall on Sun, Tue, Thu or Sat; from April to
    // July 2026 they are Wednesdays, Fridays and Mondays.
    ["0 0 1,15 * */2", "2026-03-15T00:00:00Z", "UTC", ["2026-08-01T00:00:00Z", "2026-08-15T00:00:00Z"]],
  ]);
});

test("leap years; a date that never comes gives null", () => {
  table([
    ["0 0 29 2 *", "2026-01-01T00:00:00Z", "UTC", ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]],
    // 2100 is not a leap year.
    ["0 0 29 2 *", "2096-03-01T00:00:00Z", "UTC", ["2104-02-29T00:00:00Z"]],
    ["0 0 28 2 *", "2028-02-28T00:00:00Z", "UTC", ["2029-02-28T00:00:00Z"]],
  ]);
  const after = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(nextFire(cron("0 0 30 2 *"), after, "UTC"), null);
  assert.equal(nextFire(cron("0 0 31 4,6,9,11 *"), after, "Europe/Berlin"), null);
});

test("Europe/Berlin: the missing hour on 2026-03-29 (02:00 CET -> 03:00 CEST at 01:00Z)", () => {
  table([
    // A fixed time in the missing hour fires once, when the clock jumps; then at 02:30 CEST (00:30Z).
    ["30 2 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin", ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]],
    ["0 2 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin", ["2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"]],
    // Both times fall in the missing hour: one run at the jump, not two.
    [
      "0,30 2 * * *",
      "2026-03-28T12:00:00Z",
      "Europe/Berlin",
      ["2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30T00:30:00Z"],
    ],
    // A time just after the gap exists and is not moved.
    ["0 3 * * *", "2026-03-28T02:00:00Z", "Europe/Berlin", ["2026-03-29T01:00:00Z", "2026-03-30T01:00:00Z"]],
    // A wildcard job keeps to the real clock: 01:30 CET, (02:30 does not exist), 03:30 CEST.
    [
      "30 * * * *",
      "2026-03-29T00:00:00Z",
      "Europe/Berlin",
      ["2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z"],
    ],
    [
      "*/20 2 * * *",
      "2026-03-28T12:00:00Z",
      "Europe/Berlin",
      ["2026-03-30T00:00:00Z", "2026-03-30T00:20:00Z", "2026-03-30T00:40:00Z"],
    ],
    // Midnight on both sides of the change: 23:00Z before it, 22:00Z after.
    ["0 0 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin", ["2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"]],
  ]);
});

test("Europe/Berlin: the repeated hour on 2026-10-25 (03:00 CEST -> 02:00 CET at 01:00Z)", () => {
  table([
    // A fixed time fires in the first pass only.
    ["30 2 * * *", "2026-10-24T12:00:00Z", "Europe/Berlin", ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]],
    // Starting inside the second pass: 02:30 has happened already today.
    ["30 2 * * *", "2026-10-25T01:10:00Z", "Europe/Berlin", ["2026-10-26T01:30:00Z"]],
    [
      "15 2,3 * * *",
      "2026-10-25T00:40:00Z",
      "Europe/Berlin",
      ["2026-10-25T02:15:00Z", "2026-10-26T01:15:00Z"],
    ],
    // A wildcard job runs in both passes, every 30 minutes of real time.
    [
      "*/30 * * * *",
      "2026-10-24T23:50:00Z",
      "Europe/Berlin",
      [
        "2026-10-25T00:00:00Z",
        "2026-10-25T00:30:00Z",
        "2026-10-25T01:00:00Z",
        "2026-10-25T01:30:00Z",
        "2026-10-25T02:00:00Z",
      ],
    ],
  ]);
});

test("America/New_York: 2026-03-08 (02:00 EST -> 03:00 EDT) and 2026-11-01 (02:00 EDT -> 01:00 EST)", () => {
  table([
    [
      "30 2 * * *",
      "2026-03-07T12:00:00Z",
      "America/New_York",
      ["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"],
    ],
    [
      "0 0 * * *",
      "2026-03-07T06:00:00Z",
      "America/New_York",
      ["2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"],
    ],
    [
      "30 1 * * *",
      "2026-10-31T12:00:00Z",
      "America/New_York",
      ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"],
    ],
    [
      "*/20 1 * * *",
      "2026-11-01T04:00:00Z",
      "America/New_York",
      [
        "2026-11-01T05:00:00Z",
        "2026-11-01T05:20:00Z",
        "2026-11-01T05:40:00Z",
        "2026-11-01T06:00:00Z",
        "2026-11-01T06:20:00Z",
        "2026-11-01T06:40:00Z",
        "2026-11-02T06:00:00Z",
      ],
    ],
    [
      "0 * * * *",
      "2026-11-01T04:30:00Z",
      "America/New_York",
      ["2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"],
    ],
    // Seconds too: the second pass of 01:30:xx is skipped for a fixed minute and hour.
    [
      "*/30 30 1 * * *",
      "2026-11-01T05:30:45Z",
      "America/New_York",
      ["2026-11-02T06:30:00Z", "2026-11-02T06:30:30Z"],
    ],
  ]);
});

test("no zone named: the machine's local zone (TZ)", (t) => {
  const saved = process.env["TZ"];
  t.after(() => {
    if (saved === undefined) delete process.env["TZ"];
    else process.env["TZ"] = saved;
  });
  process.env["TZ"] = "America/New_York";
  table([["30 2 * * *", "2026-03-07T12:00:00Z", null, ["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"]]]);
  process.env["TZ"] = "Asia/Tokyo";
  table([["0 9 * * *", "2026-01-01T00:00:00Z", null, ["2026-01-02T00:00:00Z"]]]);
});

test("time zone names: a known one passes, an unknown one is a sentence", () => {
  assert.equal(timeZoneError("Europe/Berlin"), null);
  assert.equal(timeZoneError("UTC"), null);
  assert.equal(
    timeZoneError("Mars/Olympus"),
    'unknown time zone "Mars/Olympus"; use an IANA name such as "Europe/Berlin" or "UTC"',
  );
});

test("every error names the field and the fix", () => {
  const cases: Array<[string, string]> = [
    ["0 25 * * *", "hour 25 is out of range 0-23"],
    ["60 * * * *", "minute 60 is out of range 0-59"],
    ["60 0 * * * *", "second 60 is out of range 0-59"],
    ["0 0 0 * *", "day-of-month 0 is out of range 1-31"],
    ["0 0 * 13 *", "month 13 is out of range 1-12"],
    ["0 0 * * 8", "day-of-week 8 is out of range 0-7"],
    ["0 0 1-32 * *", "day-of-month 32 is out of range 1-31"],
    [
      "",
      'is empty; write five fields (minute hour day-of-month month day-of-week), e.g. "0 3 * * *", or a macro such as @daily',
    ],
    [
      "0 0 * *",
      "has 4 fields; write five (minute hour day-of-month month day-of-week) or six (second first)",
    ],
    [
      "0 0 0 * * * *",
      "has 7 fields; write five (minute hour day-of-month month day-of-week) or six (second first)",
    ],
    [
      "@reboot",
      "unknown macro @reboot; use one of @yearly @annually @monthly @weekly @daily @midnight @hourly, or five fields",
    ],
    ["*/0 * * * *", 'minute step 0 in "*/0" must be at least 1'],
    ["*/x * * * *", 'minute step "x" in "*/x" is not a whole number'],
    [
      "0 0 * * FRI-MON",
      "day-of-week range FRI-MON runs backwards; write the smaller value first, or two ranges in a list",
    ],
    [
      "0 10-2 * * *",
      "hour range 10-2 runs backwards; write the smaller value first, or two ranges in a list",
    ],
    ["0,,5 * * * *", 'minute "0,,5" has an empty list item; remove the extra comma'],
    ["0 0 L * *", 'day-of-month "L": L, W and # are not supported; list the days instead, e.g. 1,15'],
    ["0 0 15W * *", 'day-of-month "15W": L, W and # are not supported; list the days instead, e.g. 1,15'],
    ["0 0 * * MON#2", 'day-of-week "MON#2": L, W and # are not supported; list the days instead, e.g. 1,15'],
    ["0 0 * * MOX", 'day-of-week "MOX" is not a number or a name (SUN-SAT)'],
    ["0 0 * JAN-FOO *", 'month "FOO" is not a number or a name (JAN-DEC)'],
    ["x * * * *", 'minute "x" is not a number from 0 to 59'],
    ["1.5 * * * *", 'minute "1.5" is not a number from 0 to 59'],
    ["0 MON * * *", 'hour "MON" is not a number from 0 to 23'],
    ["0 0 -1 * *", 'day-of-month "-1" is not a number from 1 to 31'],
  ];
  for (const [text, expected] of cases) {
    const parsed = parseCron(text);
    assert.equal(parsed.ok, false, text);
    if (!parsed.ok) assert.equal(parsed.message, `cron ${JSON.stringify(text)}: ${expected}`);
  }
  // `?` stands for `*` in the day fields only.
  assert.equal(parseCron("0 0 ? * *").ok, true);
  const question = parseCron("? * * * *");
  assert.equal(
    question.ok ? "" : question.message,
    'cron "? * * * *": minute "?" is not a number from 0 to 59',
  );
});

test("the parsed sets: 7 is Sunday, names fold to numbers, and which jobs keep to the real clock", () => {
  const c = cron("0 0 * JAN,mar 5-7");
  assert.deepEqual(c.weekdays, [0, 5, 6]);
  assert.deepEqual(c.months, [1, 3]);
  assert.deepEqual(c.seconds, [0]);
  assert.equal(c.daysOr, false);
  assert.equal(c.source, "0 0 * JAN,mar 5-7");
  assert.equal(cron("*/5 * * * *").wildcard, true);
  assert.equal(cron("0 * * * *").wildcard, true);
  assert.equal(cron("@hourly").wildcard, true);
  assert.equal(cron("@daily").wildcard, false);
  assert.equal(cron("0-59 2 * * *").wildcard, false);
  assert.equal(cron("0 0 1 * MON").daysOr, true);
  assert.equal(cron("0 0 */1 * MON").daysOr, false);
});

test("checkCron: the expression, the zone and that it ever fires, each a sentence", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  const ok = checkCron("0 4 * * *", "Europe/Berlin", now);
  assert.equal(ok.ok && ok.cron.source, "0 4 * * *");
  assert.equal(checkCron("@daily", null, now).ok, true);
  const message = (text: string, zone: string | null) => {
    const result = checkCron(text, zone, now);
    return result.ok ? "" : result.message;
  };
  assert.equal(message("0 25 * * *", null), 'cron "0 25 * * *": hour 25 is out of range 0-23');
  assert.equal(
    message("0 4 * * *", "Europe/Berlinn"),
    'cron "0 4 * * *": unknown time zone "Europe/Berlinn"; use an IANA name such as "Europe/Berlin" or "UTC"',
  );
  assert.equal(
    message("0 0 30 2 *", "UTC"),
    'cron "0 0 30 2 *" never fires: no day exists with its day-of-month in its months; pick days those months have',
  );
});
