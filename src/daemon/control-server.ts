// The control socket: NDJSON JSON-RPC 2.0 on HOME/god.sock (0600). Each method is a handler that takes
// unknown params and returns a JSON value; the same handler table will serve HTTP. What a client can pile up
// in god is bounded (SPEC 10, docs/reliability.md): its line (1 MiB); the requests god serves for it at once
// (MAX_IN_FLIGHT) and the answers it has not read (PAUSE_UNSENT_BYTES): past either, god reads no more of its
// requests until it catches up, so a client that sends and never reads stalls only itself; and past
// MAX_UNSENT_BYTES (notifications, or one huge answer) it is cut off.

import { chmodSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { ErrorCode, GodError } from "../protocol/errors.js";
import { errorLine } from "../protocol/jsonrpc.js";
import { LineDecoder, MAX_LINE_BYTES } from "../protocol/ndjson.js";
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
/** Requests of one connection served at once; its next ones wait, unread. */
export const MAX_IN_FLIGHT = 64;
/** Answers a client has not read yet, past which god reads no more of its requests. */
export const PAUSE_UNSENT_BYTES = 1024 * 1024;
/** Bytes god has written to one connection and the client has not read yet, before it is cut off. */
export const MAX_UNSENT_BYTES = 16 * 1024 * 1024;

export interface ControlServerOptions {
  maxInFlight?: number;
  pauseUnsentBytes?: number;
  maxUnsentBytes?: number;
  /** A client was cut off (god's log). */
  warn?: (message: string) => void;
}

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

export async function listenControl(
  path: string,
  handlers: Record<string, Handler>,
  options: ControlServerOptions = {},
): Promise<Server> {
  rmSync(path, { force: true });
  const limits: Limits = {
    maxInFlight: options.maxInFlight ?? MAX_IN_FLIGHT,
    pauseUnsentBytes: options.pauseUnsentBytes ?? PAUSE_UNSENT_BYTES,
    maxUnsentBytes: options.maxUnsentBytes ?? MAX_UNSENT_BYTES,
    warn: options.warn ?? (() => {}),
  };
  const server = createServer((socket) => serve(socket, handlers, limits));
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

type Limits = Required<ControlServerOptions>;

function serve(socket: Socket, handlers: Record<string, Handler>, limits: Limits): void {
  const closers: Array<() => void> = [];
  const context: ControlContext = {
    notify: (method, params) => peer.notify(method, params),
    bufferedBytes: () => socket.writableLength,
    close: () => {
      socket.end();
    },
    onClose: (fn) => closers.push(fn),
  };
  const write = (line: string): void => {
    if (socket.destroyed) return;
    // Checked before the write, so one large answer (`god logs -n 100000`) to a client that reads still goes.
    if (socket.writableLength > limits.maxUnsentBytes) {
      const mib = Math.round(limits.maxUnsentBytes / (1024 * 1024));
      limits.warn(
        `a control client was cut off: it left more than ${mib} MiB of answers unread (a client must read what god answers)`,
      );
      socket.destroy();
      return;
    }
    socket.write(line);
  };
  const peer = new RpcPeer({
    write,
    onRequest: (method, params) => {
      const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
      if (!handler) throw new GodError(ErrorCode.MethodNotFound, `unknown method "${method}"`);
      return handler(params, context);
    },
    onAnswered: () => pump(),
    defaultTimeoutMs: 10_000,
  });
  // Lines read but not yet served (an over-long line as its size): at most what one read of the socket held,
  // since reading stops meanwhile.
  const lines: Array<string | number> = [];
  const busy = () => peer.serving >= limits.maxInFlight || socket.writableLength > limits.pauseUnsentBytes;
  const serveLine = (line: string | number): void => {
    if (typeof line === "string") {
      peer.handleLine(line);
      return;
    }
    const message = `a line of ${line} bytes is over the ${MAX_LINE_BYTES / (1024 * 1024)} MiB limit; it was skipped`;
    write(errorLine(null, { code: ErrorCode.InvalidRequest, message }));
  };
  // One line a turn of the event loop: by the next turn a request served at once has its answer written, so
  // the unsent bytes that decide whether to serve another include it.
  let scheduled = false;
  const pump = (): void => {
    if (socket.destroyed) return;
    if (lines.length > 0 && !busy()) serveLine(lines.shift()!);
    // While busy, an answer written (onAnswered) or the client's reading (drain) calls this again.
    if (lines.length > 0 && !scheduled && !busy()) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        pump();
      });
    }
    if (lines.length > 0 || busy()) socket.pause();
    else socket.resume();
  };
  const decoder = new LineDecoder();
  socket.on("data", (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) lines.push(event.type === "line" ? event.text : event.bytes);
    pump();
  });
  socket.on("drain", pump);
  socket.on("error", () => {});
  socket.on("close", () => {
    lines.length = 0;
    peer.close("the client went away");
    for (const fn of closers) fn();
  });
}
