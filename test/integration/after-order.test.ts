// `after` under a real god: a chain of three jobs starts in order of readiness and stops in reverse at
// `god shutdown`; a cycle is refused at hello with its path while the loader's other jobs run.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Sandbox } from "../helpers/god.js";

function lines(path: string): string[] {
  return existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];
}

type LoaderJson = { path: string; state: string; jobs: string[]; error: string | null };

describe("after", () => {
  it("starts a chain of three in order and stops it in reverse at shutdown", async () => {
    const sb = new Sandbox("god-after-chain-");
    try {
      const order = `${sb.root}/order`;
      // Each job records its start and, on SIGTERM, its stop; its check passes once its start is recorded,
      // so the next job can only start after this one has really run.
      const declare = (name: string, after: string[]) => `job(${JSON.stringify(name)}, {
  exec: ["sh", "-c", ${JSON.stringify(`trap 'echo stop ${name} >> ${order}; exit 0' TERM; echo start ${name} >> ${order}; sleep 1000 & wait`)}],
  auto: true,
  after: ${JSON.stringify(after)},
  check: { every: "50ms", run: () => lines().includes("start ${name}") },
});`;
      sb.libLoader(
        "chain",
        `import { existsSync, readFileSync } from "node:fs";
const lines = () => existsSync(${JSON.stringify(order)}) ? readFileSync(${JSON.stringify(order)}, "utf8").split("\\n") : [];
${declare("c", ["b"])}
${declare("b", ["a"])}
${declare("a", [])}`,
      );
      sb.startGod();
      const c = await sb.untilState("c", "running");
      sb.track(c.pid);
      for (const j of await sb.status()) sb.track(j.pid);
      assert.deepEqual(lines(order), ["start a", "start b", "start c"]);
      assert.match(
        sb.godOutput,
        /"job":"b","state":"waiting".*"reason":"waiting for a \((waiting|starting)\)"/,
      );

      const r = await sb.ctl(["shutdown"]);
      assert.equal(r.code, 0, r.stderr);
      await sb.until("god to exit", () => sb.god?.exitCode !== null);
      assert.deepEqual(lines(order), ["start a", "start b", "start c", "stop c", "stop b", "stop a"]);
    } finally {
      await sb.cleanup();
    }
  });

  it("refuses a cycle at hello with its path and runs the loader's other jobs", async () => {
    const sb = new Sandbox("god-after-cycle-");
    try {
      const hello = {
        jsonrpc: "2.0",
        method: "hello",
        params: {
          protocol: "godv1",
          loader: { name: "cyclic" },
          jobs: [
            { name: "x", exec: ["sleep", "1000"], auto: true, after: ["y"] },
            { name: "y", exec: ["sleep", "1000"], auto: true, after: ["x"] },
            { name: "z", exec: ["sleep", "1000"], auto: true },
          ],
        },
      };
      sb.write("cyclic", `#!/bin/sh\necho '${JSON.stringify(hello)}'\nexec cat >/dev/null\n`);
      sb.startGod();
      const z = await sb.untilState("z", "running");
      sb.track(z.pid);
      const r = await sb.ctl(["loaders", "--json"]);
      const [loader] = (JSON.parse(r.stdout) as { loaders: LoaderJson[] }).loaders;
      assert.deepEqual(loader?.jobs, ["z"]);
      assert.match(loader?.error ?? "", /job "x" is in a dependency cycle: x -> y -> x; break it in "after"/);
      assert.match(loader?.error ?? "", /job "y" is in a dependency cycle: x -> y -> x/);
      assert.deepEqual(
        (await sb.status()).map((j) => j.name),
        ["z"],
      );
      const table = await sb.ctl(["loaders"]);
      assert.match(table.stdout, /x -> y -> x/);
    } finally {
      await sb.cleanup();
    }
  });
});
