// docs/states.md draws the transition table as a Mermaid diagram; its arrows must be exactly the table's:
// one `from --> to : event` per (from, event, to) of TABLE with to != from, plus `[*] --> stopped`.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { INSTANCE_EVENT_TYPES as JOB_EVENT_TYPES } from "../../src/core/instance-events.js";
import { initialInstance } from "../../src/core/instance-state.js";
import { TABLE } from "../../src/core/transitions.js";
import { JOB_STATES } from "../../src/protocol/states.js";

function mermaidBlock(): string[] {
  const text = readFileSync(join(process.cwd(), "docs/states.md"), "utf8");
  const match = /```mermaid\n([\s\S]*?)```/.exec(text);
  assert.ok(match, "docs/states.md has no ```mermaid block");
  const lines = match[1]!
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("%%"));
  assert.equal(lines[0], "stateDiagram-v2");
  return lines.slice(1);
}

function documentedArrows(): { arrows: string[]; initial: string[] } {
  const arrows: string[] = [];
  const initial: string[] = [];
  for (const line of mermaidBlock()) {
    const start = /^\[\*\]\s*-->\s*(\w+)$/.exec(line);
    if (start) {
      initial.push(start[1]!);
      continue;
    }
    const arrow = /^(\w+)\s*-->\s*(\w+)\s*:\s*(\w+)$/.exec(line);
    assert.ok(arrow, `not an arrow of the form "from --> to : event": ${line}`);
    arrows.push(`${arrow[1]} --> ${arrow[2]} : ${arrow[3]}`);
  }
  return { arrows, initial };
}

function tableArrows(): string[] {
  const arrows: string[] = [];
  for (const from of JOB_STATES) {
    for (const event of JOB_EVENT_TYPES) {
      for (const to of TABLE[from][event].to) if (to !== from) arrows.push(`${from} --> ${to} : ${event}`);
    }
  }
  return arrows;
}

test("the diagram starts in the initial model's state", () => {
  assert.deepEqual(documentedArrows().initial, [initialInstance(0).state.type]);
});

test("no arrow is drawn twice", () => {
  const { arrows } = documentedArrows();
  assert.deepEqual(
    arrows.filter((a, i) => arrows.indexOf(a) !== i),
    [],
  );
});

test("the diagram's arrows are exactly the transition table's", () => {
  const drawn = new Set(documentedArrows().arrows);
  const table = new Set(tableArrows());
  const block = ["stateDiagram-v2", "    [*] --> stopped", ...tableArrows().map((a) => `    ${a}`)].join(
    "\n",
  );
  const hint = `; the block that matches the table is:\n${block}`;
  assert.deepEqual(
    [...table].filter((a) => !drawn.has(a)),
    [],
    "in the table but missing from docs/states.md" + hint,
  );
  assert.deepEqual(
    [...drawn].filter((a) => !table.has(a)),
    [],
    "in docs/states.md but not in the table" + hint,
  );
});

test("every state is reachable in the diagram", () => {
  const reached = new Set(["stopped", ...documentedArrows().arrows.map((a) => a.split(" ")[2]!)]);
  assert.deepEqual(
    JOB_STATES.filter((s) => !reached.has(s)),
    [],
  );
});
