// The systemd unit of `god startup`, read back by a small parser of systemd's syntax: the sections and keys a
// boot needs, and quoting that survives spaces, quotes, `%` and `$` in paths.

import assert from "node:assert/strict";
import { test } from "node:test";
import { execWord, shellQuote, systemdUnit, type UnitOptions } from "../../src/cli/systemd-unit.js";
import { execWords, parseUnit } from "../helpers/systemd-unit.js";

const OPTIONS: UnitOptions = {
  nodePath: "/usr/local/bin/node",
  mainPath: "/usr/lib/node_modules/watchgod/dist/src/cli/main.js",
  home: "/var/lib/god",
  dirs: ["/etc/god/loaders", "/srv/app"],
  loaders: [],
  user: false,
  path: "/usr/local/bin:/usr/bin:/bin",
  adopt: true,
  rerun: "god startup --install --home /var/lib/god",
};

test("a system unit: god in the foreground, restarted on failure, only god signalled, node checked first", () => {
  const unit = parseUnit(systemdUnit(OPTIONS));
  assert.deepEqual([...unit.keys()], ["Unit", "Service", "Install"]);
  const service = unit.get("Service")!;
  assert.deepEqual(service.get("Restart"), ["on-failure"]);
  assert.deepEqual(service.get("KillMode"), ["process"]);
  assert.equal(unit.get("Unit")!.has("Restart"), false, "Restart= belongs in [Service]");
  assert.deepEqual(service.get("Environment"), [
    '"GOD_HOME=/var/lib/god"',
    '"GOD_UNIT=watchgod.service"',
    '"PATH=/usr/local/bin:/usr/bin:/bin"',
  ]);
  // `god upgrade`: the old god exits with 75, which is a success that the unit restarts whatever Restart= says.
  assert.deepEqual(service.get("SuccessExitStatus"), ["75"]);
  assert.deepEqual(service.get("RestartForceExitStatus"), ["75"]);
  assert.deepEqual(execWords(service.get("ExecStart")![0]!), [
    "/usr/local/bin/node",
    "/usr/lib/node_modules/watchgod/dist/src/cli/main.js",
    "run",
    "--home",
    "/var/lib/god",
    "--dir",
    "/etc/god/loaders",
    "--dir",
    "/srv/app",
  ]);
  const [sh, dashC, script] = execWords(service.get("ExecStartPre")![0]!);
  assert.deepEqual([sh, dashC], ["/bin/sh", "-c"]);
  assert.equal(
    script,
    `test -x '/usr/local/bin/node' || { echo 'watchgod: /usr/local/bin/node is gone (Node upgraded?); run god startup --install --home /var/lib/god again' >&2; exit 1; }`,
  );
  assert.deepEqual(unit.get("Install")!.get("WantedBy"), ["multi-user.target"]);
});

test("a user unit is wanted by default.target; --no-adopt lets systemd stop the whole group", () => {
  const user = parseUnit(systemdUnit({ ...OPTIONS, user: true, adopt: false, path: null }));
  assert.deepEqual(user.get("Install")!.get("WantedBy"), ["default.target"]);
  assert.deepEqual(user.get("Service")!.get("KillMode"), ["control-group"]);
  assert.ok(execWords(user.get("Service")!.get("ExecStart")![0]!).includes("--no-adopt"));
  assert.deepEqual(user.get("Service")!.get("Environment"), ['"GOD_HOME=/var/lib/god"']);
});

test("--warm-starts N is passed on to god run; without it the unit leaves god's default", () => {
  const words = (options: Partial<UnitOptions>) =>
    execWords(
      parseUnit(systemdUnit({ ...OPTIONS, ...options }))
        .get("Service")!
        .get("ExecStart")![0]!,
    );
  const given = words({ warmStarts: 0 });
  assert.ok(given.includes("--warm-starts"), given.join(" "));
  assert.equal(given[given.indexOf("--warm-starts") + 1], "0");
  assert.ok(!words({}).includes("--warm-starts"));
});

test("paths with spaces, quotes, % and $ survive systemd's quoting and the shell's", () => {
  const odd = `/opt/my node's "v20"/100%/$HOME\\bin/node`;
  for (const word of [odd, "plain/path-1.2", "with space", "%i", "$USER", ""]) {
    assert.deepEqual(execWords(execWord(word)), [word], word);
  }
  const unit = parseUnit(systemdUnit({ ...OPTIONS, nodePath: odd, dirs: ["/srv/my app"] }));
  const service = unit.get("Service")!;
  const run = execWords(service.get("ExecStart")![0]!);
  assert.equal(run[0], odd);
  assert.equal(run.at(-1), "/srv/my app");
  const script = execWords(service.get("ExecStartPre")![0]!)[2]!;
  assert.ok(script.startsWith(`test -x ${shellQuote(odd)} ||`), script);
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});
