// Defect 6 of the reliability issue, god's side: one loader could flood god's own log (70 lines a second about
// its malformed lines then; a loader that writes its stderr as fast as it can made 3 million lines, 370 MB, in
// 20 s), and god.log had no size limit. Lines about one loader now have a budget a minute; the rest are counted.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { LOADER_LINES_PER_MINUTE } from "../../src/logs/god-log.js";
import { hello } from "../fixtures/proc-tools.js";
import { Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 60_000;

describe("god's own log under a loader's flood", { timeout: TIMEOUT_MS }, () => {
  it("a loader's stderr and log notifications, as fast as it can: god logs its budget, then one note", async (t) => {
    const sb = new Sandbox("god-godlog-flood-");
    t.after(() => sb.cleanup());
    const resident = (name: string) => [{ name, exec: ["sleep", "1000"], auto: true, events: ["running"] }];
    const log = JSON.stringify({
      jsonrpc: "2.0",
      method: "log",
      params: { level: "error", message: "boom" },
    });
    const loaders = {
      stderr: `#!/bin/sh\ncat <<'EOF'\n${hello(resident("a"))}\nEOF\nexec yes 'a line on stderr' >&2\n`,
      notes: `#!/bin/sh\ncat <<'EOF'\n${hello(resident("b"))}\nEOF\nexec yes '${log}'\n`,
    };
    const paths = Object.entries(loaders).map(([name, text]) => sb.write(name, text));
    sb.startGod();
    const note = (path: string) => `"msg":"loader ${path} has had more than ${LOADER_LINES_PER_MINUTE} lines`;
    await sb.untilOutput("the over-budget note of both loaders", () =>
      paths.every((p) => sb.godOutput.includes(note(p))),
    );
    for (const name of ["a", "b"]) sb.track((await sb.untilState(name, "running")).pid);
    // The floods go on; god's log about each loader holds its budget, its own notes and nothing more.
    const lines = readFileSync(join(sb.home, "logs", "god.log"), "utf8").split("\n");
    for (const path of paths) {
      const about = lines.filter((l) => l.includes(`"loader":${JSON.stringify(path)}`));
      assert.ok(
        about.length <= LOADER_LINES_PER_MINUTE + 1,
        `${about.length} lines about ${path} in god.log within its first minute`,
      );
    }
    assert.ok(
      lines.some((l) => l.includes('"msg":"boom"')),
      "a log notification is logged",
    );
    assert.ok(
      lines.some((l) => l.includes('"msg":"a line on stderr"')),
      "a stderr line is logged",
    );
    const status = await sb.ctl(["status"]);
    assert.equal(status.code, 0, status.stderr);
  });
});
