// `god startup`, the compiled command: the unit on stdout; with --install --user, written under
// $XDG_CONFIG_HOME/systemd/user with the systemctl commands printed (never run); and, where Debian's systemd
// package is installed, the written unit passes `systemd-analyze verify`.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
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
import { CLI, runCli } from "../helpers/god.js";
import { execWords, parseUnit } from "../helpers/systemd-unit.js";

const root = realpathSync(mkdtempSync(join(tmpdir(), "god-startup-")));
after(() => rmSync(root, { recursive: true, force: true }));

const SYSTEMD_ANALYZE = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((path) => existsSync(path));

test("the unit runs this node and this god with the home and dirs given, restarted on failure, jobs kept", async () => {
  const home = join(root, "home");
  const loaders = join(root, "loaders");
  const run = await runCli(["startup", "--home", home, "--dir", loaders, "--dir", "relative"], { cwd: root });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, "");
  const unit = parseUnit(run.stdout);
  const service = unit.get("Service")!;
  assert.deepEqual(execWords(service.get("ExecStart")![0]!), [
    process.execPath,
    CLI,
    "run",
    "--home",
    home,
    "--dir",
    loaders,
    "--dir",
    join(root, "relative"),
  ]);
  assert.deepEqual(service.get("Restart"), ["on-failure"]);
  assert.deepEqual(service.get("KillMode"), ["process"]);
  assert.ok(service.get("Environment")!.includes(`"GOD_HOME=${home}"`));
  assert.match(service.get("ExecStartPre")![0]!, /test -x/);
  assert.deepEqual(unit.get("Install")!.get("WantedBy"), ["multi-user.target"]);
});

test("the node check at start: passes with this node, and says what to do when the node is gone", async () => {
  const run = await runCli(["startup", "--home", join(root, "h"), "--dir", root]);
  const [sh, dashC, script] = execWords(parseUnit(run.stdout).get("Service")!.get("ExecStartPre")![0]!);
  const check = (text: string) =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(sh!, [dashC!, text], (error, _stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stderr });
      });
    });
  assert.deepEqual(await check(script!), { code: 0, stderr: "" });
  const gone = join(root, "old-node", "bin", "node");
  const moved = script!.replaceAll(process.execPath, gone);
  assert.deepEqual(await check(moved), {
    code: 1,
    stderr: `watchgod: ${gone} is gone (Node upgraded?); run god startup --install --home ${join(root, "h")} --dir ${root} again\n`,
  });
});

test("with no --dir or --loader, a note says which jobs god will run", async () => {
  const home = join(root, "bare");
  const run = await runCli(["startup", "--home", home]);
  assert.equal(run.code, 0);
  assert.equal(
    run.stderr,
    `god: note: no --dir or --loader given, so god will run only the jobs of ${join(home, "jobs")} (god add).\n`,
  );
});

test("--install --user writes the user unit and prints the commands to run, never running them", async () => {
  const config = join(root, "xdg");
  const home = join(root, "user-home");
  const run = await runCli(["startup", "--install", "--user", "--home", home, "--dir", root], {
    env: { ...process.env, XDG_CONFIG_HOME: config, USER: "alice" },
  });
  assert.equal(run.code, 0, run.stderr);
  const path = join(config, "systemd", "user", "watchgod.service");
  assert.equal(
    run.stdout,
    `wrote ${path}\nNow run:\n  systemctl --user daemon-reload\n  systemctl --user enable --now watchgod.service\n  loginctl enable-linger alice\n(enable-linger starts your user's units at boot, without a login.)\n`,
  );
  const unit = parseUnit(readFileSync(path, "utf8"));
  assert.deepEqual(unit.get("Install")!.get("WantedBy"), ["default.target"]);
  assert.ok(execWords(unit.get("Service")!.get("ExecStart")![0]!).includes(home));
});

test("--install where the unit cannot be written: exit 1 with the path and the fix", async () => {
  // A file where a directory should be stops root as well as anyone.
  const config = join(root, "not-a-dir");
  writeFileSync(config, "");
  const run = await runCli(["startup", "--install", "--user", "--dir", root], {
    env: { ...process.env, XDG_CONFIG_HOME: config },
  });
  assert.equal(run.code, 1);
  assert.equal(run.stdout, "");
  assert.equal(
    run.stderr,
    `god: cannot write ${join(config, "systemd", "user", "watchgod.service")} (ENOTDIR); check that ${join(config, "systemd", "user")} is a directory you can write to.\n`,
  );
});

test("systemd-analyze verify accepts the system and user units", async (t) => {
  if (SYSTEMD_ANALYZE === undefined) {
    t.skip("systemd-analyze is not installed (Debian package systemd; .ci/run installs it)");
    return;
  }
  for (const user of [false, true]) {
    const dir = join(root, user ? "verify-user" : "verify-system");
    mkdirSync(dir);
    const run = await runCli([
      "startup",
      "--home",
      join(dir, "home"),
      "--dir",
      dir,
      ...(user ? ["--user"] : []),
    ]);
    assert.equal(run.code, 0, run.stderr);
    const path = join(dir, "watchgod.service");
    writeFileSync(path, run.stdout);
    // System mode for both: the user manager needs a login session, which a container has not got.
    const verified = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(SYSTEMD_ANALYZE, ["verify", path], (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, output: stdout + stderr });
      });
    });
    assert.deepEqual(verified, { code: 0, output: "" }, `user: ${user}`);
  }
});
