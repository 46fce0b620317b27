// The job of the requests measure: a small HTTP server on 127.0.0.1:$BENCH_PORT, or on the socket passed as fd 3
// (LISTEN_FDS, as god and systemd pass them). On SIGTERM, SIGINT or PM2's "shutdown" message it stops accepting
// and answers every further request on an open connection with `Connection: close`, so clients move to the next
// instance without a failed request; it exits when its last connection is gone (at most 3 s later).
// CommonJS, because PM2's cluster mode loads the script with require().
const http = require("node:http");
const net = require("node:net");

let closing = false;
const server = http.createServer((_request, response) => {
  if (closing) response.setHeader("connection", "close");
  response.end("ok\n");
});
server.keepAliveTimeout = 30_000;

const passed = Number(process.env.LISTEN_FDS ?? "");
const forPid = process.env.LISTEN_PID;
// One line when it starts serving and one when it starts to drain, so the job's log shows how instances overlap.
// With god's `ready: {fd: N}` it says it is ready on that fd once it accepts: god stops the old instance then.
server.on("listening", () => {
  console.log(`pid ${process.pid} serving`);
  const readyFd = Number(process.env.GOD_READY_FD ?? "");
  if (Number.isInteger(readyFd) && readyFd >= 3) require("node:fs").writeSync(readyFd, "ready\n");
});
if (Number.isInteger(passed) && passed > 0 && (!forPid || Number(forPid) === process.pid)) {
  server.listen({ fd: 3 });
} else {
  server.listen(Number(process.env.BENCH_PORT), "127.0.0.1");
}

function drain() {
  if (closing) return;
  closing = true;
  console.log(`pid ${process.pid} draining`);
  // net's close, not http's: http.Server#close also drops idle keep-alive connections at once, and a request a
  // client has just sent on one would fail. Each open connection gets one more answer, with Connection: close.
  net.Server.prototype.close.call(server, () => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on("SIGTERM", drain);
process.on("SIGINT", drain);
process.on("message", (message) => {
  if (message === "shutdown") drain();
});
