// What a job's watch leaves out: the defaults (.git, node_modules, god's home) whatever the job's own patterns
// say, names at any depth, paths from the job's cwd with `*`, `?` and `**`, absolute paths, and everything under
// an ignored directory.

import assert from "node:assert/strict";
import { test } from "node:test";
import { globRegExp, ignoreTest } from "../../src/daemon/watch-ignore.js";

const CWD = "/srv/app";
const HOME = "/srv/app/.god";

test("the defaults are always kept, with or without patterns of the job's own", () => {
  for (const patterns of [[], ["*.tmp"], ["dist/**/*.map"]]) {
    const ignored = ignoreTest(patterns, CWD, HOME);
    assert.equal(ignored("/srv/app/.git"), true);
    assert.equal(ignored("/srv/app/.git/index.lock"), true);
    assert.equal(ignored("/srv/app/src/.git/HEAD"), true);
    assert.equal(ignored("/srv/app/node_modules/x/index.js"), true);
    assert.equal(ignored("/srv/app/packages/a/node_modules"), true);
    assert.equal(ignored("/srv/app/.god/logs/api.log"), true, "god's home, with its logs");
    assert.equal(ignored("/srv/app/.god"), true);
    assert.equal(ignored("/srv/app/src/index.js"), false);
    assert.equal(ignored("/srv/app/.gitignore"), false);
    assert.equal(ignored("/srv/app/.godot/x"), false);
  }
});

test("patterns: names at any depth, paths from the cwd, absolute paths, and what is under them", () => {
  const ignored = ignoreTest(
    ["*.log", "tmp", "dist/**/*.map", "build/cache/", "./coverage", "/var/shared/spool", "src/gen?"],
    CWD,
    HOME,
  );
  const cases: Array<[string, boolean]> = [
    ["/srv/app/server.log", true],
    ["/srv/app/src/deep/er/debug.log", true],
    ["/srv/app/src/log.js", false],
    ["/srv/app/tmp", true],
    ["/srv/app/src/tmp/x.js", true],
    ["/srv/app/tmpfile", false],
    ["/srv/app/dist/app.js.map", true],
    ["/srv/app/dist/a/b/c.js.map", true],
    ["/srv/app/dist/a/b/c.js", false],
    ["/srv/app/lib/dist/x.map", false],
    ["/srv/app/build/cache/abc", true],
    ["/srv/app/build/out.js", false],
    ["/srv/app/coverage/lcov.info", true],
    ["/var/shared/spool/1", true],
    ["/var/shared/other", false],
    ["/srv/app/src/gen1/x.ts", true],
    ["/srv/app/src/gen12/x.ts", false],
  ];
  for (const [path, expected] of cases) assert.equal(ignored(path), expected, path);
});

test("globs: * stays within a name, ** crosses directories, regex characters are plain", () => {
  assert.equal(globRegExp("a/*.js").test("a/b.js"), true);
  assert.equal(globRegExp("a/*.js").test("a/b/c.js"), false);
  assert.equal(globRegExp("a/**/c.js").test("a/c.js"), true);
  assert.equal(globRegExp("a/**/c.js").test("a/b/x/c.js"), true);
  assert.equal(globRegExp("a/**").test("a/b/c"), true);
  assert.equal(globRegExp("f(1)+.txt").test("f(1)+.txt"), true);
  assert.equal(globRegExp("f.txt").test("fxtxt"), false);
});
