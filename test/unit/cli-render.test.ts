// What people read: the status and loaders tables, the one-line outcomes of actions and checks, and the
// validate report. Plain text, aligned, no trailing blanks, nothing a loader sends can drive the terminal.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cell,
  checkLabel,
  checkLine,
  jobLine,
  renderLoaders,
  renderStatus,
  renderTable,
  stateLabel,
} from "../../src/cli/render.js";
import { checkSummary, formatArgv, renderValidation } from "../../src/cli/render-validate.js";
import type { JobJson } from "../../src/protocol/control.js";
import { normalizeJobSpec } from "../../src/protocol/jobspec.js";

function job(overrides: Partial<JobJson> & { name: string }): JobJson {
  return {
    state: "running",
    want: "up",
    pid: null,
    instance: null,
    restarts: 0,
    uptimeMs: null,
    loader: "/etc/god/backend.js",
    check: null,
    lastExit: null,
    reason: null,
    instances: [],
    usage: null,
    maxMemory: null,
    statusText: null,
    adopted: false,
    ...overrides,
  };
}

test("table: columns aligned two spaces apart, last column unpadded, no trailing blanks", () => {
  const text = renderTable(
    ["A", "BB", "C"],
    [
      ["xxx", "y", "z"],
      ["x", "", ""],
    ],
  );
  assert.equal(text, "A    BB  C\nxxx  y   z\nx\n");
});

test("cell: control characters become spaces, long text is cut with an ellipsis", () => {
  assert.equal(cell("a\nb\u001b[31mred\u0007"), "a b [31mred");
  assert.equal(cell("abcdef", 4), "abc…");
  assert.equal(cell("abcd", 4), "abcd");
});

test("status: the table a person reads", () => {
  const text = renderStatus({
    jobs: [
      job({
        name: "backend",
        pid: 4242,
        instance: 3,
        restarts: 2,
        uptimeMs: 192_000,
        check: { status: "ok", message: "fine", at: "2026-01-01T00:00:00.000Z" },
      }),
      job({ name: "worker", state: "waiting", want: "up", reason: "after db", loader: "/etc/god/worker" }),
      job({
        name: "api",
        state: "degraded",
        pid: 7,
        uptimeMs: 3 * 86_400_000 + 4 * 3_600_000,
        check: { status: "degraded", message: "p99 latency is 950 ms, above the 500 ms budget", at: "x" },
      }),
      job({
        name: "db",
        state: "backoff",
        restarts: 12,
        reason: "exited with code 1; next start in 3200 ms after 12 restarts",
        check: { status: "fail", message: "connect ECONNREFUSED 127.0.0.1:5432", at: "x" },
      }),
    ],
  });
  assert.equal(
    text,
    [
      "JOB      STATE                                       PID   UPTIME  RESTARTS  CHECK                                     LOADER",
      "backend  running                                     4242  3m12s   2         ok                                        backend.js",
      "worker   waiting (after db)                          -     -       0         -                                         worker",
      "api      degraded                                    7     3d04h   0         degraded: p99 latency is 950 ms, above …  backend.js",
      "db       backoff (exited with code 1; next start …)  -     -       12        fail: connect ECONNREFUSED 127.0.0.1:54…  backend.js",
      "",
    ].join("\n"),
  );
});

test("status: a MEM column (RSS/maxMemory) once any job has a usage reading or a limit", () => {
  const MiB = 1024 * 1024;
  const instance = (index: number, rssMiB: number): JobJson["instances"][number] => ({
    index,
    pid: 100 + index,
    instance: 1,
    state: "running",
    want: "up",
    restarts: 0,
    uptimeMs: 1000,
    check: null,
    lastExit: null,
    reason: null,
    adopted: false,
    processes: 1,
    usage: { cpuPercent: 1, rssBytes: rssMiB * MiB },
    statusText: null,
  });
  const status = {
    jobs: [
      job({
        name: "api",
        pid: 100,
        usage: { cpuPercent: 3, rssBytes: 120.4 * MiB },
        maxMemory: 256 * MiB,
        instances: [instance(0, 120.4)],
      }),
      job({
        name: "web",
        usage: { cpuPercent: 2, rssBytes: 700 * MiB },
        maxMemory: 512 * MiB,
        instances: [instance(0, 300), instance(1, 400)],
      }),
      job({ name: "batch", state: "stopped", maxMemory: 1024 * MiB }),
      job({ name: "plain", pid: 7, usage: { cpuPercent: 0, rssBytes: 900 * 1024 } }),
      job({ name: "idle", state: "stopped" }),
    ],
  };
  assert.equal(
    renderStatus(status),
    [
      "JOB    STATE    PID  INST  UPTIME  RESTARTS  MEM          CHECK  LOADER",
      "api    running  100  1/1   -       0         120M/256M    -      backend.js",
      "web    running  -    2/2   -       0         700M/2x512M  -      backend.js",
      "batch  stopped  -    0/0   -       0         -/1.0G       -      backend.js",
      "plain  running  7    0/0   -       0         900K         -      backend.js",
      "idle   stopped  -    0/0   -       0         -            -      backend.js",
      "",
    ].join("\n"),
  );
  // With -i, each instance of a job of several has its own RSS and the per-instance limit.
  const lines = renderStatus(status, { instances: true }).split("\n");
  assert.deepEqual(lines.slice(2, 5), [
    "web      running  -    2/2   -       0         700M/2x512M  -      backend.js",
    "  web:0  running  100        1s      0         300M/512M    -",
    "  web:1  running  101        1s      0         400M/512M    -",
  ]);
});

test("status: no jobs is the header alone", () => {
  assert.equal(renderStatus({ jobs: [] }), "JOB  STATE  PID  UPTIME  RESTARTS  CHECK  LOADER\n");
});

test("state and check labels", () => {
  assert.equal(stateLabel(job({ name: "a", state: "stopped" })), "stopped");
  assert.equal(
    stateLabel(job({ name: "a", state: "failed", reason: "5 restarts in 60 s" })),
    "failed (5 restarts in 60 s)",
  );
  assert.equal(checkLabel(null), "-");
  assert.equal(checkLabel({ status: "ok", message: "all good", at: "x" }), "ok");
  assert.equal(checkLabel({ status: "fail", message: null, at: "x" }), "fail");
  assert.equal(
    checkLabel({ status: "fail", message: "timeout after 2000 ms", at: "x" }),
    "fail: timeout after 2000 ms",
  );
});

test("the outcome of an action is one line per job", () => {
  assert.equal(jobLine(job({ name: "backend", pid: 4242 })), "backend: running (pid 4242)");
  assert.equal(jobLine(job({ name: "db", state: "stopped" })), "db: stopped");
  assert.equal(
    jobLine(job({ name: "api", state: "starting", pid: 9, reason: "waiting for the first ok check" })),
    "api: starting (pid 9; waiting for the first ok check)",
  );
  assert.equal(
    jobLine(
      job({
        name: "api",
        state: "degraded",
        pid: 9,
        check: { status: "degraded", message: "slow", at: "x" },
      }),
    ),
    "api: degraded (pid 9; slow)",
  );
});

test("the outcome of a check", () => {
  assert.equal(checkLine("backend", { status: "ok", message: null, at: "x" }), "backend: ok");
  assert.equal(
    checkLine("backend", { status: "fail", message: "HTTP 503", at: "x" }),
    "backend: fail: HTTP 503",
  );
  assert.equal(
    checkLine("backend", { status: "degraded", message: "slow\nreally", at: "x" }),
    "backend: degraded: slow really",
  );
});

test("loaders: the table a person reads", () => {
  const text = renderLoaders({
    loaders: [
      {
        path: "/etc/god/backend.js",
        pid: 100,
        state: "up",
        dialect: "native",
        jobs: ["backend", "worker"],
        error: null,
        restarts: 0,
        lastError: null,
      },
      {
        path: "/etc/god/legacy",
        pid: null,
        state: "idle",
        dialect: "legacy",
        jobs: ["db"],
        error: null,
        restarts: 3,
        lastError: 'did not answer ["db","check"] within 2000 ms',
      },
      {
        path: "/etc/god/broken",
        pid: null,
        state: "failed",
        dialect: null,
        jobs: [],
        error: "jobs[1].exec: expected string[]",
        restarts: 0,
        lastError: null,
      },
    ],
  });
  assert.equal(
    text,
    [
      "PATH                 STATE   PID  DIALECT  RESTARTS  JOBS            ERROR",
      "/etc/god/backend.js  up      100  native   0         backend,worker  -",
      '/etc/god/legacy      idle    -    legacy   3         db              last: did not answer ["db","check"] within 2000 ms',
      "/etc/god/broken      failed  -    -        0         -               jobs[1].exec: expected string[]",
      "",
    ].join("\n"),
  );
});

test("validate: argv, check summaries and the whole report", () => {
  assert.equal(formatArgv(["node", "server.js", "--port=8080"]), "node server.js --port=8080");
  assert.equal(formatArgv(["sh", "-c", "echo hi"]), 'sh -c "echo hi"');
  assert.equal(checkSummary(null), "no check");

  const backend = normalizeJobSpec({
    name: "backend",
    exec: ["node", "/srv/app/server.js"],
    auto: true,
    after: ["db"],
    check: { intervalMs: 2000, timeoutMs: 1000, probe: { http: { url: "http://127.0.0.1:8080/health" } } },
  });
  const db = normalizeJobSpec({ name: "db", exec: ["postgres", "-D", "data/db"], restart: "on-failure" });
  const tcp = normalizeJobSpec({
    name: "cache",
    exec: ["redis-server"],
    check: { failures: 1, probe: { tcp: { host: "127.0.0.1", port: 6379 } } },
  });
  const loaderCheck = normalizeJobSpec({ name: "q", exec: ["q"], check: {} });
  assert.equal(
    checkSummary(tcp.check),
    "check every 5s (timeout 2s, 1 failure to restart, grace 30s): connects to 127.0.0.1:6379",
  );
  assert.equal(
    checkSummary(loaderCheck.check),
    "check every 5s (timeout 2s, 3 failures to restart, grace 30s): asks the loader",
  );

  const text = renderValidation("./backend.js", {
    ok: true,
    dialect: "native",
    legacyNextCheckMs: 1000,
    loader: { name: "backend", version: "1.4.0" },
    jobs: [backend, db],
    errors: [],
  });
  assert.equal(
    text,
    [
      './backend.js: loader "backend" 1.4.0 (native dialect), 2 jobs',
      "  backend: node /srv/app/server.js",
      "    auto start after db, restart always; check every 2s (timeout 1s, 3 failures to restart, grace 30s): GET http://127.0.0.1:8080/health expecting 200-399",
      "  db: postgres -D data/db",
      "    manual start, restart on-failure; no check",
      "",
    ].join("\n"),
  );
  assert.equal(
    renderValidation("./old", {
      ok: true,
      dialect: "legacy",
      legacyNextCheckMs: 1000,
      loader: { name: "old", version: null },
      jobs: [
        { ...db, check: { intervalMs: 200, timeoutMs: 2000, failures: 3, graceMs: 30_000, probe: null } },
      ],
      errors: [],
    }),
    [
      './old: loader "old" (legacy dialect), 1 job',
      "  db: postgres -D data/db",
      "    manual start, restart on-failure; check asked of the loader 200ms after each start, then as each answer says (default every 1s; [] means no check; timeout 2s, 3 failures to restart, grace 30s)",
      "",
    ].join("\n"),
    "a legacy job shows the cadence its loader's answers give, not a fixed interval",
  );
  assert.equal(
    renderValidation("./x", {
      ok: false,
      dialect: null,
      legacyNextCheckMs: 1000,
      loader: null,
      jobs: [],
      errors: ["no first line within 5000 ms"],
    }),
    "./x: no valid hello\n",
  );
});
