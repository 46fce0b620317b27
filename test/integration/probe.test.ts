// god's probes against real servers and commands on 127.0.0.1: results, messages, timeouts, and that nothing
// (socket, process, process group member) is left behind.

import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { runProbe } from "../../src/process/probe.js";

let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "watchgod-probe-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function listen<T extends Server | HttpServer>(server: T): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

/** Each accepted connection, and a promise of its close, so a test can wait for the probe to let go. */
function trackConnections(server: Server | HttpServer): Array<Promise<unknown>> {
  const closed: Array<Promise<unknown>> = [];
  // Not events.once: that rejects on "error", and a probe that hangs up on unread data makes the peer see a reset.
  server.on("connection", (socket: Socket) =>
    closed.push(new Promise((resolve) => socket.once("close", resolve))),
  );
  return closed;
}

/** A port nobody listens on: bound, then released. */
async function freePort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  server.close();
  await once(server, "close");
  return port;
}

/** Live (not zombie) processes in a process group, from /proc. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // Fields after the parenthesised command name: state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z") members.push(Number(entry));
  }
  return members;
}

function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * SIGKILLed orphans are reaped by init asynchronously and no event reports it to us, so this polls /proc, with
 * a bound, only for processes that were already sent SIGKILL.
 */
async function waitGone(what: string, live: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (!live()) return;
    await delay(25);
  }
  assert.fail(`${what} is still alive`);
}

async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 400; i++) {
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8");
      if (text.endsWith("\n")) return text;
    }
    await delay(25);
  }
  return assert.fail(`${path} never appeared`);
}

test("http: a status in range is ok, out of range fails with the status", async () => {
  const server = createHttpServer((req, res) => {
    res.statusCode = req.url === "/down" ? 503 : 200;
    res.end("body");
  });
  const closed = trackConnections(server);
  const port = await listen(server);
  try {
    assert.deepEqual(await runProbe({ http: { url: `http://127.0.0.1:${port}/health` } }, 2000), {
      status: "ok",
      message: "HTTP 200",
    });
    assert.deepEqual(await runProbe({ http: { url: `http://127.0.0.1:${port}/down` } }, 2000), {
      status: "fail",
      message: "HTTP 503",
    });
    assert.deepEqual(
      await runProbe({ http: { url: `http://127.0.0.1:${port}/down`, status: [500, 599] } }, 2000),
      {
        status: "ok",
        message: "HTTP 503",
      },
    );
    assert.equal(closed.length, 3);
    await Promise.all(closed);
  } finally {
    server.close();
  }
});

test("http: an endless body is not read; the connection is closed", async () => {
  const server = createHttpServer((_req, res) => {
    res.writeHead(200);
    const chunk = Buffer.alloc(64 * 1024, 120);
    const pump = (): void => {
      while (res.write(chunk)) {
        // fill until the kernel pushes back
      }
      res.once("drain", pump);
    };
    res.on("close", () => res.removeAllListeners("drain"));
    pump();
  });
  const closed = trackConnections(server);
  const port = await listen(server);
  try {
    assert.deepEqual(await runProbe({ http: { url: `http://127.0.0.1:${port}/` } }, 2000), {
      status: "ok",
      message: "HTTP 200",
    });
    await Promise.all(closed);
  } finally {
    server.close();
  }
});

test("http: no answer within the timeout fails and aborts the request", async () => {
  const server = createHttpServer(() => {
    // never answers
  });
  const closed = trackConnections(server);
  const port = await listen(server);
  try {
    const started = Date.now();
    assert.deepEqual(await runProbe({ http: { url: `http://127.0.0.1:${port}/` } }, 300), {
      status: "fail",
      message: "no answer within 300 ms",
    });
    assert.ok(Date.now() - started >= 290);
    assert.equal(closed.length, 1);
    await closed[0];
  } finally {
    server.close();
  }
});

test("http and tcp: a refused port fails with ECONNREFUSED", async () => {
  const port = await freePort();
  const viaHttp = await runProbe({ http: { url: `http://127.0.0.1:${port}/` } }, 2000);
  assert.equal(viaHttp.status, "fail");
  assert.match(viaHttp.message ?? "", /ECONNREFUSED/);
  const viaTcp = await runProbe({ tcp: { host: "127.0.0.1", port } }, 2000);
  assert.equal(viaTcp.status, "fail");
  assert.match(viaTcp.message ?? "", /ECONNREFUSED/);
});

test("tcp: a connect is ok and the socket is closed at once", async () => {
  const server = createTcpServer();
  const closed = trackConnections(server);
  const port = await listen(server);
  try {
    assert.deepEqual(await runProbe({ tcp: { host: "127.0.0.1", port } }, 2000), {
      status: "ok",
      message: null,
    });
    assert.equal(closed.length, 1);
    await closed[0];
  } finally {
    server.close();
  }
});

test("exec: exit 0 is ok; a failure says its code and first line of output", async () => {
  assert.deepEqual(await runProbe({ exec: [process.execPath, "-e", ""] }, 5000), {
    status: "ok",
    message: null,
  });
  const script =
    "console.log(''); console.error('first line'); setTimeout(() => { console.log('second'); process.exit(3); }, 10);";
  assert.deepEqual(await runProbe({ exec: [process.execPath, "-e", script] }, 5000), {
    status: "fail",
    message: "exited with code 3: first line",
  });
  assert.deepEqual(await runProbe({ exec: [process.execPath, "-e", "process.exit(4)"] }, 5000), {
    status: "fail",
    message: "exited with code 4",
  });
  assert.deepEqual(
    await runProbe({ exec: [process.execPath, "-e", "process.kill(process.pid, 'SIGTERM')"] }, 5000),
    {
      status: "fail",
      message: "killed by SIGTERM",
    },
  );
});

test("exec: argv is never run by a shell", async () => {
  const result = await runProbe({ exec: ["true; exit 1"] }, 5000);
  assert.equal(result.status, "fail");
  assert.match(result.message ?? "", /^cannot run true; exit 1: .*ENOENT/);
});

test("exec: an argv Node refuses is a fail, not a throw", async () => {
  const result = await runProbe({ exec: ["bad\0name"] }, 5000);
  assert.equal(result.status, "fail");
  assert.match(result.message ?? "", /^cannot run /);
});

test("exec: a command that does not finish is killed with its whole process group", async () => {
  const pids = join(dir, "timeout.pids");
  // The command starts a grandchild in its own group, records both pids, and then waits forever.
  const script = `
    const { spawn } = require("node:child_process");
    const grandchild = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    require("node:fs").writeFileSync(${JSON.stringify(pids)}, process.pid + " " + grandchild.pid + "\\n");
    setInterval(() => {}, 1000);
  `;
  const started = Date.now();
  const resultPromise = runProbe({ exec: [process.execPath, "-e", script] }, 3000);
  const [leader, grandchild] = (await waitForFile(pids)).trim().split(" ").map(Number) as [number, number];
  assert.ok(isLive(grandchild), "the grandchild was running before the timeout");
  assert.deepEqual(await resultPromise, { status: "fail", message: "did not finish within 3000 ms; killed" });
  assert.ok(Date.now() - started >= 2900);
  await waitGone(`process group ${leader}`, () => groupMembers(leader).length > 0);
  assert.equal(isLive(leader), false);
  assert.equal(isLive(grandchild), false);
});

test("exec: what a command leaves running in its group is killed when it exits", async () => {
  const pids = join(dir, "leftover.pids");
  const script = `
    const { spawn } = require("node:child_process");
    const grandchild = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    grandchild.unref();
    require("node:fs").writeFileSync(${JSON.stringify(pids)}, process.pid + " " + grandchild.pid + "\\n");
  `;
  assert.deepEqual(await runProbe({ exec: [process.execPath, "-e", script] }, 5000), {
    status: "ok",
    message: null,
  });
  const [leader, grandchild] = (await waitForFile(pids)).trim().split(" ").map(Number) as [number, number];
  await waitGone(`process group ${leader}`, () => groupMembers(leader).length > 0);
  assert.equal(isLive(grandchild), false);
});
