// PM2's ecosystem format to JobSpecs: each field as a table row (app in, job out), the realistic fixture
// converted exactly, the once-per-file warnings, and every bad value refused with a sentence naming the file,
// the field path and the fix.

import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import type { ConfigJobSpec, Conversion } from "../../src/config/config-job.js";
import { convertEcosystem, type EcosystemOptions } from "../../src/config/ecosystem.js";
import { restartWindowMs } from "../../src/config/pm2-values.js";
import { ecosystemFixtureDir, fixtureJobs, fixtureWarnings } from "../helpers/config-fixture.js";

const FILE = "/srv/app/ecosystem.config.js";
const NODE = "/opt/node/bin/node";

function options(extra: Partial<EcosystemOptions> = {}): EcosystemOptions {
  return {
    envName: null,
    dir: "/srv/app",
    nodePath: NODE,
    cpuCount: 8,
    homeDir: "/home/u",
    exists: () => true,
    ...extra,
  };
}

function convert(apps: unknown[], extra: Partial<EcosystemOptions> = {}): Conversion {
  return convertEcosystem({ apps }, FILE, options(extra));
}

/** The one job of a one-app file, asserting there were no errors. */
function job(app: Record<string, unknown>, extra: Partial<EcosystemOptions> = {}): ConfigJobSpec {
  const result = convert([app], extra);
  assert.deepEqual(result.errors, [], JSON.stringify(app));
  assert.equal(result.jobs.length, 1);
  return result.jobs[0]!;
}

const base = { name: "app", cwd: "/srv/app", auto: true, stop: { signal: "SIGINT" } };

test("each field maps to god's JobSpec", () => {
  const rows: Array<[string, Record<string, unknown>, Partial<EcosystemOptions>, ConfigJobSpec]> = [
    [
      "a .js script runs with god's node",
      { script: "app.js" },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"] },
    ],
    [
      "the name defaults to the script's file name without its extension",
      { script: "lib/api.server.mjs" },
      {},
      { ...base, name: "api.server", exec: [NODE, "/srv/app/lib/api.server.mjs"] },
    ],
    [
      "args as a string are split like a shell would, expanding nothing",
      { name: "app", script: "app.js", args: `--name "a b" 'c d' $HOME e\\ f` },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js", "--name", "a b", "c d", "$HOME", "e f"] },
    ],
    [
      "args as an array, numbers as text",
      { name: "app", script: "app.js", args: ["--port", 8080] },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js", "--port", "8080"] },
    ],
    [
      "interpreter none runs the script itself",
      { name: "app", script: "bin/server", interpreter: "none", args: "-v" },
      {},
      { ...base, exec: ["/srv/app/bin/server", "-v"] },
    ],
    [
      "a script that is not a file under cwd, with no interpreter, is a command from PATH",
      { name: "app", script: "npm", args: "start" },
      { exists: () => false },
      { ...base, exec: ["npm", "start"] },
    ],
    [
      "interpreter and interpreter_args come before the script; python gets PYTHONUNBUFFERED as in PM2",
      { name: "app", script: "main.py", interpreter: "python3", interpreter_args: "-X dev" },
      {},
      { ...base, exec: ["python3", "-X", "dev", "/srv/app/main.py"], env: { PYTHONUNBUFFERED: "1" } },
    ],
    [
      "node_args go to node",
      { name: "app", script: "app.js", node_args: ["--max-old-space-size=512"] },
      {},
      { ...base, exec: [NODE, "--max-old-space-size=512", "/srv/app/app.js"] },
    ],
    [
      "a relative cwd starts at the file's directory, and the script at cwd",
      { name: "app", script: "server.js", cwd: "api" },
      {},
      { ...base, cwd: "/srv/app/api", exec: [NODE, "/srv/app/api/server.js"] },
    ],
    [
      "~ in cwd is the home directory",
      { name: "app", script: "server.js", cwd: "~/site" },
      {},
      { ...base, cwd: "/home/u/site", exec: [NODE, "/home/u/site/server.js"] },
    ],
    [
      "env values become text; null removes; an object is its JSON, as in PM2",
      { name: "app", script: "app.js", env: { N: 1, B: true, R: null, O: { a: 1 }, U: undefined } },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], env: { N: "1", B: "true", R: null, O: '{"a":1}' } },
    ],
    [
      "env_NAME is merged over env with --env NAME; port sets PORT",
      {
        name: "app",
        script: "app.js",
        env: { A: "1", B: "1" },
        env_production: { B: "2" },
        env_staging: { B: "3" },
        port: 8080,
      },
      { envName: "production" },
      { ...base, exec: [NODE, "/srv/app/app.js"], env: { A: "1", B: "2", PORT: "8080" } },
    ],
    [
      'instances "max"',
      { name: "app", script: "app.js", instances: "max" },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], instances: "max" },
    ],
    [
      "instances 0 is one per CPU, as in PM2",
      { name: "app", script: "app.js", instances: 0 },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], instances: "max" },
    ],
    [
      "instances -1 is every CPU but one",
      { name: "app", script: "app.js", instances: -1 },
      { cpuCount: 8 },
      { ...base, exec: [NODE, "/srv/app/app.js"], instances: 7 },
    ],
    [
      "instances as digits; 1 is god's default and left out",
      { name: "app", script: "app.js", instances: "1", exec_mode: "cluster" },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"] },
    ],
    [
      "autorestart false never restarts",
      { name: "app", script: "app.js", autorestart: false },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], restart: "never" },
    ],
    [
      "restart_delay starts god's backoff",
      { name: "app", script: "app.js", restart_delay: 2000 },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], backoff: { initialMs: 2000 } },
    ],
    [
      "exp_backoff_restart_delay is PM2's backoff: x1.5 up to 15 s",
      { name: "app", script: "app.js", exp_backoff_restart_delay: 100 },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], backoff: { initialMs: 100, factor: 1.5, maxMs: 15000 } },
    ],
    [
      "max_restarts and min_uptime: the window holds that many quick crashes with god's backoff between",
      { name: "app", script: "app.js", max_restarts: 10, min_uptime: "5s" },
      {},
      {
        ...base,
        exec: [NODE, "/srv/app/app.js"],
        // waits 100, 200, ..., 25600, then 30000 (81100 ms), plus 10 runs of 5 s
        maxRestarts: { count: 10, windowMs: 131_100 },
      },
    ],
    [
      "kill_timeout is the stop timeout; the signal stays PM2's SIGINT",
      { name: "app", script: "app.js", kill_timeout: "3000" },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], stop: { signal: "SIGINT", timeoutMs: 3000 } },
    ],
    [
      "max_memory_restart keeps a whole size with its unit",
      { name: "app", script: "app.js", max_memory_restart: "300MB" },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], maxMemory: "300M" },
    ],
    [
      "max_memory_restart as a fraction becomes bytes",
      { name: "app", script: "app.js", max_memory_restart: "1.5G" },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], maxMemory: 1_610_612_736 },
    ],
    [
      "max_memory_restart as a number is bytes",
      { name: "app", script: "app.js", max_memory_restart: 104_857_600 },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], maxMemory: 104_857_600 },
    ],
    [
      "cron_restart",
      { name: "app", script: "app.js", cron_restart: " 0 */6 * * * " },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], cron: "0 */6 * * *" },
    ],
    [
      'cron_restart "0" means none, as in PM2',
      { name: "app", script: "app.js", cron_restart: "0" },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"] },
    ],
    [
      "watch true watches cwd",
      { name: "app", script: "app.js", watch: true },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], watch: { paths: ["/srv/app"] } },
    ],
    [
      "watch paths start at cwd; ignore_watch and watch_delay",
      {
        name: "app",
        script: "app.js",
        watch: ["src", "/etc/app"],
        ignore_watch: "*.log",
        watch_delay: 1000,
      },
      {},
      {
        ...base,
        exec: [NODE, "/srv/app/app.js"],
        watch: { paths: ["/srv/app/src", "/etc/app"], ignore: ["*.log"], debounceMs: 1000 },
      },
    ],
    [
      "wait_ready is readiness by notify; listen_timeout its timeout",
      { name: "app", script: "app.js", wait_ready: true, listen_timeout: 8000 },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"], ready: "notify", readyTimeoutMs: 8000 },
    ],
    [
      "fields whose meaning god has already are accepted without a trace",
      { name: "app", script: "app.js", exec_mode: "cluster_mode", merge_logs: true, time: true },
      {},
      { ...base, exec: [NODE, "/srv/app/app.js"] },
    ],
  ];
  for (const [what, app, extra, expected] of rows) {
    assert.deepEqual(job(app, extra), expected, what);
  }
});

test("the realistic fixture converts exactly, with or without --env production", () => {
  const dir = ecosystemFixtureDir();
  try {
    const file = join(dir, "ecosystem.config.js");
    const config = createRequire(file)(file) as unknown;
    for (const production of [true, false]) {
      const result = convertEcosystem(
        config,
        file,
        options({ dir, envName: production ? "production" : null }),
      );
      assert.deepEqual(result.errors, []);
      assert.deepEqual(result.jobs, fixtureJobs(dir, NODE, production));
      assert.deepEqual(result.warnings, fixtureWarnings(file, production));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("fields god does not know are named in one warning line for the whole file", () => {
  const result = convertEcosystem(
    {
      apps: [
        { name: "a", script: "a.js", out_file: "/var/log/a.log", namespace: "shop" },
        { name: "b", script: "b.js", out_file: "/var/log/b.log", vizion: false },
      ],
      deploy: { production: {} },
    },
    FILE,
    options(),
  );
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.warnings, [
    `${FILE}: god does not know these fields and ignores them: deploy (top level), out_file (a, b), namespace (a), vizion (b); see docs/from-pm2.md for what god does instead.`,
  ]);
});

test("what god does differently is said once per file", () => {
  const result = convert(
    [
      { name: "a", script: "a.js", wait_ready: true, merge_logs: false, instances: 2 },
      { name: "b", script: "b.js", wait_ready: true, log_date_format: "HH:mm" },
      { name: "c", script: "job.py" },
      { name: "d", script: "d.js", interpreter: "none", node_args: "--inspect" },
      { name: "e", script: "gone.js" },
    ],
    { envName: "prod", exists: (path) => path !== "/srv/app/gone.js" },
  );
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.warnings, [
    `${FILE}: apps[2] (c): job.py is run as a program itself (it needs #! and the execute bit), where PM2 would have run it with python; set interpreter: "python" to keep that.`,
    `${FILE}: apps[3] (d): node_args is ignored, because the script runs without an interpreter.`,
    `${FILE}: apps[4] (e): the script /srv/app/gone.js does not exist (yet); e cannot start until it does.`,
    `${FILE}: no app has env_prod, so --env prod changes nothing; check the name.`,
    `${FILE}: a: each instance is a process of its own (PM2's cluster mode is not used); a program that listens on a fixed port itself must take god's socket (a "listen" in a JSON loader and listeners() from the watchgod library) or use a port per instance (GOD_INSTANCE is 0, 1, ...).`,
    `${FILE}: a, b: wait_ready becomes ready: "notify"; the program must call ready() from the watchgod library (or send READY=1 to NOTIFY_SOCKET) instead of process.send('ready'), and one not ready within listen_timeout fails instead of counting as ready.`,
    `${FILE}: a: merge_logs: false is not honoured; god writes one log file per job, each line naming its instance.`,
    `${FILE}: b: log_date_format is not honoured; god's log lines carry ISO 8601 timestamps.`,
  ]);
});

test("PM2's other shapes: a bare array of apps, a single app, apps as one object", () => {
  const expected = [{ ...base, exec: [NODE, "/srv/app/app.js"] }];
  for (const config of [
    [{ name: "app", script: "app.js" }],
    { name: "app", script: "app.js" },
    { apps: { name: "app", script: "app.js" } },
  ]) {
    assert.deepEqual(convertEcosystem(config, FILE, options()).jobs, expected, JSON.stringify(config));
  }
});

test("every bad value is refused with the file, the field path and the fix; any error refuses the whole file", () => {
  const rows: Array<[unknown, string]> = [
    [
      42,
      `${FILE}: expected PM2's ecosystem format, an object { apps: [{ name, script, ... }] }, got 42; export it with module.exports = { apps: [...] }.`,
    ],
    [
      { app: [] },
      `${FILE}: expected PM2's ecosystem format, an object { apps: [{ name, script, ... }] }, got an object without "apps"; export it with module.exports = { apps: [...] }.`,
    ],
    [{ apps: ["app.js"] }, `${FILE}: apps[0]: expected an app object { name, script, ... }, got "app.js".`],
    [{ apps: [{ name: "x" }] }, `${FILE}: apps[0].script: missing; give the path of the program to run.`],
    [
      { apps: [{ name: "my app", script: "a.js" }] },
      `${FILE}: apps[0].name: "my app" is not a job name god accepts; use 1 to 64 letters, digits, "_", "." or "-".`,
    ],
    [
      {
        apps: [
          { name: "a", script: "a.js" },
          { name: "a", script: "b.js" },
        ],
      },
      `${FILE}: apps[1].name: "a" is also the name of apps[0]; give each app its own name.`,
    ],
    [
      { apps: [{ name: "a", script: "a.js", instances: "lots" }] },
      `${FILE}: apps[0].instances: expected a number, "max" or -1, got "lots"; give a count, or "max" for one per CPU.`,
    ],
    [
      { apps: [{ name: "a", script: "a.js", kill_timeout: "soon" }] },
      `${FILE}: apps[0].kill_timeout: expected milliseconds, got "soon"; give how long to wait after SIGINT before SIGKILL.`,
    ],
    [
      { apps: [{ name: "a", script: "a.js", max_memory_restart: "lots" }] },
      `${FILE}: apps[0].max_memory_restart: expected bytes or a size such as "300M", "1G", got "lots"; give the limit.`,
    ],
    [
      { apps: [{ name: "a", script: "a.js", cron_restart: "every day" }] },
      `${FILE}: apps[0].cron_restart: expected a cron pattern of 5 or 6 fields, got "every day"; write it like "0 3 * * *" (every day at 03:00).`,
    ],
    [
      { apps: [{ name: "a", script: "a.js", autorestart: "yes" }] },
      `${FILE}: apps[0].autorestart: expected true or false, got "yes"; write true or false.`,
    ],
    [
      { apps: [{ name: "a", script: "a.js", args: "--name 'unclosed" }] },
      `${FILE}: apps[0].args: cannot split "--name 'unclosed": a ' quote at character 8 is never closed; give the arguments as an array of strings.`,
    ],
    [
      { apps: [{ name: "a", script: "a.js", interpreter: "node@18.20.0" }] },
      `${FILE}: apps[0].interpreter: "node@18.20.0" asks PM2 to install a Node version, which god does not do; give the path of that node instead.`,
    ],
    [
      { apps: [{ name: "a", script: "a.js", env: "A=1" }] },
      `${FILE}: apps[0].env: expected an object of variables, got "A=1"; give env as { NAME: value }.`,
    ],
    [
      { apps: [{ name: "a", script: "a.js", max_restarts: -1 }] },
      `${FILE}: apps[0].max_restarts: expected a count (0 or more), got -1; give how many quick restarts in a row are allowed.`,
    ],
    [
      { apps: [{ name: "a", script: "a.js", watch: 5 }] },
      `${FILE}: apps[0].watch: expected true or paths, got 5; give true (the app's cwd) or the paths to watch.`,
    ],
  ];
  for (const [config, error] of rows) {
    const result = convertEcosystem(config, FILE, options());
    assert.deepEqual(result.errors, [error], JSON.stringify(config));
    assert.deepEqual(result.jobs, [], "an error refuses every job of the file");
  }
  const oneBad = convert([
    { name: "good", script: "good.js" },
    { name: "bad", script: "bad.js", instances: "x" },
  ]);
  assert.equal(oneBad.errors.length, 1);
  assert.deepEqual(oneBad.jobs, []);
});

test("the restart window grows with the count and the backoff, within a timer's range", () => {
  const god = { initialMs: 100, factor: 2, maxMs: 30_000 };
  assert.equal(restartWindowMs(1, 1000, god), 1100);
  assert.equal(restartWindowMs(3, 1000, god), 100 + 200 + 400 + 3000);
  assert.equal(restartWindowMs(0, 1000, god), 1000);
  assert.equal(restartWindowMs(1_000_000, 3_600_000, god), 2_147_483_647);
});
