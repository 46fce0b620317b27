// The rest of the original watchgod's semantics (SPEC 3.2), each against a loader that answers exactly as the
// Go library does (one request at a time, arrays of strings), written in sh: onStart asked and awaited before the
// spawn, onExit before the next start's questions, a one-shot job (no check, exit 0) done and ready for its
// dependants, the stop question honoured, `@OTHER` forwarded and `@newLoaders`, and the `-dir` flag.

import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { godLines } from "../fixtures/proc-tools.js";
import { runCli, Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 90_000;

function asked(root: string): string[] {
  const path = `${root}/asked`;
  return existsSync(path)
    ? readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];
}

/** A legacy loader: each question is logged to ROOT/asked, then answered by the `case` arms given. */
function loader(root: string, names: string[], arms: string): string {
  return `#!/bin/sh
echo '${JSON.stringify(["godv1", ...names])}'
while IFS= read -r line; do
  echo "$line" >> ${root}/asked
  case "$line" in
${arms}
    *) echo '[]' ;;
  esac
done
`;
}

describe("the original's semantics", { timeout: TIMEOUT_MS }, () => {
  it("onStart is answered before the process exists; a one-shot migration is done and its dependant starts", async (t) => {
    const sb = new Sandbox("god-legacy-orig-");
    t.after(() => sb.cleanup());
    const marker = `${sb.root}/onstart-answered`;
    // onStart is answered only after a marker file is written; the migration reports whether it saw it.
    sb.write(
      "old",
      loader(
        sb.root,
        ["migrate", "web"],
        `    '["migrate","auto"]') echo '["true"]' ;;
    '["web","auto"]') echo '["migrate"]' ;;
    '["migrate","exec"]') echo '["sh","-c","if [ -e ${marker} ]; then echo saw-onstart; else echo no-onstart; fi; exit 0"]' ;;
    '["web","exec"]') echo '["sleep","100000"]' ;;
    '["migrate","onStart"]') touch ${marker}; echo '[]' ;;
    '["web","check"]') echo '["ok","200"]' ;;`,
      ),
    );
    sb.startGod();
    const migrate = await sb.untilState("migrate", "exited");
    assert.equal(migrate.lastExit?.code, 0);
    assert.match(migrate.reason ?? "", /done/);
    const web = await sb.untilState("web", "running");
    sb.track(web.pid);
    await sb.until("the migration's output", () =>
      existsSync(`${sb.home}/logs/migrate.log`)
        ? readFileSync(`${sb.home}/logs/migrate.log`, "utf8")
        : undefined,
    );
    assert.match(readFileSync(`${sb.home}/logs/migrate.log`, "utf8"), /saw-onstart/, "onStart came first");
    assert.equal((await sb.job("migrate"))?.restarts, 0, "a one-shot job is not re-run");
    const q = asked(sb.root);
    const exec = q.lastIndexOf('["migrate","exec"]');
    assert.ok(exec < q.indexOf('["migrate","onStart"]'), q.join(" "));
    assert.ok(q.indexOf('["migrate","onExit","0"]') > q.indexOf('["migrate","onStart"]'), q.join(" "));
  });

  it("onExit of a process comes before the next start's exec question", async (t) => {
    const sb = new Sandbox("god-legacy-onexit-");
    t.after(() => sb.cleanup());
    sb.write(
      "old",
      loader(
        sb.root,
        ["flaky"],
        `    '["flaky","auto"]') echo '["true"]' ;;
    '["flaky","exec"]') echo '["sh","-c","sleep 0.2; exit 3"]' ;;
    '["flaky","check"]') echo '["ok","100"]' ;;`,
      ),
    );
    sb.startGod();
    await sb.until(
      "a second start",
      () => asked(sb.root).filter((l) => l === '["flaky","exec"]').length >= 3,
    );
    const q = asked(sb.root);
    const firstExit = q.indexOf('["flaky","onExit","3"]');
    assert.ok(firstExit !== -1, q.join(" "));
    const secondStart = q.indexOf('["flaky","exec"]', q.indexOf('["flaky","onStart"]') + 1);
    assert.ok(firstExit < secondStart, `onExit before the next exec: ${q.join(" ")}`);
  });

  it("a failed check asks [job, stop, PID]: a loader that answers [MS] stops the instance itself", async (t) => {
    const sb = new Sandbox("god-legacy-stop-");
    t.after(() => sb.cleanup());
    const failing = `${sb.root}/fail`;
    sb.write(
      "old",
      loader(
        sb.root,
        ["svc"],
        `    '["svc","auto"]') echo '["true"]' ;;
    '["svc","exec"]') echo '["sh","-c","trap \\"echo got-TERM; exit 0\\" TERM; trap \\"echo got-INT; exit 0\\" INT; while :; do sleep 0.1; done"]' ;;
    '["svc","check"]') if [ -e ${failing} ]; then echo '["fail"]'; else echo '["ok","100"]'; fi ;;
    '["svc","stop",'*) pid=$(echo "$line" | tr -dc '0-9'); kill -INT "$pid"; echo '["3000"]' ;;`,
      ),
    );
    sb.startGod();
    const first = await sb.untilState("svc", "running");
    sb.track(first.pid);
    writeFileSync(failing, "");
    const second = await sb.until("a new instance after the failed checks", async () => {
      const j = await sb.job("svc");
      return j?.pid && j.pid !== first.pid ? j : undefined;
    });
    sb.track(second.pid);
    assert.ok(asked(sb.root).includes(`["svc","stop","${first.pid}"]`), asked(sb.root).join(" "));
    const log = readFileSync(`${sb.home}/logs/svc.log`, "utf8");
    assert.match(log, /got-INT/, "the loader stopped it");
    assert.doesNotMatch(log, /got-TERM/, "god did not send its own stop signal");
    assert.ok(godLines(sb.godOutput).some((l) => /its loader stops pid \d+ itself/.test(l.msg)));
  });

  it('a check answer ["@OTHER", ...] goes to OTHER\'s loader and is no failure; ["@newLoaders"] reloads them', async (t) => {
    const sb = new Sandbox("god-legacy-forward-");
    t.after(() => sb.cleanup());
    const reload = `${sb.root}/reload-once`;
    writeFileSync(reload, "");
    sb.write(
      "old",
      loader(
        sb.root,
        ["a", "b"],
        `    '["a","auto"]'|'["b","auto"]') echo '["true"]' ;;
    '["a","exec"]'|'["b","exec"]') echo '["sleep","100000"]' ;;
    '["a","check"]') echo '["@b","restart","now"]' ;;
    '["b","check"]') if [ -e ${reload} ]; then rm -f ${reload}; echo '["@newLoaders"]'; else echo '["ok","300"]'; fi ;;`,
      ),
    );
    sb.startGod();
    const a = await sb.untilState("a", "starting");
    sb.track(a.pid);
    await sb.until("b's loader got the forwarded words", () =>
      asked(sb.root).includes('["b","restart","now"]'),
    );
    await sb.until(
      "every loader reloaded",
      () =>
        godLines(sb.godOutput).some((l) => /declared 2 job\(s\)/.test(l.msg) && l.time !== undefined) &&
        godLines(sb.godOutput).filter((l) => /declared 2 job\(s\)/.test(l.msg)).length >= 2,
    );
    const now = await sb.job("a");
    assert.equal(now?.check, null, "a forwarding answer is no verdict on the job that gave it");
    assert.equal(now?.restarts, 0, "and never a failure that restarts it");
  });

  it("god -dir DIR runs the loaders (the original's flag); -listen ADDR is accepted and ignored with a warning", async (t) => {
    const sb = new Sandbox("god-legacy-flags-");
    t.after(() => sb.cleanup());
    sb.write(
      "old",
      loader(
        sb.root,
        ["x"],
        `    '["x","auto"]') echo '["true"]' ;;
    '["x","exec"]') echo '["sleep","100000"]' ;;`,
      ),
    );
    const god = sb.startGodWith(["-dir", sb.dir, "-listen", ":9000", "--home", sb.home]);
    const x = await sb.untilState("x", "running");
    sb.track(x.pid);
    assert.match(
      sb.godOutput,
      /god: -listen :9000 is ignored: god's control socket is always GOD_HOME\/god\.sock/,
    );
    assert.equal(god.exitCode, null);
    const bad = await runCli(["-dir=" + `${sb.root}/nowhere`, "--home", `${sb.root}/other`]);
    assert.equal(bad.code, 1, "the directory is checked like --dir's");
    assert.match(bad.stderr, /--dir .*nowhere is not a directory/);
  });
});
