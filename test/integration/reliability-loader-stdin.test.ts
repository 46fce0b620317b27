// Defect 2 of the reliability issue: a loader that never reads its stdin made god grow without bound (56 -> 500
// MB in 6 s) while god kept writing to it. Here the loader floods god with requests, each of which god answers
// on the loader's stdin, and reads nothing: god must cut it off with its reason, restart it, and stay small.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hello } from "../fixtures/proc-tools.js";
import { Sandbox } from "../helpers/god.js";
import { rssBytes } from "../helpers/proc-self.js";

const TIMEOUT_MS = 120_000;

describe("a loader that never reads its stdin", { timeout: TIMEOUT_MS }, () => {
  it("is cut off with its reason and restarted; god's memory stays bounded", async (t) => {
    const sb = new Sandbox("god-loader-stdin-");
    t.after(() => sb.cleanup());
    // Resident (it wants events), then a request a line as fast as `yes` writes, never reading an answer.
    const request = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "nosuchmethod", params: {} });
    const jobs = [{ name: "quiet", exec: ["sleep", "1000"], auto: true, events: ["running"] }];
    sb.write("deaf", `#!/bin/sh\ncat <<'EOF'\n${hello(jobs)}\nEOF\nexec yes '${request}'\n`);
    const god = sb.startGod();
    const events = await sb.events();
    const before = rssBytes(god.pid!);
    let peak = before;
    const loader = await sb.until(
      "the loader cut off and restarted twice",
      () => {
        peak = Math.max(peak, rssBytes(god.pid!));
        const deaf = [...events.loaders.values()][0];
        return deaf && deaf.restarts >= 2 && /does not read its stdin/.test(deaf.lastError ?? "")
          ? deaf
          : undefined;
      },
      60_000,
    );
    sb.track((await sb.job("quiet"))?.pid);
    const grewMb = (peak - before) / (1024 * 1024);
    t.diagnostic(
      `god's RSS: ${(before / 2 ** 20).toFixed(0)} MB before, peak ${(peak / 2 ** 20).toFixed(0)} MB`,
    );
    assert.ok(grewMb < 50, `god grew by ${grewMb.toFixed(0)} MB while the loader did not read`);
    assert.match(loader.lastError ?? "", /more than 1 MiB of god's messages are unread/);
    const listed = await sb.ctl(["loaders"]);
    assert.match(listed.stdout + listed.stderr, /does not read its stdin/);
    // Its job is not the loader's fault: it keeps running.
    assert.equal((await sb.job("quiet"))?.state, "running");
  });
});
