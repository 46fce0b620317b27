#!/usr/bin/env node
// The example backend. One file, two roles, as in the original watchgod: run as `backend.mjs` it is an HTTP
// server; run by god as `backend.mjs godv1` it is its own loader, declaring itself (and a worker) and
// answering god's health checks from inside the same code base.

import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { init, job, listeners, ready, status } from "watchgod";

const self = fileURLToPath(import.meta.url);
const port = Number(process.env.BACKEND_PORT ?? 8080);

job("backend", {
  exec: [process.execPath, self],
  auto: true,
  env: { BACKEND_PORT: String(port) },
  listen: { http: `tcp://127.0.0.1:${port}` }, // held by god: `god reload backend` drops no request
  // The server says itself when it accepts (fd 3 is the socket, so fd 4): a reload hands over with no gap.
  ready: { fd: 4 },
  check: {
    every: "2s",
    timeout: "1s",
    grace: "10s",
    run: async () => {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      const body = await res.json();
      if (!res.ok) return { status: "fail", message: `HTTP ${res.status}` };
      return body.queue > 100 ? { status: "degraded", message: `queue is ${body.queue} long` } : "ok";
    },
  },
  stop: { signal: "SIGTERM", timeout: "5s" },
});

job("worker", {
  exec: [process.execPath, fileURLToPath(new URL("../worker.mjs", import.meta.url))],
  auto: true,
  after: ["backend"],
  env: { BACKEND_URL: `http://127.0.0.1:${port}` },
});

await init(); // with `godv1`: serve god and never return; otherwise: go on and be the server

let served = 0;
const server = createServer((req, res) => {
  served++;
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true, queue: 0, served }));
    return;
  }
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`hello from backend pid ${process.pid}\n`);
});

const { http } = listeners(); // a socket held by god, when the job declares `listen`
server.listen(http ?? { host: "127.0.0.1", port }, () => {
  console.log(`backend ${process.pid} listening on ${http ? `fd ${http.fd}` : `127.0.0.1:${port}`}`);
  // Both do nothing when the program runs outside god.
  void status(`serving on ${http ? "god's socket" : `127.0.0.1:${port}`}`);
  void ready();
});
process.on("SIGTERM", () => {
  console.log(`backend ${process.pid} draining after ${served} requests`);
  server.close(() => process.exit(0));
});
