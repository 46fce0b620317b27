// The CLI's side of the control socket: a unix socket at HOME/god.sock carrying NDJSON JSON-RPC 2.0, and light
// readers of the answers. A missing or refusing socket becomes NoDaemonError (exit 3); timeouts, a dropped
// connection and an answer of the wrong shape become one sentence naming the daemon's home and where its log is.

import { createConnection, type Socket } from "node:net";
import type { CheckJson, JobJson, LoadersJson, StatusJson } from "../protocol/control.js";
import { ErrorCode, GodError } from "../protocol/errors.js";
import { LineDecoder } from "../protocol/ndjson.js";
import { RpcPeer } from "../protocol/rpc-peer.js";
import { socketPath } from "./home.js";

/** Plain queries (status, loaders). */
export const QUERY_TIMEOUT_MS = 10_000;
/** Requests that wait for an outcome (start, stop, check, shutdown...). */
export const WAIT_TIMEOUT_MS = 10 * 60_000;

/** The daemon's answers are trusted and can be large (status of 1000 jobs), so allow more than a loader's 1 MiB. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export interface ControlClient {
  /** Resolves with the result, rejects with an RpcError (the daemon's code and message) or a GodError. */
  request(method: string, params: unknown, timeoutMs?: number): Promise<unknown>;
  onNotification(fn: (method: string, params: unknown) => void): void;
  /** Called once when the daemon ends the connection or it breaks; not after close(). */
  onClose(fn: () => void): void;
  close(): void;
}

/** Nothing listens on HOME/god.sock. */
export class NoDaemonError extends Error {
  override readonly name = "NoDaemonError";
  readonly exitCode = 3;
  readonly home: string;
  constructor(home: string) {
    super(
      `no god is running at ${home} (no answer on ${socketPath(home)}); start one with \`god run --home ${home}\`.`,
    );
    this.home = home;
  }
}

export function connect(home: string): Promise<ControlClient> {
  const path = socketPath(home);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    const onError = (error: NodeJS.ErrnoException) => {
      socket.destroy();
      reject(connectError(home, path, error));
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      socket.off("error", onError);
      resolve(new SocketClient(home, socket));
    });
  });
}

function connectError(home: string, path: string, error: NodeJS.ErrnoException): Error {
  switch (error.code) {
    case "ENOENT":
    case "ENOTDIR":
    case "ECONNREFUSED":
      return new NoDaemonError(home);
    case "EACCES":
    case "EPERM":
      return new GodError(
        ErrorCode.NotPermitted,
        `cannot open ${path}: permission denied; run god as the user who started the daemon at ${home}.`,
      );
    default:
      return new GodError(ErrorCode.Closed, `cannot connect to ${path}: ${error.message}.`);
  }
}

class SocketClient implements ControlClient {
  private readonly home: string;
  private readonly socket: Socket;
  private readonly peer: RpcPeer;
  private readonly notificationHandlers: Array<(method: string, params: unknown) => void> = [];
  private readonly closeHandlers: Array<() => void> = [];
  private closedByUs = false;
  private overflowBytes: number | null = null;

  constructor(home: string, socket: Socket) {
    this.home = home;
    this.socket = socket;
    this.peer = new RpcPeer({
      write: (line) => {
        socket.write(line);
      },
      onNotification: (method, params) => {
        for (const fn of this.notificationHandlers) fn(method, params);
      },
      defaultTimeoutMs: QUERY_TIMEOUT_MS,
    });
    const decoder = new LineDecoder(MAX_ANSWER_BYTES);
    socket.on("data", (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.type === "line") {
          this.peer.handleLine(event.text);
        } else {
          this.overflowBytes = event.bytes;
          this.peer.close("overflow");
          socket.destroy();
        }
      }
    });
    // Errors (ECONNRESET, EPIPE) are followed by "close", which is where the peer learns of them.
    socket.on("error", () => {});
    socket.on("close", () => {
      this.peer.close(`the daemon at ${home} closed the connection`);
      if (this.closedByUs) return;
      for (const fn of this.closeHandlers) fn();
    });
  }

  async request(method: string, params: unknown, timeoutMs: number = QUERY_TIMEOUT_MS): Promise<unknown> {
    try {
      return await this.peer.request(method, params, timeoutMs);
    } catch (error) {
      throw this.explain(method, timeoutMs, error);
    }
  }

  onNotification(fn: (method: string, params: unknown) => void): void {
    this.notificationHandlers.push(fn);
  }

  onClose(fn: () => void): void {
    this.closeHandlers.push(fn);
  }

  close(): void {
    this.closedByUs = true;
    this.peer.close("the connection was closed by this god");
    // Every answer we wanted has arrived; end politely but do not let a slow peer keep the process alive.
    this.socket.end();
    this.socket.unref();
  }

  private explain(method: string, timeoutMs: number, error: unknown): unknown {
    if (!(error instanceof GodError) || this.closedByUs) return error;
    const log = `${this.home}/logs/god.log`;
    if (error.code === ErrorCode.Timeout) {
      return new GodError(
        ErrorCode.Timeout,
        `the daemon at ${this.home} did not answer "${method}" within ${Math.round(timeoutMs / 1000)} s; see its log ${log}.`,
      );
    }
    if (error.code === ErrorCode.Closed && this.overflowBytes !== null) {
      return new GodError(
        ErrorCode.Closed,
        `the daemon at ${this.home} answered "${method}" with a line of ${this.overflowBytes} bytes, more than the ${MAX_ANSWER_BYTES / 1024 / 1024} MiB this god accepts; see its log ${log}.`,
      );
    }
    if (error.code === ErrorCode.Closed) {
      return new GodError(
        ErrorCode.Closed,
        `the daemon at ${this.home} closed the connection before answering "${method}"; see its log ${log}.`,
      );
    }
    return error;
  }
}

// The daemon is trusted: these check the outline of an answer, not every field, so that a daemon of another
// version gets a sentence instead of a TypeError.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An answer this god cannot read: printed as one sentence, exit 1. */
export class AnswerShapeError extends Error {
  override readonly name = "AnswerShapeError";
  readonly exitCode = 1;
}

function shapeError(method: string): Error {
  return new AnswerShapeError(
    `the daemon's answer to "${method}" has an unexpected shape; is it running the same version of watchgod as this god?`,
  );
}

export function isJobJson(value: unknown): value is JobJson {
  return isRecord(value) && typeof value["name"] === "string" && typeof value["state"] === "string";
}

export function asStatus(value: unknown): StatusJson {
  if (isRecord(value) && Array.isArray(value["jobs"]) && value["jobs"].every(isJobJson))
    return value as unknown as StatusJson;
  throw shapeError("status");
}

export function asJob(method: string, value: unknown): JobJson {
  if (isJobJson(value)) return value;
  throw shapeError(method);
}

export function asLoaders(method: string, value: unknown): LoadersJson {
  if (
    isRecord(value) &&
    Array.isArray(value["loaders"]) &&
    value["loaders"].every(
      (loader) => isRecord(loader) && typeof loader["path"] === "string" && Array.isArray(loader["jobs"]),
    )
  ) {
    return value as unknown as LoadersJson;
  }
  throw shapeError(method);
}

export function asCheck(value: unknown): CheckJson {
  if (
    isRecord(value) &&
    (value["status"] === "ok" || value["status"] === "degraded" || value["status"] === "fail")
  ) {
    return value as unknown as CheckJson;
  }
  throw shapeError("check");
}
