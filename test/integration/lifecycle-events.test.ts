// The lifecycle as an operator (or a subscribed loader) sees it on god's event stream, driven through a puppet
// job: a manual restart is stopping -> starting (never a backoff, which would announce a crash that did not
// happen), a crash is backoff -> starting, and a job that ignores its stop signal is killed after its timeout.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { SupervisorChange } from "../../src/protocol/control.js";
import { Sandbox } from "../helpers/god.js";
import { PUPPET, PuppetMaster } from "../helpers/puppets.js";

const TIMEOUT_MS = 60_000;

/** The states job `name` went through, as the event stream told them, from change number `from` on. */
function statesOf(changes: SupervisorChange[], name: string, from = 0): string[] {
  const out: string[] = [];
  for (const change of changes.slice(from)) {
    if (change.type !== "job" || change.job.name !== name) continue;
    if (out[out.length - 1] !== change.job.state) out.push(change.job.state);
  }
  return out;
}

describe("the lifecycle on god's event stream", { timeout: TIMEOUT_MS }, () => {
  it("restart is stopping -> starting; a crash is backoff -> starting; a stubborn job is killed after its timeout", async (t) => {
    const sb = new Sandbox("god-lifecycle-");
    const master = await PuppetMaster.open(sb.root);
    t.after(async () => {
      master.close();
      await sb.cleanup();
    });
    sb.libLoader(
      "puppets",
      `job("p", { exec: [process.execPath, ${JSON.stringify(PUPPET)}], auto: true, env: ${JSON.stringify(master.env)},
        stop: { timeout: "500ms" }, backoff: { initialMs: 200 } });`,
    );
    sb.startGod();
    const events = await sb.events();
    const first = await master.next();
    sb.track(first.pid);
    await sb.untilState("p", "running");

    // A line printed by the puppet reaches the job's log.
    await first.ask({ print: "hello from the puppet" });
    await sb.until(
      "the line in p.log",
      () =>
        existsSync(`${sb.home}/logs/p.log`) &&
        readFileSync(`${sb.home}/logs/p.log`, "utf8").includes("hello from the puppet"),
    );

    // A manual restart.
    let mark = events.changes.length;
    const restarted = await sb.ctl(["restart", "p"]);
    assert.equal(restarted.code, 0, restarted.stderr);
    const second = await master.next();
    sb.track(second.pid);
    assert.deepEqual(statesOf(events.changes, "p", mark), ["stopping", "starting", "running"]);

    // A crash.
    mark = events.changes.length;
    second.send({ exit: 3 });
    const third = await master.next();
    sb.track(third.pid);
    await sb.untilState("p", "running");
    assert.deepEqual(statesOf(events.changes, "p", mark), ["backoff", "starting", "running"]);
    assert.deepEqual((await sb.job("p"))?.lastExit?.code, 3);

    // A job that ignores SIGTERM: stopped by SIGKILL once its stop timeout (500 ms) is over.
    await third.ask({ ignore: "SIGTERM" });
    const stopped = await sb.ctl(["stop", "p"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    const p = await sb.job("p");
    assert.equal(p?.state, "stopped");
    assert.equal(p?.lastExit?.signal, "SIGKILL");
  });
});
