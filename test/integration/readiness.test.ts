// Readiness from the instance itself (SPEC 11), with real programs that are not JavaScript too: a Python
// program speaking systemd's datagram protocol, systemd's own systemd-notify, a shell script writing a line to
// its ready fd, and a Node program using the library's ready() and status(). Checks do not make such an
// instance ready; its own word does, within readyTimeoutMs, and a timeout never counts as ready.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { notifyAvailable } from "../../src/sockets/notify-socket.js";
import { LIB, Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 90_000;

/** A Python job that becomes ready when the file `go` exists, says its status, and pings its watchdog. */
const PY_NOTIFY = `
import os, socket, sys, time
path = os.environ["NOTIFY_SOCKET"]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
def send(text):
    s.sendto(text.encode(), path)
send("STATUS=warming up")
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
send("READY=1\\nSTATUS=serving")
while not os.path.exists(sys.argv[2]):
    send("WATCHDOG=1")
    time.sleep(0.1)
time.sleep(1000)
`;

function hasSystemdNotify(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v systemd-notify"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("readiness from the instance", { timeout: TIMEOUT_MS }, () => {
  const notify = notifyAvailable();

  it("notify, from Python: starting until READY=1, STATUS= shown, a missing WATCHDOG=1 fails its check", {
    skip: notify ?? false,
  }, async (t) => {
    const sb = new Sandbox("god-ready-py-");
    t.after(() => sb.cleanup());
    const go = `${sb.root}/go`;
    const mute = `${sb.root}/mute`;
    sb.write("notify.py", PY_NOTIFY, { inDir: false });
    sb.libLoader(
      "py",
      `job("py", { exec: ["python3", ${JSON.stringify(`${sb.root}/notify.py`)}, ${JSON.stringify(go)}, ${JSON.stringify(mute)}],
        auto: true, ready: "notify", watchdogMs: 1000, check: { every: "200ms", run: () => "ok", failures: 1 } });`,
    );
    sb.startGod();
    const starting = await sb.until("py says it is warming up", async () => {
      const j = await sb.job("py");
      return j?.statusText === "warming up" ? j : undefined;
    });
    sb.track(starting.pid);
    assert.equal(starting.state, "starting", "ok checks do not make it ready: only READY=1 does");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(go, "");
    const running = await sb.untilState("py", "running");
    assert.equal(running.statusText, "serving");
    assert.equal(running.pid, starting.pid);
    writeFileSync(mute, "");
    const restarted = await sb.until("a new process after the watchdog missed", async () => {
      const j = await sb.job("py");
      return j?.pid && j.pid !== running.pid ? j : undefined;
    });
    sb.track(restarted.pid);
    assert.match(sb.godOutput, /no WATCHDOG=1 within 1000 ms/);
  });

  it("notify, from systemd-notify --ready (a program written for systemd runs unchanged)", {
    skip: notify ?? (hasSystemdNotify() ? false : "systemd-notify is not installed (Debian package systemd)"),
  }, async (t) => {
    const sb = new Sandbox("god-ready-sd-");
    t.after(() => sb.cleanup());
    sb.libLoader(
      "sd",
      `job("sd", { exec: ["sh", "-c", "sleep 0.2; systemd-notify --ready --status='all set'; exec sleep 1000"], auto: true, ready: "notify" });`,
    );
    sb.startGod();
    const j = await sb.untilState("sd", "running");
    sb.track(j.pid);
    assert.equal(j.statusText, "all set", "the datagram's STATUS= is shown from the moment it is running");
  });

  it("fd: a shell script that writes a line to fd 4 beside its listening socket on fd 3", async (t) => {
    const sb = new Sandbox("god-ready-fd-");
    t.after(() => sb.cleanup());
    const go = `${sb.root}/go`;
    sb.libLoader(
      "fd",
      `job("fd", { exec: ["sh", "-c", "while [ ! -e ${go} ]; do sleep 0.05; done; echo \\"fd=$GOD_READY_FD listen=$LISTEN_FDS\\"; echo ready >&4; exec sleep 1000"],
        auto: true, listen: { http: "tcp://127.0.0.1:0" }, ready: { fd: 4 } });`,
    );
    sb.startGod();
    const starting = await sb.until("fd's process, not ready", async () => {
      const j = await sb.job("fd");
      return j?.state === "starting" && j.pid !== null ? j : undefined;
    });
    sb.track(starting.pid);
    const { writeFileSync, readFileSync } = await import("node:fs");
    writeFileSync(go, "");
    const running = await sb.untilState("fd", "running");
    assert.equal(running.pid, starting.pid);
    assert.match(readFileSync(`${sb.home}/logs/fd.log`, "utf8"), /fd=4 listen=1/);
  });

  it("not ready within readyTimeoutMs is a failed start (backoff), never ready", async (t) => {
    const sb = new Sandbox("god-ready-timeout-");
    t.after(() => sb.cleanup());
    sb.libLoader(
      "slow",
      `job("slow", { exec: ["sleep", "1000"], auto: true, ready: { fd: 3 }, readyTimeoutMs: 300, backoff: { initialMs: 5000 } });`,
    );
    sb.startGod();
    const j = await sb.untilState("slow", "backoff");
    assert.match(j.reason ?? "", /a failed start: not ready within 300 ms/);
    assert.equal(j.lastExit?.signal, "SIGTERM");
  });

  it("the library: ready() and status() from Node, and nothing at all outside god", async (t) => {
    const sb = new Sandbox("god-ready-lib-");
    t.after(() => sb.cleanup());
    const program = sb.write(
      "app.mjs",
      `import { ready, status } from ${JSON.stringify(LIB)};\nawait status("loading");\nsetTimeout(async () => { await ready(); console.log("said ready"); }, 200);\nsetInterval(() => {}, 1 << 30);\n`,
      { inDir: false },
    );
    sb.libLoader(
      "lib",
      `job("lib", { exec: [process.execPath, ${JSON.stringify(program)}], auto: true, ready: { fd: 3 } });`,
    );
    sb.startGod();
    const j = await sb.untilState("lib", "running");
    sb.track(j.pid);
    // Outside god the same calls do nothing and do not fail.
    const alone = execFileSync(
      process.execPath,
      [
        "-e",
        `import(${JSON.stringify(LIB)}).then(async (l) => { await l.ready(); await l.status("x"); console.log("fine"); })`,
      ],
      {
        env: { ...process.env, GOD_READY_FD: "", NOTIFY_SOCKET: "" },
      },
    ).toString();
    assert.equal(alone.trim(), "fine");
  });

  it('ready: "notify" without the optional package is refused at hello with what to install', {
    skip: notify === null ? "node-unix-socket is installed here" : false,
  }, async (t) => {
    const sb = new Sandbox("god-ready-missing-");
    t.after(() => sb.cleanup());
    sb.libLoader("n", `job("n", { exec: ["sleep", "1000"], auto: true, ready: "notify" });`);
    sb.startGod();
    const loader = await sb.until(
      "the loader's error",
      async () => [...(await sb.events()).loaders.values()][0]?.error ?? undefined,
    );
    assert.match(loader, /node-unix-socket/);
  });
});

describe("a reload with readiness from the instance", { timeout: TIMEOUT_MS }, () => {
  it("waits for the new process's own word; one that never says it is stopped and the old one keeps serving", async (t) => {
    const sb = new Sandbox("god-ready-reload-");
    t.after(() => sb.cleanup());
    const gate = `${sb.root}/gate`;
    const { writeFileSync, rmSync } = await import("node:fs");
    writeFileSync(gate, "");
    // Ready only while the gate file exists.
    sb.libLoader(
      "web",
      `job("web", { exec: ["sh", "-c", "while [ ! -e ${gate} ]; do sleep 0.05; done; echo ready >&4; exec sleep 1000"],
        auto: true, listen: { http: "tcp://127.0.0.1:0" }, ready: { fd: 4 }, readyTimeoutMs: 1500 });`,
    );
    sb.startGod();
    const first = await sb.untilState("web", "running");
    sb.track(first.pid);
    const ok = await sb.ctl(["reload", "web"]);
    assert.equal(ok.code, 0, ok.stderr);
    const second = await sb.job("web");
    sb.track(second?.pid);
    assert.notEqual(second?.pid, first.pid, "the new process took over once it said it was ready");

    rmSync(gate);
    const failed = await sb.ctl(["reload", "web"]);
    assert.equal(failed.code, 1);
    assert.match(
      failed.stderr,
      /was not reloaded: the new instance was not ready within 1500 ms; the old instance keeps serving/,
    );
    const after = await sb.job("web");
    assert.equal(after?.pid, second?.pid);
    assert.equal(after?.state, "running");
  });
});
