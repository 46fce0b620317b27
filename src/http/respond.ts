// Answers in JSON, and the one mapping from god's error codes to HTTP statuses. An error body carries the same
// code and sentence the control socket would give: {"error":{"code":1001,"message":"unknown job ..."}}.

import type { ServerResponse } from "node:http";
import { ErrorCode, GodError } from "../protocol/errors.js";

/** An error of the HTTP layer itself (bad query, unknown route), with its status. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

export const NO_STORE = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
} as const;

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, {
    ...NO_STORE,
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/** The HTTP status for a control error: the caller's fault 4xx, the job's refusal 409, god's trouble 5xx. */
export function statusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.ParseError:
    case ErrorCode.InvalidRequest:
    case ErrorCode.InvalidParams:
      return 400;
    case ErrorCode.MethodNotFound:
    case ErrorCode.UnknownJob:
      return 404;
    case ErrorCode.NotPermitted:
      return 403;
    case ErrorCode.InvalidState:
    case ErrorCode.ActionFailed:
      return 409;
    case ErrorCode.Timeout:
      return 504;
    case ErrorCode.LoaderFailed:
      return 502;
    case ErrorCode.Closed:
      return 503;
    case ErrorCode.Internal:
      return 500;
  }
}

/** Sends the error as JSON; returns the status, and whether it was god's own fault (for god's log). */
export function sendError(res: ServerResponse, error: unknown): { status: number; internal: boolean } {
  if (res.headersSent) {
    // A stream had begun: there is no status left to send, only the connection to end.
    res.destroy();
    return { status: res.statusCode, internal: !(error instanceof HttpError || error instanceof GodError) };
  }
  if (error instanceof HttpError) {
    sendJson(res, error.status, { error: { code: null, message: error.message } }, error.headers);
    return { status: error.status, internal: false };
  }
  if (error instanceof GodError) {
    const status = statusOf(error.code);
    sendJson(res, status, { error: { code: error.code, message: error.message } });
    return { status, internal: status === 500 };
  }
  sendJson(res, 500, {
    error: { code: ErrorCode.Internal, message: "god's HTTP server failed on this request; see god's log." },
  });
  return { status: 500, internal: true };
}
