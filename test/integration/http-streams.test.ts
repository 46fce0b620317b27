// The event streams of the HTTP server, in process with small bounds: the heartbeat, a client that stops
// reading is dropped (god never buffers without limit), the cap on open streams, shutdown, and the log routes
// over the real LogsService (recent lines, a live follow, and 503 when god has none).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { type HttpServer, startHttpServer } from "../../src/http/server.js";
import type { JobView, SupervisorChange, SupervisorView } from "../../src/http/sources.js";
import { type LogsConfig, LogsService } from "../../src/logs/logs-service.js";
import type { JobJson } from "../../src/protocol/control.js";
import { json, openSse, request } from "./http-rig.js";

const LOGS: LogsConfig = { timestamps: true, format: "text", redact: [], maxLineBytes: 65536, merge: false };

function jobJson(name: string, reason: string | null = null): JobJson {
  return {
    name,
    state: "running",
    want: "up",
    pid: 4242,
    instance: 1,
    restarts: 0,
    uptimeMs: 1000,
    loader: "/loaders/app",
    check: null,
    lastExit: null,
    reason,
    instances: [],
    usage: null,
    maxMemory: null,
    statusText: null,
    adopted: false,
  };
}

class FakeSupervisor implements SupervisorView {
  readonly jobs = new Map<string, JobView>([
    [
      "alpha",
      {
        config: { auto: true, listen: {} },
        toJson: () => jobJson("alpha"),
        instances: () => [],
        checkLatencyMs: null,
      },
    ],
  ]);
  readonly listeners = new Set<(change: SupervisorChange) => void>();
  subscribe(fn: (change: SupervisorChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  emit(change: SupervisorChange): void {
    for (const fn of [...this.listeners]) fn(change);
  }
}

const silent = { info: () => {}, warn: () => {}, error: () => {} };
const noUsage = { groups: () => new Map(), self: () => ({ openFds: null, maxFds: null }) };

function handlers(supervisor: FakeSupervisor) {
  return {
    status: () => ({ jobs: [...supervisor.jobs.values()].map((j) => j.toJson()) }),
    loaders: () => ({ loaders: [] }),
  };
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("event streams", () => {
  const supervisor = new FakeSupervisor();
  const dir = mkdtempSync(join(tmpdir(), "god-http-streams-"));
  const logs = new LogsService({ dir });
  let server: HttpServer;
  let base = "";

  before(async () => {
    server = await startHttpServer({
      address: "127.0.0.1:0",
      token: null,
      handlers: handlers(supervisor),
      usage: noUsage,
      supervisor,
      logs,
      log: silent,
      sse: { heartbeatMs: 50, maxBufferedBytes: 64 * 1024 },
      maxStreams: 4,
    });
    base = `http://${server.address}`;
  });
  after(async () => {
    await server.close();
    await logs.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("start with a snapshot, then send every change, with a heartbeat comment between", async () => {
    const events = await openSse(`${base}/api/events`);
    try {
      const snapshot = await events.next((e) => e.event === "snapshot", "the snapshot");
      assert.deepEqual(snapshot.data, { jobs: [jobJson("alpha")], loaders: [] });
      supervisor.emit({ type: "job", job: jobJson("alpha", "changed") });
      supervisor.emit({ type: "removed", name: "beta" });
      await events.next((e) => e.event === "removed", "the removed event");
      assert.deepEqual(
        events.events.map((e) => e.event),
        ["snapshot", "job", "removed"],
      );
      assert.equal((events.events[1]!.data as JobJson).reason, "changed");
      assert.equal(await events.comment(1), "heartbeat");
    } finally {
      events.close();
    }
    await until("the stream's unsubscription", () => supervisor.listeners.size === 0);
  });

  it("drop a client that stops reading once its unsent events pass the bound", async () => {
    const socket = connect({ host: "127.0.0.1", port: Number(new URL(base).port) });
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.write("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    // Read the response head, then stop reading: the kernel's buffers fill, then god's.
    await new Promise<void>((resolve) => socket.once("data", () => resolve()));
    socket.pause();
    await until("the subscription", () => supervisor.listeners.size === 1);
    const big = jobJson("alpha", "x".repeat(16 * 1024));
    let sent = 0;
    for (; sent < 20_000 && supervisor.listeners.size > 0; sent++) supervisor.emit({ type: "job", job: big });
    assert.equal(supervisor.listeners.size, 0, `still subscribed after ${sent} events of 16 KiB`);
    assert.ok(sent < 20_000);
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.resume();
    await closed;
  });

  it("serve a bounded number of streams at once", async () => {
    const open = await Promise.all([1, 2, 3, 4].map(() => openSse(`${base}/api/events`)));
    try {
      await Promise.all(open.map((s) => s.next((e) => e.event === "snapshot", "a snapshot")));
      const refused = await request(`${base}/api/events`);
      assert.equal(refused.status, 503);
      assert.match(json<{ error: { message: string } }>(refused).error.message, /at most 4 event streams/);
    } finally {
      for (const s of open) s.close();
    }
    await until("the streams to close", () => supervisor.listeners.size === 0);
    const again = await openSse(`${base}/api/events`);
    assert.equal(again.status, 200);
    again.close();
  });

  it("GET /api/logs answers the newest lines; with follow=1 every new one as it comes", async () => {
    const input = new PassThrough();
    void logs.jobLog("alpha", LOGS).attach(777, { out: input, err: null });
    input.write("first line\nsecond line\n");
    const recent = await until("the lines in the ring", () => {
      const lines = logs.recent(["alpha"], 10);
      return lines.length === 2 ? lines : undefined;
    });
    const answer = await request(`${base}/api/logs?job=alpha&n=10`);
    assert.equal(answer.status, 200);
    assert.deepEqual(json(answer), { lines: recent });
    assert.deepEqual(
      json<{ lines: unknown[] }>(await request(`${base}/api/logs?job=alpha&n=1`)).lines,
      recent.slice(-1),
    );

    const follow = await openSse(`${base}/api/logs?job=alpha&n=1&follow=1`);
    try {
      const old = await follow.next((e) => e.event === "log", "the newest old line");
      assert.equal((old.data as { msg: string }).msg, "second line");
      input.write("third line\n");
      const fresh = await follow.next(
        (e) => e.event === "log" && (e.data as { msg: string }).msg === "third line",
        "the new line",
      );
      assert.deepEqual(
        { job: (fresh.data as { job: string }).job, pid: (fresh.data as { pid: number }).pid },
        { job: "alpha", pid: 777 },
      );
    } finally {
      follow.close();
      input.end();
    }
  });

  it("GET /api/logs checks its query", async () => {
    assert.equal((await request(`${base}/api/logs?job=${encodeURIComponent("../x")}`)).status, 400);
    assert.equal((await request(`${base}/api/logs?n=-1`)).status, 400);
    assert.equal((await request(`${base}/api/logs?n=20000`)).status, 400);
    assert.equal((await request(`${base}/api/logs?follow=1&n=5000`)).status, 400);
    assert.equal((await request(`${base}/api/logs?follow=maybe`)).status, 400);
  });

  it("end every stream with a reason when the server closes", async () => {
    const second = await startHttpServer({
      address: "[::1]:0",
      token: null,
      handlers: handlers(supervisor),
      usage: noUsage,
      supervisor,
      log: silent,
    });
    assert.match(second.address, /^\[::1\]:\d+$/);
    const url = `http://${second.address}`;
    const noLogs = await request(`${url}/api/logs?job=alpha`);
    assert.equal(noLogs.status, 503, "a server without the log service says so");
    const events = await openSse(`${url}/api/events`);
    await events.next((e) => e.event === "snapshot", "the snapshot");
    await second.close();
    const closed = await events.next((e) => e.event === "closed", "the closed event");
    assert.deepEqual(closed.data, { reason: "god is shutting down" });
    await events.ended;
  });
});
