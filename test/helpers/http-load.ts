// Load on a server god runs, from the test process: a free loopback port, one GET, and bounded loops of
// requests (a new connection each) that count what answered, what failed and which pids answered.

import { type Agent, request } from "node:http";
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export type Target = { port: number } | { socketPath: string };

/** The body of GET / on the target; rejects on a status other than 200, an error or 5 s without an answer. */
export function get(target: Target, agent: Agent | false = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, host: "127.0.0.1", path: "/", agent, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Requests without pause from `workers` loops until stopped (bounded by count and time). The server answers
 * "pid N ..."; the pids seen are collected.
 */
export function load(target: Target, workers = 4) {
  const stats = { ok: 0, failed: 0, errors: new Set<string>(), pids: new Set<string>() };
  let stopping = false;
  const deadline = Date.now() + 120_000;
  const loops = Array.from({ length: workers }, async () => {
    for (let i = 0; i < 200_000 && !stopping && Date.now() < deadline; i++) {
      try {
        const body = await get(target);
        stats.ok++;
        stats.pids.add(body.split(" ")[1] ?? "");
      } catch (error) {
        stats.failed++;
        stats.errors.add((error as Error).message);
      }
    }
  });
  return {
    stats,
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
      return stats;
    },
  };
}
