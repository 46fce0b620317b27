// `god top --once` against a real god: the status params it sends are accepted, and each job and each instance
// of a job of several shows its CPU % and the memory of its process group, with the limit after a slash.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StatusJson } from "../../src/protocol/control.js";
import { controlRequest } from "../helpers/control.js";
import { runCli, Sandbox } from "../helpers/god.js";
import { helloLoader } from "../helpers/hello-loader.js";

describe("god top on a real god", { timeout: 60_000 }, () => {
  it("shows every job and instance with CPU and memory", async (t) => {
    const sb = new Sandbox("god-top-daemon-");
    t.after(() => sb.cleanup());
    helloLoader(sb, "app", [
      { name: "web", exec: ["sleep", "100000"], auto: true, instances: 2, maxMemory: "64M" },
      { name: "solo", exec: ["sleep", "100000"], auto: true },
    ]);
    sb.startGod();
    for (const name of ["web", "solo"]) await sb.untilState(name, "running");
    // The usage of every instance comes with the sampler's second reading (CPU % needs two).
    const status = await sb.until("usage of every instance", async () => {
      const answer = (await controlRequest(sb.home, "status", {
        jobs: [],
        instances: true,
        usage: true,
      })) as StatusJson;
      return answer.jobs.every((j) => j.instances.every((i) => i.usage !== null)) ? answer : undefined;
    });
    for (const job of status.jobs) for (const i of job.instances) sb.track(i.pid);
    const rejected = await controlRequest(sb.home, "status", { usage: "yes" }).catch((e: Error) => e.message);
    assert.equal(rejected, "status: params.usage: expected a boolean");

    const env: NodeJS.ProcessEnv = { ...process.env, COLUMNS: "150" };
    const run = await runCli(["top", "--once", "--home", sb.home], { env });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^god top {2}\S+ {2}2 jobs, 3 instances {2}cpu [\d.]+% {2}mem [\d.]+ MiB$/);
    assert.match(lines[1]!, /^JOB +STATE +PID +CPU% +MEM +RESTARTS +UPTIME +LAST LOG$/);
    const row = (label: string) => lines.find((l) => l.trimStart().startsWith(`${label} `)) ?? "";
    const size = String.raw`[\d.]+[BKMG]`;
    assert.match(row("solo"), new RegExp(String.raw`^solo +running +\d+ +[\d.]+ +${size} +0 `));
    assert.match(row("web"), new RegExp(String.raw`^web +running +- +[\d.]+ +${size} +0 `));
    for (const index of [0, 1]) {
      assert.match(
        row(`web.${index}`),
        new RegExp(String.raw`^ {2}web\.${index} +running +\d+ +[\d.]+ +${size}/64M +0 `),
      );
    }
  });
});
