// One side of a JSON-RPC 2.0 conversation over lines: ids, many requests in flight, answers in any order, a
// timeout on every request. Transport-free: the owner feeds it lines and gives it a write function.

import { ErrorCode, GodError } from "./errors.js";
import {
  errorLine,
  notificationLine,
  type ParseFailure,
  parseRpcLine,
  type RpcId,
  type RpcMessage,
  requestLine,
  resultLine,
} from "./jsonrpc.js";

/** The other side answered with an error object. */
export class RpcError extends Error {
  override readonly name = "RpcError";
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

export type RequestHandler = (method: string, params: unknown) => unknown;
export type NotificationHandler = (method: string, params: unknown) => void;

export interface RpcPeerOptions {
  write: (line: string) => void;
  onRequest?: RequestHandler;
  onNotification?: NotificationHandler;
  /** A line that is not a valid message; the peer has already answered it with an error. */
  onInvalid?: (failure: ParseFailure, text: string) => void;
  /** A request of the other side was answered (its answer is written): `serving` fell by one. */
  onAnswered?: () => void;
  defaultTimeoutMs: number;
}

type Pending = {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
};

export class RpcPeer {
  private nextId = 1;
  private readonly pending = new Map<RpcId, Pending>();
  private closed: GodError | null = null;
  private servingCount = 0;

  private readonly options: RpcPeerOptions;

  constructor(options: RpcPeerOptions) {
    this.options = options;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Requests of the other side being served: received and not yet answered. */
  get serving(): number {
    return this.servingCount;
  }

  handleLine(text: string): RpcMessage | ParseFailure {
    const message = parseRpcLine(text);
    this.handleMessage(message, text);
    return message;
  }

  handleMessage(message: RpcMessage | ParseFailure, text = ""): void {
    switch (message.type) {
      case "invalid":
        // Always answered, with the id when it could be read and null otherwise (JSON-RPC 2.0 section 5): a
        // client that sent `42` or `[1,2]` must not wait forever. No loop can follow: an error with id null is
        // a valid answer, which the other side drops.
        this.send(errorLine(message.id, { code: message.code, message: message.message }));
        this.options.onInvalid?.(message, text);
        return;
      case "request":
        this.answer(message.id, message.method, message.params);
        return;
      case "notification":
        this.options.onNotification?.(message.method, message.params);
        return;
      case "result":
      case "error": {
        if (message.id === null) return;
        const entry = this.pending.get(message.id);
        if (!entry) return; // late answer to a request that timed out
        this.pending.delete(message.id);
        clearTimeout(entry.timer);
        if (message.type === "result") entry.resolve(message.result);
        else entry.reject(new RpcError(message.error.code, message.error.message, message.error.data));
        return;
      }
    }
  }

  request(method: string, params: unknown, timeoutMs = this.options.defaultTimeoutMs): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GodError(ErrorCode.Timeout, `no answer to "${method}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.send(requestLine(id, method, params));
    });
  }

  notify(method: string, params: unknown): void {
    if (!this.closed) this.send(notificationLine(method, params));
  }

  /** Fails every request in flight; later requests fail at once. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = new GodError(ErrorCode.Closed, reason);
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(this.closed);
      this.pending.delete(id);
    }
  }

  private answer(id: RpcId, method: string, params: unknown): void {
    const handler = this.options.onRequest;
    if (!handler) {
      this.send(errorLine(id, { code: ErrorCode.MethodNotFound, message: `unknown method "${method}"` }));
      return;
    }
    this.servingCount++;
    Promise.resolve()
      .then(() => handler(method, params))
      .then(
        (result) => this.answered(id, () => resultLine(id, result ?? {})),
        (error: unknown) => this.answered(id, () => errorLine(id, toErrorObject(error))),
      );
  }

  private answered(id: RpcId, line: () => string): void {
    this.servingCount--;
    let text: string;
    try {
      text = line();
    } catch (error) {
      // A result JSON cannot hold (a BigInt, a cycle) is god's bug, not a reason to leave the caller waiting.
      text = errorLine(id, {
        code: ErrorCode.Internal,
        message: `the answer could not be encoded: ${(error as Error).message}`,
      });
    }
    this.send(text);
    this.options.onAnswered?.();
  }

  private send(line: string): void {
    if (this.closed) return;
    try {
      this.options.write(line);
    } catch {
      // The transport is gone; its close handler will close this peer.
    }
  }
}

export function toErrorObject(error: unknown): { code: number; message: string } {
  if (error instanceof GodError || error instanceof RpcError)
    return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: ErrorCode.Internal, message: error.message };
  return { code: ErrorCode.Internal, message: String(error) };
}
