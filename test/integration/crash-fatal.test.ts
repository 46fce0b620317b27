// god's own unexpected error (an uncaught exception, an unhandled rejection), raised through the test-only
// GOD_TEST_FAULT hook: god logs it with its stack and exits 70, leaving every job running (a bug in god is not an
// outage, SPEC 9): its loaders go, and the next god adopts the jobs without restarting one.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  alive,
  exitWithin,
  godLines,
  groupMembers,
  hello,
  readLines,
  sq,
  stubbornJob,
} from "../fixtures/proc-tools.js";
import { Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 90_000;

for (const fault of ["uncaught", "rejection"] as const) {
  describe(`god's own ${fault === "uncaught" ? "uncaught exception" : "unhandled rejection"}`, {
    timeout: TIMEOUT_MS,
  }, () => {
    it("is logged with its stack, god exits 70 leaving every job running, and the next god adopts them", async (t) => {
      const sb = new Sandbox(`god-fatal-${fault}-`);
      t.after(() => sb.cleanup());
      const gcFile = `${sb.root}/gc.pid`;
      const envFile = `${sb.root}/env.txt`;
      const jobs = [
        { name: "stubborn", exec: stubbornJob(gcFile), auto: true, stop: { timeoutMs: 60_000 } },
        {
          name: "env",
          exec: ["sh", "-c", `echo "\${GOD_TEST_FAULT-unset}" > ${sq(envFile)}; exec sleep 1000`],
          auto: true,
          events: ["running"],
        },
      ];
      sb.write(
        "jobs",
        `#!/bin/sh\ntrap '' TERM\ncat <<'EOF'\n${hello(jobs)}\nEOF\nwhile :; do sleep 0.1; done\n`,
      );
      process.env["GOD_TEST_FAULT"] = fault;
      let god: ReturnType<Sandbox["startGod"]>;
      try {
        god = sb.startGod();
      } finally {
        delete process.env["GOD_TEST_FAULT"];
      }
      const pids: number[] = [];
      for (const name of ["stubborn", "env"]) {
        const j = await sb.untilState(name, "running");
        sb.track(j.pid);
        pids.push(j.pid!);
      }
      const loaders = JSON.parse((await sb.ctl(["loaders", "--json"])).stdout) as {
        loaders: Array<{ pid: number | null }>;
      };
      const loader = loaders.loaders[0]?.pid;
      assert.ok(loader, "the loader is resident");
      sb.track(loader);
      const gc = Number(await sb.until("the grandchild", () => readLines(gcFile)[0]));
      sb.track(gc);
      assert.equal(await sb.until("the job's environment", () => readLines(envFile)[0]), "unset");

      god.kill("SIGUSR2");
      assert.equal(await exitWithin(god, 10_000, "god after its own error"), 70, sb.godOutput.slice(-3000));
      await sb.until("the loader gone", () => groupMembers(loader).length === 0, 10_000);
      for (const pid of [...pids, gc]) assert.ok(alive(pid), `${pid} keeps running`);

      sb.startGod();
      for (const [i, name] of ["stubborn", "env"].entries()) {
        const adopted = await sb.untilState(name, "running");
        assert.equal(adopted.pid, pids[i], `${name} adopted, not restarted`);
        assert.equal(adopted.instances[0]?.adopted, true);
      }
      // The new god's loader ignores SIGTERM too, and the new god may be killed before it ends it (its stubborn
      // job holds a shutdown for 60 s): the cleanup ends its group.
      const next = await sb.until("the new god's loader", async () => {
        const again = JSON.parse((await sb.ctl(["loaders", "--json"])).stdout) as typeof loaders;
        return again.loaders[0]?.pid ?? undefined;
      });
      sb.track(next);
      const kind = fault === "uncaught" ? "uncaught exception" : "unhandled rejection";
      const logged = godLines(readFileSync(`${sb.home}/logs/god.log`, "utf8")).find((l) => l.level === 60);
      assert.ok(logged, "a fatal line in god.log");
      assert.equal(
        logged.msg,
        `god's own ${kind}: GOD_TEST_FAULT=${fault}: a deliberate fault for tests; god exits and leaves every job running for the next god`,
      );
      const stack = (logged["err"] as { stack?: string } | undefined)?.stack ?? "";
      assert.match(stack, /^Error: GOD_TEST_FAULT=\w+: a deliberate fault for tests\n\s+at /);
      assert.match(stack, /daemon\/run\.js/);
    });
  });
}
