// A loader of the original Go watchgod, written as a plain sh script that speaks the legacy array dialect: god
// detects it from its first line, asks auto, exec and env (again before every start), runs its checks with
// their next-check delays, sends its events, and restarts a loader that stops answering without touching its
// jobs.

import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { isAlive, Sandbox } from "../helpers/god.js";

type LoaderJson = {
  path: string;
  pid: number | null;
  state: string;
  dialect: string | null;
  jobs: string[];
  error: string | null;
};

async function loader(sb: Sandbox): Promise<LoaderJson | undefined> {
  const r = await sb.ctl(["loaders", "--json"]);
  return (JSON.parse(r.stdout) as { loaders: LoaderJson[] }).loaders[0];
}

/**
 * The loader: every question it reads is appended to `asked`. db starts with god; web starts after db and gets
 * A from env; tool is manual and has no check. `degrade` and `mute` files in root change db's check answer:
 * degrade, or (once) no answer at all.
 */
function legacyLoader(root: string): string {
  const asked = `${root}/asked`;
  return `#!/bin/sh
echo '["godv1","db","web","tool"]'
while IFS= read -r line; do
  echo "$line" >> ${asked}
  case "$line" in
    '["db","auto"]') echo '["true"]' ;;
    '["web","auto"]') echo '["db"]' ;;
    '["tool","auto"]') echo 'null' ;;
    '["web","exec"]') echo '["sh","-c","echo A=$A HOME=$HOME; exec sleep 1000"]' ;;
    *'"exec"]') echo '["sleep","1000"]' ;;
    '["web","env"]') echo '["A=from-the-loader"]' ;;
    '["db","check"]')
      if [ -e ${root}/mute ]; then rm -f ${root}/mute; exec sleep 1000; fi
      if [ -e ${root}/degrade ]; then echo '["degrade","100"]'; else echo '["ok","100"]'; fi ;;
    '["web","check"]') echo '["ok","150"]' ;;
    *) echo '[]' ;;
  esac
done
`;
}

/** god's own log messages, from its JSON lines. */
function godMessages(sb: Sandbox): string[] {
  return sb.godOutput
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
}

function asked(root: string): string[] {
  const path = `${root}/asked`;
  return existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];
}

describe("a legacy-dialect loader", () => {
  it("runs its jobs with auto, a dependency list, exec and env, checks and events", async () => {
    const sb = new Sandbox("god-legacy-");
    try {
      sb.write("old", legacyLoader(sb.root));
      sb.startGod();
      const web = await sb.untilState("web", "running");
      sb.track(web.pid);
      const db = await sb.untilState("db", "running");
      sb.track(db.pid);

      const l = await loader(sb);
      assert.equal(l?.dialect, "legacy");
      assert.equal(
        l?.state,
        "up",
        "a legacy loader stays resident: exec and env are asked before every start",
      );
      assert.deepEqual(l?.jobs, ["db", "tool", "web"]);
      assert.equal(l?.error, null);
      sb.track(l?.pid);

      const q = asked(sb.root);
      assert.deepEqual(q.slice(0, 9), [
        '["db","auto"]',
        '["db","exec"]',
        '["db","env"]',
        '["web","auto"]',
        '["web","exec"]',
        '["web","env"]',
        '["tool","auto"]',
        '["tool","exec"]',
        '["tool","env"]',
      ]);
      // web is asked for exec again only once db is running (its onRun was sent).
      assert.ok(q.indexOf('["db","onRun"]') < q.lastIndexOf('["web","exec"]'), q.join(" "));
      assert.ok(q.indexOf('["db","onStart"]') < q.indexOf('["db","onRun"]'));
      const line = await sb.until("web's output", () => {
        const log = `${sb.home}/logs/web.log`;
        return existsSync(log) ? /A=\S+ HOME=\S*/.exec(readFileSync(log, "utf8"))?.[0] : undefined;
      });
      assert.match(line, /^A=from-the-loader HOME=\S+$/, "env merges over god's, it does not replace it");

      // Manual: a start asks exec and env; an empty check answer means no check, so it is running at once.
      assert.equal((await sb.job("tool"))?.state, "stopped");
      const start = await sb.ctl(["start", "tool"]);
      assert.equal(start.code, 0, start.stderr);
      const tool = await sb.untilState("tool", "running");
      sb.track(tool.pid);
      assert.match(tool.check?.message ?? "", /^no check/);

      // A restart asks exec and env again and reports onExit with the code, then onStart.
      const execAsks = asked(sb.root).filter((x) => x === '["db","exec"]').length;
      const restart = await sb.ctl(["restart", "db"]);
      assert.equal(restart.code, 0, restart.stderr);
      const db2 = await sb.untilState("db", "running");
      sb.track(db2.pid);
      assert.notEqual(db2.pid, db.pid);
      await sb.until("onExit and a second onStart", () => {
        const now = asked(sb.root);
        const exit = now.indexOf('["db","onExit","-1"]');
        return exit !== -1 && now.lastIndexOf('["db","onStart"]') > exit;
      });
      assert.equal(asked(sb.root).filter((x) => x === '["db","exec"]').length, execAsks + 1);

      // degrade with its delay, shown with the answer; ok brings it back.
      writeFileSync(`${sb.root}/degrade`, "");
      const degraded = await sb.untilState("db", "degraded");
      assert.equal(degraded.check?.message, 'the loader answered ["degrade","100"]');
      await sb.until("onDegrade", () => asked(sb.root).includes('["db","onDegrade"]'));
      rmSync(`${sb.root}/degrade`);
      const back = await sb.untilState("db", "running");
      assert.equal(back.pid, db2.pid);
    } finally {
      await sb.cleanup();
    }
  });

  it("restarts a loader that stops answering, without touching its jobs", async () => {
    const sb = new Sandbox("god-legacy-mute-");
    try {
      sb.write("old", legacyLoader(sb.root));
      sb.startGod();
      const db = await sb.untilState("db", "running");
      sb.track(db.pid);
      const web = await sb.untilState("web", "running");
      sb.track(web.pid);
      const first = await sb.until("the loader up", async () => {
        const l = await loader(sb);
        return l?.state === "up" && l.pid !== null ? l : undefined;
      });
      sb.track(first.pid);

      writeFileSync(`${sb.root}/mute`, "");
      const second = await sb.until(
        "a new loader process",
        async () => {
          const l = await loader(sb);
          return l?.state === "up" && l.pid !== null && l.pid !== first.pid ? l : undefined;
        },
        15_000,
      );
      sb.track(second.pid);
      assert.equal(isAlive(first.pid!), false, "the stuck loader is gone");
      assert.equal(second.error, null, "the new hello clears the error");
      const messages = godMessages(sb);
      assert.ok(
        messages.some((m) =>
          /did not answer \["db","check"\] within 2000 ms; its stream is unusable; its jobs keep running and it will be restarted/.test(
            m,
          ),
        ),
        messages.join("\n"),
      );

      // Checks resume through the new loader; the jobs were never touched.
      const resumed = asked(sb.root).length;
      await sb.until("checks through the new loader", () =>
        asked(sb.root).slice(resumed).includes('["db","check"]'),
      );
      const dbAfter = await sb.untilState("db", "running");
      const webAfter = await sb.job("web");
      assert.equal(dbAfter.pid, db.pid);
      assert.equal(dbAfter.restarts, 0);
      assert.equal(webAfter?.pid, web.pid);
      assert.equal(webAfter?.state, "running");
      assert.equal(webAfter?.restarts, 0);
    } finally {
      await sb.cleanup();
    }
  });
});
