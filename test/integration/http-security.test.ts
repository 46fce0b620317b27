// Who may drive god over HTTP: a non-loopback address needs a token (refused before anything binds), a POST
// needs the token when one is set and must come from god's own origin as JSON, and on loopback only loopback
// Host names are answered (DNS rebinding). Off loopback every read needs the token too.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { checkHost, checkMutation, checkToken } from "../../src/http/guard.js";
import { runCli, Sandbox } from "../helpers/god.js";
import { json, post, request, startHttpGod } from "./http-rig.js";

const TOKEN = "test-token-0123456789abcdef";

describe("god run --http refuses what would be unsafe, before it binds or takes the home", () => {
  const sandbox = new Sandbox("god-http-refuse-");
  after(() => sandbox.cleanup());

  const run = (...http: string[]) =>
    runCli(["run", "--dir", sandbox.dir, "--home", join(sandbox.root, "home"), ...http], {
      timeoutMs: 20_000,
    });

  for (const address of ["0.0.0.0:0", "[::]:0"]) {
    it(`a non-loopback address (${address}) without --http-token, with one sentence naming the fix`, async () => {
      const r = await run("--http", address);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^god: --http .* is not a loopback address.*add --http-token TOKEN/);
      assert.equal(r.stderr.trim().split("\n").length, 1);
      assert.equal(existsSync(join(sandbox.root, "home")), false, "the home is not touched");
    });
  }

  it("a token too short to be a secret", async () => {
    const r = await run("--http", "127.0.0.1:0", "--http-token", "secret");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--http-token must be at least 16/);
  });

  it("a port that is taken: exit 1, the sentence says so, and the home's lock is released", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = taken.address() as { port: number };
      const r = await run("--http", `127.0.0.1:${port}`);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /cannot serve HTTP on 127\.0\.0\.1:\d+: the port is taken/);
      const again = await run("--http", `127.0.0.1:${port}`);
      assert.match(again.stderr, /the port is taken/, "the lock of the first try is gone");
    } finally {
      taken.close();
    }
  });

  for (const address of ["8088", "::1:8088", "[localhost]:8088", "127.0.0.1:99999", "127.0.0.1:"]) {
    it(`an address that is not HOST:PORT (${address})`, async () => {
      const r = await run("--http", address);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^god: --http /);
    });
  }
});

describe("a god on loopback with a token", () => {
  const sandbox = new Sandbox("god-http-token-");
  let base = "";
  let host = "";

  before(async () => {
    sandbox.libLoader("app", `job("web", { exec: ["sleep", "1000"], auto: true });`);
    base = await startHttpGod(sandbox, ["--http-token", TOKEN]);
    host = new URL(base).host;
    sandbox.track((await sandbox.untilState("web", "running")).pid);
  });
  after(() => sandbox.cleanup());

  const restart = async (headers: Record<string, string>) => {
    const answer = await post(`${base}/api/jobs/web/restart`, headers);
    if (answer.status === 200) sandbox.track(json<{ pid: number }>(answer).pid);
    return answer;
  };

  it("answers reads without the token (loopback: only this machine reaches them)", async () => {
    assert.equal((await request(`${base}/api/jobs`)).status, 200);
    assert.equal((await request(`${base}/metrics`)).status, 200);
  });

  it("refuses a POST without the token or with a wrong one (401), takes the right one (200)", async () => {
    const none = await restart({});
    assert.equal(none.status, 401);
    assert.equal(none.headers["www-authenticate"], "Bearer");
    assert.match(json<{ error: { message: string } }>(none).error.message, /Authorization: Bearer/);
    const wrong = await restart({ authorization: `Bearer ${TOKEN}x` });
    assert.equal(wrong.status, 401);
    assert.match(json<{ error: { message: string } }>(wrong).error.message, /token is wrong/);
    const right = await restart({ authorization: `Bearer ${TOKEN}` });
    assert.equal(right.status, 200, right.body);
  });

  it("refuses a POST from a foreign origin (403), even with the right token", async () => {
    const foreign = await restart({ authorization: `Bearer ${TOKEN}`, origin: "http://evil.example" });
    assert.equal(foreign.status, 403);
    assert.match(json<{ error: { message: string } }>(foreign).error.message, /cross-origin request/);
    const crossSite = await restart({ authorization: `Bearer ${TOKEN}`, "sec-fetch-site": "cross-site" });
    assert.equal(crossSite.status, 403);
    const own = await restart({ authorization: `Bearer ${TOKEN}`, origin: `http://${host}` });
    assert.equal(own.status, 200, own.body);
  });

  it("refuses a form post (415) and a request for a name that is not loopback (403)", async () => {
    const form = await request(`${base}/api/jobs/web/stop`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "text/plain" },
      body: "{}",
    });
    assert.equal(form.status, 415);
    const rebound = await request(`${base}/api/jobs`, { headers: { host: "evil.example:8088" } });
    assert.equal(rebound.status, 403);
    assert.match(json<{ error: { message: string } }>(rebound).error.message, /loopback/);
    assert.equal((await request(`${base}/api/jobs`, { headers: { host: `localhost:1234` } })).status, 200);
    assert.equal(sandbox.godOutput.includes(TOKEN), false, "the token never reaches god's log");
  });
});

describe("the guard off loopback (checked without binding a public address)", () => {
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
  const open = { token: TOKEN, loopback: false };

  it("needs the token for reads too, and answers any Host name", () => {
    assert.deepEqual(checkHost(req({ host: "god.example.com:8088" }), open), { ok: true });
    const read = checkToken(req({}), open, false);
    assert.equal(read.ok, false);
    assert.equal(read.ok === false && read.status, 401);
    assert.deepEqual(checkToken(req({ authorization: `Bearer ${TOKEN}` }), open, false), { ok: true });
    assert.deepEqual(checkToken(req({ authorization: `bearer  ${TOKEN}` }), open, true), { ok: true });
  });

  it("on loopback without a token, lets reads and same-origin JSON posts through", () => {
    const local = { token: null, loopback: true };
    assert.deepEqual(checkToken(req({}), local, true), { ok: true });
    assert.deepEqual(checkHost(req({ host: "[::1]:8088" }), local), { ok: true });
    assert.deepEqual(checkHost(req({ host: "127.0.0.2" }), local), { ok: true });
    assert.equal(checkHost(req({}), local).ok, false);
    assert.deepEqual(
      checkMutation(
        req({
          host: "127.0.0.1:8088",
          origin: "http://127.0.0.1:8088",
          "content-type": "application/json; charset=utf-8",
        }),
      ),
      { ok: true },
    );
    assert.equal(
      checkMutation(req({ host: "127.0.0.1:8088", origin: "null", "content-type": "application/json" })).ok,
      false,
    );
  });
});
