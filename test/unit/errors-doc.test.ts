// docs/errors.md lists exactly the codes of the registry in src/protocol/errors.ts, with the same names and the
// same meaning text, so the documentation cannot drift from the codes god sends.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ErrorCode, errorCodeMeaning, isErrorCode } from "../../src/protocol/errors.js";

type Row = { code: number; name: string; meaning: string };

function documentedRows(): Row[] {
  const text = readFileSync(join(process.cwd(), "docs/errors.md"), "utf8");
  const rows: Row[] = [];
  for (const line of text.split("\n")) {
    const match = /^\|\s*(-?\d+)\s*\|\s*(\w+)\s*\|\s*(.+?)\s*\|\s*$/.exec(line);
    if (match) rows.push({ code: Number(match[1]), name: match[2]!, meaning: match[3]! });
  }
  return rows;
}

function registryRows(): Row[] {
  return Object.entries(ErrorCode).map(([name, code]) => ({ code, name, meaning: errorCodeMeaning[code] }));
}

test("the registry gives every code a meaning and uses no code twice", () => {
  const codes = Object.values(ErrorCode);
  assert.equal(new Set(codes).size, codes.length);
  assert.deepEqual(
    Object.keys(errorCodeMeaning)
      .map(Number)
      .sort((a, b) => a - b),
    [...codes].sort((a, b) => a - b),
  );
  for (const code of codes) assert.ok(isErrorCode(code));
  assert.equal(isErrorCode(1999), false);
});

test("docs/errors.md lists each code once", () => {
  const codes = documentedRows().map((r) => r.code);
  assert.ok(codes.length > 0, "no table rows found in docs/errors.md");
  assert.equal(new Set(codes).size, codes.length);
});

test("docs/errors.md lists exactly the registry's codes, names and meanings", () => {
  const byCode = (a: Row, b: Row) => a.code - b.code;
  assert.deepEqual(documentedRows().sort(byCode), registryRows().sort(byCode));
});
