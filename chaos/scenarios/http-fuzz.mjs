// The HTTP server (`--http 127.0.0.1:0`) fuzzed: random methods, paths (routes, traversal, long, encoded),
// headers (Host, Origin, content types, lengths that lie, many and huge ones), bodies of random bytes and
// sizes up to 10 MB, raw bytes that are not HTTP, slow clients that send half a request, and event streams
// never read. Every request must get an answer or a closed connection, god must stay up, and once every
// connection is closed god's fds must be back where they were. Job names are made up, so no job is touched.
import { connect } from "node:net";
import { ChaosGod, numberedJob, shLoader } from "../lib/god.mjs";
import { checkJobs } from "../lib/lines.mjs";

export const name = "http-fuzz";
export const about = "random methods, paths, headers, bodies and sizes; raw garbage; slow and deaf clients";

const PATHS = [
  "/",
  "/api/jobs",
  "/api/jobs/nosuch",
  "/api/jobs/nosuch/restart",
  "/api/jobs/nosuch/check",
  "/api/loaders",
  "/api/reload-loaders",
  "/api/logs?job=nosuch&n=5",
  "/api/logs?n=-1",
  "/api/logs?follow=1&n=99999999",
  "/api/events",
  "/metrics",
  "/healthz",
  "/../../etc/passwd",
  "/%2e%2e/%2e%2e/etc/passwd",
  "/app.js",
  "/index.html?x=<script>",
  `/${"a".repeat(10_000)}`,
  "/api/jobs/%00",
  "/api/jobs/\u00e9",
  "*",
  "http://evil.example/api/jobs",
];
const METHODS = [
  "GET",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "HEAD",
  "TRACE",
  "CONNECT",
  "BREW",
  "G E T",
];

export async function run({ seconds, rng }) {
  const god = new ChaosGod(name);
  const good = ["h-0"];
  god.write(
    "good",
    shLoader(
      "good",
      good.map((job) => numberedJob(job, 50)),
    ),
  );
  const counts = {};
  /** Writes raw bytes on a fresh connection; resolves with "answered", "closed" or "hung". */
  const raw = (chunks, { read = true, holdMs = 0 } = {}) =>
    new Promise((resolve) => {
      const url = new URL(god.base);
      const socket = connect(Number(url.port), url.hostname);
      let got = false;
      const timer = setTimeout(() => finish("hung"), 40_000);
      const finish = (how) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(how);
      };
      socket.on("error", () => {});
      socket.on("data", () => {
        got = true;
        if (read) finish("answered");
      });
      socket.on("close", () => finish(got ? "answered" : "closed"));
      socket.on("connect", () => {
        if (!read) socket.pause();
        const send = (i) => {
          if (i >= chunks.length || socket.destroyed) return;
          if (!socket.write(chunks[i])) socket.once("drain", () => send(i + 1));
          else send(i + 1);
        };
        send(0);
        if (holdMs > 0) setTimeout(() => finish(got ? "answered" : "left"), holdMs);
      });
    });
  const request = () => {
    const method = rng.pick(METHODS);
    const path = rng.pick(PATHS);
    const url = new URL(god.base);
    const headers = [];
    if (rng.chance(0.8)) headers.push(`Host: ${rng.pick([url.host, "evil.example", "", rng.text(30)])}`);
    if (rng.chance(0.5))
      headers.push(`Origin: ${rng.pick([god.base, "http://evil.example", "null", rng.text(20)])}`);
    if (rng.chance(0.5))
      headers.push(
        `Content-Type: ${rng.pick(["application/json", "text/plain", "multipart/form-data", rng.text(20)])}`,
      );
    for (let i = rng.int(0, 3); i > 0; i--)
      headers.push(`X-${rng.int(0, 1e6)}: ${rng.text(rng.int(0, 200))}`);
    if (rng.chance(0.05)) headers.push(`X-Huge: ${"h".repeat(rng.int(8_000, 100_000))}`);
    const size = rng.pick([0, 0, 2, 100, 64 * 1024, 64 * 1024 + 1, 200_000, rng.int(0, 10 * 1024 * 1024)]);
    const body = rng.chance(0.5)
      ? Buffer.from(JSON.stringify(rng.json()).slice(0, size))
      : rng.bytes(Math.min(size, 300_000));
    const lie = rng.chance(0.2);
    headers.push(
      `Content-Length: ${lie ? rng.pick([size + 10, Math.max(0, size - 10), -1, "x"]) : body.length}`,
    );
    headers.push(rng.pick(["Connection: close", "Connection: keep-alive", ""]));
    const head = `${method} ${path} HTTP/1.1\r\n${headers.filter(Boolean).join("\r\n")}\r\n\r\n`;
    // A large body goes in pieces, as a client sends it; god may answer 413 and close before the end.
    const chunks = [Buffer.from(head)];
    for (let at = 0; at < body.length; at += 256 * 1024) chunks.push(body.subarray(at, at + 256 * 1024));
    return chunks;
  };
  try {
    await god.start({ http: true });
    const notRunning = await god.allRunning();
    if (notRunning.length > 0) throw new Error(`not running at the start: ${notRunning.join(", ")}`);
    const fdsBefore = await god.baselineFds();
    const rssBefore = god.rss();
    let rssPeak = rssBefore;
    let hung = 0;
    let sent = 0;
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline && !god.crashed) {
      rssPeak = Math.max(rssPeak, god.rss() ?? 0);
      const kind = rng.pick([
        "request",
        "request",
        "request",
        "pipelined",
        "garbage",
        "slow",
        "deaf-events",
        "many",
      ]);
      counts[kind] = (counts[kind] ?? 0) + 1;
      let outcomes = [];
      if (kind === "request") outcomes = [await raw(request())];
      if (kind === "pipelined")
        outcomes = [await raw(Array.from({ length: rng.int(2, 20) }, () => request()).flat())];
      if (kind === "garbage")
        outcomes = [await raw([rng.bytes(rng.int(1, 20_000)), Buffer.from("\r\n\r\n")])];
      // Half a request, then silence: god's header timeout ends it; here it is left after a while.
      if (kind === "slow")
        outcomes = [
          await raw([Buffer.from("GET /api/jobs HTTP/1.1\r\nHost: x")], { holdMs: rng.int(100, 2000) }),
        ];
      if (kind === "deaf-events") {
        const head = `GET /api/events HTTP/1.1\r\nHost: ${new URL(god.base).host}\r\n\r\n`;
        outcomes = [await raw([Buffer.from(head)], { read: false, holdMs: rng.int(100, 1500) })];
      }
      if (kind === "many") outcomes = await Promise.all(Array.from({ length: 100 }, () => raw(request())));
      sent += outcomes.length;
      hung += outcomes.filter((o) => o === "hung").length;
    }
    const left = await god.allRunning(30_000);
    const fdsAfter = await god.settleFds(fdsBefore, 60_000);
    const rssAfter = god.rss();
    await Promise.all(good.map((job) => god.call("stop", { job })));
    const checked = checkJobs(god.logs, good);
    return {
      rssBefore,
      rssPeak,
      rssAfter,
      fdsBefore,
      fdsAfter,
      ...god.tally({ commands: sent, unanswered: hung }),
      ...checked,
      notes: [`connections: ${sent} ${JSON.stringify(counts)}`],
      problems: left.length > 0 ? [`not running after the fuzz: ${left.join(", ")}`] : [],
    };
  } finally {
    await god.stop();
    god.cleanup();
  }
}
