// The frame of `god top`: rows per job and instance, the columns, fitting the width (the log line is cut first),
// the height (scrolled to keep the selection in view), no escape codes without colour, and the keys it reads.

import assert from "node:assert/strict";
import { test } from "node:test";
import { colourWanted, readKeys } from "../../src/cli/commands/top.js";
import {
  displayWidth,
  fit,
  formatBytes,
  renderTopFrame,
  type TopFrameOptions,
  type TopJob,
  type TopLogRecord,
  topRows,
} from "../../src/cli/render-top.js";

const MiB = 1024 * 1024;

function job(overrides: Partial<TopJob> & { name: string }): TopJob {
  return {
    state: "running",
    pid: null,
    restarts: 0,
    uptimeMs: null,
    usage: null,
    maxMemory: null,
    instances: [],
    ...overrides,
  };
}

const JOBS: TopJob[] = [
  job({
    name: "backend",
    pid: 4242,
    restarts: 1,
    uptimeMs: 7_500_000,
    usage: { cpuPercent: 12, rssBytes: 300 * MiB },
    maxMemory: 1024 * MiB,
    instances: [
      {
        index: 0,
        pid: 4242,
        state: "running",
        restarts: 0,
        uptimeMs: 7_500_000,
        usage: { cpuPercent: 7.25, rssBytes: 200 * MiB },
      },
      {
        index: 1,
        pid: 4243,
        state: "starting",
        restarts: 1,
        uptimeMs: 3_000,
        usage: { cpuPercent: 4.75, rssBytes: 100 * MiB },
      },
    ],
  }),
  job({
    name: "worker",
    pid: 77,
    restarts: 3,
    uptimeMs: 65_000,
    usage: { cpuPercent: 0.5, rssBytes: 9.5 * MiB },
    instances: [
      {
        index: 0,
        pid: 77,
        state: "running",
        restarts: 3,
        uptimeMs: 65_000,
        usage: { cpuPercent: 0.5, rssBytes: 9.5 * MiB },
      },
    ],
  }),
  job({ name: "cron-job", state: "waiting" }),
];

const RECORDS: TopLogRecord[] = [
  { job: "backend", instance: 0, msg: "listening on 127.0.0.1:8080" },
  { job: "backend", instance: 1, msg: "warming cache" },
  { job: "backend", instance: 0, msg: "GET / 200" },
  { job: "worker", msg: "took job 17\tok" },
];

function frame(options: Partial<TopFrameOptions> = {}): string[] {
  return renderTopFrame(topRows(JOBS, RECORDS), {
    width: 120,
    height: null,
    colour: false,
    selected: null,
    title: "god top  /h  3 jobs",
    ...options,
  });
}

test("rows: a job, then its instances when it has several; the last log line of each", () => {
  const rows = topRows(JOBS, RECORDS);
  assert.deepEqual(
    rows.map((r) => [r.key, r.depth, r.pid, r.log]),
    [
      ["backend", 0, null, "GET / 200"],
      ["backend.0", 1, 4242, "GET / 200"],
      ["backend.1", 1, 4243, "warming cache"],
      ["worker", 0, 77, "took job 17\tok"],
      ["cron-job", 0, null, ""],
    ],
  );
  // The limit is per instance: on the instance rows, not on the sum.
  assert.deepEqual(
    rows.map((r) => r.maxMemory),
    [null, 1024 * MiB, 1024 * MiB, null, null],
  );
});

test("the plain frame: aligned columns, numbers to the right, no trailing blanks, no escape codes", () => {
  assert.deepEqual(frame(), [
    "god top  /h  3 jobs",
    "JOB          STATE     PID   CPU%        MEM  RESTARTS  UPTIME  LAST LOG",
    "backend      running   -     12.0       300M  1         2h05m   GET / 200",
    "  backend.0  running   4242   7.3  200M/1.0G  0         2h05m   GET / 200",
    "  backend.1  starting  4243   4.8  100M/1.0G  1         3s      warming cache",
    "worker       running   77     0.5       9.5M  3         1m05s   took job 17 ok",
    "cron-job     waiting   -        -          -  0         -",
  ]);
});

test("the width: every line fits; the log line is cut with an ellipsis, then left out", () => {
  for (const width of [200, 90, 76, 70, 66, 40, 10, 1]) {
    for (const line of frame({ width })) {
      assert.ok(displayWidth(line) <= width, `${width}: ${JSON.stringify(line)}`);
    }
  }
  const narrow = frame({ width: 73 });
  assert.equal(narrow[2], "backend      running   -     12.0       300M  1         2h05m   GET / 200");
  assert.equal(narrow[4], "  backend.1  starting  4243   4.8  100M/1.0G  1         3s      warming…");
  // 64 columns before the log: with fewer than 8 left for it, no log column at all.
  assert.equal(frame({ width: 71 })[1], "JOB          STATE     PID   CPU%        MEM  RESTARTS  UPTIME");
  assert.equal(frame({ width: 40 })[2], "backend      running   -     12.0…");
});

test("the height: at most that many lines, scrolled to keep the selection in view", () => {
  const options = { height: 4, selected: 0, colour: false } as const;
  assert.deepEqual(
    frame(options).map((l) => l.slice(0, 13)),
    ["god top  /h  ", "  JOB        ", "> backend    ", "    backend.0"],
  );
  assert.deepEqual(
    frame({ ...options, selected: 3 }).map((l) => l.slice(0, 13)),
    ["god top  /h  ", "  JOB        ", "    backend.1", "> worker     "],
  );
  assert.equal(frame({ height: 1 }).length, 1);
});

test("no colour: the selection is a `>` in the margin, and there is no escape code anywhere", () => {
  const lines = frame({ selected: 1 });
  assert.equal(lines[3], "> " + frame()[3]);
  assert.equal(lines[2], "  " + frame()[2]);
  assert.ok(!lines.join("\n").includes("\x1b"));
});

test("colour: the state is coloured and the selected line reversed across the width; widths unchanged", () => {
  const lines = frame({ colour: true, selected: 2, width: 100 });
  const plain = frame({ width: 100 });
  const sgr = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
  const strip = (s: string) => s.replace(sgr, "");
  assert.deepEqual(
    lines.map(strip).map((l) => l.trimEnd()),
    plain,
  );
  assert.equal(
    lines[2],
    `backend      \x1b[32mrunning \x1b[0m  -     12.0       300M  1         2h05m   GET / 200`,
  );
  assert.ok(lines[4]!.startsWith("\x1b[7m  backend.1  \x1b[33mstarting\x1b[0m\x1b[7m  4243"));
  assert.ok(lines[4]!.endsWith(" \x1b[0m"));
  assert.equal(displayWidth(strip(lines[4]!)), 100);
  assert.equal(lines[6], `cron-job     \x1b[2mwaiting \x1b[0m  -        -          -  0         -`);
});

test("a log line cannot drive the terminal: control characters become spaces", () => {
  const rows = topRows([job({ name: "evil" })], [{ job: "evil", msg: "\x1b[2J\x1b]0;pwned\x07 hi\r\n" }]);
  const [, , line] = renderTopFrame(rows, {
    width: 80,
    height: null,
    colour: false,
    selected: null,
    title: "t",
  });
  assert.ok(
    !line!.includes("\x1b") && !line!.includes("\x07") && !line!.includes("\r"),
    JSON.stringify(line),
  );
  assert.match(line!, /\[2J ]0;pwned {2}hi$/);
});

test("no jobs: the header and a line saying so", () => {
  const lines = renderTopFrame([], { width: 80, height: null, colour: false, selected: null, title: "t" });
  assert.deepEqual(lines, ["t", "JOB  STATE  PID  CPU%  MEM  RESTARTS  UPTIME  LAST LOG", "no jobs"]);
});

test("display width: wide characters take two columns and are never split", () => {
  assert.equal(displayWidth("日本"), 4);
  assert.equal(displayWidth("e\u0301"), 1);
  assert.equal(fit("日本語のログ", 7), "日本語…");
  assert.equal(fit("abcdef", 6), "abcdef");
  assert.equal(fit("abcdefg", 6), "abcde…");
  assert.equal(fit("🚀🚀🚀", 4), "🚀…");
});

test("bytes: binary units, one decimal below ten", () => {
  assert.deepEqual(
    [0, 512, 1536, 9.5 * MiB, 300 * MiB, 1.25 * 1024 * MiB, 20 * 1024 * MiB].map(formatBytes),
    ["0B", "512B", "1.5K", "9.5M", "300M", "1.3G", "20G"],
  );
});

test("keys: arrows (both encodings), j and k, q and Ctrl-C; the rest is ignored", () => {
  assert.deepEqual(readKeys("\x1b[B\x1b[Bj\x1bOAkxq"), ["down", "down", "down", "up", "up", "quit"]);
  assert.deepEqual(readKeys("\x03"), ["quit"]);
  assert.deepEqual(readKeys("\x1b[C\x1b[D a"), []);
});

test("colour only on a terminal, without NO_COLOR (unless empty) and not on a dumb terminal", () => {
  assert.equal(colourWanted(true, {}), true);
  assert.equal(colourWanted(false, {}), false);
  assert.equal(colourWanted(true, { NO_COLOR: "1" }), false);
  assert.equal(colourWanted(true, { NO_COLOR: "" }), true);
  assert.equal(colourWanted(true, { TERM: "dumb" }), false);
});
