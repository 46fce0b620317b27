// `god import FILE [--env NAME]`, the compiled command: the JSON loader equivalent to a PM2 ecosystem file or a
// Procfile on stdout, warnings on stderr, exit 1 with the sentence when the file cannot be converted, and a
// config that hangs bounded by the same 5 s god gives a loader.

import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { withPort } from "../../src/config/procfile.js";
import { ecosystemFixtureDir, fixtureJobs, fixtureWarnings } from "../helpers/config-fixture.js";
import { runCli } from "../helpers/god.js";

const root = realpathSync(mkdtempSync(join(tmpdir(), "god-import-")));
after(() => rmSync(root, { recursive: true, force: true }));

function dir(name: string): string {
  const path = join(root, name);
  mkdirSync(path, { recursive: true });
  return path;
}

test("an ecosystem file with --env production: the jobs on stdout, the warnings on stderr; the output imports as itself", async () => {
  const fixture = ecosystemFixtureDir();
  try {
    const file = join(fixture, "ecosystem.config.js");
    const run = await runCli(["import", file, "--env", "production"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { jobs: fixtureJobs(fixture, process.execPath, true) });
    assert.match(run.stdout, /^\{\n {2}"jobs": \[\n/, "pretty-printed");
    assert.equal(
      run.stderr,
      fixtureWarnings(file, true)
        .map((w) => `god: warning: ${w}\n`)
        .join(""),
    );

    const saved = join(fixture, "imported.json");
    writeFileSync(saved, run.stdout);
    const again = await runCli(["import", saved]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, run.stdout);
    assert.equal(again.stderr, "");
  } finally {
    rmSync(fixture, { recursive: true, force: true });
  }
});

test("a Procfile, named by a relative path", async () => {
  const app = dir("procfile");
  writeFileSync(join(app, "Procfile"), "web: ./web --port $PORT\n");
  const run = await runCli(["import", "Procfile"], { cwd: app });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), {
    jobs: [
      { name: "web", exec: ["/bin/sh", "-c", withPort(5000, "./web --port $PORT")], cwd: app, auto: true },
    ],
  });
});

test("a file that cannot be converted: exit 1 and the sentence naming the file and line", async () => {
  const app = dir("throws");
  const file = join(app, "ecosystem.config.js");
  writeFileSync(file, "const port = 3000;\nmodule.exports = { apps: [{ name: 'api', script: server }] };\n");
  const run = await runCli(["import", file]);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, "");
  assert.equal(
    run.stderr,
    `god: ${file}:2: evaluating the file threw ReferenceError: server is not defined; fix the file so that it only exports its configuration.\n`,
  );
});

test("a file god does not read, or one missing: exit 1 with the sentence", async () => {
  const notConfig = await runCli(["import", join(root, "server.js")]);
  assert.equal(notConfig.code, 1);
  assert.equal(
    notConfig.stderr,
    `god: ${join(root, "server.js")} is not a configuration file god reads; name it ecosystem.config.js (PM2), Procfile (foreman) or *.json.\n`,
  );
  const missing = join(root, "missing", "ecosystem.config.js");
  const gone = await runCli(["import", missing]);
  assert.equal(gone.code, 1);
  assert.equal(
    gone.stderr,
    `god: ${missing}: cannot read it (ENOENT); check that it exists and is readable.\n`,
  );
  const usage = await runCli(["import"]);
  assert.equal(usage.code, 2);
  assert.equal(usage.stderr, "god: `god import` needs the FILE to convert; run `god import --help`.\n");
});

test("a config that hangs is stopped after 5 s: exit 1, and its process is gone", async () => {
  const app = dir("hangs");
  const pidFile = join(app, "pid");
  const file = join(app, "ecosystem.config.js");
  writeFileSync(
    file,
    `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));\nfor (;;) {}\n`,
  );
  const run = await runCli(["import", file]);
  assert.equal(run.code, 1);
  assert.equal(
    run.stderr,
    `god: ${file}: evaluating it took more than 5 s (god gives a loader 5 s); make the file only export its configuration, without waiting for anything.\n`,
  );
  const pid = Number(readFileSync(pidFile, "utf8"));
  assert.ok(pid > 0);
  assert.equal(existsSync(`/proc/${pid}`), false, `the hanging loader ${pid} is still there`);
});
