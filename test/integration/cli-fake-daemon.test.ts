// The compiled `god` command against a fake daemon: a control socket in a temp home that speaks NDJSON
// JSON-RPC and answers with canned results or errors. Covers rendering, `--json` passthrough, the params sent,
// and how daemon errors become `god: <message>` with exit 1. The real daemon has its own end-to-end tests.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { CheckJson, JobJson, LoadersJson, StatusJson } from "../../src/protocol/control.js";
import { ErrorCode } from "../../src/protocol/errors.js";
import { LineDecoder } from "../../src/protocol/ndjson.js";
import { RpcError, RpcPeer } from "../../src/protocol/rpc-peer.js";
import { runCli } from "../helpers/god.js";

type Handler = (method: string, params: unknown, socket: Socket) => unknown;

interface FakeDaemon {
  home: string;
  requests: Array<{ method: string; params: unknown }>;
  stop(): Promise<void>;
}

async function fakeDaemon(handler: Handler): Promise<FakeDaemon> {
  const home = mkdtempSync(join(tmpdir(), "god-cli-"));
  const requests: FakeDaemon["requests"] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const peer = new RpcPeer({
      write: (line) => {
        if (!socket.destroyed) socket.write(line);
      },
      onRequest: (method, params) => {
        requests.push({ method, params });
        return handler(method, params, socket);
      },
      defaultTimeoutMs: 10_000,
    });
    const decoder = new LineDecoder();
    socket.on("data", (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) if (event.type === "line") peer.handleLine(event.text);
    });
  });
  await new Promise<void>((resolve) => server.listen(join(home, "god.sock"), resolve));
  return {
    home,
    requests,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(home, { recursive: true, force: true });
    },
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function god(args: string[]): Promise<Run> {
  return runCli(args);
}

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

const STATUS: StatusJson = {
  jobs: [
    job({
      name: "backend",
      pid: 4242,
      instance: 1,
      restarts: 1,
      uptimeMs: 7_500_000,
      check: { status: "ok", message: null, at: "2026-11-25T15:00:00.123Z" },
      lastExit: { code: 1, signal: null, at: "2026-11-25T13:00:00.000Z" },
    }),
    job({ name: "worker", state: "waiting", reason: "after backend", loader: "/etc/god/worker" }),
  ],
};

const LOADERS: LoadersJson = {
  loaders: [
    {
      path: "/etc/god/backend.js",
      pid: 99,
      state: "up",
      dialect: "native",
      jobs: ["backend"],
      error: null,
      restarts: 0,
      lastError: null,
    },
    {
      path: "/etc/god/worker",
      pid: null,
      state: "idle",
      dialect: "legacy",
      jobs: ["worker"],
      error: null,
      restarts: 0,
      lastError: null,
    },
  ],
};

function unknownJob(name: string): RpcError {
  return new RpcError(
    ErrorCode.UnknownJob,
    `unknown job "${name}": no loader declares it; run \`god status\` to list the jobs.`,
  );
}

function record(params: unknown): Record<string, unknown> {
  return params as Record<string, unknown>;
}

test("status: the table, with the jobs asked for sent as params (a god that answers its JSON: rendered here)", async () => {
  const daemon = await fakeDaemon(() => STATUS);
  try {
    // Plain `god status` asks for the table first (quick-status.ts); a god that answers its JSON instead is asked
    // again by the status command, which renders it.
    const run = await god(["status", "--home", daemon.home]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "");
    assert.equal(
      run.stdout,
      [
        "JOB      STATE                    PID   UPTIME  RESTARTS  CHECK  LOADER",
        "backend  running                  4242  2h05m   1         ok     backend.js",
        "worker   waiting (after backend)  -     -       0         -      worker",
        "",
      ].join("\n"),
    );
    const asked = { method: "status", params: { jobs: [], format: "text", instances: false } };
    assert.deepEqual(daemon.requests, [asked, asked]);

    await god(["status", "backend", "--home", daemon.home, "worker", "backend", "-i"]);
    assert.deepEqual(daemon.requests[2], {
      method: "status",
      params: { jobs: ["backend", "worker"], format: "text", instances: true },
    });
  } finally {
    await daemon.stop();
  }
});

test("status: a god that renders the table itself (format text): its text printed as it is", async () => {
  const text = "JOB  STATE\nweb  running\n";
  const daemon = await fakeDaemon(() => ({ text }));
  try {
    const run = await god(["status", "--home", daemon.home]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, text);
    assert.equal(daemon.requests.length, 1, "one request: the quick path's");
    const withEquals = await god(["status", `--home=${daemon.home}`]);
    assert.equal(withEquals.stdout, text);
    assert.equal(daemon.requests.length, 2);
  } finally {
    await daemon.stop();
  }
});

test("--json prints exactly the daemon's answer, one document, newline-terminated", async () => {
  // A field this god does not know is passed through too: new fields may be added to the JSON.
  const status = { jobs: STATUS.jobs.map((j) => ({ ...j, future: { x: 1 } })) };
  const daemon = await fakeDaemon((method) => (method === "status" ? status : LOADERS));
  try {
    const run = await god(["--json", "status", "--home", daemon.home]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, JSON.stringify(status) + "\n");
    assert.deepEqual(JSON.parse(run.stdout), status);

    const loaders = await god(["loaders", "--home", daemon.home, "--json"]);
    assert.equal(loaders.code, 0, loaders.stderr);
    assert.equal(loaders.stdout, JSON.stringify(LOADERS) + "\n");
  } finally {
    await daemon.stop();
  }
});

test("an unknown job (1001): the daemon's sentence after `god: `, exit 1", async () => {
  const daemon = await fakeDaemon((_method, params) => {
    throw unknownJob(String(record(params)["jobs"] ?? record(params)["job"]));
  });
  try {
    const run = await god(["status", "nope", "--home", daemon.home]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.equal(
      run.stderr,
      'god: unknown job "nope": no loader declares it; run `god status` to list the jobs.\n',
    );
  } finally {
    await daemon.stop();
  }
});

test("start: all jobs at once, one line each; a failed action (1005) makes exit 1", async () => {
  const daemon = await fakeDaemon((method, params) => {
    const name = String(record(params)["job"]);
    if (name === "backend") return job({ name, pid: 4242 });
    if (name === "worker") return job({ name, state: "waiting", reason: "after backend" });
    if (name === "db") {
      throw new RpcError(
        ErrorCode.ActionFailed,
        `${method} "db" failed: the process exited with code 1 before it was ready; see \`god logs db\`.`,
      );
    }
    throw unknownJob(name);
  });
  try {
    const ok = await god(["start", "backend", "worker", "--home", daemon.home]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.stdout.split("\n").sort(), [
      "",
      "backend: running (pid 4242)",
      "worker: waiting (after backend)",
    ]);
    assert.deepEqual(
      daemon.requests
        .map((r) => r.params)
        .sort((a, b) => String(record(a)["job"]).localeCompare(String(record(b)["job"]))),
      [
        { job: "backend", wait: true },
        { job: "worker", wait: true },
      ],
    );

    const failed = await god(["start", "--home", daemon.home, "db", "backend", "ghost"]);
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout, "backend: running (pid 4242)\n");
    assert.deepEqual(failed.stderr.split("\n").sort(), [
      "",
      'god: start "db" failed: the process exited with code 1 before it was ready; see `god logs db`.',
      'god: unknown job "ghost": no loader declares it; run `god status` to list the jobs.',
    ]);
  } finally {
    await daemon.stop();
  }
});

test("stop, restart, reload: the method is the command; --no-wait sends wait false", async () => {
  const daemon = await fakeDaemon((method, params) => {
    const name = String(record(params)["job"]);
    return method === "stop"
      ? job({ name, state: "stopped", want: "down" })
      : job({ name, state: "starting", pid: 7 });
  });
  try {
    const stop = await god(["stop", "backend", "--home", daemon.home]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, "backend: stopped\n");
    const restart = await god(["restart", "--no-wait", "backend", "--home", daemon.home]);
    assert.equal(restart.stdout, "backend: starting (pid 7)\n");
    const reload = await god(["reload", "backend", "--home", daemon.home]);
    assert.equal(reload.code, 0);
    assert.deepEqual(daemon.requests, [
      { method: "stop", params: { job: "backend", wait: true } },
      { method: "restart", params: { job: "backend", wait: false } },
      { method: "reload", params: { job: "backend", wait: true } },
    ]);
  } finally {
    await daemon.stop();
  }
});

test("check: ok exits 0; degraded and fail print their message and exit 1", async () => {
  const results: Record<string, CheckJson> = {
    web: { status: "ok", message: null, at: "2026-11-25T15:00:00.000Z" },
    api: { status: "degraded", message: "p99 above budget", at: "2026-11-25T15:00:00.000Z" },
    db: { status: "fail", message: "connect ECONNREFUSED 127.0.0.1:5432", at: "2026-11-25T15:00:00.000Z" },
  };
  const daemon = await fakeDaemon((_method, params) => results[String(record(params)["job"])]);
  try {
    const expected: Array<[string, number, string]> = [
      ["web", 0, "web: ok\n"],
      ["api", 1, "api: degraded: p99 above budget\n"],
      ["db", 1, "db: fail: connect ECONNREFUSED 127.0.0.1:5432\n"],
    ];
    for (const [name, code, stdout] of expected) {
      const run = await god(["check", name, "--home", daemon.home]);
      assert.equal(run.code, code, name);
      assert.equal(run.stdout, stdout, name);
    }
    const json = await god(["check", "db", "--json", "--home", daemon.home]);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout), results["db"]);
  } finally {
    await daemon.stop();
  }
});

test("loaders and reload-loaders: the table; a loader left with an error makes reload-loaders exit 1", async () => {
  const broken: LoadersJson = {
    loaders: [
      ...LOADERS.loaders,
      {
        path: "/etc/god/new",
        pid: null,
        state: "failed",
        dialect: null,
        jobs: [],
        error: "no hello within 5000 ms",
        restarts: 0,
        lastError: null,
      },
    ],
  };
  let reloads = 0;
  const daemon = await fakeDaemon((method) =>
    method === "reload-loaders" && reloads++ > 0 ? broken : LOADERS,
  );
  try {
    const table = [
      "PATH                 STATE  PID  DIALECT  RESTARTS  JOBS     ERROR",
      "/etc/god/backend.js  up     99   native   0         backend  -",
      "/etc/god/worker      idle   -    legacy   0         worker   -",
      "",
    ].join("\n");
    const loaders = await god(["loaders", "--home", daemon.home]);
    assert.equal(loaders.code, 0, loaders.stderr);
    assert.equal(loaders.stdout, table);

    const reload = await god(["reload-loaders", "--home", daemon.home]);
    assert.equal(reload.code, 0, reload.stderr);
    assert.equal(reload.stdout, table);

    const failed = await god(["reload-loaders", "--home", daemon.home]);
    assert.equal(failed.code, 1);
    assert.equal(
      failed.stdout,
      [
        "PATH                 STATE   PID  DIALECT  RESTARTS  JOBS     ERROR",
        "/etc/god/backend.js  up      99   native   0         backend  -",
        "/etc/god/worker      idle    -    legacy   0         worker   -",
        "/etc/god/new         failed  -    -        0         -        no hello within 5000 ms",
        "",
      ].join("\n"),
    );
    assert.equal(failed.stderr, "god: loader /etc/god/new did not reload: no hello within 5000 ms\n");
  } finally {
    await daemon.stop();
  }
});

test("shutdown: answered, then the daemon goes away; exit 0", async () => {
  const daemon = await fakeDaemon((_method, _params, socket) => {
    setImmediate(() => socket.end());
    return {};
  });
  try {
    const run = await god(["shutdown", "--home", daemon.home]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `god at ${daemon.home}: every job has stopped; the daemon is exiting.\n`);
    assert.deepEqual(daemon.requests, [{ method: "shutdown", params: { leaveJobs: false } }]);
  } finally {
    await daemon.stop();
  }
});

test("a daemon that hangs up without answering: one sentence naming the home and its log, exit 1", async () => {
  const daemon = await fakeDaemon((_method, _params, socket) => {
    socket.destroy();
    return new Promise(() => {});
  });
  try {
    const run = await god(["status", "--home", daemon.home]);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `god: the daemon at ${daemon.home} closed the connection before answering "status"; see its log ${daemon.home}/logs/god.log.\n`,
    );
  } finally {
    await daemon.stop();
  }
});

test("an answer of the wrong shape is a sentence, not a stack trace", async () => {
  const daemon = await fakeDaemon(() => ({ jobs: "many" }));
  try {
    const run = await god(["status", "--home", daemon.home]);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `god: the daemon's answer to "status" has an unexpected shape; is it running the same version of watchgod as this god?\n`,
    );
  } finally {
    await daemon.stop();
  }
});
