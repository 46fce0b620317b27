// Probes under a real god: an HTTP GET to a tiny server job, a TCP connect, and a command, all run by god
// itself, so the library loader that declared them is released to `idle`; `god check` runs a probe now and
// exits 0 on ok, 1 otherwise.

import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { Sandbox } from "../helpers/god.js";

/** Free loopback ports, found by binding port 0 and closing. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<ReturnType<typeof createServer>>((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve(server)),
      );
    }),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    return typeof address === "object" && address !== null ? address.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

type LoaderJson = { path: string; pid: number | null; state: string; jobs: string[] };

describe("probes", () => {
  it("checks by http, tcp and command with the loader idle", async () => {
    const sb = new Sandbox("god-probes-");
    try {
      const [httpPort, tcpPort, closedPort] = await freePorts(3);
      const down = `${sb.root}/down`;
      const flag = `${sb.root}/flag`;
      writeFileSync(flag, "");
      const server = `require("node:http").createServer((q, s) => { s.statusCode = require("node:fs").existsSync(${JSON.stringify(down)}) ? 503 : 200; s.end(); }).listen(${httpPort}, "127.0.0.1")`;
      const listener = `require("node:net").createServer((c) => c.end()).listen(${tcpPort}, "127.0.0.1")`;
      const node = JSON.stringify(process.execPath);
      sb.libLoader(
        "probed",
        `job("web", { exec: [${node}, "-e", ${JSON.stringify(server)}], auto: true, check: { every: "100ms", failures: 1000, probe: http("http://127.0.0.1:${httpPort}/health", { status: [200, 299] }) } });
job("sock", { exec: [${node}, "-e", ${JSON.stringify(listener)}], auto: true, check: { every: "100ms", probe: tcp("127.0.0.1", ${tcpPort}) } });
job("flagged", { exec: ["sleep", "1000"], auto: true, check: { every: "100ms", failures: 1000, probe: command(["test", "-e", ${JSON.stringify(flag)}]) } });
job("nothing", { exec: ["sleep", "1000"], auto: true, check: { every: "100ms", probe: tcp("127.0.0.1", ${closedPort}) } });`,
      );
      sb.startGod();
      for (const name of ["web", "sock", "flagged"]) sb.track((await sb.untilState(name, "running")).pid);
      const nothing = await sb.until("a failed tcp probe", async () => {
        const j = await sb.job("nothing");
        return j?.check?.status === "fail" ? j : undefined;
      });
      sb.track(nothing.pid);
      assert.equal(nothing.state, "starting", "nothing listens there: never ready");
      assert.match(nothing.check?.message ?? "", /ECONNREFUSED/);

      const r = await sb.ctl(["loaders", "--json"]);
      const [loader] = (JSON.parse(r.stdout) as { loaders: LoaderJson[] }).loaders;
      assert.equal(loader?.state, "idle", "only probes: nothing keeps the loader resident");
      assert.equal(loader?.pid, null);

      const web = await sb.ctl(["check", "web"]);
      assert.equal(web.code, 0, web.stderr);
      assert.equal(web.stdout, "web: ok: HTTP 200\n");
      writeFileSync(down, "");
      const web503 = await sb.ctl(["check", "web"]);
      assert.equal(web503.code, 1);
      assert.equal(web503.stdout, "web: fail: HTTP 503\n");
      const seen = await sb.until("the scheduled probe to see the 503", async () => {
        const j = await sb.job("web");
        return j?.check?.message === "HTTP 503" ? j : undefined;
      });
      assert.equal(seen.check?.status, "fail");

      assert.equal((await sb.ctl(["check", "sock"])).code, 0);
      assert.equal((await sb.ctl(["check", "flagged"])).code, 0);
      rmSync(flag);
      const gone = await sb.ctl(["check", "flagged"]);
      assert.equal(gone.code, 1);
      assert.match(gone.stdout, /^flagged: fail: /);
    } finally {
      await sb.cleanup();
    }
  });
});
