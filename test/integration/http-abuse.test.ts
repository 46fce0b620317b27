// Requests an attacker or a broken client sends must never take god down. The first of these was found by a
// fuzz run: a POST whose body is over the 64 KiB limit was answered 413 and then god died (the request's socket
// was gone by the time god logged it), killing every job.

import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { isAlive, Sandbox } from "../helpers/god.js";
import { json, request, startHttpGod } from "./http-rig.js";

/** Sends a raw POST with a body of `bytes` bytes; resolves with the status line god answered, or "" if none. */
function rawPost(base: string, path: string, bytes: number): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let answer = "";
    socket.on("data", (d: Buffer) => {
      answer += d.toString("latin1");
    });
    // god may close the connection before the whole body is sent: that is a correct answer to a huge body.
    socket.on("error", () => {});
    socket.on("close", () => resolve(answer.split("\r\n")[0] ?? ""));
    socket.setTimeout(30_000, () => socket.destroy());
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nOrigin: ${base}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${bytes}\r\nConnection: close\r\n\r\n`,
    );
    const chunk = Buffer.alloc(64 * 1024, "x");
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        const n = Math.min(chunk.length, bytes - sent);
        sent += n;
        if (!socket.write(chunk.subarray(0, n))) {
          socket.once("drain", pump);
          return;
        }
      }
    };
    pump();
  });
}

describe("HTTP bodies over the limit", () => {
  const sandbox = new Sandbox("god-http-abuse-");
  let base = "";
  let pid = 0;

  before(async () => {
    sandbox.libLoader("app", `job("web", { exec: ["sleep", "1000"], auto: true });`);
    base = await startHttpGod(sandbox);
    pid = (await sandbox.untilState("web", "running")).pid!;
    sandbox.track(pid);
  });
  after(() => sandbox.cleanup());

  for (const bytes of [80 * 1024, 10 * 1024 * 1024]) {
    it(`a POST of ${bytes} bytes is refused with 413 or a closed connection, and god and its jobs live on`, async () => {
      const status = await rawPost(base, "/api/jobs/web/restart", bytes);
      assert.ok(status === "" || /^HTTP\/1\.1 413 /.test(status), `status line: ${status}`);
      const jobs = await request(`${base}/api/jobs`);
      assert.equal(jobs.status, 200, "god still answers");
      const web = json<{ jobs: Array<{ name: string; pid: number }> }>(jobs).jobs.find(
        (j) => j.name === "web",
      );
      assert.equal(web?.pid, pid, "the job was neither restarted nor killed");
      assert.ok(isAlive(pid));
      assert.equal(sandbox.god?.exitCode, null, "god did not exit");
    });
  }

  it("a 413 says what the limit is", async () => {
    const answer = await request(`${base}/api/jobs/web/restart`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: base },
      body: `{"pad":"${"x".repeat(70 * 1024)}"}`,
    });
    assert.equal(answer.status, 413);
    assert.match(json<{ error: { message: string } }>(answer).error.message, /over 64 KiB/);
  });
});
