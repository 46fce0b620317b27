// A real god starts with V8's optimizing compiler off (src/daemon/optimizer.ts): starting and running quiet
// jobs leaves it off; a job that writes a megabyte at once turns it on, which god logs once, and so do tcp
// checks 40 times a second (against a listener of the test's own).

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { Sandbox } from "../helpers/god.js";
import { helloLoader } from "../helpers/hello-loader.js";

const TURNED_ON = /god turned on V8's optimizing compiler: within 1000 ms its jobs wrote more than 256 KiB/;

describe("god's optimizing compiler waits for load", { timeout: 60_000 }, () => {
  it("stays off for quiet jobs and comes on, once, under a flood of output", async (t) => {
    const sb = new Sandbox("god-optimizer-");
    t.after(() => sb.cleanup());
    const flood = "for (let i = 0; i < 2048; i++) process.stdout.write('x'.repeat(511) + '\\n');";
    helloLoader(sb, "app", [
      { name: "quiet", exec: ["sleep", "100000"], auto: true, instances: 3 },
      { name: "flood", exec: [process.execPath, "-e", flood], auto: false, restart: "never" },
    ]);
    sb.startGod();
    await sb.untilState("quiet", "running");
    assert.doesNotMatch(sb.godOutput, TURNED_ON, "quiet jobs do not turn it on");

    const started = await sb.ctl(["start", "flood"]);
    assert.equal(started.code, 0, started.stderr);
    await sb.untilOutput("the optimizer to come on", () => TURNED_ON.test(sb.godOutput));
    // The megabyte is four times the threshold: it is turned on (and said) once.
    await sb.untilState("flood", "exited");
    const said = sb.godOutput.split("\n").filter((line) => TURNED_ON.test(line));
    assert.equal(said.length, 1, said.join("\n"));
  });

  it("comes on under checks: two jobs probed every 50 ms", async (t) => {
    const listener = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    t.after(() => listener.close());
    const address = listener.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const sb = new Sandbox("god-optimizer-checks-");
    t.after(() => sb.cleanup());
    const check = { intervalMs: 50, probe: { tcp: { host: "127.0.0.1", port } } };
    helloLoader(sb, "app", [
      { name: "a", exec: ["sleep", "100000"], auto: true, check },
      { name: "b", exec: ["sleep", "100000"], auto: true, check },
    ]);
    sb.startGod();
    await sb.untilOutput("the optimizer to come on", () => TURNED_ON.test(sb.godOutput));
  });
});
