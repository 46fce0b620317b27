// GET /api/usage on a real god: each instance's CPU % and RSS, one sample a second, 600 kept (10 minutes), null
// where it had no process; `since` gives only the samples after an earlier answer; the job's maxMemory comes
// along; an unknown job is 404 and a bad `since` 400, each with its sentence.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { UsageAnswerJson as Answer } from "../../src/http/usage.js";
import { Sandbox } from "../helpers/god.js";
import { helloLoader } from "../helpers/hello-loader.js";
import { json, request, startHttpGod } from "./http-rig.js";

describe("GET /api/usage", { timeout: 60_000 }, () => {
  const sb = new Sandbox("god-http-usage-");
  let base = "";
  before(async () => {
    helloLoader(sb, "app", [
      { name: "pair", exec: ["sleep", "100000"], auto: true, instances: 2, maxMemory: "64M" },
      { name: "one", exec: ["sleep", "100000"], auto: true },
      { name: "never", exec: ["sleep", "100000"] },
    ]);
    base = await startHttpGod(sb);
    for (const name of ["pair", "one"]) {
      for (const instance of (await sb.untilState(name, "running")).instances) sb.track(instance.pid);
    }
  });
  after(() => sb.cleanup());

  it("has each instance's samples, oldest first, and only the new ones after `since`", async () => {
    const full = await sb.until("two samples of every instance", async () => {
      const answer = json<Answer>(await request(`${base}/api/usage`));
      const pair = answer.jobs.find((j) => j.name === "pair");
      return pair?.instances.length === 2 &&
        pair.instances.every((i) => i.cpuPercent.filter((v) => v !== null).length >= 1)
        ? answer
        : undefined;
    });
    assert.equal(full.intervalMs, 1000);
    assert.equal(full.samples, 600);
    assert.ok(typeof full.endMs === "number" && Math.abs(full.endMs - Date.now()) < 60_000);
    assert.deepEqual(
      full.jobs.map((j) => [j.name, j.maxMemory, j.instances.map((i) => i.index)]),
      [
        ["one", null, [0]],
        ["pair", 64 * 1024 * 1024, [0, 1]],
      ],
      "a job that never ran has no history",
    );
    for (const job of full.jobs) {
      for (const i of job.instances) {
        assert.equal(i.cpuPercent.length, 600);
        assert.equal(i.rssBytes.length, 600);
        assert.equal(i.rssBytes[0], null, "nothing ten minutes ago");
        assert.ok((i.rssBytes.at(-1) ?? 0) > 100_000, `${job.name}.${i.index}: RSS ${i.rssBytes.at(-1)}`);
      }
    }
    const later = await sb.until("a newer sample", async () => {
      const answer = json<Answer>(await request(`${base}/api/usage?job=pair&since=${full.endMs}`));
      return answer.endMs !== null && answer.endMs > full.endMs! ? answer : undefined;
    });
    assert.deepEqual(
      later.jobs.map((j) => j.name),
      ["pair"],
    );
    const count = Math.round((later.endMs! - full.endMs!) / 1000);
    for (const i of later.jobs[0]!.instances) {
      assert.equal(i.rssBytes.length, count, "only the samples after `since`");
      assert.ok((i.rssBytes.at(-1) ?? 0) > 0);
    }
  });

  it("refuses an unknown job and a bad since", async () => {
    const unknown = await request(`${base}/api/usage?job=nope`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /unknown job \\"nope\\"/);
    const bad = await request(`${base}/api/usage?since=yesterday`);
    assert.equal(bad.status, 400);
    assert.match(bad.body, /\?since= takes the endMs of an earlier answer/);
  });
});
