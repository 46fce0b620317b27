// A loader reload never touches a running job (SPEC 2), in the seed's own case: a program that is its own loader.
// Every way a loader is restarted or reloaded is tried (its kill -9, SIGHUP, `god reload-loaders`, a protocol
// error, a legacy question that timed out) against self-loaders in JavaScript, Python and sh; only a real deploy
// (the program's file replaced, or touched) replaces the job, and the log says which it was.

import assert from "node:assert/strict";
import { renameSync, utimesSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { godLines } from "../fixtures/proc-tools.js";
import { LIB, Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 120_000;

/** The example's shape: run as `self godv1` it declares itself and answers checks, else it is the job. */
function jsSelfLoader(): string {
  return `#!/usr/bin/env node
import { fileURLToPath } from "node:url";
import { job, init } from ${JSON.stringify(LIB)};
const self = fileURLToPath(import.meta.url);
job("app", { exec: [process.execPath, self], auto: true, check: { every: "300ms", timeout: "1s", run: () => "ok" } });
await init();
setInterval(() => {}, 1 << 30);
`;
}

/** The same in Python: it answers checks itself, and on a trigger file sends garbage (a protocol error). */
function pySelfLoader(root: string): string {
  return `#!/usr/bin/env python3
import json, os, sys, time
SELF = os.path.abspath(__file__)
if sys.argv[1:2] != ["godv1"]:
    while True:
        time.sleep(1000)
def send(m):
    sys.stdout.write(json.dumps(m) + "\\n"); sys.stdout.flush()
job = {"name": "pyapp", "exec": ["python3", SELF], "auto": True,
       "check": {"intervalMs": 300, "timeoutMs": 1000, "failures": 3, "graceMs": 5000}}
send({"jsonrpc": "2.0", "method": "hello", "params": {"protocol": "godv1", "loader": {"name": "py"}, "jobs": [job]}})
for line in sys.stdin:
    m = json.loads(line)
    if m.get("method") != "check":
        continue
    if os.path.exists(${JSON.stringify(`${root}/garbage`)}):
        os.remove(${JSON.stringify(`${root}/garbage`)})
        for i in range(11):
            print("this is not a protocol line", flush=True)
        continue
    send({"jsonrpc": "2.0", "id": m["id"], "result": {"status": "ok"}})
`;
}

/** The original's dialect in sh, its own job; on a trigger file it stops answering (a question times out). */
function shSelfLoader(root: string): string {
  return `#!/bin/sh
SELF=$(readlink -f "$0")
if [ "$1" != godv1 ]; then exec sleep 100000; fi
echo '["godv1","shapp"]'
while IFS= read -r line; do
  case "$line" in
    '["shapp","auto"]') echo '["true"]' ;;
    '["shapp","exec"]') echo "[\\"sh\\",\\"$SELF\\"]" ;;
    '["shapp","check"]')
      if [ -e ${root}/mute ]; then rm -f ${root}/mute; exec sleep 100000; fi
      echo '["ok","300"]' ;;
    *) echo '[]' ;;
  esac
done
`;
}

function messages(sb: Sandbox): string[] {
  return godLines(sb.godOutput).map((l) => l.msg);
}

/** Waits until the loader has said hello again with a new process, and returns that pid. */
async function reloaded(sb: Sandbox, path: string, oldPid: number | null): Promise<number> {
  return sb.until(`loader ${path} up again with a new process`, async () => {
    const events = await sb.events();
    const loader = events.loaders.get(path);
    return loader?.state === "up" && loader.pid !== null && loader.pid !== oldPid ? loader.pid : undefined;
  });
}

describe("a program that is its own loader", { timeout: TIMEOUT_MS }, () => {
  for (const [language, file, job, write] of [
    ["JavaScript", "app.mjs", "app", () => jsSelfLoader()],
    ["Python", "app.py", "pyapp", (root: string) => pySelfLoader(root)],
    ["sh (legacy dialect)", "app.sh", "shapp", (root: string) => shSelfLoader(root)],
  ] as const) {
    it(`in ${language}: no restart, SIGHUP, reload or loader failure touches its job; a deploy replaces it`, async (t) => {
      const sb = new Sandbox("god-harmless-");
      t.after(() => sb.cleanup());
      const path = sb.write(file, write(sb.root));
      const god = sb.startGod();
      const first = await sb.untilState(job, "running");
      sb.track(first.pid);
      let loaderPid = (await sb.events()).loaders.get(path)?.pid ?? null;
      assert.notEqual(loaderPid, null, "the loader stays resident for its checks");

      const triggers: Array<[string, () => unknown]> = [
        ["kill -9 of the loader", () => process.kill(loaderPid!, "SIGKILL")],
        ["SIGHUP", () => god.kill("SIGHUP")],
        ["god reload-loaders", () => sb.ctl(["reload-loaders"])],
      ];
      if (language === "Python")
        triggers.push(["a protocol error", () => writeFileSync(`${sb.root}/garbage`, "")]);
      if (language.startsWith("sh"))
        triggers.push(["a question that timed out", () => writeFileSync(`${sb.root}/mute`, "")]);
      for (const [what, trigger] of triggers) {
        await trigger();
        loaderPid = await reloaded(sb, path, loaderPid);
        const now = await sb.job(job);
        assert.equal(now?.pid, first.pid, `after ${what} the job still runs its first process`);
        assert.equal(now?.state, "running", `after ${what}`);
      }
      assert.ok(
        !messages(sb).some((m) => /replacing it|replaced/.test(m)),
        `nothing was replaced:\n${messages(sb).join("\n")}`,
      );

      // A deploy: a new file renamed over the program (a new inode), as a build tool does.
      const text = write(sb.root);
      const comment = language === "JavaScript" ? "//" : "#";
      writeFileSync(`${path}.new`, `${text}\n${comment} a new build\n`, { mode: 0o755 });
      renameSync(`${path}.new`, path);
      const deployed = await sb.until("the job replaced after the deploy", async () => {
        const j = await sb.job(job);
        return j?.state === "running" && j.pid !== first.pid ? j : undefined;
      });
      sb.track(deployed.pid);
      assert.ok(
        messages(sb).some((m) =>
          m.includes(`its program ${path} was replaced since its instance started (a deploy)`),
        ),
        "the log says it was a deploy",
      );

      // touch is a deploy too (a new mtime), as with a rebuilt binary.
      const later = new Date(Date.now() + 5000);
      utimesSync(path, later, later);
      const touched = await sb.until("the job replaced after touch", async () => {
        const j = await sb.job(job);
        return j?.state === "running" && j.pid !== deployed.pid ? j : undefined;
      });
      sb.track(touched.pid);
    });
  }

  it("a changed spec replaces the job and the log says so; the same spec from a new loader file does not", async (t) => {
    const sb = new Sandbox("god-harmless-spec-");
    t.after(() => sb.cleanup());
    const loader = (env: string) => `#!/usr/bin/env node
import { job, init } from ${JSON.stringify(LIB)};
job("svc", { exec: ["sleep", "100000"], auto: true, env: { MODE: ${JSON.stringify(env)} } });
await init();
`;
    const path = sb.write("svc", loader("a"));
    sb.startGod();
    const first = await sb.untilState("svc", "running");
    sb.track(first.pid);
    // The loader file changes (a comment), its job's spec does not: its job is not touched.
    sb.write("svc", `${loader("a")}// a comment\n`);
    await sb.until(
      "the loader reloaded after its file changed",
      () =>
        messages(sb).some((m) => m === `loader ${path} changed; reloading it`) &&
        messages(sb).filter((m) => m === `loader ${path} declared 1 job(s)`).length >= 2,
    );
    assert.equal((await sb.job("svc"))?.pid, first.pid, "a loader's own change is not its job's");
    sb.write("svc", loader("b"));
    const changed = await sb.until("the job replaced after its env changed", async () => {
      const j = await sb.job("svc");
      return j?.state === "running" && j.pid !== first.pid ? j : undefined;
    });
    sb.track(changed.pid);
    assert.ok(messages(sb).some((m) => m === "job svc: its spec changed (env); replacing it (restart)"));
  });
});

describe("loader backoff", { timeout: TIMEOUT_MS }, () => {
  it("a loader that says hello and then breaks is restarted 100, 200, 400, 800 ms apart; its job never is", async (t) => {
    const sb = new Sandbox("god-loader-backoff-");
    t.after(() => sb.cleanup());
    // Resident (a function check), then broken at once: stray prints straight to fd 1 in its first check (the
    // library moves console.log and process.stdout to stderr; a direct write gets past it, as C code would).
    const path = sb.write(
      "breaks",
      `#!/usr/bin/env node
import { writeSync } from "node:fs";
import { job, init } from ${JSON.stringify(LIB)};
job("steady", { exec: ["sleep", "100000"], auto: true, check: { every: "100ms", run: () => { writeSync(1, "oops\\n".repeat(11)); return "ok"; } } });
await init();
`,
    );
    sb.startGod();
    const steady = await sb.until("steady running", async () => (await sb.job("steady"))?.pid ?? undefined);
    sb.track(steady);
    const delays = await sb.until("four restarts", () => {
      const seen = godLines(sb.godOutput)
        .filter((l) => l.loader === path && typeof l.retryInMs === "number")
        .map((l) => l.retryInMs as number);
      return seen.length >= 4 ? seen.slice(0, 4) : undefined;
    });
    assert.deepEqual(delays, [100, 200, 400, 800], "the backoff grows: a good hello does not reset it");
    const loader = (await sb.ctl(["loaders", "--json"])).stdout;
    const json = JSON.parse(loader) as { loaders: Array<{ restarts: number; lastError: string | null }> };
    assert.ok(json.loaders[0]!.restarts >= 4, loader);
    assert.match(json.loaders[0]!.lastError ?? "", /malformed lines/);
    assert.equal((await sb.job("steady"))?.pid, steady, "its job kept its process throughout");
  });
});
