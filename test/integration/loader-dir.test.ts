// What a file of a loader directory is, on real files: a configuration file by its name (a +x Procfile too), any
// other file by its execute bit; a Procfile's identity includes its .env's; and the watcher maps a change of
// .env to the Procfiles beside it.

import assert from "node:assert/strict";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loaderIdentity, scanDir, watchDir } from "../../src/daemon/loader-dir.js";

const dir = realpathSync(mkdtempSync(join(tmpdir(), "god-loader-dir-")));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, mode: number, text = "x\n"): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode });
  return path;
}

test("the name decides before the execute bit", () => {
  file("Procfile", 0o755);
  file("jobs.json", 0o644);
  file("ecosystem.config.js", 0o644);
  file("loader.sh", 0o755);
  file("notes.txt", 0o644);
  file("package.json", 0o644);
  file(".hidden.json", 0o644);
  const seen = Object.fromEntries(
    scanDir(dir).map((e) => [e.path.slice(dir.length + 1), "skip" in e.result ? "skip" : e.result.config]),
  );
  assert.deepEqual(seen, {
    Procfile: "procfile",
    "ecosystem.config.js": "ecosystem",
    "jobs.json": "json",
    "loader.sh": null,
    "notes.txt": "skip",
    "package.json": "skip",
  });
  const skipped = loaderIdentity(join(dir, "notes.txt"));
  assert.ok("skip" in skipped && /^it is not executable .* and not a configuration file/.test(skipped.skip));
});

test("a Procfile's identity changes with its .env, and a .env change is reported as the Procfile's", {
  timeout: 20_000,
}, async () => {
  const procfile = file("Procfile", 0o644, "web: sleep 1\n");
  rmSync(join(dir, ".env"), { force: true });
  const identity = () => {
    const result = loaderIdentity(procfile);
    assert.ok("identity" in result);
    return result.identity;
  };
  const without = identity();
  // The watcher does not hold the loop open (god's other handles do): this test holds it.
  const alive = setInterval(() => {}, 1000);
  const changed: string[] = [];
  let wake: () => void = () => {};
  const close = watchDir(
    dir,
    (path) => {
      changed.push(path);
      wake();
    },
    (error) => assert.fail(error),
  );
  try {
    const reported = new Promise<void>((resolve) => {
      wake = resolve;
    });
    writeFileSync(join(dir, ".env"), "A=1\n");
    await reported;
    assert.deepEqual(changed, [procfile]);
    const withEnv = identity();
    assert.notEqual(withEnv, without);
    writeFileSync(join(dir, ".env"), "A=22\n");
    assert.notEqual(identity(), withEnv);
  } finally {
    close();
    clearInterval(alive);
  }
});
