// The built-in loader for configuration files, run for real as god runs it (`node file-loader.js FILE godv1`):
// one hello line with the jobs, warnings as `log` notifications, then it stays until its stdin closes and
// exits 0. A file that cannot be converted: sentences on stderr and exit 1 before any hello.

import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { configLoaderCommand, FILE_LOADER } from "../../src/config/loader-command.js";
import { withPort } from "../../src/config/procfile.js";
import { LineDecoder } from "../../src/protocol/ndjson.js";
import { ecosystemFixtureDir, fixtureJobs, fixtureWarnings } from "../helpers/config-fixture.js";

const root = realpathSync(mkdtempSync(join(tmpdir(), "god-file-loader-")));
const started: ChildProcess[] = [];
after(() => {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

interface Loader {
  child: ChildProcess;
  /** Resolves with the first stdout line, or null if the loader ended without one. */
  firstLine: Promise<string | null>;
  lines: string[];
  stderr: () => string;
  exit: Promise<number | null>;
}

function startLoader(file: string, env: Record<string, string> = {}): Loader {
  const command = configLoaderCommand(file, env["GOD_ENV_NAME"] ?? null);
  const child = spawn(command.command, command.args, {
    env: { ...process.env, ...command.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  started.push(child);
  const lines: string[] = [];
  let stderr = "";
  const decoder = new LineDecoder();
  let first: (line: string | null) => void = () => {};
  const firstLine = new Promise<string | null>((resolve) => {
    first = resolve;
  });
  child.stdout!.on("data", (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) {
      if (event.type !== "line") continue;
      lines.push(event.text);
      if (lines.length === 1) first(event.text);
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => {
    child.once("close", (code) => {
      first(null);
      resolve(code);
    });
  });
  return { child, firstLine, lines, stderr: () => stderr, exit };
}

function dir(name: string): string {
  const path = join(root, name);
  mkdirSync(path, { recursive: true });
  return path;
}

test("an ecosystem file: one hello, its warnings as log lines; it stays until stdin closes, then exits 0", async () => {
  const fixture = ecosystemFixtureDir();
  try {
    const file = join(fixture, "ecosystem.config.js");
    const loader = startLoader(file, { GOD_ENV_NAME: "production" });
    const first = await loader.firstLine;
    assert.ok(first !== null, `no hello; stderr: ${loader.stderr()}`);
    assert.deepEqual(JSON.parse(first), {
      jsonrpc: "2.0",
      method: "hello",
      params: {
        protocol: "godv1",
        loader: { name: "ecosystem.config.js" },
        jobs: fixtureJobs(fixture, process.execPath, true),
      },
    });
    // The hello and its warnings are one write; the loader is still there, waiting on its stdin.
    assert.deepEqual(
      loader.lines.slice(1).map((line) => JSON.parse(line) as unknown),
      fixtureWarnings(file, true).map((message) => ({
        jsonrpc: "2.0",
        method: "log",
        params: { level: "warn", message },
      })),
    );
    assert.equal(loader.child.exitCode, null);
    loader.child.stdin!.end();
    assert.equal(await loader.exit, 0);
  } finally {
    rmSync(fixture, { recursive: true, force: true });
  }
});

test("a request gets an error answer (a file answers no checks); a notification is dropped", async () => {
  const file = join(dir("request"), "web.json");
  writeFileSync(file, JSON.stringify({ jobs: [{ name: "web", exec: ["./web"] }] }));
  const loader = startLoader(file);
  assert.ok((await loader.firstLine) !== null, loader.stderr());
  const answered = new Promise<string>((resolve) => {
    loader.child.stdout!.on("data", (chunk: Buffer) => resolve(chunk.toString()));
  });
  loader.child.stdin!.write(
    '{"jsonrpc":"2.0","method":"event","params":{}}\n{"jsonrpc":"2.0","id":7,"method":"check","params":{"job":"web"}}\n',
  );
  assert.deepEqual(JSON.parse(await answered), {
    jsonrpc: "2.0",
    id: 7,
    error: {
      code: -32601,
      message:
        "web.json is a configuration file, which answers no requests; give the job a check.probe or write a loader program",
    },
  });
  loader.child.stdin!.end();
  assert.equal(await loader.exit, 0);
});

test("a Procfile and its .env, through a symlink: the real directory is the cwd; the shell sets PORT per instance", async () => {
  const app = dir("procfile-app");
  writeFileSync(join(app, "Procfile"), "web: echo $PORT $GREETING\nworker: echo $PORT\n");
  writeFileSync(join(app, ".env"), "PORT=7000\nGREETING='hello there'\n");
  const link = join(dir("procfile-loaders"), "Procfile");
  symlinkSync(join(app, "Procfile"), link);
  const loader = startLoader(link);
  const first = await loader.firstLine;
  assert.ok(first !== null, loader.stderr());
  const jobs = (
    JSON.parse(first) as { params: { jobs: Array<{ exec: string[]; env: Record<string, string> }> } }
  ).params.jobs;
  assert.deepEqual(jobs, [
    {
      name: "web",
      exec: ["/bin/sh", "-c", withPort(7000, "echo $PORT $GREETING")],
      cwd: app,
      auto: true,
      env: { GREETING: "hello there" },
    },
    {
      name: "worker",
      exec: ["/bin/sh", "-c", withPort(7100, "echo $PORT")],
      cwd: app,
      auto: true,
      env: { GREETING: "hello there" },
    },
  ]);
  loader.child.stdin!.end();
  assert.equal(await loader.exit, 0);
  // What the shell makes of it, as god would run instance 2 of web and instance 0 (no GOD_INSTANCE) of worker.
  const run = (argv: string[], env: Record<string, string>) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        argv[0]!,
        argv.slice(1),
        { env: { PATH: process.env["PATH"] ?? "", ...env } },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
  assert.equal(await run(jobs[0]!.exec, { ...jobs[0]!.env, GOD_INSTANCE: "2" }), "7002 hello there\n");
  assert.equal(await run(jobs[1]!.exec, jobs[1]!.env), "7100\n");
});

test("a JavaScript config's own output goes to stderr: the first stdout line is the hello", async () => {
  const file = join(dir("noisy"), "ecosystem.config.js");
  writeFileSync(
    file,
    'console.log("loading config"); process.stdout.write("raw\\n");\nmodule.exports = { apps: [{ name: "a", script: "a.js" }] };\n',
  );
  const loader = startLoader(file);
  const first = await loader.firstLine;
  assert.ok(first !== null, loader.stderr());
  assert.equal((JSON.parse(first) as { method: string }).method, "hello");
  loader.child.stdin!.end();
  assert.equal(await loader.exit, 0);
  assert.match(loader.stderr(), /loading config\nraw\n/);
});

test("a file that cannot be converted: the sentence on stderr, exit 1, nothing on stdout", async () => {
  const cases: Array<[string, string, string]> = [
    [
      "ecosystem.config.js",
      'module.exports = {\n  apps: [\n    { name: "a" script: "a.js" },\n  ],\n};\n',
      "FILE:3: not valid JavaScript: Unexpected identifier 'script'; fix the file.\n",
    ],
    [
      "ecosystem.config.cjs",
      'const apps = [];\nif (!process.env.DB) throw new Error("DB is not set");\nmodule.exports = { apps };\n',
      "FILE:2: evaluating the file threw Error: DB is not set; fix the file so that it only exports its configuration.\n",
    ],
    [
      "web.json",
      '{\n  "jobs": [\n    {"name": "web", "exec": ["./web"]},\n  ]\n}\n',
      'FILE:4:3: not valid JSON (unexpected "]"); fix the file there (JSON allows no comments and no trailing commas).\n',
    ],
    [
      "Procfile",
      "web: ./web\nworker ./worker\n",
      'FILE:2: "worker ./worker" is not "NAME: command"; write the process name (letters, digits, "_", "." or "-"), a colon and the command, or make the line a comment with #.\n',
    ],
    [
      "ecosystem.config.json",
      '{"apps": [{"name": "a", "script": "a.js", "instances": "lots"}]}',
      'FILE: apps[0].instances: expected a number, "max" or -1, got "lots"; give a count, or "max" for one per CPU.\n',
    ],
  ];
  for (const [name, text, error] of cases) {
    const file = join(dir(`bad-${name}`), name);
    writeFileSync(file, text);
    const loader = startLoader(file);
    assert.equal(await loader.exit, 1, name);
    assert.deepEqual(loader.lines, [], name);
    assert.equal(loader.stderr(), error.replace("FILE", file), name);
  }
});

test("a .js config under a package.json saying type: module is named with the fix", async () => {
  const app = dir("esm");
  writeFileSync(join(app, "package.json"), '{"type": "module"}\n');
  const file = join(app, "ecosystem.config.js");
  writeFileSync(file, "module.exports = { apps: [] };\n");
  const loader = startLoader(file);
  assert.equal(await loader.exit, 1);
  assert.equal(
    loader.stderr(),
    `${file}:1: module is not defined in ES module scope, because the nearest package.json says "type": "module"; rename the file to ecosystem.config.cjs.\n`,
  );
});

test("a config that hangs prints nothing: god's 5 s first-line limit is what ends it", async () => {
  const file = join(dir("hang"), "ecosystem.config.js");
  writeFileSync(file, "for (;;) {}\n");
  const loader = startLoader(file);
  // The loop holds the loader's only thread: whatever it would print has to come before the config ran.
  const early = await Promise.race([loader.firstLine, new Promise((r) => setTimeout(r, 1000, "silent"))]);
  assert.equal(early, "silent");
  loader.child.kill("SIGKILL");
  assert.equal(await loader.exit, null);
  assert.deepEqual(loader.lines, []);
});

test("the program refuses to run other than as `FILE godv1`", async () => {
  const child = spawn(process.execPath, [FILE_LOADER, "x.json"], { stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise((resolve) => child.once("close", resolve));
  assert.equal(code, 2);
  assert.match(stderr, /^usage: node file-loader\.js FILE godv1/);
});
