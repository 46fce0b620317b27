// Sockets held by god and handed over on reload, under continuous load from a bounded client on 127.0.0.1:
// ten reloads with zero failed requests and a new pid each time; a broken new version that never becomes
// ready leaves the old one serving; a Python server using LISTEN_FDS reloads the same way; a unix socket job;
// an address in use is one sentence and touches nothing else.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { after, describe, it } from "node:test";
import { LIB as LIB_PATH, Sandbox } from "../helpers/god.js";
import { freePort, get, load } from "../helpers/http-load.js";

const NODE_SERVER = `
const { createServer } = require("node:http");
const { writeFileSync, existsSync } = require("node:fs");
if (Number(process.env.LISTEN_PID) !== process.pid) throw new Error("LISTEN_PID is not my pid");
if (existsSync(process.env.BROKEN_FLAG)) setInterval(() => {}, 1000); // broken: never serves, never ready
else {
  const server = createServer((req, res) => res.end("pid " + process.pid));
  server.listen({ fd: 3 }, () => writeFileSync(process.env.READY_DIR + "/" + process.pid, ""));
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}
`;

const PY_SERVER = `
import http.server, os, signal, socket, sys, threading
assert int(os.environ["LISTEN_PID"]) == os.getpid(), "LISTEN_PID is not my pid"
assert os.environ["LISTEN_FDNAMES"] == "http"
sock = socket.socket(fileno=3)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("pid %d" % os.getpid()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H, bind_and_activate=False)
srv.socket = sock
open(os.path.join(os.environ["READY_DIR"], str(os.getpid())), "w").close()
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=srv.shutdown).start())
srv.serve_forever()
`;

function loaderBody(
  name: string,
  exec: string[],
  listen: string,
  readyDir: string,
  extraEnv: Record<string, string>,
) {
  return `import { existsSync } from "node:fs";
job(${JSON.stringify(name)}, {
  exec: ${JSON.stringify(exec)},
  auto: true,
  env: ${JSON.stringify({ READY_DIR: readyDir, ...extraEnv })},
  listen: { http: ${JSON.stringify(listen)} },
  check: { every: "200ms", timeout: "1s", grace: "3s", run: ({ pid }) => existsSync(${JSON.stringify(readyDir)} + "/" + pid) },
  stop: { timeout: "5s" },
});`;
}

describe("socket handover on reload", () => {
  const sb = new Sandbox();
  after(() => sb.cleanup());
  const readyDir = `${sb.root}/ready`;
  const brokenFlag = `${sb.root}/broken`;
  let port = 0;

  it("reloads ten times under load with zero failed requests and a new pid each time", async () => {
    mkdirSync(readyDir, { recursive: true });
    port = await freePort();
    const server = sb.write("server.cjs", NODE_SERVER, { inDir: false });
    sb.libLoader(
      "web",
      loaderBody("web", [process.execPath, server], `tcp://127.0.0.1:${port}`, readyDir, {
        BROKEN_FLAG: brokenFlag,
      }),
    );
    sb.startGod();
    const first = await sb.untilState("web", "running");
    sb.track(first.pid);
    assert.match(await get({ port }), new RegExp(`pid ${first.pid}`));
    const client = load({ port });
    const pids = new Set<number>([first.pid!]);
    for (let i = 0; i < 10; i++) {
      const r = await sb.ctl(["reload", "web"]);
      assert.equal(r.code, 0, `reload ${i}: ${r.stderr}`);
      const now = await sb.job("web");
      assert.equal(now?.state, "running");
      assert.ok(now?.pid && !pids.has(now.pid), `reload ${i} gave no new pid`);
      sb.track(now.pid);
      pids.add(now.pid);
    }
    const stats = await client.stop();
    assert.equal(stats.failed, 0, `failed requests: ${[...stats.errors].join(", ")}`);
    assert.ok(stats.ok > 100, `only ${stats.ok} requests were made`);
    assert.equal(pids.size, 11);
  });

  it("keeps the old instance serving when the new one never becomes ready", async () => {
    const before = await sb.job("web");
    const client = load({ port });
    const { writeFileSync } = await import("node:fs");
    writeFileSync(brokenFlag, "");
    const r = await sb.ctl(["reload", "web"]);
    const stats = await client.stop();
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /job "web" was not reloaded: the new instance was not ready within \d+ ms.*the old instance keeps serving/,
    );
    const now = await sb.job("web");
    assert.equal(now?.pid, before?.pid);
    assert.equal(now?.state, "running");
    assert.equal(stats.failed, 0, `failed requests: ${[...stats.errors].join(", ")}`);
    assert.match(await get({ port }), new RegExp(`pid ${before?.pid}`));
  });

  it("reloads a Python server that takes its socket from LISTEN_FDS", {
    skip: !existsSync("/usr/bin/python3") && "no python3",
  }, async () => {
    const pyPort = await freePort();
    const script = sb.write("server.py", PY_SERVER, { inDir: false });
    sb.libLoader("py", loaderBody("pyweb", ["python3", script], `tcp://127.0.0.1:${pyPort}`, readyDir, {}));
    const first = await sb.untilState("pyweb", "running");
    sb.track(first.pid);
    const client = load({ port: pyPort }, 2);
    for (let i = 0; i < 3; i++) {
      const r = await sb.ctl(["reload", "pyweb"]);
      assert.equal(r.code, 0, r.stderr);
      sb.track((await sb.job("pyweb"))?.pid);
    }
    const stats = await client.stop();
    assert.equal(stats.failed, 0, `failed requests: ${[...stats.errors].join(", ")}`);
    assert.notEqual((await sb.job("pyweb"))?.pid, first.pid);
  });

  it("serves and reloads a unix socket job", async () => {
    const path = `${sb.root}/web.sock`;
    const server = `${sb.root}/server.cjs`;
    sb.libLoader(
      "unix",
      loaderBody("unixweb", [process.execPath, server], `unix:${path}`, readyDir, {
        BROKEN_FLAG: `${sb.root}/nope`,
      }),
    );
    const first = await sb.untilState("unixweb", "running");
    sb.track(first.pid);
    assert.match(await get({ socketPath: path }), new RegExp(`pid ${first.pid}`));
    const client = load({ socketPath: path }, 2);
    const r = await sb.ctl(["reload", "unixweb"]);
    assert.equal(r.code, 0, r.stderr);
    const stats = await client.stop();
    assert.equal(stats.failed, 0, `failed requests: ${[...stats.errors].join(", ")}`);
    const now = await sb.job("unixweb");
    sb.track(now?.pid);
    assert.notEqual(now?.pid, first.pid);
  });

  it("a stop during a reload ends the reload and leaves no new instance behind", async () => {
    // brokenFlag is still there: the candidate never becomes ready, so the reload is still waiting.
    const server = `${sb.root}/server.cjs`;
    const web = await sb.job("web");
    const before = new Set(processesRunning(server));
    const reload = sb.ctl(["reload", "web"]);
    const candidate = await sb.until("the candidate", () =>
      processesRunning(server).find((p) => !before.has(p)),
    );
    sb.track(candidate);
    const stop = await sb.ctl(["stop", "web"]);
    assert.equal(stop.code, 0, stop.stderr);
    const r = await reload;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /job "web" was not reloaded: the job was stopped during the reload/);
    const gone = (pid: number | null | undefined) => !processesRunning(server).includes(pid ?? -1);
    await sb.until(
      "web's instance and its candidate gone",
      () => (gone(candidate) && gone(web?.pid)) || undefined,
      15_000,
    );
    assert.equal((await sb.job("web"))?.state, "stopped");
  });

  it("names the job and the address when the address is in use, and touches nothing else", async () => {
    const blocker: Server = createServer();
    const busy = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const webBefore = await sb.job("web");
      sb.libLoader(
        "busy",
        `job("busy", { exec: ["sleep", "1000"], auto: true, listen: { http: "tcp://127.0.0.1:${busy}" } });`,
      );
      const j = await sb.until("busy in backoff", async () => {
        const x = await sb.job("busy");
        return x?.state === "backoff" ? x : undefined;
      });
      assert.match(
        j.reason ?? "",
        new RegExp(`job "busy" cannot listen on tcp://127.0.0.1:${busy}: the address is already in use`),
      );
      assert.equal((await sb.job("web"))?.pid, webBefore?.pid);
    } finally {
      blocker.close();
    }
  });
});

/** Live processes whose command line mentions `text` (read from /proc, bounded by the process count). */
function processesRunning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe("deploys", () => {
  const sb = new Sandbox();
  after(() => sb.cleanup());

  it("replacing a built-in loader's file reloads its job with the new code and drops no request", async () => {
    const readyDir = `${sb.root}/ready`;
    mkdirSync(readyDir, { recursive: true });
    const port = await freePort();
    const app = (version: number) => `#!/usr/bin/env node
import { createServer } from "node:http";
import { existsSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { job, init, listeners } from ${JSON.stringify(LIB_PATH)};
job("app", {
  exec: [process.execPath, fileURLToPath(import.meta.url)],
  auto: true,
  listen: { http: "tcp://127.0.0.1:${port}" },
  check: { every: "200ms", grace: "5s", run: ({ pid }) => existsSync(${JSON.stringify(readyDir)} + "/" + pid) },
});
await init();
const server = createServer((req, res) => res.end("pid " + process.pid + " v${version}"));
server.listen(listeners().http, () => writeFileSync(${JSON.stringify(readyDir)} + "/" + process.pid, ""));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;
    sb.write("app.mjs", app(1));
    sb.startGod();
    const first = await sb.untilState("app", "running");
    sb.track(first.pid);
    assert.match(await get({ port }), / v1$/);
    const client = load({ port }, 2);
    // A deploy: the new build written beside the old one, then renamed over it (a new inode).
    const { renameSync } = await import("node:fs");
    const staged = sb.write(".app.mjs.new", app(2));
    renameSync(staged, `${sb.dir}/app.mjs`);
    const second = await sb.until("app replaced", async () => {
      const j = await sb.job("app");
      return j?.state === "running" && j.pid !== first.pid ? j : undefined;
    });
    sb.track(second.pid);
    await sb.until("v2 serving", async () => / v2$/.test(await get({ port })));
    const stats = await client.stop();
    assert.equal(stats.failed, 0, `failed requests: ${[...stats.errors].join(", ")}`);
  });
});
