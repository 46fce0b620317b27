// A real loader program built with the library: its hello, its answers to concurrent checks (out of order), each
// check return form, events and loader-to-god actions, the stdout guard, and exit when god closes stdin.

import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseHello } from "../../src/protocol/hello.js";
import { LineDecoder } from "../../src/protocol/ndjson.js";

const LIBRARY = new URL("../../src/lib/index.js", import.meta.url).href;
const WAIT_LIMIT_MS = 15_000;

type Message = Record<string, unknown>;

/** A loader process driven the way god drives it: JSON-RPC lines on stdin, protocol lines read from stdout. */
class LoaderProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly messages: Message[] = [];
  readonly stdoutLines: string[] = [];
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly changed = new EventEmitter();

  constructor(file: string, args: string[], cwd: string) {
    this.child = spawn(process.execPath, [file, ...args], { cwd, stdio: "pipe" });
    const decoder = new LineDecoder();
    this.child.stdout.on("data", (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type !== "line") continue;
        this.stdoutLines.push(frame.text);
        try {
          this.messages.push(JSON.parse(frame.text) as Message);
        } catch {
          // Kept in stdoutLines; the tests assert that every line is JSON.
        }
      }
      this.changed.emit("change");
    });
    this.child.stderr.setEncoding("utf8").on("data", (text: string) => {
      this.stderr += text;
      this.changed.emit("change");
    });
    this.exited = new Promise((resolve) => {
      this.child.once("close", (code, signal) => {
        resolve({ code, signal });
        this.changed.emit("change");
      });
    });
  }

  /** Resolves with found()'s first defined value, re-tried on every output; fails after a generous limit. */
  waitFor<T>(what: string, found: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): void => {
        const value = found();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; stderr so far:\n${this.stderr}`));
      }, WAIT_LIMIT_MS);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.changed.off("change", attempt);
      };
      this.changed.on("change", attempt);
      attempt();
    });
  }

  message(what: string, predicate: (m: Message) => boolean): Promise<Message> {
    return this.waitFor(what, () => this.messages.find(predicate));
  }

  response(id: number): Promise<Message> {
    return this.message(`the answer to request ${id}`, (m) => m["id"] === id && !("method" in m));
  }

  stderrContains(text: string): Promise<true> {
    return this.waitFor(`stderr to contain ${JSON.stringify(text)}`, () =>
      this.stderr.includes(text) ? true : undefined,
    );
  }

  send(...values: unknown[]): void {
    this.child.stdin.write(values.map((v) => JSON.stringify(v) + "\n").join(""));
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

const LOADER_SOURCE = `
import { job, init, http, tcp, command, restart, log, start } from ${JSON.stringify(LIBRARY)};

console.log("console.log before init");
process.stdout.write("stdout.write before init\\n");

let release;
const released = new Promise((resolve) => { release = resolve; });

job("web", {
  exec: ["node", "server.js"],
  env: { A: "1", B: null },
  cwd: "/srv/web",
  auto: true,
  after: ["db"],
  restart: "on-failure",
  backoff: { initial: "200ms", max: "1m", factor: 3, resetAfterMs: 5000 },
  maxRestarts: { count: 5, window: "1m" },
  check: { every: "2s", timeout: "1.5s", failures: 2, grace: "10s", probe: http("http://127.0.0.1:8080/health", { status: [200, 299] }) },
  stop: { signal: "SIGINT", timeout: "5s" },
  listen: { http: "tcp://127.0.0.1:8080" },
  reload: "replace",
  logs: { format: "json", merge: true },
  events: ["running", "exited"],
  onEvent: async (event) => {
    console.log("EVENT " + JSON.stringify(event));
    try {
      await restart("web", "saw " + event.state);
      console.log("RESTART-DONE " + event.state);
    } catch (error) {
      console.log("RESTART-FAILED " + event.state + " " + error.code + " " + error.message);
    }
  },
});

const db = job("db");
db.exec = ["postgres", "-D", "data"];
db.auto = true;
db.check = () => "ok";

job("tcp-probe", { exec: ["x"], check: { probe: tcp("127.0.0.1", 5432) } });
job("cmd-probe", { exec: ["x"], check: { every: 1000, probe: command(["pg_isready"]) } });

const forms = {
  "f-ok": () => "ok",
  "f-degraded": () => "degraded",
  "f-fail": () => "fail",
  "f-true": () => true,
  "f-false": () => false,
  "f-object": () => ({ status: "degraded", message: "slow disk", nextMs: 250 }),
  "f-promise": async () => "degraded",
  "f-throw": () => { throw new Error("boom"); },
  "f-reject": () => Promise.reject(new Error("nope")),
  "f-weird": () => 42,
  "f-context": (context) => ({ status: "ok", message: JSON.stringify(context) }),
  "f-slow": async () => { await released; return { status: "ok", message: "slow done" }; },
  "f-release": () => { release(); return "ok"; },
  "f-log": () => { console.log("console.log inside a check"); log("warn", "from the check"); return "ok"; },
};
for (const [name, run] of Object.entries(forms)) job(name, { exec: ["x"], check: { run } });

await init({ version: "1.2.3" });
console.log("MAIN RAN");
start("db").catch((error) => console.log("start rejected: " + error.message));
`;

const FORM_NAMES = [
  "f-ok",
  "f-degraded",
  "f-fail",
  "f-true",
  "f-false",
  "f-object",
  "f-promise",
  "f-throw",
  "f-reject",
  "f-weird",
  "f-context",
  "f-slow",
  "f-release",
  "f-log",
];

const EXPECTED_JOBS = [
  {
    name: "web",
    exec: ["node", "server.js"],
    env: { A: "1", B: null },
    cwd: "/srv/web",
    auto: true,
    after: ["db"],
    restart: "on-failure",
    backoff: { initialMs: 200, maxMs: 60_000, factor: 3, resetAfterMs: 5000 },
    maxRestarts: { count: 5, windowMs: 60_000 },
    check: {
      intervalMs: 2000,
      timeoutMs: 1500,
      failures: 2,
      graceMs: 10_000,
      probe: { http: { url: "http://127.0.0.1:8080/health", status: [200, 299] } },
    },
    stop: { signal: "SIGINT", timeoutMs: 5000 },
    listen: { http: "tcp://127.0.0.1:8080" },
    reload: "replace",
    logs: { format: "json", merge: true },
    events: ["running", "exited"],
  },
  { name: "db", exec: ["postgres", "-D", "data"], auto: true, check: {} },
  { name: "tcp-probe", exec: ["x"], check: { probe: { tcp: { host: "127.0.0.1", port: 5432 } } } },
  { name: "cmd-probe", exec: ["x"], check: { intervalMs: 1000, probe: { exec: ["pg_isready"] } } },
  ...FORM_NAMES.map((name) => ({ name, exec: ["x"], check: {} })),
];

function checkRequest(id: number, job: string): Message {
  return { jsonrpc: "2.0", id, method: "check", params: { job, pid: 4242, instance: 7 } };
}

describe("a loader in loader mode", () => {
  let dir = "";
  let loader: LoaderProcess;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "watchgod-lib-loader-"));
    writeFileSync(join(dir, "loader.mjs"), LOADER_SOURCE);
    loader = new LoaderProcess(join(dir, "loader.mjs"), ["godv1"], dir);
  });

  after(() => {
    loader.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test("its first line is the hello with the exact JobSpecs", async () => {
    await loader.waitFor("the hello", () => loader.messages[0]);
    assert.deepEqual(loader.messages[0], {
      jsonrpc: "2.0",
      method: "hello",
      params: { protocol: "godv1", loader: { name: "loader.mjs", version: "1.2.3" }, jobs: EXPECTED_JOBS },
    });
    const parsed = parseHello((loader.messages[0] as { params: unknown }).params);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.jobErrors, []);
  });

  test("a slow check does not hold back another: answers come out of order", async () => {
    loader.send(checkRequest(1, "f-slow"), checkRequest(2, "f-release"));
    const slow = await loader.response(1);
    const fast = await loader.response(2);
    assert.deepEqual(fast, { jsonrpc: "2.0", id: 2, result: { status: "ok" } });
    assert.deepEqual(slow, { jsonrpc: "2.0", id: 1, result: { status: "ok", message: "slow done" } });
    assert.ok(
      loader.messages.indexOf(fast) < loader.messages.indexOf(slow),
      "the released check answered first",
    );
  });

  test("every return form becomes the right result", async () => {
    const expected: Array<[string, unknown]> = [
      ["f-ok", { status: "ok" }],
      ["f-degraded", { status: "degraded" }],
      ["f-fail", { status: "fail" }],
      ["f-true", { status: "ok" }],
      ["f-false", { status: "fail", message: "the check returned false" }],
      ["f-object", { status: "degraded", message: "slow disk", nextMs: 250 }],
      ["f-promise", { status: "degraded" }],
      ["f-throw", { status: "fail", message: "boom" }],
      ["f-reject", { status: "fail", message: "nope" }],
      [
        "f-weird",
        {
          status: "fail",
          message:
            'the check returned 42; expected "ok", "degraded", "fail", a boolean or {status, message?, nextMs?}',
        },
      ],
      [
        "f-context",
        { status: "ok", message: JSON.stringify({ job: "f-context", pid: 4242, instance: 7, index: 0 }) },
      ],
      ["db", { status: "ok" }],
    ];
    loader.send(...expected.map(([job], i) => checkRequest(100 + i, job)));
    for (const [i, [job, result]] of expected.entries()) {
      assert.deepEqual(await loader.response(100 + i), { jsonrpc: "2.0", id: 100 + i, result }, job);
    }
  });

  test("many checks at once are all answered", async () => {
    const count = 500;
    loader.send(
      ...Array.from({ length: count }, (_, i) => checkRequest(1000 + i, i % 2 ? "f-ok" : "f-promise")),
    );
    await loader.waitFor(`${count} answers`, () =>
      loader.messages.filter((m) => typeof m["id"] === "number" && m["id"] >= 1000).length === count
        ? true
        : undefined,
    );
  });

  test("errors: unknown job 1001, no check function 1002, unknown method -32601, bad params -32602", async () => {
    loader.send(
      checkRequest(20, "nope"),
      checkRequest(21, "tcp-probe"),
      { jsonrpc: "2.0", id: 22, method: "frobnicate", params: {} },
      { jsonrpc: "2.0", id: 23, method: "check", params: { pid: 1 } },
    );
    const codeOf = async (id: number): Promise<unknown> =>
      ((await loader.response(id))["error"] as { code: number } | undefined)?.code;
    assert.equal(await codeOf(20), 1001);
    assert.equal(await codeOf(21), 1002);
    assert.equal(await codeOf(22), -32601);
    assert.equal(await codeOf(23), -32602);
  });

  test("console.log and stdout writes went to stderr, log() to god", async () => {
    loader.send(checkRequest(30, "f-log"));
    await loader.response(30);
    const logged = await loader.message("the log notification", (m) => m["method"] === "log");
    assert.deepEqual(logged, {
      jsonrpc: "2.0",
      method: "log",
      params: { level: "warn", message: "from the check" },
    });
    await loader.stderrContains("console.log inside a check");
    assert.match(loader.stderr, /console\.log before init/);
    assert.match(loader.stderr, /stdout\.write before init/);
    for (const line of loader.stdoutLines) {
      assert.equal((JSON.parse(line) as Message)["jsonrpc"], "2.0", line);
    }
  });

  test("events reach onEvent, and the loader's actions reach god", async () => {
    const event = { job: "web", instance: 2, pid: 999, state: "running", at: "2026-01-01T00:00:00.000Z" };
    loader.send({ jsonrpc: "2.0", method: "event", params: event });
    await loader.stderrContains(`EVENT ${JSON.stringify(event)}`);
    const asked = await loader.message("the restart request", (m) => m["method"] === "restart");
    assert.deepEqual(asked["params"], { job: "web", reason: "saw running" });
    loader.send({ jsonrpc: "2.0", id: asked["id"], result: {} });
    await loader.stderrContains("RESTART-DONE running");

    const exited = { ...event, state: "exited", exitCode: 1, signal: null };
    loader.send({ jsonrpc: "2.0", method: "event", params: exited });
    const second = await loader.message(
      "the second restart request",
      (m) => m["method"] === "restart" && m["id"] !== asked["id"],
    );
    loader.send({ jsonrpc: "2.0", id: second["id"], error: { code: 1003, message: "not permitted" } });
    await loader.stderrContains("RESTART-FAILED exited 1003 not permitted");
  });

  test("closing stdin makes it exit 0 without running the main code", async () => {
    loader.child.stdin.end();
    const { code, signal } = await loader.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, loader.stderr);
    assert.doesNotMatch(loader.stderr, /MAIN RAN/);
    assert.ok(!loader.stdoutLines.some((line) => line.includes("MAIN RAN")));
  });
});

describe("the same program without godv1", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "watchgod-lib-main-"));
    writeFileSync(join(dir, "loader.mjs"), LOADER_SOURCE);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("runs its main code; console.log is untouched; actions reject", async () => {
    const program = new LoaderProcess(join(dir, "loader.mjs"), [], dir);
    try {
      program.child.stdin.end();
      const { code } = await program.exited;
      assert.equal(code, 0, program.stderr);
      assert.deepEqual(program.stdoutLines, [
        "console.log before init",
        "stdout.write before init",
        "MAIN RAN",
        'start rejected: start("db"): not in loader mode; only a loader that god runs (argv "godv1") can ask god to act',
      ]);
    } finally {
      program.kill();
    }
  });
});

describe("a loader whose job is wrong", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "watchgod-lib-bad-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("init() throws a TypeError naming the job and the option, before any hello", async () => {
    writeFileSync(
      join(dir, "bad.mjs"),
      `import { job, init } from ${JSON.stringify(LIBRARY)};
const j = job("api", { exec: ["x"] });
j.check = { every: "5 sec", run: () => "ok" };
await init();
`,
    );
    const loader = new LoaderProcess(join(dir, "bad.mjs"), ["godv1"], dir);
    try {
      const { code } = await loader.exited;
      assert.equal(code, 1);
      assert.match(loader.stderr, /TypeError: job "api": check\.every: expected .*got "5 sec"/);
      assert.deepEqual(loader.stdoutLines, []);
    } finally {
      loader.kill();
    }
  });
});
