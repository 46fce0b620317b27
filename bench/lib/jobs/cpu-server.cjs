// The job of the instances measure: an HTTP server that spends about 3 ms of CPU on each request (a busy loop),
// on the socket passed as fd 3 (god) or on $BENCH_PORT (PM2's cluster mode binds it in the master). With god's
// `ready: {fd: N}` it says it is ready once it accepts; on SIGTERM/SIGINT/PM2's "shutdown" it drains as
// server.cjs does. CommonJS, because PM2's cluster mode loads the script with require().
const http = require("node:http");
const net = require("node:net");

const WORK_MS = 3;
let closing = false;
const server = http.createServer((_request, response) => {
  const until = performance.now() + WORK_MS;
  let x = 0;
  while (performance.now() < until) x++;
  if (closing) response.setHeader("connection", "close");
  response.end(`ok ${x & 1}\n`);
});
server.keepAliveTimeout = 30_000;
server.on("listening", () => {
  const readyFd = Number(process.env.GOD_READY_FD ?? "");
  if (Number.isInteger(readyFd) && readyFd >= 3) require("node:fs").writeSync(readyFd, "ready\n");
  if (process.send) process.send("ready");
});
const passed = Number(process.env.LISTEN_FDS ?? "");
if (Number.isInteger(passed) && passed > 0) server.listen({ fd: 3 });
else server.listen(Number(process.env.BENCH_PORT), "127.0.0.1");

function drain() {
  if (closing) return;
  closing = true;
  net.Server.prototype.close.call(server, () => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on("SIGTERM", drain);
process.on("SIGINT", drain);
process.on("message", (message) => {
  if (message === "shutdown") drain();
});
