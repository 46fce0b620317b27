// What check results do to a job under a real god: `failures` consecutive fails after ready restart it exactly
// once; degraded is a state of its own, with its reason in status, and recovers without a restart; `god check`
// exits 0 on ok and 1 otherwise; maxRestarts leads to `failed`, which only a start leaves.

import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Sandbox } from "../helpers/god.js";

function lines(path: string): string[] {
  return existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];
}

/** Runs `body` against a fresh god with the given library loader; always cleans up. */
async function withGod(
  name: string,
  loaderBody: (root: string) => string,
  body: (sb: Sandbox) => Promise<void>,
) {
  const sb = new Sandbox(`god-${name}-`);
  try {
    sb.libLoader(name, loaderBody(sb.root));
    sb.startGod();
    await body(sb);
  } finally {
    await sb.cleanup();
  }
}

describe("check results", () => {
  it("restarts after exactly N failed checks once the job has been ready", async () => {
    await withGod(
      "flaky",
      (root) => `import { appendFileSync, existsSync } from "node:fs";
job("flaky", {
  exec: ["sleep", "1000"],
  auto: true,
  check: {
    every: "100ms",
    failures: 3,
    run: ({ instance }) => {
      // The first instance fails once the test drops the trigger file; later instances stay healthy.
      const fail = instance === 1 && existsSync(${JSON.stringify(`${root}/trigger`)});
      appendFileSync(${JSON.stringify(`${root}/checks`)}, (fail ? "fail " : "ok ") + instance + "\\n");
      return fail ? { status: "fail", message: "boom" } : "ok";
    },
  },
});`,
      async (sb) => {
        const log = `${sb.root}/checks`;
        const first = await sb.untilState("flaky", "running");
        sb.track(first.pid);
        assert.equal(first.instance, 1);
        writeFileSync(`${sb.root}/trigger`, "");
        const second = await sb.until("the second instance", async () => {
          const j = await sb.job("flaky");
          return j?.state === "running" && j.instance === 2 ? j : undefined;
        });
        sb.track(second.pid);
        // Let the new instance be checked a few times: the restart must not repeat.
        await sb.until(
          "three checks of instance 2",
          () => lines(log).filter((l) => l === "ok 2").length >= 3,
        );
        const after = await sb.job("flaky");
        assert.equal(after?.restarts, 1);
        assert.equal(after?.instance, 2);
        const answers = lines(log);
        const lastOk = answers.lastIndexOf("ok 1");
        const firstOfNext = answers.indexOf("ok 2");
        assert.deepEqual(answers.slice(lastOk + 1, firstOfNext), ["fail 1", "fail 1", "fail 1"]);
        assert.match(sb.godOutput, /check failed 3 times in a row: boom/);
      },
    );
  });

  it("shows degraded with its reason, then recovers to running without a restart", async () => {
    await withGod(
      "lagging",
      (root) => `import { existsSync, readFileSync } from "node:fs";
const flag = ${JSON.stringify(`${root}/lag`)};
job("replica", {
  exec: ["sleep", "1000"],
  auto: true,
  check: {
    every: "100ms",
    run: () => existsSync(flag) ? { status: "degraded", message: readFileSync(flag, "utf8") } : "ok",
  },
});
job("broken", {
  exec: ["sleep", "1000"],
  auto: true,
  check: { every: "100ms", grace: "60s", run: () => ({ status: "fail", message: "db unreachable" }) },
});`,
      async (sb) => {
        const running = await sb.untilState("replica", "running");
        sb.track(running.pid);
        sb.track((await sb.job("broken"))?.pid);
        const ok = await sb.ctl(["check", "replica"]);
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal(ok.stdout, "replica: ok\n");

        writeFileSync(`${sb.root}/lag`, "replica lag 12 s");
        const degraded = await sb.untilState("replica", "degraded");
        assert.equal(degraded.check?.status, "degraded");
        assert.equal(degraded.check?.message, "replica lag 12 s");
        assert.equal(degraded.pid, running.pid);
        const table = await sb.ctl(["status", "replica"]);
        assert.match(table.stdout, /replica\s+degraded\s+\d+/);
        const check = await sb.ctl(["check", "replica"]);
        assert.equal(check.code, 1, "degraded is not ok");
        assert.equal(check.stdout, "replica: degraded: replica lag 12 s\n");

        rmSync(`${sb.root}/lag`);
        const back = await sb.untilState("replica", "running");
        assert.equal(back.pid, running.pid);
        assert.equal(back.restarts, 0);

        const fail = await sb.ctl(["check", "broken"]);
        assert.equal(fail.code, 1);
        assert.equal(fail.stdout, "broken: fail: db unreachable\n");
        const broken = await sb.job("broken");
        assert.equal(broken?.state, "starting", "fails within grace keep it starting");
      },
    );
  });

  it("reaches failed after maxRestarts, and `god start` leaves it", async () => {
    await withGod(
      "crashy",
      (root) => `job("crashy", {
  exec: ["sh", "-c", ${JSON.stringify(`if [ -e ${root}/crash ]; then exit 3; fi; exec sleep 1000`)}],
  auto: true,
  backoff: { initial: "20ms" },
  maxRestarts: { count: 2, window: "1m" },
});`,
      async (sb) => {
        writeFileSync(`${sb.root}/crash`, "");
        const failed = await sb.untilState("crashy", "failed");
        assert.equal(failed.restarts, 2);
        assert.equal(failed.lastExit?.code, 3);
        assert.match(failed.reason ?? "", /exited with code 3; more than 2 restarts within 60000 ms/);
        const still = await sb.job("crashy");
        assert.equal(still?.state, "failed", "failed stays failed");

        rmSync(`${sb.root}/crash`);
        const start = await sb.ctl(["start", "crashy"]);
        assert.equal(start.code, 0, start.stderr);
        const running = await sb.untilState("crashy", "running");
        sb.track(running.pid);
        assert.equal(running.want, "up");
      },
    );
  });
});
