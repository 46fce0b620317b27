// Shutdown by signal on a real god: SIGTERM stops jobs dependants-first (as the jobs themselves record it),
// then the loaders, and god exits 0; a second SIGINT kills every group (jobs and loaders) at once and god
// exits 1; a resident library loader hears its end only after its job has stopped.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  alive,
  exitWithin,
  godLines,
  groupMembers,
  hello,
  readLines,
  recorderJob,
  sq,
  stubbornJob,
} from "../fixtures/proc-tools.js";
import { Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 90_000;

async function loaderPid(sb: Sandbox, name: string): Promise<number> {
  return sb.until(`loader ${name} up`, async () => {
    const r = await sb.ctl(["loaders", "--json"]);
    if (r.code !== 0) return undefined;
    const { loaders } = JSON.parse(r.stdout) as {
      loaders: Array<{ path: string; state: string; pid: number | null }>;
    };
    const l = loaders.find((x) => x.path.endsWith(`/${name}`));
    return l?.state === "up" && l.pid !== null ? l.pid : undefined;
  });
}

describe("SIGTERM to god", { timeout: TIMEOUT_MS }, () => {
  it("stops c, then b, then a (c after b after a), then the loader, and exits 0", async (t) => {
    const sb = new Sandbox("god-sig-term-");
    t.after(() => sb.cleanup());
    const record = `${sb.root}/order.txt`;
    const jobs = [
      // Declared out of order on purpose: the order comes from `after`, not from the hello.
      { name: "b", exec: recorderJob("b", record), auto: true, after: ["a"] },
      { name: "c", exec: recorderJob("c", record), auto: true, after: ["b"] },
      { name: "a", exec: recorderJob("a", record), auto: true, events: ["stopped"] },
    ];
    // Resident (a job subscribes to events); it records how it was told to go.
    const f = sq(record);
    sb.write(
      "chain",
      `#!/bin/sh\ntrap 'echo loader-term >> ${f}; exit 0' TERM\ncat <<'EOF'\n${hello(jobs)}\nEOF\ncat >/dev/null\necho loader-eof >> ${f}\n`,
    );
    const god = sb.startGod();
    const c = await sb.untilState("c", "running");
    const pids = (await sb.status()).map((j) => j.pid).filter((p): p is number => p !== null);
    assert.equal(pids.length, 3);
    for (const pid of pids) sb.track(pid);
    const loader = await loaderPid(sb, "chain");
    sb.track(loader);
    await sb.until("every job recorded its start", () => readLines(record).length === 3);
    assert.ok(c.pid !== null);

    god.kill("SIGTERM");
    const code = await exitWithin(god, 30_000, "god after SIGTERM");
    assert.equal(code, 0, sb.godOutput.slice(-3000));

    const lines = readLines(record);
    const stops = lines.filter((l) => l.startsWith("stop ")).map((l) => l.split(" ")[1]);
    assert.deepEqual(stops, ["c", "b", "a"], lines.join("\n"));
    const last = lines.at(-1) ?? "";
    assert.match(last, /^loader-(eof|term)$/, `the loader is stopped after every job:\n${lines.join("\n")}`);
    for (const pid of [...pids, loader]) assert.deepEqual(groupMembers(pid), [], `group ${pid} left behind`);
    const msgs = godLines(sb.godOutput).map((l) => l.msg);
    assert.ok(msgs.includes("shutting down (SIGTERM): stopping every job"), msgs.join("\n"));
    assert.ok(msgs.includes("every job is stopped; god exits"));
  });
});

describe("a second SIGINT", { timeout: TIMEOUT_MS }, () => {
  it("kills every job and loader group at once and god exits 1", async (t) => {
    const sb = new Sandbox("god-sig-int-");
    t.after(() => sb.cleanup());
    const grandchildren = [`${sb.root}/gc1.pid`, `${sb.root}/gc2.pid`];
    const jobs = [
      { name: "slow1", exec: stubbornJob(grandchildren[0]!), auto: true, stop: { timeoutMs: 60_000 } },
      {
        name: "slow2",
        exec: stubbornJob(grandchildren[1]!),
        auto: true,
        after: ["slow1"],
        stop: { timeoutMs: 60_000 },
        events: ["stopping"],
      },
    ];
    // A resident loader that ignores both SIGTERM and the end of its stdin: only SIGKILL ends it.
    sb.write(
      "deaf",
      `#!/bin/sh\ntrap '' TERM\ncat <<'EOF'\n${hello(jobs)}\nEOF\nwhile :; do sleep 0.1; done\n`,
    );
    const god = sb.startGod();
    await sb.untilState("slow2", "running");
    const pids = (await sb.status()).map((j) => j.pid).filter((p): p is number => p !== null);
    for (const pid of pids) sb.track(pid);
    const loader = await loaderPid(sb, "deaf");
    sb.track(loader);
    const gcs = await sb.until("both grandchildren", () => {
      const found = grandchildren.map((f) => Number(readLines(f)[0] ?? 0));
      return found.every((p) => p > 0) ? found : undefined;
    });

    god.kill("SIGINT");
    await sb.until("god to begin a graceful stop", () =>
      godLines(sb.godOutput).some((l) => l.msg === "shutting down (SIGINT): stopping every job"),
    );
    await sb.until("slow2 stopping", async () => (await sb.job("slow2"))?.state === "stopping");
    for (const pid of [...pids, ...gcs, loader])
      assert.ok(alive(pid), `${pid} ignores SIGTERM and is still up`);

    const sent = Date.now();
    god.kill("SIGINT");
    const code = await exitWithin(god, 10_000, "god after the second SIGINT");
    assert.equal(code, 1, sb.godOutput.slice(-3000));
    assert.ok(Date.now() - sent < 10_000);
    await sb.until(
      "every group gone",
      () => [...pids, loader].every((p) => groupMembers(p).length === 0) && !gcs.some(alive),
      10_000,
    );
    assert.ok(
      godLines(sb.godOutput).some((l) => l.msg === "second SIGINT: killing every process group now"),
      sb.godOutput.slice(-2000),
    );
  });
});

describe("loaders at shutdown", { timeout: TIMEOUT_MS }, () => {
  it("closes a resident loader's stdin only after its job has stopped", async (t) => {
    const sb = new Sandbox("god-sig-loader-");
    t.after(() => sb.cleanup());
    const record = `${sb.root}/order.txt`;
    sb.libLoader(
      "resident",
      `import { appendFileSync } from "node:fs";
const record = ${JSON.stringify(record)};
process.stdin.on("end", () => appendFileSync(record, "loader-eof\\n"));
process.on("SIGTERM", () => { appendFileSync(record, "loader-term\\n"); process.exit(0); });
job("svc", { exec: ${JSON.stringify(recorderJob("svc", record))}, auto: true, check: { every: "200ms", run: () => "ok" } });`,
    );
    const god = sb.startGod();
    const j = await sb.untilState("svc", "running");
    sb.track(j.pid);
    const loader = await loaderPid(sb, "resident");
    sb.track(loader);

    god.kill("SIGTERM");
    assert.equal(await exitWithin(god, 30_000, "god after SIGTERM"), 0, sb.godOutput.slice(-3000));
    const lines = readLines(record);
    const stop = lines.indexOf(`stop svc ${j.pid}`);
    const end = lines.findIndex((l) => l.startsWith("loader-"));
    assert.ok(stop >= 0, `the job recorded its stop:\n${lines.join("\n")}`);
    assert.ok(end > stop, `the loader heard its end after the job's stop:\n${lines.join("\n")}`);
    assert.deepEqual(groupMembers(loader), []);
  });
});

describe("shutdown while a start is being prepared", { timeout: TIMEOUT_MS }, () => {
  it("stops the starting dependant before what it depends on, and leaves nothing behind", async (t) => {
    const sb = new Sandbox("god-sig-prepare-");
    t.after(() => sb.cleanup());
    const record = `${sb.root}/order.txt`;
    const asked = `${sb.root}/top-exec`;
    // A legacy loader is asked exec before every start; it answers top's second question (its first start)
    // only after a second, well within the dialect's 2 s bound. SIGTERM arrives during that second.
    sb.write(
      "legacy",
      `#!/bin/sh
echo '["godv1","base","top"]'
n=0
while IFS= read -r line; do
  case "$line" in
    '["base","auto"]') echo '["true"]' ;;
    '["top","auto"]') echo '["base"]' ;;
    '["base","exec"]') cat <<'X'
${JSON.stringify(recorderJob("base", record))}
X
    ;;
    '["top","exec"]')
      n=$((n+1))
      if [ $n -gt 1 ]; then echo asked >> ${sq(asked)}; sleep 1; fi
      cat <<'X'
${JSON.stringify(recorderJob("top", record))}
X
    ;;
    *) echo '[]' ;;
  esac
done
`,
    );
    const god = sb.startGod();
    const base = await sb.untilState("base", "running");
    sb.track(base.pid);
    await sb.until("top's start to be prepared", () => readLines(asked).length > 0);
    god.kill("SIGTERM");
    assert.equal(await exitWithin(god, 30_000, "god after SIGTERM"), 0, sb.godOutput.slice(-3000));

    const msgs = godLines(sb.godOutput).map((l) => l.msg);
    const topStopped = msgs.lastIndexOf("job top stopping -> stopped");
    const baseStopping = msgs.indexOf("job base running -> stopping");
    assert.ok(baseStopping >= 0, msgs.join("\n"));
    assert.ok(
      topStopped >= 0 && topStopped < baseStopping,
      `top must be stopped before base is signalled:\n${msgs.join("\n")}`,
    );
    const pids = readLines(record).map((l) => Number(l.split(" ")[2]));
    for (const pid of pids) assert.deepEqual(groupMembers(pid), [], `group ${pid} left behind`);
  });
});
