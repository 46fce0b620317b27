// Defect 5 of the reliability issue, first half: while state.json could not be written god still started new
// instances, so after a kill -9 of god the next god did not know them (an orphan, then a duplicate). god never
// starts what it cannot record (SPEC 9): the start fails with a sentence naming the path and the cause, and
// what runs keeps running. As root no permission stops a write, so the write is made to fail with EISDIR.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { shLoader, sq } from "../fixtures/proc-tools.js";
import { isAlive, Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 60_000;

describe("state.json that cannot be written", { timeout: TIMEOUT_MS }, () => {
  it("a start fails with a sentence naming the path and the cause; what runs keeps running", async (t) => {
    const sb = new Sandbox("god-state-unwritable-");
    t.after(() => sb.cleanup());
    const mark = join(sb.root, "b-started");
    sb.write(
      "app",
      shLoader([
        { name: "a", exec: ["sleep", "1000"], auto: true, stop: { signal: "SIGKILL", timeoutMs: 1000 } },
        {
          name: "b",
          exec: ["sh", "-c", `touch ${sq(mark)}; exec sleep 1000`],
          stop: { signal: "SIGKILL", timeoutMs: 1000 },
          backoff: { initialMs: 100, maxMs: 200 },
        },
      ]),
    );
    sb.startGod();
    const a = await sb.untilState("a", "running");
    sb.track(a.pid);
    const state = join(sb.home, "state.json");
    mkdirSync(`${state}.tmp`);

    const refused = await sb.ctl(["start", "b"]);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(
      refused.stderr,
      new RegExp(`cannot record its instances in ${state.replaceAll("/", "\\/")}`),
    );
    assert.match(refused.stderr, /EISDIR/);
    assert.ok(!existsSync(mark), "no process of b was started");
    const after = await sb.job("a");
    assert.equal(after?.pid, a.pid, "a keeps running, untouched");
    assert.ok(isAlive(a.pid!));
    assert.equal(sb.god?.exitCode, null);

    // Once state.json can be written again, a start works.
    rmdirSync(`${state}.tmp`);
    const started = await sb.ctl(["start", "b"]);
    assert.equal(started.code, 0, started.stderr);
    sb.track((await sb.untilState("b", "running")).pid);
    assert.ok(existsSync(mark));
  });
});
