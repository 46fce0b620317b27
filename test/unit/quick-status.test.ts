// Which `god status` invocations the quick path answers (quick-status.ts): plain `god status` with at most
// --home. Every other form (jobs named, --json, -i, --help, a flag it does not know) goes to the status command.

import assert from "node:assert/strict";
import { test } from "node:test";
import { quickStatusHome } from "../../src/cli/quick-status.js";

test("plain status, with --home DIR or --home=DIR, is answered by the quick path at the home it names", () => {
  assert.equal(quickStatusHome([], { GOD_HOME: "/srv/god" }), "/srv/god");
  assert.equal(quickStatusHome([], {})?.endsWith("/.god"), true);
  assert.equal(quickStatusHome(["--home", "/srv/a"], { GOD_HOME: "/srv/god" }), "/srv/a");
  assert.equal(quickStatusHome(["--home=/srv/b"], {}), "/srv/b");
  assert.equal(quickStatusHome(["--home", "rel"], {}), `${process.cwd()}/rel`);
});

test("anything else is left to the status command", () => {
  for (const args of [
    ["web"],
    ["--json"],
    ["-i"],
    ["--instances"],
    ["--help"],
    ["-h"],
    ["--home"],
    ["--home="],
    ["--home", ""],
    ["--home", "--json"],
    ["--home", "/srv/a", "-i"],
    ["-i", "--home", "/srv/a"],
    ["--hom", "/srv/a"],
  ]) {
    assert.equal(quickStatusHome(args, {}), null, JSON.stringify(args));
  }
});
