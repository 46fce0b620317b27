// Found by the chaos suite (10 minutes of kills and deploys): a loader file that is being written when god
// runs it (a deploy that writes in place) makes spawn() throw ETXTBSY instead of emitting an error, and the
// throw took god down (exit 70, every job killed). A loader that cannot be started is a failed loader: it is
// retried with its backoff, and runs once the file is complete.

import assert from "node:assert/strict";
import { closeSync, openSync } from "node:fs";
import { describe, it } from "node:test";
import { shLoader } from "../fixtures/proc-tools.js";
import { Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 60_000;

describe("a loader file being written when god runs it", { timeout: TIMEOUT_MS }, () => {
  it("god does not die of ETXTBSY: the loader fails with its reason and runs once the file is written", async (t) => {
    const sb = new Sandbox("god-loader-busy-");
    t.after(() => sb.cleanup());
    const path = sb.write("app", shLoader([{ name: "a", exec: ["sleep", "1000"], auto: true }]));
    // An open writer makes exec fail with ETXTBSY, as a deploy writing the file in place does.
    let writer: number | null = openSync(path, "r+");
    const close = () => {
      if (writer !== null) closeSync(writer);
      writer = null;
    };
    t.after(close);
    sb.startGod();
    const events = await sb.events();
    const failed = await sb.until("the loader's failure", () => {
      const loader = [...events.loaders.values()][0];
      return loader?.lastError ? loader : undefined;
    });
    assert.match(failed.lastError ?? "", /ETXTBSY|being written/);
    assert.equal(sb.god?.exitCode, null, "god is alive");
    close();
    sb.track((await sb.untilState("a", "running", 40_000)).pid);
  });
});
