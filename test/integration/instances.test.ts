// Instances (SPEC 12): N processes of one job, any language, on the one socket god holds; the kernel spreads the
// connections and god is off the request path. Each instance has its own process, restarts and readiness; one
// crash touches no other; `JOB:K` addresses one; `god scale` changes the count; a reload rolls one instance at a
// time with at most one extra process and no failed request; the logs name the instance.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { SupervisorChange } from "../../src/protocol/control.js";
import { Sandbox } from "../helpers/god.js";
import { freePort, get, load } from "../helpers/http-load.js";

const TIMEOUT_MS = 120_000;

/** A Python HTTP server on the fd god passes; answers "pid P instance K"; ready on fd 4 once it accepts. */
const PY_SERVER = `
import http.server, os, signal, socket, sys, threading
sock = socket.socket(fileno=3)
instance = os.environ["GOD_INSTANCE"]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("pid %d instance %s" % (os.getpid(), instance)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H, bind_and_activate=False)
srv.socket = sock
print("instance %s of %s serving" % (instance, os.environ["NODE_APP_INSTANCE"]), flush=True)
os.write(int(os.environ["GOD_READY_FD"]), b"ready\\n")
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=srv.shutdown).start())
srv.serve_forever()
`;

function loader(sb: Sandbox, port: number, instances: number): void {
  const server = `${sb.root}/server.py`;
  sb.write("server.py", PY_SERVER, { inDir: false });
  const hello = {
    jsonrpc: "2.0",
    method: "hello",
    params: {
      protocol: "godv1",
      loader: { name: "py" },
      jobs: [
        {
          name: "web",
          exec: ["python3", server],
          auto: true,
          instances,
          listen: { http: `tcp://127.0.0.1:${port}` },
          ready: { fd: 4 },
          readyTimeoutMs: 10_000,
          stop: { timeoutMs: 3000 },
        },
      ],
    },
  };
  sb.write("hello.json", `${JSON.stringify(hello)}\n`, { inDir: false, mode: 0o644 });
  sb.write("py", `#!/bin/sh\ncat ${sb.root}/hello.json\nexec cat >/dev/null\n`);
}

async function allRunning(sb: Sandbox, n: number) {
  return sb.until(`${n} instances running`, async () => {
    const j = await sb.job("web");
    return j?.state === "running" && j.instances.length === n && j.instances.every((i) => i.pid !== null)
      ? j
      : undefined;
  });
}

describe("instances", { timeout: TIMEOUT_MS }, () => {
  it("two Python processes on one held socket both answer; logs name them; one crash touches no other; JOB:K", async (t) => {
    const sb = new Sandbox("god-instances-");
    t.after(() => sb.cleanup());
    const port = await freePort();
    loader(sb, port, 2);
    sb.startGod();
    const web = await allRunning(sb, 2);
    for (const i of web.instances) sb.track(i.pid);
    assert.deepEqual(
      web.instances.map((i) => i.index),
      [0, 1],
    );
    assert.equal(web.pid, web.instances[0]!.pid, "the job's pid is instance 0's");

    // The kernel spreads new connections over both (bounded: at most 400 requests).
    const seen = new Set<string>();
    for (let i = 0; i < 400 && seen.size < 2; i++) seen.add((await get({ port })).split(" ")[3] ?? "");
    assert.deepEqual([...seen].sort(), ["0", "1"], "both instances answered on the one port");

    const log = `${sb.home}/logs/web.log`;
    await sb.until(
      "both instances' lines",
      () =>
        existsSync(log) &&
        /web\.0\[\d+\] out\| instance 0 of 0 serving/.test(readFileSync(log, "utf8")) &&
        /web\.1\[\d+\] out\| instance 1 of 1 serving/.test(readFileSync(log, "utf8")),
    );

    // kill -9 of instance 1: only it restarts.
    process.kill(web.instances[1]!.pid!, "SIGKILL");
    const after = await sb.until("instance 1 back with a new pid", async () => {
      const j = await sb.job("web");
      const one = j?.instances[1];
      return one?.state === "running" && one.pid !== web.instances[1]!.pid ? j : undefined;
    });
    sb.track(after?.instances[1]?.pid);
    assert.equal(after.instances[0]!.pid, web.instances[0]!.pid, "instance 0 was not touched");
    assert.equal(after.instances[0]!.restarts, 0);
    assert.equal(after.instances[1]!.restarts, 1);

    // JOB:K: one instance.
    const restarted = await sb.ctl(["restart", "web:0"]);
    assert.equal(restarted.code, 0, restarted.stderr);
    const now = await sb.job("web");
    sb.track(now?.instances[0]?.pid);
    assert.notEqual(now?.instances[0]?.pid, web.instances[0]!.pid);
    assert.equal(now?.instances[1]?.pid, after.instances[1]!.pid, "web:0 only");
    const unknown = await sb.ctl(["restart", "web:7"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /job "web" has no instance 7; its instances are 0 to 1/);

    // status -i: a line per instance.
    const table = await sb.ctl(["status", "-i"]);
    assert.match(table.stdout, /^web\s+running\b.*\s2\/2\s/m);
    assert.match(table.stdout, /^ {2}web:0\s+running/m);
    assert.match(table.stdout, /^ {2}web:1\s+running/m);
  });

  it("god scale: up in index order, down from the highest index; the count lasts", async (t) => {
    const sb = new Sandbox("god-scale-");
    t.after(() => sb.cleanup());
    const port = await freePort();
    loader(sb, port, 1);
    sb.startGod();
    const one = await allRunning(sb, 1);
    sb.track(one.pid);
    const up = await sb.ctl(["scale", "web", "3"]);
    assert.equal(up.code, 0, up.stderr);
    const three = await allRunning(sb, 3);
    for (const i of three.instances) sb.track(i.pid);
    assert.equal(three.instances[0]!.pid, one.pid, "instance 0 kept its process");
    const down = await sb.ctl(["scale", "web", "-2"]);
    assert.equal(down.code, 0, down.stderr);
    const back = await allRunning(sb, 1);
    assert.equal(back.instances[0]!.pid, one.pid, "the highest indexes went");
    const bad = await sb.ctl(["scale", "web", "0"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /cannot have 0 instances/);
  });

  it("a rolling reload of 4 instances under load: one at a time, at most one extra process, no failed request", async (t) => {
    const sb = new Sandbox("god-roll-");
    t.after(() => sb.cleanup());
    const port = await freePort();
    loader(sb, port, 4);
    sb.startGod();
    const before = await allRunning(sb, 4);
    for (const i of before.instances) sb.track(i.pid);
    const events = await sb.events();
    const mark = events.changes.length;
    const traffic = load({ port });
    const reload = await sb.ctl(["reload", "web"]);
    const stats = await traffic.stop();
    assert.equal(reload.code, 0, reload.stderr);
    assert.equal(stats.failed, 0, `failed requests: ${[...stats.errors].join(", ")}`);
    assert.ok(stats.ok > 0);
    const after = await sb.job("web");
    for (const i of after?.instances ?? []) sb.track(i.pid);
    for (const [k, inst] of (after?.instances ?? []).entries()) {
      assert.notEqual(inst.pid, before.instances[k]!.pid, `instance ${k} was replaced`);
    }
    // At every change seen, the job had at most one process more than its 4 instances.
    const extra = events.changes
      .slice(mark)
      .filter(
        (c): c is Extract<SupervisorChange, { type: "job" }> => c.type === "job" && c.job.name === "web",
      )
      .map((c) => c.job.instances.reduce((sum, i) => sum + i.processes, 0));
    assert.ok(extra.length > 0);
    assert.ok(Math.max(...extra) <= 5, `processes during the roll: ${extra.join(" ")}`);
  });
});
