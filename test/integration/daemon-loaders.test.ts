// Loader handshakes against a real god: a good loader, a slow one, garbage, silence, one that exits at once,
// an invalid spec, a job name taken by another loader, a loader without the library, and a file change that
// reloads that loader alone. god keeps running everything else in every case.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Sandbox } from "../helpers/god.js";

type LoaderJson = {
  path: string;
  pid: number | null;
  state: string;
  dialect: string | null;
  jobs: string[];
  error: string | null;
};

async function loaders(sb: Sandbox): Promise<LoaderJson[]> {
  const r = await sb.ctl(["loaders", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { loaders: LoaderJson[] }).loaders;
}

function loaderNamed(list: LoaderJson[], name: string): LoaderJson | undefined {
  return list.find((l) => l.path.endsWith(`/${name}`));
}

const hello = (jobs: unknown[]) =>
  JSON.stringify({
    jsonrpc: "2.0",
    method: "hello",
    params: { protocol: "godv1", loader: { name: "t" }, jobs },
  });

describe("loader handshakes", () => {
  const sb = new Sandbox();
  before(async () => {
    sb.write(
      "good",
      `#!/bin/sh\necho '${hello([{ name: "good-job", exec: ["sleep", "1000"], auto: true }])}'\nexec cat >/dev/null\n`,
    );
    sb.write(
      "slow",
      `#!/bin/sh\nsleep 2\necho '${hello([{ name: "slow-job", exec: ["sleep", "1000"], auto: true }])}'\nexec cat >/dev/null\n`,
    );
    sb.write("garbage", "#!/bin/sh\necho 'this is not json'\nexec cat >/dev/null\n");
    sb.write("silent", "#!/bin/sh\nexec sleep 1000\n");
    sb.write("quitter", "#!/bin/sh\nexit 3\n");
    sb.write(
      "invalid",
      `#!/bin/sh\necho '${hello([
        { name: "fine", exec: ["sleep", "1000"], auto: true },
        { name: "broken", exec: "sleep 1" },
      ])}'\nexec cat >/dev/null\n`,
    );
    sb.write(
      "dup",
      `#!/bin/sh\nsleep 1\necho '${hello([
        { name: "good-job", exec: ["sleep", "1"] },
        { name: "dup-other", exec: ["sleep", "1000"], auto: true },
      ])}'\nexec cat >/dev/null\n`,
    );
    sb.write("README", "not a loader", { mode: 0o644 });
    sb.startGod();
    await sb.until("god's socket", async () => (await sb.ctl(["loaders", "--json"])).code === 0);
  });
  after(() => sb.cleanup());

  it("starts the jobs of a plain-script loader (no library) and releases it to idle", async () => {
    const job = await sb.untilState("good-job", "running");
    sb.track(job.pid);
    const l = await sb.until("good loader idle", async () => {
      const x = loaderNamed(await loaders(sb), "good");
      return x?.state === "idle" ? x : undefined;
    });
    assert.equal(l.pid, null);
    assert.equal(l.dialect, "native");
    assert.deepEqual(l.jobs, ["good-job"]);
    assert.equal(l.error, null);
  });

  it("accepts a loader that answers slowly but within 5 s", async () => {
    const job = await sb.untilState("slow-job", "running");
    sb.track(job.pid);
  });

  it("reports garbage with the line and keeps retrying with backoff", async () => {
    const l = await sb.until(
      "garbage error",
      async () => loaderNamed(await loaders(sb), "garbage")?.error ?? undefined,
    );
    assert.match(
      l,
      /its first line must be a JSON-RPC hello object \(native\) or \["godv1", JOB\.\.\.\] \(legacy\), got: this is not json/,
    );
    assert.match(l, /this is not json/);
  });

  it("reports a silent loader after 5 s", async () => {
    const l = await sb.until(
      "silent error",
      async () => loaderNamed(await loaders(sb), "silent")?.error ?? undefined,
    );
    assert.match(l, /sent no hello within 5 s/);
  });

  it("reports a loader that exits at once", async () => {
    const l = await sb.until(
      "quitter error",
      async () => loaderNamed(await loaders(sb), "quitter")?.error ?? undefined,
    );
    assert.match(l, /exited \(code 3\) before sending its hello/);
    const state = loaderNamed(await loaders(sb), "quitter")?.state;
    assert.ok(state === "failed" || state === "down", `state ${state}`);
  });

  it("rejects an invalid JobSpec by its path and runs the loader's other jobs", async () => {
    const job = await sb.untilState("fine", "running");
    sb.track(job.pid);
    const l = loaderNamed(await loaders(sb), "invalid");
    assert.match(l?.error ?? "", /jobs\[1\]\.exec: expected an array of strings/);
    assert.deepEqual(l?.jobs, ["fine"]);
  });

  it("refuses a job name already declared by another loader, and runs that loader's other jobs", async () => {
    const other = await sb.untilState("dup-other", "running");
    sb.track(other.pid);
    const l = loaderNamed(await loaders(sb), "dup");
    assert.match(l?.error ?? "", /job "good-job" is already declared by loader .*\/good/);
    const owner = (await sb.job("good-job"))?.loader ?? "";
    assert.ok(owner.endsWith("/good"), owner);
  });

  it("skips files that are not executable", async () => {
    assert.equal(loaderNamed(await loaders(sb), "README"), undefined);
    assert.match(sb.godOutput, /skipping .*README: it is not executable/);
  });

  it("kept every job running through all of that", async () => {
    for (const name of ["good-job", "slow-job", "fine", "dup-other"]) {
      assert.equal((await sb.job(name))?.state, "running", name);
    }
  });
});

describe("reloading on file change", () => {
  const sb = new Sandbox();
  after(() => sb.cleanup());

  it("reloads only the loader whose file changed, and applies a changed spec", async () => {
    sb.write(
      "a",
      `#!/bin/sh\necho '${hello([{ name: "a1", exec: ["sleep", "1000"], auto: true }])}'\nexec cat >/dev/null\n`,
    );
    sb.write(
      "b",
      `#!/bin/sh\necho '${hello([{ name: "b1", exec: ["sleep", "1000"], auto: true }])}'\nexec cat >/dev/null\n`,
    );
    sb.startGod();
    const a1 = await sb.untilState("a1", "running");
    const b1 = await sb.untilState("b1", "running");
    sb.track(a1.pid);
    sb.track(b1.pid);
    const reloadsOfB = () => (sb.godOutput.match(/loader \S+\/b declared/g) ?? []).length;
    const bBefore = reloadsOfB();
    // A new spec for a1 (exec changed) and a new job a2: a1 restarts, a2 starts, b is not touched.
    sb.write(
      "a",
      `#!/bin/sh\necho '${hello([
        { name: "a1", exec: ["sleep", "999"], auto: true },
        { name: "a2", exec: ["sleep", "1000"], auto: true },
      ])}'\nexec cat >/dev/null\n`,
    );
    const a2 = await sb.untilState("a2", "running");
    sb.track(a2.pid);
    const a1b = await sb.until("a1 restarted", async () => {
      const j = await sb.job("a1");
      return j?.state === "running" && j.pid !== a1.pid ? j : undefined;
    });
    sb.track(a1b.pid);
    assert.equal((await sb.job("b1"))?.pid, b1.pid);
    assert.equal(reloadsOfB(), bBefore);
    // Removing the loader file stops and removes its jobs.
    const { rmSync } = await import("node:fs");
    rmSync(`${sb.dir}/a`);
    await sb.until("a1 removed", async () => ((await sb.job("a1")) === undefined ? true : undefined));
    assert.equal((await sb.job("b1"))?.state, "running");
  });
});
