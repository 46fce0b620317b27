// `god status` asks the daemon for its table (`format: "text"`): against a real god the text is the table the
// CLI renders from the daemon's JSON, with `instances` adding a line per instance, and a format other than json
// or text is refused with a sentence.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StatusJson } from "../../src/protocol/control.js";
import { renderStatus } from "../../src/protocol/status-table.js";
import { controlRequest } from "../helpers/control.js";
import { runCli, Sandbox } from "../helpers/god.js";
import { helloLoader } from "../helpers/hello-loader.js";

describe("status as text from a real god", { timeout: 60_000 }, () => {
  it("is the table the JSON renders to, with or without instances", async (t) => {
    const sb = new Sandbox("god-status-text-");
    t.after(() => sb.cleanup());
    helloLoader(sb, "app", [
      { name: "web", exec: ["sleep", "100000"], auto: true, instances: 2 },
      { name: "solo", exec: ["sleep", "100000"], auto: true },
    ]);
    sb.startGod();
    for (const name of ["web", "solo"]) await sb.untilState(name, "running");
    const json = (await controlRequest(sb.home, "status", { jobs: [] })) as StatusJson;
    for (const job of json.jobs) for (const i of job.instances) sb.track(i.pid);

    for (const instances of [false, true]) {
      // Two requests a moment apart: an uptime may tick over a second between them, so they are asked again
      // (bounded) until they agree.
      const pair = await sb.until(`text and JSON alike (instances ${instances})`, async () => {
        const text = (await controlRequest(sb.home, "status", { jobs: [], format: "text", instances })) as {
          text: string;
        };
        const status = (await controlRequest(sb.home, "status", { jobs: [] })) as StatusJson;
        const local = renderStatus(status, { instances });
        return text.text === local ? { text: text.text } : undefined;
      });
      const lines = pair.text.trimEnd().split("\n");
      assert.match(lines[0]!, /^JOB +STATE +PID +INST +UPTIME +RESTARTS +CHECK +LOADER$/);
      assert.equal(
        lines.some((l) => l.startsWith("  web:1 ")),
        instances,
        pair.text,
      );
    }

    const cli = await runCli(["status", "-i", "--home", sb.home]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^ {2}web:0 +running +\d+ /m);
    assert.match(cli.stdout, /^solo +running +\d+ +1\/1 /m);

    const rejected = await controlRequest(sb.home, "status", { format: "xml" }).catch(
      (e: Error) => e.message,
    );
    assert.equal(rejected, 'status: params.format: expected "json" or "text"');
  });
});
