// The compiled `god` command where no daemon is needed or none runs: usage, help, version, usage errors
// (exit 2) and the one sentence for a home where no god answers (exit 3).

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runCli } from "../helpers/god.js";

const PACKAGE = fileURLToPath(new URL("../../../package.json", import.meta.url));

const home = mkdtempSync(join(tmpdir(), "god-cli-"));
after(() => rmSync(home, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function god(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const { GOD_HOME: _ignored, ...inherited } = process.env;
  return runCli(args, { env: { ...inherited, ...env } });
}

function noDaemon(dir: string): string {
  return `god: no god is running at ${dir} (no answer on ${dir}/god.sock); start one with \`god run --home ${dir}\`.\n`;
}

test("no daemon: exit 3 and one sentence naming the home, the socket and the fix", async () => {
  const cases = [
    ["status", "--home", home],
    ["--home", home, "status"],
    ["start", "web", "--home", home],
    ["stop", "--home", home, "a", "b"],
    ["check", "web", "--home", home],
    ["loaders", "--json", "--home", home],
    ["reload-loaders", "--home", home],
    ["shutdown", "--home", home],
  ];
  const runs = await Promise.all(cases.map((args) => god(args)));
  runs.forEach((run, i) => {
    const args = cases[i]!.join(" ");
    assert.equal(run.code, 3, args);
    assert.equal(run.stderr, noDaemon(home), args);
    assert.equal(run.stdout, "");
  });
});

test("no daemon: a stale socket file (nothing listening) is the same sentence", async () => {
  const stale = mkdtempSync(join(tmpdir(), "god-cli-"));
  try {
    writeFileSync(join(stale, "god.sock"), "");
    const run = await god(["status", "--home", stale]);
    assert.equal(run.code, 3);
    assert.equal(run.stderr, noDaemon(stale));
  } finally {
    rmSync(stale, { recursive: true, force: true });
  }
});

test("home: GOD_HOME when there is no --home; --home wins over it", async () => {
  const fromEnv = await god(["status"], { GOD_HOME: home });
  assert.equal(fromEnv.code, 3);
  assert.equal(fromEnv.stderr, noDaemon(home));
  const other = join(home, "other");
  const fromFlag = await god(["status", "--home", other], { GOD_HOME: home });
  assert.equal(fromFlag.stderr, noDaemon(other));
});

test("usage errors: exit 2 and one sentence", async () => {
  const cases: Array<[string[], string]> = [
    [["frobnicate"], 'god: unknown command "frobnicate"; run `god --help` to list the commands.\n'],
    [["--foo"], "god: unknown flag --foo; run `god --help` to list the commands.\n"],
    [["status", "--foo"], "god: unknown flag --foo for `god status`; run `god status --help`.\n"],
    [["status", "--home"], "god: flag --home of `god status` needs a value; run `god status --help`.\n"],
    [["start", "--home", home], "god: `god start` needs at least one JOB; run `god start --help`.\n"],
    [["start", "web", "--json"], "god: unknown flag --json for `god start`; run `god start --help`.\n"],
    [["check", "a", "b"], 'god: unexpected argument "b" for `god check`; run `god check --help`.\n'],
    [["validate"], "god: `god validate` needs the PATH of one loader; run `god validate --help`.\n"],
    [["run", "now", "--home", home], 'god: unexpected argument "now" for `god run`; run `god run --help`.\n'],
    [
      ["run", "--env", "prod uction", "--home", home],
      'god: --env prod uction is not an environment name; use letters, digits, "_" and "-" (as in env_production).\n',
    ],
    [
      ["add", "web", "node", "app.js", "--home", home],
      "god: `god add` needs a NAME, then -- and the command: god add web -- node app.js; run `god add --help`.\n",
    ],
    [
      ["add", "a b", "--", "true"],
      'god: "a b" is not a job name; use 1 to 64 letters, digits, "_", "." or "-" (run `god add --help`).\n',
    ],
    [["remove"], "god: `god remove` needs the NAME of a job made by `god add`; run `god remove --help`.\n"],
    [["--dir"], "god: flag --dir of `god run` needs a value; run `god run --help`.\n"],
  ];
  const runs = await Promise.all(cases.map(([args]) => god(args)));
  runs.forEach((run, i) => {
    const [args, stderr] = cases[i]!;
    assert.equal(run.code, 2, args.join(" "));
    assert.equal(run.stderr, stderr, args.join(" "));
    assert.equal(run.stdout, "");
  });
});

test("usage: `god`, `god help` and `god --help` list the commands, exit 0", async () => {
  for (const run of await Promise.all([[], ["help"], ["--help"], ["-h"]].map((args) => god(args)))) {
    assert.equal(run.code, 0);
    assert.equal(run.stderr, "");
    assert.match(run.stdout, /^god: a process manager/);
    for (const command of [
      "run",
      "status",
      "start",
      "stop",
      "logs",
      "check",
      "loaders",
      "validate",
      "shutdown",
    ]) {
      assert.match(run.stdout, new RegExp(`\\n  god ${command} `), command);
    }
  }
});

test("usage: `god COMMAND --help` and `god help COMMAND` print the command's own help, exit 0", async () => {
  for (const args of [
    ["status", "--help"],
    ["help", "status"],
    ["status", "web", "-h", "--home", home],
  ]) {
    const run = await god(args);
    assert.equal(run.code, 0, args.join(" "));
    assert.match(run.stdout, /^Usage: god status \[JOB\.\.\.\] \[--json\]/);
  }
  const stop = await god(["stop", "--help"]);
  assert.match(stop.stdout, /^Usage: god stop JOB\.\.\. \[--no-wait\]/);
});

test("--version prints the package's version", async () => {
  const { version } = JSON.parse(readFileSync(PACKAGE, "utf8")) as { version: string };
  const run = await god(["--version"]);
  assert.equal(run.code, 0);
  assert.equal(run.stdout, `${version}\n`);
});
