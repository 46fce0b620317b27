// Jobs under a real god: start, stop and restart from the CLI, restart policies with backoff, the whole
// process group stopped, a job that ignores SIGTERM, a missing binary, function checks from a library
// loader, the status JSON shape, a second god refused, and shutdown.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { isAlive, runCli, Sandbox } from "../helpers/god.js";

const hello = (jobs: unknown[]) =>
  JSON.stringify({
    jsonrpc: "2.0",
    method: "hello",
    params: { protocol: "godv1", loader: { name: "t" }, jobs },
  });

function shLoader(jobs: unknown[]): string {
  return `#!/bin/sh\ncat <<'EOF'\n${hello(jobs)}\nEOF\nexec cat >/dev/null\n`;
}

describe("jobs", () => {
  const sb = new Sandbox();
  const pidFile = `${sb.root}/grandchild.pid`;
  before(async () => {
    sb.write(
      "main",
      shLoader([
        { name: "manual", exec: ["sleep", "1000"] },
        {
          name: "crasher",
          exec: ["sh", "-c", "exit 7"],
          auto: true,
          backoff: { initialMs: 300, factor: 2, maxMs: 5000 },
        },
        { name: "once", exec: ["sh", "-c", "exit 0"], auto: true, restart: "on-failure" },
        { name: "family", exec: ["sh", "-c", `sleep 1000 & echo $! > ${pidFile}; wait`], auto: true },
        {
          name: "stubborn",
          exec: ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"],
          auto: true,
          stop: { timeoutMs: 500 },
        },
        { name: "missing", exec: ["no-such-binary-for-god-tests"], auto: true, backoff: { initialMs: 1000 } },
        {
          name: "envy",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
          exec: ["sh", "-c", 'echo "A=$A HOME=${HOME-unset}"; sleep 1000'],
          env: { A: "1", HOME: null },
          auto: true,
        },
      ]),
    );
    sb.libLoader(
      "checked",
      `let calls = 0;
job("checked", { exec: ["sleep", "1000"], auto: true, check: { every: "200ms", run: () => { calls++; return calls < 3 ? { status: "fail", message: "warming up" } : "ok"; } } });`,
    );
    sb.startGod();
    await sb.until("god's socket", async () => (await sb.ctl(["status", "--json"])).code === 0);
  });
  after(() => sb.cleanup());

  it("prints status --json in the SPEC's shape", async () => {
    const j = await sb.untilState("family", "running");
    sb.track(j.pid);
    const keys = [
      "name",
      "state",
      "want",
      "pid",
      "instance",
      "restarts",
      "uptimeMs",
      "loader",
      "check",
      "lastExit",
    ];
    for (const key of keys) assert.ok(key in j, `missing ${key}`);
    assert.equal(typeof j.pid, "number");
    assert.equal(j.want, "up");
    const manual = await sb.job("manual");
    assert.equal(manual?.state, "stopped");
    assert.equal(manual?.pid, null);
  });

  it("starts, restarts and stops a manual job from the CLI", async () => {
    const start = await sb.ctl(["start", "manual"]);
    assert.equal(start.code, 0, start.stderr);
    const first = await sb.untilState("manual", "running");
    sb.track(first.pid);
    const restart = await sb.ctl(["restart", "manual"]);
    assert.equal(restart.code, 0, restart.stderr);
    const second = await sb.untilState("manual", "running");
    sb.track(second.pid);
    assert.notEqual(second.pid, first.pid);
    assert.equal(second.restarts, 1);
    const stop = await sb.ctl(["stop", "manual"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await sb.job("manual"))?.state, "stopped");
    assert.equal(isAlive(second.pid!), false);
  });

  it("restarts a crashing job with growing backoff and shows why", async () => {
    const j = await sb.until("crasher restarted twice", async () => {
      const x = await sb.job("crasher");
      return x && x.restarts >= 2 ? x : undefined;
    });
    assert.equal(j.lastExit?.code, 7);
    const b = await sb.untilState("crasher", "backoff");
    assert.match(b.reason ?? "", /exited with code 7; next start in \d+ ms/);
  });

  it("leaves an on-failure job that exited 0 as exited", async () => {
    const j = await sb.untilState("once", "exited");
    assert.equal(j.lastExit?.code, 0);
    assert.equal(j.restarts, 0);
  });

  it("stops the whole process group: no grandchild survives", async () => {
    const j = await sb.untilState("family", "running");
    const grandchild = Number(
      await sb.until("grandchild pid", () =>
        existsSync(pidFile) ? readFileSync(pidFile, "utf8").trim() || undefined : undefined,
      ),
    );
    sb.track(grandchild);
    assert.ok(isAlive(grandchild));
    const stop = await sb.ctl(["stop", "family"]);
    assert.equal(stop.code, 0, stop.stderr);
    await sb.until("grandchild gone", () => !isAlive(grandchild) && !isAlive(j.pid!));
  });

  it("kills a job that ignores SIGTERM after its stop timeout", async () => {
    const j = await sb.untilState("stubborn", "running");
    sb.track(j.pid);
    const stop = await sb.ctl(["stop", "stubborn"]);
    assert.equal(stop.code, 0, stop.stderr);
    const after = await sb.job("stubborn");
    assert.equal(after?.state, "stopped");
    assert.equal(after?.lastExit?.signal, "SIGKILL");
  });

  it("names a missing binary and the fix", async () => {
    const j = await sb.until("missing in backoff", async () => {
      const x = await sb.job("missing");
      return x?.state === "backoff" ? x : undefined;
    });
    assert.match(
      j.reason ?? "",
      /"no-such-binary-for-god-tests" was not found \(looked up in PATH\); fix exec\[0\] of job "missing"/,
    );
  });

  it("merges env over god's and removes null variables", async () => {
    const j = await sb.untilState("envy", "running");
    sb.track(j.pid);
    const log = `${sb.home}/logs/envy.log`;
    const line = await sb.until("envy's output", () =>
      existsSync(log) ? /A=1 HOME=\S+/.exec(readFileSync(log, "utf8"))?.[0] : undefined,
    );
    assert.equal(line, "A=1 HOME=unset");
  });

  it("keeps a checked job starting until its first ok, then running with the check shown", async () => {
    const j = await sb.untilState("checked", "running");
    sb.track(j.pid);
    assert.equal(j.check?.status, "ok");
    const loaders = JSON.parse((await sb.ctl(["loaders", "--json"])).stdout) as {
      loaders: Array<{ path: string; state: string; pid: number | null }>;
    };
    const l = loaders.loaders.find((x) => x.path.endsWith("/checked"));
    assert.equal(l?.state, "up", "a loader with a function check stays resident");
    sb.track(l?.pid);
    const check = await sb.ctl(["check", "checked"]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /checked: ok/);
  });

  it("answers an unknown job with exit 1 and a sentence", async () => {
    const r = await sb.ctl(["start", "nope"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown job "nope": no loader declares it/);
  });

  it("refuses a second god on the same home, naming the pid", async () => {
    const r = await runCli(["run", "--dir", sb.dir, "--home", sb.home], { timeoutMs: 20_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`a god is already running at .* \\(pid ${sb.god?.pid}\\)`));
  });

  it("shuts down: every job stopped, god exits 0", async () => {
    const pids = (await sb.status()).map((j) => j.pid).filter((p): p is number => p !== null);
    const r = await sb.ctl(["shutdown"]);
    assert.equal(r.code, 0, r.stderr);
    const code = await new Promise<number | null>((resolve) => {
      if (sb.god?.exitCode !== null) resolve(sb.god?.exitCode ?? null);
      else sb.god.once("exit", (c) => resolve(c));
    });
    assert.equal(code, 0);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} survived`);
    const none = await sb.ctl(["status"]);
    assert.equal(none.code, 3);
    assert.match(none.stderr, /no god is running at/);
  });
});
