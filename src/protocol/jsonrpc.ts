// JSON-RPC 2.0 message shapes and the parser that turns one decoded line into a typed message or an error
// naming what is wrong. Used by both sides of the loader protocol and by the control socket.

import { ErrorCode } from "./errors.js";

export type RpcId = number | string;

export type RpcRequest = { type: "request"; id: RpcId; method: string; params: unknown };
export type RpcNotification = { type: "notification"; method: string; params: unknown };
export type RpcErrorObject = { code: number; message: string; data?: unknown };
export type RpcResponse =
  | { type: "result"; id: RpcId; result: unknown }
  | { type: "error"; id: RpcId | null; error: RpcErrorObject };
export type RpcMessage = RpcRequest | RpcNotification | RpcResponse;

export type ParseFailure = { type: "invalid"; id: RpcId | null; code: number; message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is RpcId {
  return (typeof value === "number" && Number.isFinite(value)) || typeof value === "string";
}

/** Parses an already-decoded JSON value. */
export function toRpcMessage(value: unknown): RpcMessage | ParseFailure {
  if (!isRecord(value)) {
    const message = Array.isArray(value)
      ? "expected a JSON object; batches are not supported, send one message a line"
      : "expected a JSON object";
    return { type: "invalid", id: null, code: ErrorCode.InvalidRequest, message };
  }
  const id = isId(value["id"]) ? value["id"] : null;
  if (value["jsonrpc"] !== "2.0") {
    return { type: "invalid", id, code: ErrorCode.InvalidRequest, message: 'jsonrpc: expected "2.0"' };
  }
  if ("method" in value) {
    if (typeof value["method"] !== "string") {
      return { type: "invalid", id, code: ErrorCode.InvalidRequest, message: "method: expected a string" };
    }
    if ("id" in value && value["id"] !== null) {
      if (id === null) {
        return {
          type: "invalid",
          id,
          code: ErrorCode.InvalidRequest,
          message: "id: expected a number or string",
        };
      }
      return { type: "request", id, method: value["method"], params: value["params"] };
    }
    return { type: "notification", method: value["method"], params: value["params"] };
  }
  if ("result" in value) {
    if (id === null) {
      return {
        type: "invalid",
        id,
        code: ErrorCode.InvalidRequest,
        message: "id: expected a number or string",
      };
    }
    return { type: "result", id, result: value["result"] };
  }
  const error = value["error"];
  if (isRecord(error) && typeof error["code"] === "number" && typeof error["message"] === "string") {
    const errorObject: RpcErrorObject = { code: error["code"], message: error["message"] };
    if ("data" in error) errorObject.data = error["data"];
    return { type: "error", id, error: errorObject };
  }
  if ("error" in value && id !== null) {
    // An answer all the same: end the request it answers now, rather than answer an answer.
    return {
      type: "error",
      id,
      error: { code: ErrorCode.Internal, message: "the answer's error object is malformed" },
    };
  }
  return {
    type: "invalid",
    id,
    code: ErrorCode.InvalidRequest,
    message: "expected a request (method), a result or an error",
  };
}

/** Parses one protocol line. */
export function parseRpcLine(text: string): RpcMessage | ParseFailure {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { type: "invalid", id: null, code: ErrorCode.ParseError, message: "the line is not valid JSON" };
  }
  return toRpcMessage(value);
}

export function requestLine(id: RpcId, method: string, params: unknown): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n";
}

export function notificationLine(method: string, params: unknown): string {
  return JSON.stringify({ jsonrpc: "2.0", method, params }) + "\n";
}

export function resultLine(id: RpcId, result: unknown): string {
  return JSON.stringify({ jsonrpc: "2.0", id, result }) + "\n";
}

export function errorLine(id: RpcId | null, error: RpcErrorObject): string {
  return JSON.stringify({ jsonrpc: "2.0", id, error }) + "\n";
}
