// src/cli/arg-tokens.ts splits a command line as util.parseArgs does with `strict: false, tokens: true`: each
// case here is run through both and the tokens compared (parseArgs' `index` aside).

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseArgs } from "node:util";
import { argTokens, type TokenOptions } from "../../src/cli/arg-tokens.js";

const OPTIONS: TokenOptions = {
  home: { type: "string" },
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  instances: { type: "boolean", short: "i" },
  follow: { type: "boolean", short: "f" },
  lines: { type: "string", short: "n" },
  env: { type: "string" },
  detach: { type: "boolean", short: "d" },
};

const CASES: string[][] = [
  [],
  ["status"],
  ["--home", "/tmp/x"],
  ["--home=/tmp/x", "web"],
  ["--home="],
  ["--home"],
  ["--home", "--json"],
  ["--json", "web", "--home", "h"],
  ["-h"],
  ["-n", "20", "web"],
  ["-n20"],
  ["-n", "-5"],
  ["-fi"],
  ["-fin5"],
  ["-fin", "5"],
  ["-fx"],
  ["-x"],
  ["-"],
  ["--", "-h", "--home", "x"],
  ["web", "--", "sleep", "10"],
  ["--unknown"],
  ["--unknown=3"],
  ["--json=yes"],
  ["--=x"],
  ["---x"],
  ["-1"],
  ["-n"],
  ["--lines", "3", "-d", "--env", "prod", "a", "b"],
  ["-hd", "--", "--"],
];

for (const args of CASES) {
  test(`argTokens(${JSON.stringify(args)}) is what util.parseArgs says`, () => {
    const reference = parseArgs({
      args,
      options: OPTIONS,
      strict: false,
      allowPositionals: true,
      tokens: true,
    }).tokens.map(({ index: _index, ...token }) => token);
    assert.deepEqual(argTokens(args, OPTIONS), reference);
  });
}
