// process/signal-group.ts on real process groups: once the leader has exited, the rest of its group is killed
// at once (not after the timeout); signalling is refused for groups 0 and 1, and neither ESRCH nor EPERM
// throws, since these calls also run from timers where a throw would be god's own fatal error.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { signalGroup, stopGroup } from "../../src/process/signal-group.js";
import { alive, exitOf, groupMembers, readLines, shLoader, sq } from "../fixtures/proc-tools.js";
import { Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 60_000;

async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000; i++) {
    if (probe()) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("stopGroup", { timeout: TIMEOUT_MS }, () => {
  it("kills what is left of the group as soon as the leader exits, long before the timeout", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "god-group-"));
    const pidFile = join(dir, "stubborn.pid");
    // The leader dies of SIGTERM; its child ignores SIGTERM and would run on until SIGKILL.
    const leader = spawn(
      "sh",
      ["-c", `sh -c "trap '' TERM; while :; do sleep 0.1; done" & echo $! > ${sq(pidFile)}; wait`],
      { detached: true, stdio: "ignore" },
    );
    const pgid = leader.pid!;
    t.after(() => {
      signalGroup(pgid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    });
    await until("the child's pid", () => readLines(pidFile).length > 0);
    const child = Number(readLines(pidFile)[0]);
    const exited = exitOf(leader);
    const sentMs = Date.now();
    stopGroup(pgid, "SIGTERM", 30_000, exited);
    assert.equal(await exited, "SIGTERM");
    await until("the group to be empty", () => groupMembers(pgid).length === 0);
    assert.ok(!alive(child));
    assert.ok(Date.now() - sentMs < 10_000, "well before the 30 s timeout");
  });
});

describe("signalGroup", () => {
  it("refuses group 0 (god's own), 1 and below (every process), and never calls kill for them", (t) => {
    const kill = t.mock.method(process, "kill", () => true);
    for (const pgid of [1, 0, -5, 1.5, Number.NaN]) {
      assert.throws(() => signalGroup(pgid, "SIGTERM"), RangeError, `pgid ${pgid}`);
    }
    assert.equal(kill.mock.callCount(), 0);
  });

  it("answers false for a group that is gone (ESRCH) or may not be signalled (EPERM), without throwing", (t) => {
    for (const code of ["ESRCH", "EPERM"]) {
      const kill = t.mock.method(process, "kill", () => {
        throw Object.assign(new Error(code), { code });
      });
      assert.equal(signalGroup(4242, "SIGTERM"), false);
      assert.deepEqual(kill.mock.calls[0]?.arguments, [-4242, "SIGTERM"]);
      kill.mock.restore();
    }
  });

  it("does not throw from its timers when the group may not be signalled", async (t) => {
    t.mock.method(process, "kill", () => {
      throw Object.assign(new Error("EPERM"), { code: "EPERM" });
    });
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    process.on("uncaughtException", onError);
    process.on("unhandledRejection", onError);
    t.after(() => {
      process.off("uncaughtException", onError);
      process.off("unhandledRejection", onError);
    });
    let exit: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      exit = resolve;
    });
    stopGroup(4242, "SIGTERM", 10, exited);
    await new Promise((r) => setTimeout(r, 50));
    exit();
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(errors, []);
  });
});

describe("a job whose leader exits on its own", { timeout: TIMEOUT_MS }, () => {
  it("takes its grandchildren with it", async (t) => {
    const sb = new Sandbox("god-group-exit-");
    t.after(() => sb.cleanup());
    const pidFile = `${sb.root}/gc.pid`;
    sb.write(
      "jobs",
      shLoader([
        {
          name: "leaves",
          exec: ["sh", "-c", `sleep 1000 & echo $! > ${sq(pidFile)}; sleep 0.5; exit 3`],
          auto: true,
          restart: "never",
        },
      ]),
    );
    sb.startGod();
    const gc = Number(await sb.until("the grandchild", () => readLines(pidFile)[0]));
    sb.track(gc);
    const j = await sb.untilState("leaves", "exited");
    assert.equal(j.lastExit?.code, 3);
    await sb.until("the grandchild gone with its job", () => !alive(gc), 5000);
  });
});
