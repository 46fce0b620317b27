// The command line's parsing: which command an argv names (the original's `god --dir DIR` included), flags
// anywhere after the command, and one sentence for every kind of usage mistake.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommandArgs, UsageError } from "../../src/cli/command.js";
import { dispatch } from "../../src/cli/dispatch.js";
import { resolveHome, socketPath } from "../../src/cli/home.js";

const STATUS = { json: { type: "boolean" } } as const;
const RUN = { dir: { type: "string", multiple: true }, http: { type: "string" } } as const;

test("flags may stand anywhere after the command, in both forms", () => {
  const parsed = parseCommandArgs("status", ["web", "--json", "--home", "/h", "db", "--home=/g"], STATUS);
  assert.deepEqual(parsed.positionals, ["web", "db"]);
  assert.equal(parsed.values.json, true);
  assert.equal(parsed.values.home, "/g", "the last --home wins");
  assert.equal(parsed.home, "/g");
  assert.equal(parsed.values.help, false);
});

test("defaults: booleans false, single strings null, repeatable strings empty", () => {
  const parsed = parseCommandArgs("run", [], RUN);
  assert.deepEqual(parsed.values, { home: null, help: false, dir: [], http: null });
});

test("a repeatable flag collects every value in order", () => {
  const parsed = parseCommandArgs("run", ["--dir", "a", "--http", "x", "--dir=b"], RUN);
  assert.deepEqual(parsed.values.dir, ["a", "b"]);
  assert.equal(parsed.values.http, "x");
});

test("-h and --help ask for help", () => {
  assert.equal(parseCommandArgs("status", ["-h"], STATUS).values.help, true);
  assert.equal(parseCommandArgs("status", ["web", "--help"], STATUS).values.help, true);
});

test("after -- everything is a positional", () => {
  const parsed = parseCommandArgs("status", ["--", "--json", "-x"], STATUS);
  assert.deepEqual(parsed.positionals, ["--json", "-x"]);
  assert.equal(parsed.values.json, false);
});

function usageError(
  args: string[],
  options: typeof STATUS | typeof RUN = STATUS,
  command = "status",
): string {
  try {
    parseCommandArgs(command, args, options);
  } catch (error) {
    assert.ok(error instanceof UsageError);
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail(`expected a usage error for ${args.join(" ")}`);
}

test("an unknown flag is one sentence naming the flag, the command and the fix", () => {
  assert.equal(usageError(["--foo"]), "unknown flag --foo for `god status`; run `god status --help`.");
  assert.equal(
    usageError(["web", "--foo=1"]),
    "unknown flag --foo for `god status`; run `god status --help`.",
  );
  assert.equal(usageError(["-x"]), "unknown flag -x for `god status`; run `god status --help`.");
  assert.equal(usageError(["--dir", "a"]), "unknown flag --dir for `god status`; run `god status --help`.");
});

test("a flag that needs a value and has none, or one that takes none and has one", () => {
  assert.equal(usageError(["--home"]), "flag --home of `god status` needs a value; run `god status --help`.");
  assert.equal(
    usageError(["--home", "--json"]),
    "flag --home of `god status` needs a value; run `god status --help`.",
  );
  assert.equal(
    usageError(["--home="]),
    "flag --home of `god status` needs a value; run `god status --help`.",
  );
  assert.equal(
    usageError(["--json=yes"]),
    "flag --json of `god status` takes no value; run `god status --help`.",
  );
  assert.equal(
    usageError(["--dir"], RUN, "run"),
    "flag --dir of `god run` needs a value; run `god run --help`.",
  );
});

test("dispatch: the first word that is not a flag is the command; the rest goes to it", () => {
  assert.deepEqual(dispatch(["status", "web", "--json"]), {
    type: "command",
    name: "status",
    args: ["web", "--json"],
    warnings: [],
  });
  assert.deepEqual(dispatch(["--home", "/h", "status", "web"]), {
    type: "command",
    name: "status",
    args: ["--home", "/h", "web"],
    warnings: [],
  });
  assert.deepEqual(dispatch(["--json", "loaders"]), {
    type: "command",
    name: "loaders",
    args: ["--json"],
    warnings: [],
  });
  assert.deepEqual(dispatch(["reload-loaders"]), {
    type: "command",
    name: "reload-loaders",
    args: [],
    warnings: [],
  });
});

test("dispatch: the original's form `god --dir DIR` means `god run --dir DIR`", () => {
  assert.deepEqual(dispatch(["--dir", "/etc/god", "--dir", "x"]), {
    type: "command",
    name: "run",
    args: ["--dir", "/etc/god", "--dir", "x"],
    warnings: [],
  });
  assert.deepEqual(dispatch(["--home", "/h", "--dir=/etc/god"]), {
    type: "command",
    name: "run",
    args: ["--home", "/h", "--dir=/etc/god"],
    warnings: [],
  });
  assert.deepEqual(dispatch(["--loader", "./l.js"]), {
    type: "command",
    name: "run",
    args: ["--loader", "./l.js"],
    warnings: [],
  });
});

test("dispatch: the original's single-dash flags: -dir DIR and -dir=DIR; -listen ADDR ignored with a warning", () => {
  assert.deepEqual(dispatch(["-dir", "/etc/god"]), {
    type: "command",
    name: "run",
    args: ["--dir", "/etc/god"],
    warnings: [],
  });
  assert.deepEqual(dispatch(["-dir=/etc/god", "-listen", "data/god.socket"]), {
    type: "command",
    name: "run",
    args: ["--dir=/etc/god"],
    warnings: [
      "-listen data/god.socket is ignored: god's control socket is always GOD_HOME/god.sock (use --home DIR to choose the home).",
    ],
  });
  assert.deepEqual(dispatch(["run", "-listen=:9000", "-dir", "x"]).type, "command");
});

test("dispatch: usage, help and version", () => {
  assert.deepEqual(dispatch([]), { type: "usage" });
  assert.deepEqual(dispatch(["--help"]), { type: "usage" });
  assert.deepEqual(dispatch(["-h"]), { type: "usage" });
  assert.deepEqual(dispatch(["help"]), { type: "usage" });
  assert.deepEqual(dispatch(["--version"]), { type: "version" });
  assert.deepEqual(dispatch(["help", "status"]), {
    type: "command",
    name: "status",
    args: ["--help"],
    warnings: [],
  });
  assert.deepEqual(dispatch(["status", "--help"]), {
    type: "command",
    name: "status",
    args: ["--help"],
    warnings: [],
  });
  assert.deepEqual(dispatch(["--help", "stop"]), {
    type: "command",
    name: "stop",
    args: ["--help"],
    warnings: [],
  });
});

test("dispatch: an unknown command or flag is one sentence with the fix", () => {
  assert.deepEqual(dispatch(["frobnicate"]), {
    type: "error",
    message: 'unknown command "frobnicate"; run `god --help` to list the commands.',
  });
  assert.deepEqual(dispatch(["help", "frobnicate"]), {
    type: "error",
    message: 'unknown command "frobnicate"; run `god --help` to list the commands.',
  });
  assert.deepEqual(dispatch(["--foo=1", "status"]), {
    type: "error",
    message: "unknown flag --foo; run `god --help` to list the commands.",
  });
});

test("home: --home, then GOD_HOME, then ~/.god; always absolute", () => {
  assert.equal(resolveHome("/srv/god", { GOD_HOME: "/elsewhere" }), "/srv/god");
  assert.equal(resolveHome("rel", {}), `${process.cwd()}/rel`);
  assert.equal(resolveHome(null, { GOD_HOME: "/elsewhere" }), "/elsewhere");
  assert.equal(resolveHome(null, { GOD_HOME: "" }).endsWith("/.god"), true);
  assert.equal(resolveHome(null, {}).endsWith("/.god"), true);
  assert.equal(socketPath("/srv/god"), "/srv/god/god.sock");
});
