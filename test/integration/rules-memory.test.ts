// maxMemory on a real god: a job whose memory grows in a grandchild (sh, which stays small, runs node, which
// allocates and touches 200 MiB) is replaced once its whole process group has been over the limit for 3 readings,
// with the figure in the reason; the replacement (which does not grow) and a job under its limit are never
// touched. `god status` shows the RSS and the limit.

import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Sandbox } from "../helpers/god.js";
import { godLines, helloLoader } from "../helpers/hello-loader.js";

const MiB = 1024 * 1024;
const OVER =
  /^job hog:0: RSS ([\d.]+) MiB of its process group is over its maxMemory 120 MiB for 3 s; replacing it/;

describe("maxMemory", { timeout: 90_000 }, () => {
  it("replaces the instance whose grandchild grows past the limit, and leaves the others alone", async (t) => {
    const sb = new Sandbox("god-rules-memory-");
    t.after(() => sb.cleanup());
    const hog = join(sb.root, "hog.cjs");
    // 25 x 8 MiB, every byte written (Buffer.alloc fills), then held.
    writeFileSync(
      hog,
      `const held = [];
const grow = setInterval(() => { held.push(Buffer.alloc(8 * 1024 * 1024, 1)); if (held.length >= 25) clearInterval(grow); }, 40);
setInterval(() => {}, 1 << 30);
`,
    );
    const grown = join(sb.root, "grown");
    // The first run grows; the replacement only sleeps. sh waits for node, so node is god's grandchild.
    const script = `if [ -e ${grown} ]; then exec sleep 100000; fi; touch ${grown}; ${JSON.stringify(process.execPath)} ${hog} & wait`;
    helloLoader(sb, "app", [
      { name: "hog", exec: ["sh", "-c", script], auto: true, maxMemory: "120M", stop: { timeoutMs: 1000 } },
      { name: "calm", exec: ["sleep", "100000"], auto: true, maxMemory: "120M" },
    ]);
    sb.startGod();
    const first = await sb.untilState("hog", "running");
    sb.track(first.pid);
    const calm = await sb.untilState("calm", "running");
    sb.track(calm.pid);

    const line = await sb.until(
      "the memory rule's line",
      () => godLines(sb).find((l) => OVER.test(l.msg)),
      60_000,
    );
    assert.ok(existsSync(grown));
    const figure = Number(OVER.exec(line.msg)![1]);
    assert.ok(figure > 120, `the reason names the group's RSS: ${line.msg}`);
    const replaced = await sb.until("hog's new process", async () => {
      const j = await sb.job("hog");
      return j && j.state === "running" && j.pid !== first.pid ? j : undefined;
    });
    sb.track(replaced.pid);
    assert.equal(replaced.restarts, 1);

    // `god status` shows the RSS and the limit (the new process is small).
    const status = await sb.ctl(["status"]);
    assert.equal(status.code, 0, status.stderr);
    const header = status.stdout.split("\n")[0]!;
    assert.match(header, /RESTARTS {2}MEM {2,}CHECK/);
    assert.match(status.stdout, /\ncalm +running +\d+ +\S+ +0 +[\d.]+[KM]\/120M /);
    const json = await sb.ctl(["status", "--json"]);
    const jobs = (JSON.parse(json.stdout) as { jobs: Array<{ name: string; maxMemory: number }> }).jobs;
    assert.equal(jobs.find((j) => j.name === "hog")?.maxMemory, 120 * MiB);

    // Every rule line so far is hog's first process, once; calm kept its process.
    const rules = godLines(sb).filter((l) => l.rule === "reload");
    assert.deepEqual(
      rules.map((l) => l.msg.replace(/RSS [\d.]+ MiB/, "RSS N MiB")),
      [
        "job hog:0: RSS N MiB of its process group is over its maxMemory 120 MiB for 3 s; replacing it (restart)",
      ],
    );
    const calmNow = await sb.job("calm");
    assert.equal(calmNow?.pid, calm.pid);
    assert.equal(calmNow?.restarts, 0);
  });
});
