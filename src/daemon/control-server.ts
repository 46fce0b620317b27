// The control socket: NDJSON JSON-RPC 2.0 on HOME/god.sock (0600). Each method is a handler that takes
// unknown params and returns a JSON value; the same handler table will serve HTTP.

import { chmodSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { ErrorCode, GodError } from "../protocol/errors.js";
import { LineDecoder } from "../protocol/ndjson.js";
import { RpcPeer } from "../protocol/rpc-peer.js";

export type ControlContext = {
  /** Sends a notification on this connection (for streams such as `logs -f`). */
  notify(method: string, params: unknown): void;
  bufferedBytes(): number;
  close(reason: string): void;
  onClose(fn: () => void): void;
};

export type Handler = (params: unknown, context: ControlContext) => unknown;

const MAX_CONNECTIONS = 256;

/** Is something answering on this socket path? Used to tell a live god from a stale socket file. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function listenControl(path: string, handlers: Record<string, Handler>): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((socket) => serve(socket, handlers));
  server.maxConnections = MAX_CONNECTIONS;
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(path, 0o600);
  return server;
}

function serve(socket: Socket, handlers: Record<string, Handler>): void {
  const closers: Array<() => void> = [];
  const context: ControlContext = {
    notify: (method, params) => peer.notify(method, params),
    bufferedBytes: () => socket.writableLength,
    close: () => {
      socket.end();
    },
    onClose: (fn) => closers.push(fn),
  };
  const peer = new RpcPeer({
    write: (line) => {
      if (!socket.destroyed) socket.write(line);
    },
    onRequest: (method, params) => {
      const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
      if (!handler) throw new GodError(ErrorCode.MethodNotFound, `unknown method "${method}"`);
      return handler(params, context);
    },
    defaultTimeoutMs: 10_000,
  });
  const decoder = new LineDecoder();
  socket.on("data", (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) {
      if (event.type === "line") peer.handleLine(event.text);
      else socket.destroy();
    }
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    peer.close("the client went away");
    for (const fn of closers) fn();
  });
}
