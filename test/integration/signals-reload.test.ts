// The signals that do not stop god: SIGHUP reloads every loader (a change the directory watcher cannot see
// appears), SIGUSR1 reopens god.log after an external logrotate moved it. god keeps running after both.

import assert from "node:assert/strict";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { godLines, hello, sq } from "../fixtures/proc-tools.js";
import { Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 60_000;

describe("SIGHUP", { timeout: TIMEOUT_MS }, () => {
  it("reloads the loaders: a job declared since then appears, the unchanged one keeps running", async (t) => {
    const sb = new Sandbox("god-sig-hup-");
    t.after(() => sb.cleanup());
    // The loader reads its jobs from a file outside the watched directory, so only a reload picks them up.
    const spec = `${sb.root}/jobs.json`;
    const one = { name: "one", exec: ["sleep", "1000"], auto: true };
    writeFileSync(spec, `${hello([one])}\n`);
    sb.write("from-file", `#!/bin/sh\ncat ${sq(spec)}\nexec cat >/dev/null\n`);
    const god = sb.startGod();
    const before = await sb.untilState("one", "running");
    sb.track(before.pid);

    writeFileSync(spec, `${hello([one, { name: "two", exec: ["sleep", "1000"], auto: true }])}\n`);
    assert.equal(await sb.job("two"), undefined, "no reload without the signal");
    god.kill("SIGHUP");
    const two = await sb.untilState("two", "running");
    sb.track(two.pid);
    const after = await sb.job("one");
    assert.equal(after?.pid, before.pid, "an unchanged job is not restarted by a reload");
    assert.ok(godLines(sb.godOutput).some((l) => l.msg === "SIGHUP: reloading every loader"));
    assert.equal(god.exitCode, null, "god keeps running");
  });
});

describe("SIGUSR1", { timeout: TIMEOUT_MS }, () => {
  it("reopens god.log after it was moved away", async (t) => {
    const sb = new Sandbox("god-sig-usr1-");
    t.after(() => sb.cleanup());
    const god = sb.startGod();
    await sb.until("god's socket", async () => (await sb.ctl(["status", "--json"])).code === 0);
    const log = `${sb.home}/logs/god.log`;
    renameSync(log, `${log}.1`);
    god.kill("SIGUSR1");
    await sb.until(
      "the note in a new god.log",
      () =>
        existsSync(log) &&
        godLines(readFileSync(log, "utf8")).some((l) => l.msg === "SIGUSR1: log files reopened"),
    );
    assert.ok(!readFileSync(`${log}.1`, "utf8").includes("SIGUSR1"), "and not to the moved one");
    assert.equal(god.exitCode, null, "god keeps running");
  });
});
