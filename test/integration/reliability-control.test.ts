// The control socket under abuse (defect 9 and the bounds of SPEC 10): a line that is JSON but not an object
// gets an error answer (it used to get silence, so a client waited forever), a line over 1 MiB gets one too,
// and a client that sends requests and never reads the answers is cut off before god's memory grows with them.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { listenControl } from "../../src/daemon/control-server.js";
import { ErrorCode } from "../../src/protocol/errors.js";
import { LineDecoder } from "../../src/protocol/ndjson.js";
import { shLoader } from "../fixtures/proc-tools.js";
import { Sandbox } from "../helpers/god.js";
import { rssBytes } from "../helpers/proc-self.js";

const TIMEOUT_MS = 120_000;

type Answer = { id: number | null; result?: unknown; error?: { code: number; message: string } };

function connect(home: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(join(home, "god.sock"));
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Sends raw lines, one at a time, and resolves with the one answer each got (or "none" after a while). */
async function answersTo(socket: Socket, lines: string[]): Promise<Array<Answer | "none">> {
  const decoder = new LineDecoder(64 * 1024 * 1024);
  const got: Answer[] = [];
  let wake: () => void = () => {};
  socket.on("data", (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) if (event.type === "line") got.push(JSON.parse(event.text));
    wake();
  });
  const out: Array<Answer | "none"> = [];
  for (const line of lines) {
    const before = got.length;
    socket.write(`${line}\n`);
    const answered = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      wake = () => {
        if (got.length > before) {
          clearTimeout(timer);
          resolve(true);
        }
      };
    });
    out.push(answered ? got[before]! : "none");
  }
  return out;
}

describe("the control socket under abuse", { timeout: TIMEOUT_MS }, () => {
  it("JSON that is not an object, and a line over 1 MiB, are answered with an error; the connection serves on", async (t) => {
    const sb = new Sandbox("god-control-abuse-");
    t.after(() => sb.cleanup());
    sb.startGod();
    await sb.events();
    const socket = await connect(sb.home);
    t.after(() => socket.destroy());
    const notObjects = ["[1,2]", "42", '"x"', "null", "true", "[]", "{}"];
    const answers = await answersTo(socket, [
      ...notObjects,
      "x".repeat(1024 * 1024 + 10),
      '{"jsonrpc":"2.0","id":7,"method":"loaders"}',
    ]);
    for (const [i, line] of notObjects.entries()) {
      const answer = answers[i]!;
      assert.notEqual(answer, "none", `${line} got no answer`);
      assert.equal((answer as Answer).id, null, line);
      assert.equal((answer as Answer).error?.code, ErrorCode.InvalidRequest, line);
    }
    const long = answers[notObjects.length] as Answer;
    assert.notEqual(long, "none");
    assert.match(long.error?.message ?? "", /over the 1 MiB limit/);
    assert.deepEqual((answers.at(-1) as Answer).result, { loaders: [] });
    assert.equal(sb.god?.exitCode, null);
  });

  it("a client that sends requests and never reads stalls only itself: god stops reading it, memory stays bounded", async (t) => {
    const sb = new Sandbox("god-control-unread-");
    t.after(() => sb.cleanup());
    sb.write(
      "big",
      shLoader([
        {
          name: "big",
          // 1000 lines of 1000 bytes in the ring buffer: each `logs` answer is about 1.1 MB.
          exec: [
            "sh",
            "-c",
            "i=0; while [ $i -lt 1000 ]; do printf '%01000d\\n' $i; i=$((i+1)); done; exec sleep 1000",
          ],
          auto: true,
          stop: { signal: "SIGKILL", timeoutMs: 1000 },
        },
      ]),
    );
    const god = sb.startGod();
    sb.track((await sb.untilState("big", "running")).pid);
    const log = join(sb.home, "logs", "big.log");
    await sb.until("1000 lines in big.log", () =>
      existsSync(log) ? readFileSync(log, "utf8").split("\n").length > 1000 : false,
    );
    const before = rssBytes(god.pid!);
    const socket = await connect(sb.home);
    t.after(() => socket.destroy());
    socket.on("error", () => {});
    // Never read (for now): without a bound god answers all 150 at once and holds some 170 MB of answers.
    socket.pause();
    const sent = 150;
    socket.write(
      Array.from(
        { length: sent },
        (_, i) =>
          `${JSON.stringify({ jsonrpc: "2.0", id: i + 1, method: "logs", params: { jobs: ["big"], n: 1000 } })}\n`,
      ).join(""),
    );
    // god's memory, sampled for 5 s while the client reads nothing.
    let peakMb = 0;
    for (let i = 0; i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      peakMb = Math.max(peakMb, (rssBytes(god.pid!) - before) / (1024 * 1024));
    }
    t.diagnostic(`god's RSS grew by at most ${peakMb.toFixed(1)} MB`);
    assert.ok(peakMb < 60, `god's RSS grew by ${peakMb.toFixed(0)} MB for one client that does not read`);
    const status = await sb.ctl(["status", "--json"]);
    assert.equal(status.code, 0, `god serves other clients meanwhile: ${status.stderr}`);
    // Once the client reads, every request it sent is answered.
    const decoder = new LineDecoder(64 * 1024 * 1024);
    let answered = 0;
    const all = new Promise<void>((resolve, reject) => {
      socket.on("data", (chunk: Buffer) => {
        for (const event of decoder.push(chunk)) if (event.type === "line") answered++;
        if (answered === sent) resolve();
      });
      socket.once("close", () => reject(new Error(`closed after ${answered} of ${sent} answers`)));
    });
    socket.resume();
    await all;
    assert.equal(sb.god?.exitCode, null);
  });
});

describe("the control server's bounds, in process", () => {
  it(`serves at most maxInFlight requests of one connection at once; the rest wait unread, and all are answered`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "god-control-bounds-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const waiting: Array<() => void> = [];
    let eight: () => void = () => {};
    const counted = new Promise<void>((resolve) => {
      eight = resolve;
    });
    const server = await listenControl(
      join(dir, "s.sock"),
      {
        hang: () => {
          const answered = new Promise<void>((resolve) => waiting.push(resolve));
          if (waiting.length === 8) eight();
          return answered.then(() => ({ ok: true }));
        },
      },
      { maxInFlight: 8 },
    );
    t.after(() => server.close());
    const socket = await new Promise<Socket>((resolve) => {
      const s = createConnection(join(dir, "s.sock"), () => resolve(s));
    });
    t.after(() => socket.destroy());
    const total = 500;
    socket.write(
      Array.from(
        { length: total },
        (_, i) => `${JSON.stringify({ jsonrpc: "2.0", id: i + 1, method: "hang" })}\n`,
      ).join(""),
    );
    await counted;
    // Give the server every chance to take more than it may.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(waiting.length, 8, "requests served at once");
    let answered = 0;
    const decoder = new LineDecoder();
    const all = new Promise<void>((resolve) => {
      socket.on("data", (chunk: Buffer) => {
        for (const event of decoder.push(chunk)) if (event.type === "line") answered++;
        if (answered === total) resolve();
        // Release what is waiting now; the server then takes the next ones.
        for (const release of waiting.splice(0)) release();
      });
    });
    for (const release of waiting.splice(0)) release();
    await all;
  });

  it("a client that leaves more than maxUnsentBytes unread is cut off, with a warning", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "god-control-cut-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    let warned: (message: string) => void = () => {};
    const warning = new Promise<string>((resolve) => {
      warned = resolve;
    });
    const big = "x".repeat(600 * 1024);
    const server = await listenControl(
      join(dir, "s.sock"),
      // Notifications are what piles up past the pause bound: answers stop once it is reached.
      {
        flood: (_params, context) => {
          for (let i = 0; i < 10; i++) context.notify("big", big);
          return {};
        },
      },
      { maxUnsentBytes: 2 * 1024 * 1024, warn: (message) => warned(message) },
    );
    t.after(() => server.close());
    const socket = await new Promise<Socket>((resolve) => {
      const s = createConnection(join(dir, "s.sock"), () => resolve(s));
    });
    // Reads nothing until god has cut it off.
    socket.pause();
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
    socket.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "flood" })}\n`);
    const message = await warning;
    assert.match(message, /cut off: it left more than 2 MiB of answers unread/);
    socket.resume();
    await closed;
  });
});
