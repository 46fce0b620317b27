// Found while writing the full-disk policy: a log file that could not be opened again (its directory removed,
// then a rotation) made the next write throw out of the pipe's data handler, and god died of it, killing every
// job. Now it is a failed write like any other: held back, then dropped and counted, and the file comes back
// by itself once the directory does.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { shLoader } from "../fixtures/proc-tools.js";
import { isAlive, Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 90_000;

describe("the logs directory removed under a writing job", { timeout: TIMEOUT_MS }, () => {
  it("god lives on, reports it once, and writes the job's log again when the directory is back", async (t) => {
    const sb = new Sandbox("god-logs-removed-");
    t.after(() => sb.cleanup());
    // 10 MiB (one rotation) in well under a second: `yes` as fast as the pipe takes it.
    sb.write(
      "app",
      shLoader([
        { name: "loud", exec: ["yes", "a line of output"], auto: true, stop: { signal: "SIGKILL" } },
      ]),
    );
    sb.startGod();
    const job = await sb.untilState("loud", "running");
    sb.track(job.pid);
    const logs = join(sb.home, "logs");
    await sb.until("the first rotation", () => existsSync(join(logs, "loud.log.1")));
    // Gone at once, by a rename: removed in place, god (rotating every few ms under `yes`) would make a new
    // loud.log between rm's listing and its rmdir (ENOTEMPTY). god opens by path, so nothing of it goes into the
    // renamed directory, which is then removed.
    renameSync(logs, `${logs}.removed`);
    rmSync(`${logs}.removed`, { recursive: true, force: true });
    await sb.untilOutput(
      "the failure reported",
      () => /the log of job loud could not be written/.test(sb.godOutput),
      30_000,
    );
    mkdirSync(logs, { mode: 0o700 });
    await sb.until("the job's log written again", () => existsSync(join(logs, "loud.log")), 30_000);
    assert.equal(sb.god?.exitCode, null, "god is alive");
    assert.ok(isAlive(job.pid!), "the job was not touched");
    const reports = sb.godOutput.match(/the log of job loud could not be written/g) ?? [];
    assert.equal(reports.length, 1, "reported once, not at every retry");
  });
});
