// A loader that acts (SPEC 3.1): a library loader whose job subscribes to events and restarts its job when it
// is told the job became degraded; the same loader may not touch another loader's job (error 1003).

import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { LIB, Sandbox } from "../helpers/god.js";

function lines(path: string): string[] {
  return existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];
}

describe("loaders that act", () => {
  it("restarts its own job on an event and is refused another loader's job", async () => {
    const sb = new Sandbox("god-actions-");
    try {
      const events = `${sb.root}/events`;
      const refused = `${sb.root}/refused`;
      const sick = `${sb.root}/sick`;
      sb.write(
        "other",
        `#!/bin/sh\necho '${JSON.stringify({
          jsonrpc: "2.0",
          method: "hello",
          params: {
            protocol: "godv1",
            loader: { name: "other" },
            jobs: [{ name: "theirs", exec: ["sleep", "1000"], auto: true }],
          },
        })}'\nexec cat >/dev/null\n`,
      );
      sb.libLoader(
        "actor",
        `import { restart } from ${JSON.stringify(LIB)};
import { appendFileSync, existsSync, rmSync, writeFileSync } from "node:fs";
job("worker", {
  exec: ["sleep", "1000"],
  auto: true,
  check: { every: "100ms", run: () => existsSync(${JSON.stringify(sick)}) ? { status: "degraded", message: "sick" } : "ok" },
  events: ["running", "degraded", "stopping"],
  onEvent: async (event) => {
    appendFileSync(${JSON.stringify(events)}, event.state + " " + event.instance + "\\n");
    if (event.state === "running" && event.instance === 1) {
      await restart("theirs").catch((e) => writeFileSync(${JSON.stringify(refused)}, e.code + " " + e.message));
    }
    if (event.state === "degraded") {
      rmSync(${JSON.stringify(sick)}, { force: true });
      await restart("worker", "it said it was degraded");
    }
  },
});`,
      );
      sb.startGod();
      const first = await sb.until("worker's first instance running", async () => {
        const j = await sb.job("worker");
        return j?.state === "running" && j.instance === 1 ? j : undefined;
      });
      sb.track(first.pid);
      sb.track((await sb.job("theirs"))?.pid);
      const answer = await sb.until("the refusal", () =>
        existsSync(refused) ? readFileSync(refused, "utf8") || undefined : undefined,
      );
      assert.match(answer, /^1003 loader .*\/actor may control only its own jobs, not "theirs"$/);

      writeFileSync(sick, "");
      const second = await sb.until("worker restarted by its loader", async () => {
        const j = await sb.job("worker");
        return j?.state === "running" && j.instance === 2 ? j : undefined;
      });
      sb.track(second.pid);
      assert.notEqual(second.pid, first.pid);
      assert.equal(second.restarts, 1);
      await sb.until("the running event of instance 2", () => lines(events).includes("running 2"));
      assert.deepEqual(lines(events), ["running 1", "degraded 1", "stopping 1", "running 2"]);
      assert.match(sb.godOutput, /loader asked to restart job worker: it said it was degraded/);
      const theirs = await sb.job("theirs");
      assert.equal(theirs?.restarts, 0, "the other loader's job was not touched");
    } finally {
      await sb.cleanup();
    }
  });
});
