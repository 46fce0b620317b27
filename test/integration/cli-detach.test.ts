// `god run -d` (SPEC 14): the daemon starts in the background and the command returns once it answers on its
// socket; `god status` then answers and `god shutdown` stops it. A daemon that cannot start says why, exit 1.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isAlive, runCli, Sandbox } from "../helpers/god.js";

describe("god run -d", { timeout: 120_000 }, () => {
  it("returns once the daemon answers; status answers; shutdown stops it", async (t) => {
    const sb = new Sandbox("god-detach-");
    t.after(() => sb.cleanup());
    sb.write("app.json", JSON.stringify({ jobs: [{ name: "app", exec: ["sleep", "100000"], auto: true }] }), {
      mode: 0o644,
    });
    const started = await runCli(["run", "-d", "--dir", sb.dir, "--home", sb.home]);
    const pid = Number(/\(pid (\d+)\)/.exec(started.stdout)?.[1]);
    sb.track(pid);
    assert.equal(started.code, 0, started.stderr);
    assert.match(
      started.stdout,
      new RegExp(
        `^god is running in the background at ${sb.home} \\(pid \\d+\\); its log: ${join(sb.home, "logs", "god.log")}`,
      ),
    );
    assert.ok(isAlive(pid), "the daemon runs on after the command returned");

    const status = await sb.ctl(["status", "--json"]);
    assert.equal(status.code, 0, status.stderr);
    const again = await runCli(["run", "-d", "--home", sb.home]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^god: a god is already running at /);

    const app = await sb.until("app running", async () => {
      const answer = await sb.ctl(["status", "app", "--json"]);
      const job = (JSON.parse(answer.stdout) as { jobs: Array<{ state: string; pid: number | null }> })
        .jobs[0];
      return job?.state === "running" ? job : undefined;
    });
    sb.track(app.pid);
    assert.match(
      readFileSync(join(sb.home, "logs", "god.log"), "utf8"),
      new RegExp(`"msg":"god ${pid} started"`),
    );

    const down = await sb.ctl(["shutdown"]);
    assert.equal(down.code, 0, down.stderr);
    await sb.until("the daemon gone", () => !isAlive(pid));
    assert.equal(isAlive(app.pid!), false, "its job is stopped");
  });

  it("a daemon that exits before it answers: its own words, exit 1", async (t) => {
    const sb = new Sandbox("god-detach-fail-");
    t.after(() => sb.cleanup());
    const missing = join(sb.root, "missing");
    const run = await runCli(["run", "-d", "--dir", missing, "--home", sb.home]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `god: --dir ${missing} is not a directory; create it or fix the path.\n`);
  });
});
