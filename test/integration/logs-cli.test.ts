// `god logs` against a fake daemon: a control socket in a temp home answering `logs` with canned records, then
// (with -f) `log` notifications until it closes the connection. Covers the params sent, the text and --json
// output, -n, the lines announced before the answer, and the exit codes.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { LogRecord } from "../../src/logs/log-record.js";
import { LineDecoder } from "../../src/protocol/ndjson.js";
import { type CliResult, runCli } from "../helpers/god.js";

const TIMEOUT_MS = 30_000;

type Reply =
  | {
      result: unknown;
      after?: Array<{ method: string; params: unknown }>;
      before?: LogRecord[];
      close?: boolean;
    }
  | { error: { code: number; message: string } };

interface FakeDaemon {
  home: string;
  requests: Array<{ method: string; params: unknown }>;
  stop(): Promise<void>;
}

async function fakeDaemon(reply: (params: unknown) => Reply): Promise<FakeDaemon> {
  const home = mkdtempSync(join(tmpdir(), "god-logs-cli-"));
  const requests: FakeDaemon["requests"] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const send = (value: unknown) => socket.write(JSON.stringify(value) + "\n");
    const decoder = new LineDecoder();
    socket.on("data", (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.type !== "line") continue;
        const message = JSON.parse(event.text) as { id: number; method: string; params: unknown };
        requests.push({ method: message.method, params: message.params });
        const answer = reply(message.params);
        if ("error" in answer) {
          send({ jsonrpc: "2.0", id: message.id, error: answer.error });
          continue;
        }
        for (const record of answer.before ?? []) send({ jsonrpc: "2.0", method: "log", params: record });
        send({ jsonrpc: "2.0", id: message.id, result: answer.result });
        for (const note of answer.after ?? []) send({ jsonrpc: "2.0", ...note });
        if (answer.close) socket.end();
      }
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

function god(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return runCli(args, { env });
}

const RECORDS: LogRecord[] = [
  { t: "2026-11-25T15:00:00.123Z", job: "backend", pid: 4242, stream: "out", msg: "the line" },
  { t: "2026-11-25T15:00:00.200Z", job: "db", pid: 77, stream: "err", msg: 'a "quoted" é' },
];
const NEW: LogRecord = {
  t: "2026-11-25T15:00:01.000Z",
  job: "backend",
  pid: 4242,
  stream: "out",
  msg: "later",
};

test("god logs: the recent lines as text, 20 of every job by default", { timeout: TIMEOUT_MS }, async () => {
  const daemon = await fakeDaemon(() => ({ result: { records: RECORDS } }));
  try {
    const run = await god(["logs", "--home", daemon.home]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      '2026-11-25T15:00:00.123Z backend[4242] out| the line\n2026-11-25T15:00:00.200Z db[77] err| a "quoted" é\n',
    );
    assert.deepEqual(daemon.requests, [{ method: "logs", params: { jobs: [], n: 20, follow: false } }]);
  } finally {
    await daemon.stop();
  }
});

test("god logs JOB... -n N --json: one record a line, the jobs and n sent", {
  timeout: TIMEOUT_MS,
}, async () => {
  const daemon = await fakeDaemon(() => ({ result: { records: RECORDS } }));
  try {
    const run = await god(["logs", "backend", "db", "-n", "5", "--json", "backend", "--home", daemon.home]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      run.stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line)),
      RECORDS,
    );
    assert.deepEqual(daemon.requests[0], {
      method: "logs",
      params: { jobs: ["backend", "db"], n: 5, follow: false },
    });
    // GOD_HOME is the home when --home is not given; --lines=N is -n N.
    await god(["logs", "--lines=0"], { ...process.env, GOD_HOME: daemon.home });
    assert.deepEqual(daemon.requests[1], { method: "logs", params: { jobs: [], n: 0, follow: false } });
  } finally {
    await daemon.stop();
  }
});

test("god logs -f: the recent lines, then every new one, in order, until the daemon ends the stream", {
  timeout: TIMEOUT_MS,
}, async () => {
  const early: LogRecord = { ...NEW, msg: "announced before the answer" };
  const daemon = await fakeDaemon(() => ({
    before: [early],
    result: { records: RECORDS },
    after: [
      { method: "log", params: NEW },
      { method: "log-closed", params: { reason: "the follower fell behind; run god logs -f again" } },
    ],
    close: true,
  }));
  try {
    const run = await god(["logs", "-f", "--home", daemon.home]);
    assert.equal(run.code, 1);
    assert.deepEqual(daemon.requests, [{ method: "logs", params: { jobs: [], n: 20, follow: true } }]);
    assert.deepEqual(run.stdout.trimEnd().split("\n"), [
      "2026-11-25T15:00:00.123Z backend[4242] out| the line",
      '2026-11-25T15:00:00.200Z db[77] err| a "quoted" é',
      "2026-11-25T15:00:01.000Z backend[4242] out| announced before the answer",
      "2026-11-25T15:00:01.000Z backend[4242] out| later",
    ]);
    assert.equal(run.stderr, "god: the follower fell behind; run god logs -f again\n");

    const json = await god(["logs", "--follow", "--json", "--home", daemon.home]);
    assert.equal(json.stdout.trimEnd().split("\n").length, 4);
    assert.deepEqual(JSON.parse(json.stdout.trimEnd().split("\n")[3]!), NEW);
  } finally {
    await daemon.stop();
  }
});

test("god logs -f when the daemon just closes: a sentence naming the home, exit 1", {
  timeout: TIMEOUT_MS,
}, async () => {
  const daemon = await fakeDaemon(() => ({
    result: { records: [] },
    after: [{ method: "log", params: NEW }],
    close: true,
  }));
  try {
    const run = await god(["logs", "-f", "-n", "0", "--home", daemon.home]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "2026-11-25T15:00:01.000Z backend[4242] out| later\n");
    assert.equal(run.stderr, `god: the daemon at ${daemon.home} ended the log stream\n`);
  } finally {
    await daemon.stop();
  }
});

test("errors: the daemon's error is one sentence with exit 1; a bad -n is exit 2; no daemon is exit 3", {
  timeout: TIMEOUT_MS,
}, async () => {
  const daemon = await fakeDaemon(() => ({
    error: {
      code: 1001,
      message: 'unknown job "nope": no loader declares it; run `god status` to list the jobs.',
    },
  }));
  try {
    const run = await god(["logs", "nope", "--home", daemon.home]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.equal(
      run.stderr,
      'god: unknown job "nope": no loader declares it; run `god status` to list the jobs.\n',
    );

    const bad = await god(["logs", "-n", "many", "--home", daemon.home]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^god: -n needs a whole number/);

    const flag = await god(["logs", "--bogus", "--home", daemon.home]);
    assert.equal(flag.code, 2);
  } finally {
    await daemon.stop();
  }
  const nobody = mkdtempSync(join(tmpdir(), "god-logs-cli-none-"));
  try {
    const run = await god(["logs", "--home", nobody]);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /^god: no god is running at /);
  } finally {
    rmSync(nobody, { recursive: true, force: true });
  }
});

test("an answer of the wrong shape is a sentence, not a stack", { timeout: TIMEOUT_MS }, async () => {
  const daemon = await fakeDaemon(() => ({ result: { lines: "nope" } }));
  try {
    const run = await god(["logs", "--home", daemon.home]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^god: the daemon's answer to "logs" has an unexpected shape/);
  } finally {
    await daemon.stop();
  }
});
