// watch on a real god: a burst of changes under the watched tree replaces the job once, after the burst (the
// reason counts the changed paths), changes under .git and node_modules count for nothing even with ignore
// patterns of the job's own, and a change in a directory created after the start is seen. In process: the cap
// on directories per job, with its log line.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FileWatches } from "../../src/daemon/file-watch.js";
import { Sandbox } from "../helpers/god.js";
import { godLines, helloLoader } from "../helpers/hello-loader.js";

describe("watch", { timeout: 90_000 }, () => {
  it("one reload after a burst; .git and node_modules never count", async (t) => {
    const sb = new Sandbox("god-rules-watch-");
    t.after(() => sb.cleanup());
    const project = join(sb.root, "project");
    for (const dir of ["src/lib", ".git/objects", "node_modules/left-pad", "logs"]) {
      mkdirSync(join(project, dir), { recursive: true });
    }
    writeFileSync(join(project, "src/index.js"), "");
    helloLoader(sb, "app", [
      {
        name: "web",
        exec: ["sleep", "100000"],
        cwd: project,
        auto: true,
        watch: { paths: ["."], ignore: ["*.log", "logs"], debounceMs: 1000 },
      },
    ]);
    sb.startGod();
    const first = await sb.untilState("web", "running");
    sb.track(first.pid);
    await sb.until("the watch to be set", () =>
      godLines(sb).find((l) => l.msg.startsWith("job web: watching 3 directories for changes")),
    );
    const reloads = () => godLines(sb).filter((l) => l.job === "web" && l.rule === "reload");

    // Ignored writes first (defaults and the job's own patterns), then a burst of 100 real ones.
    for (let i = 0; i < 20; i++) {
      await writeFile(join(project, ".git/objects", `o${i}`), "x");
      await writeFile(join(project, "node_modules/left-pad", `f${i}.js`), "x");
      await writeFile(join(project, `debug${i}.log`), "x");
      await writeFile(join(project, "logs", `l${i}.txt`), "x");
    }
    for (let i = 0; i < 100; i++)
      await writeFile(join(project, i % 2 ? "src" : "src/lib", `f${i}.js`), `${i}`);
    const [burst] = await sb.until("the reload after the burst", () => {
      const lines = reloads();
      return lines.length > 0 ? lines : undefined;
    });
    assert.match(
      burst!.msg,
      /^job web: watch: src\/(lib\/)?f\d+\.js and 99 more changed; replacing it \(restart\)$/,
    );
    const second = await sb.until("web's new process", async () => {
      const j = await sb.job("web");
      return j?.state === "running" && j.pid !== first.pid ? j : undefined;
    });
    sb.track(second.pid);

    // A directory made now, and a file in it: seen, and one more reload, the only one since the burst.
    mkdirSync(join(project, "src/fresh"));
    await sb.until("the reload for src/fresh", () => reloads().length >= 2);
    const third = await sb.until("web's third process", async () => {
      const j = await sb.job("web");
      return j?.state === "running" && j.pid !== second.pid ? j : undefined;
    });
    sb.track(third.pid);
    // The new directory was walked when its creation was seen, before that reload: a file in it is a change.
    await writeFile(join(project, "src/fresh/new.js"), "x");
    await sb.until("the reload for src/fresh/new.js", () => reloads().length >= 3);
    const msgs = reloads().map((l) => l.msg);
    assert.equal(msgs[1], "job web: watch: src/fresh changed; replacing it (restart)");
    assert.match(msgs[2]!, /^job web: watch: src\/fresh\/new\.js( and \d+ more)? changed/);
    sb.track((await sb.job("web"))?.pid);
  });

  it("stops at its cap of directories per job and says so once", async (t) => {
    const root = mkdtempSync(join(tmpdir(), "god-watch-cap-"));
    const lines: string[] = [];
    const changed: string[] = [];
    const watches = new FileWatches({
      home: join(root, "home"),
      changed: (_job, why) => changed.push(why),
      log: { info: (msg) => lines.push(msg), warn: (msg) => lines.push(msg) },
      maxDirsPerJob: 5,
    });
    t.after(() => {
      watches.close();
      rmSync(root, { recursive: true, force: true });
    });
    for (let i = 0; i < 10; i++) mkdirSync(join(root, "tree", `d${i}`), { recursive: true });
    watches.set("big", { paths: ["tree"], ignore: [], debounceMs: 50 }, root);
    await watches.ready();
    assert.equal(watches.counts().get("big"), 5);
    assert.deepEqual(
      lines.filter((l) => l.includes("watch stops")),
      [
        "job big: watch stops at 5 directories; changes in the others under tree are not seen (narrow its paths or add ignore patterns)",
      ],
    );
    watches.set("big", null, root);
    assert.equal(watches.counts().has("big"), false);
  });

  it("watches a file named in paths through its directory, and only that file", async (t) => {
    const root = mkdtempSync(join(tmpdir(), "god-watch-file-"));
    const changed: string[] = [];
    let seen: () => void = () => {};
    const first = new Promise<void>((resolve) => {
      seen = resolve;
    });
    const watches = new FileWatches({
      home: join(root, "home"),
      changed: (_job, why) => {
        changed.push(why);
        seen();
      },
      log: { info: () => {}, warn: () => {} },
    });
    t.after(() => {
      watches.close();
      rmSync(root, { recursive: true, force: true });
    });
    writeFileSync(join(root, "config.json"), "{}");
    watches.set("cfg", { paths: ["config.json"], ignore: [], debounceMs: 50 }, root);
    await watches.ready();
    assert.equal(watches.counts().get("cfg"), 1);
    // A neighbour first: if it counted, the reason would name it.
    await writeFile(join(root, "other.txt"), "x");
    await writeFile(join(root, "config.json"), '{"a":1}');
    await first;
    assert.deepEqual(changed, ["watch: config.json changed"]);
  });
});
