// Free loopback ports for the servers the bench starts, a listener that accepts and closes (the target of
// god's tcp probes in the idle measure), and whether a server on a port answers 200.
import { request } from "node:http";
import { createServer } from "node:net";

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A 127.0.0.1 listener that closes each connection at once; resolves { port, close() }. */
export function acceptAndClose() {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve({ port: server.address().port, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

/** Whether GET / on 127.0.0.1:port answers 200 within a second; never rejects. */
export function httpOk(port) {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}
