// init() outside loader mode: it checks the jobs (mistakes made by assignment after job() surface here), then
// resolves to undefined and seals the registry; the actions refuse to run without god.

import assert from "node:assert/strict";
import { test } from "node:test";
import { log, start } from "../../src/lib/control.js";
import { init, isLoaderMode } from "../../src/lib/init.js";
import { job } from "../../src/lib/job.js";

test("init checks, resolves at once, then refuses new jobs", async () => {
  assert.equal(isLoaderMode(), false);
  const j = job("init-a");
  assert.throws(() => init(), { name: "TypeError", message: /^job "init-a": exec: required/ });
  j.exec = ["true"];
  j.check = { every: "soon" as "1s", run: () => "ok" };
  assert.throws(() => init(), { name: "TypeError", message: /^job "init-a": check\.every: expected/ });
  j.check = () => "ok";
  assert.equal(await init({ name: "x", version: "1" }), undefined);
  assert.throws(() => job("init-late"), { name: "TypeError", message: /declared after init\(\)/ });
  assert.equal(await init(), undefined, "a second init outside loader mode is harmless");
});

test("actions reject outside loader mode; log goes to stderr", async () => {
  await assert.rejects(start("init-a"), { message: /not in loader mode/ });
  log("info", "a log line outside loader mode");
});
