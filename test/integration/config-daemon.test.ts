// Configuration files as loaders in a real god (SPEC 14): a Procfile with its .env (foreman's PORT rule, seen in
// the jobs' own output; an edited comment touches no job, an edited .env reloads), a JSON loader file, PM2's
// ecosystem file run with `god run --env production`, and every kind of bad file, each a sentence in
// `god loaders` naming the file and the line while the other loaders run on.

import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { LoadersJson } from "../../src/protocol/control.js";
import { godLines } from "../fixtures/proc-tools.js";
import { ecosystemFixtureDir } from "../helpers/config-fixture.js";
import { Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 120_000;

function logOf(sb: Sandbox, job: string): string {
  const file = join(sb.home, "logs", `${job}.log`);
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

function messages(sb: Sandbox): string[] {
  return godLines(sb.godOutput).map((l) => l.msg);
}

describe("configuration files in a loader directory", { timeout: TIMEOUT_MS }, () => {
  it("a Procfile with .env: foreman's PORT, the .env in the env; a comment touches nothing, a .env edit reloads", async (t) => {
    const sb = new Sandbox("god-procfile-");
    t.after(() => sb.cleanup());
    // Executable on purpose: the name decides, so a +x Procfile is still read as a Procfile.
    const procfile = sb.write(
      "Procfile",
      [
        "# the web and a worker",
        'web: echo "web port=$PORT greeting=$GREETING"; exec sleep 100000',
        "",
        'worker: echo "worker port=$PORT greeting=$GREETING"; exec sleep 100000',
        "",
      ].join("\n"),
    );
    writeFileSync(join(sb.dir, ".env"), "GREETING=hello\n");
    sb.startGod();
    const web = await sb.untilState("web", "running");
    const worker = await sb.untilState("worker", "running");
    sb.track(web.pid);
    sb.track(worker.pid);
    await sb.until(
      "both jobs' first lines",
      () => logOf(sb, "worker").includes("worker port=") && logOf(sb, "web").includes("web port="),
    );
    assert.match(logOf(sb, "web"), /web port=5000 greeting=hello/);
    assert.match(logOf(sb, "worker"), /worker port=5100 greeting=hello/);

    // A comment: the loader reloads, its jobs keep their processes.
    appendFileSync(procfile, "# a comment\n");
    const declared = `loader ${procfile} declared 2 job(s)`;
    await sb.until(
      "the Procfile reloaded after its comment changed",
      () => messages(sb).filter((m) => m === declared).length >= 2,
    );
    const status = await sb.ctl(["status", "--json"]);
    const jobs = (
      JSON.parse(status.stdout) as { jobs: Array<{ name: string; pid: number; restarts: number }> }
    ).jobs;
    assert.deepEqual(
      jobs.map((j) => [j.name, j.pid, j.restarts]),
      [
        ["web", web.pid, 0],
        ["worker", worker.pid, 0],
      ],
      "an edited comment replaces no job",
    );

    // The .env beside it is the Procfile's: a new GREETING reloads it and replaces both jobs (their env changed).
    writeFileSync(join(sb.dir, ".env"), "GREETING=bye\n");
    const replaced = await sb.until("web replaced after the .env changed", async () => {
      const j = await sb.job("web");
      return j?.state === "running" && j.pid !== web.pid ? j : undefined;
    });
    sb.track(replaced.pid);
    await sb.until("web's new line", () => logOf(sb, "web").includes("greeting=bye"));
    assert.match(logOf(sb, "web"), /web port=5000 greeting=bye/);
  });

  it("a JSON loader file (not executable) and a Procfile named by --loader", async (t) => {
    const sb = new Sandbox("god-json-loader-");
    t.after(() => sb.cleanup());
    sb.write(
      "app.json",
      JSON.stringify({
        jobs: [
          {
            name: "app",
            exec: ["sh", "-c", "echo app says $WHO; exec sleep 100000"],
            env: { WHO: "json" },
            auto: true,
          },
        ],
      }),
      { mode: 0o644 },
    );
    const procfile = sb.write("Procfile", "single: echo single port=$PORT; exec sleep 100000\n", {
      inDir: false,
      mode: 0o644,
    });
    sb.startGod(["--loader", procfile]);
    sb.track((await sb.untilState("app", "running")).pid);
    sb.track((await sb.untilState("single", "running")).pid);
    await sb.until("app's line", () => logOf(sb, "app").includes("app says json"));
    await sb.until("single's line", () => logOf(sb, "single").includes("single port=5000"));
    const loaders = JSON.parse((await sb.ctl(["loaders", "--json"])).stdout) as LoadersJson;
    const byPath = new Map(loaders.loaders.map((l) => [l.path, l]));
    assert.deepEqual(byPath.get(join(sb.dir, "app.json"))?.jobs, ["app"]);
    assert.deepEqual(byPath.get(procfile)?.jobs, ["single"]);
    // A file answers no checks: once it has said hello it is released.
    assert.equal(byPath.get(join(sb.dir, "app.json"))?.state, "idle");
  });

  it("PM2's ecosystem file with `god run --env production`: every app runs with its env_production and argv", async (t) => {
    const sb = new Sandbox("god-ecosystem-");
    const fixture = ecosystemFixtureDir();
    t.after(async () => {
      await sb.cleanup();
      rmSync(fixture, { recursive: true, force: true });
    });
    // Each app records what it was given in its working directory; SIGINT (PM2's stop signal) ends it.
    const record = (name: string) =>
      `const fs = require("node:fs");
const me = ${JSON.stringify(name)} + "-" + (process.env.GOD_INSTANCE ?? "x");
const env = {};
for (const k of ["NODE_ENV", "PORT", "DATABASE_URL", "GOD_INSTANCE", "NODE_APP_INSTANCE", "REPORT_DIR"]) env[k] = process.env[k];
fs.writeFileSync(me + ".tmp", JSON.stringify({ argv: process.argv.slice(2), env, cwd: process.cwd() }));
fs.renameSync(me + ".tmp", me + ".json");
setInterval(() => {}, 1 << 30);
`;
    writeFileSync(join(fixture, "api/dist/server.js"), record("api"));
    writeFileSync(join(fixture, "worker.js"), record("worker"));
    writeFileSync(
      join(fixture, "scripts/report.sh"),
      `printf '{"argv":[],"env":{"REPORT_DIR":"%s"},"cwd":"%s"}' "$REPORT_DIR" "$PWD" > report.json\n`,
    );
    const file = join(fixture, "ecosystem.config.js");
    sb.startGodWith(["run", "--loader", file, "--env", "production", "--home", sb.home]);
    const api = await sb.until("four api instances running", async () => {
      const j = await sb.job("api");
      return j !== undefined && j.instances.length === 4 && j.instances.every((i) => i.state === "running")
        ? j
        : undefined;
    });
    for (const i of api.instances) sb.track(i.pid);
    sb.track((await sb.untilState("worker", "running")).pid);
    await sb.untilState("nightly-report", "exited");

    const read = (path: string) =>
      JSON.parse(readFileSync(path, "utf8")) as { argv: string[]; env: Record<string, string>; cwd: string };
    const apiDir = join(fixture, "api");
    const recorded = await sb.until("every instance's record", () => {
      const files = [0, 1, 2, 3].map((i) => join(apiDir, `api-${i}.json`));
      const all = [...files, join(fixture, "worker-0.json"), join(fixture, "report.json")];
      return all.every((f) => existsSync(f)) ? files.map(read) : undefined;
    });
    recorded.forEach((r, i) => {
      assert.deepEqual(r.argv, ["--port", "3000", "--log-level", "info"]);
      assert.equal(r.cwd, apiDir);
      assert.deepEqual(r.env, {
        NODE_ENV: "production",
        PORT: "3000",
        DATABASE_URL: "postgres://db.internal/app",
        GOD_INSTANCE: String(i),
        NODE_APP_INSTANCE: String(i),
      });
    });
    const worker = read(join(fixture, "worker-0.json"));
    assert.deepEqual(worker.argv, ["--queue", "emails"]);
    assert.equal(worker.env["NODE_ENV"], "production");
    assert.equal(worker.env["DATABASE_URL"], undefined);
    assert.equal(read(join(fixture, "report.json")).env["REPORT_DIR"], "/var/reports");

    // What god does differently is said once in its log, naming the file.
    const warnings = godLines(sb.godOutput)
      .filter((l) => l.level === 40) // pino's warn
      .map((l) => l.msg);
    assert.ok(
      warnings.some((m) => m.includes(`${file}: api: log_date_format is not honoured`)),
      warnings.join("\n"),
    );
    const loaders = JSON.parse((await sb.ctl(["loaders", "--json"])).stdout) as LoadersJson;
    assert.deepEqual(loaders.loaders.find((l) => l.path === file)?.jobs, ["api", "nightly-report", "worker"]);
    assert.equal(loaders.loaders.find((l) => l.path === file)?.error, null);
  });

  it("bad files: each a sentence naming the file and the line in `god loaders`; the other loaders run on", async (t) => {
    const sb = new Sandbox("god-config-errors-");
    t.after(() => sb.cleanup());
    const plain = { mode: 0o644 };
    const good = sb.write(
      "good.json",
      JSON.stringify({ jobs: [{ name: "fine", exec: ["sleep", "100000"], auto: true }] }),
      plain,
    );
    const broken = sb.write("broken.json", '{"jobs": [\n  {"name": "x",\n', plain);
    const throws = sb.write(
      "ecosystem.config.js",
      'module.exports = { apps: [{ name: "t", script: "t.js" }] };\nthrow new Error("no config today");\n',
      plain,
    );
    const hangs = sb.write(
      "hang.ecosystem.config.js",
      "module.exports = { apps: [] };\nwhile (true) {}\n",
      plain,
    );
    const badLine = sb.write("Procfile.bad", "ok: sleep 100000\nthis line is no entry\n", plain);
    const first = sb.write(
      "a.json",
      JSON.stringify({ jobs: [{ name: "dup", exec: ["sleep", "100000"], auto: true }] }),
      plain,
    );
    const second = sb.write(
      "b.json",
      JSON.stringify({ jobs: [{ name: "dup", exec: ["sleep", "100000"], auto: true }] }),
      plain,
    );
    const other = join(sb.root, "other");
    mkdirSync(other);
    writeFileSync(join(other, "Procfile"), "env: sleep 100000\n");
    writeFileSync(join(other, ".env"), "GOOD=1\nthis is not an assignment\n");
    sb.startGod(["--dir", other]);
    sb.track((await sb.untilState("fine", "running")).pid);
    sb.track((await sb.untilState("dup", "running")).pid);

    const expected: Array<[string, RegExp]> = [
      [broken, new RegExp(`${broken}:3:1: not valid JSON`)],
      [throws, new RegExp(`${throws}:2: evaluating the file threw Error: no config today`)],
      [hangs, /sent no hello within 5 s/],
      [badLine, new RegExp(`${badLine}:2: "this line is no entry" is not "NAME: command"`)],
      [
        join(other, "Procfile"),
        new RegExp(`${join(other, ".env")}:2: "this is not an assignment" is not NAME=value`),
      ],
    ];
    const events = await sb.events();
    // Of two files declaring one name, the one whose hello god accepted first keeps it (they start together).
    const loser = () => [first, second].find((path) => (events.loaders.get(path)?.error ?? null) !== null);
    await events.until(
      "every bad file's error",
      () =>
        loser() !== undefined &&
        expected.every(([path]) => (events.loaders.get(path)?.error ?? null) !== null),
      30_000,
      () => `\n${JSON.stringify([...events.loaders.values()], null, 1)}`,
    );
    const loaders = JSON.parse((await sb.ctl(["loaders", "--json"])).stdout) as LoadersJson;
    const byPath = new Map(loaders.loaders.map((l) => [l.path, l]));
    for (const [path, sentence] of expected) {
      assert.match(byPath.get(path)?.error ?? "", sentence, path);
    }
    const winner = loser() === first ? second : first;
    assert.match(
      byPath.get(loser()!)?.error ?? "",
      new RegExp(`job "dup" is already declared by loader ${winner}`),
    );
    assert.deepEqual(byPath.get(winner)?.jobs, ["dup"]);
    assert.equal(byPath.get(winner)?.error, null);
    assert.equal(byPath.get(good)?.error, null);
    assert.deepEqual(byPath.get(good)?.jobs, ["fine"]);
    assert.equal((await sb.job("fine"))?.state, "running", "the good file's job runs on");
    // The text table shows the same sentences in its error column.
    const table = await sb.ctl(["loaders"]);
    assert.match(table.stdout, /Procfile\.bad\s+failed.*Procfile\.bad:2:/);
  });

  it("god validate reads a configuration file as god would", async (t) => {
    const sb = new Sandbox("god-validate-config-");
    t.after(() => sb.cleanup());
    const procfile = sb.write("Procfile", "web: exec sleep 1\n", { mode: 0o644 });
    const ok = await sb.ctl(["validate", procfile]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /web: \/bin\/sh -c/);
    writeFileSync(procfile, "web exec sleep 1\n");
    const bad = await sb.ctl(["validate", procfile]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`${procfile}:1: "web exec sleep 1" is not "NAME: command"`));
  });
});
