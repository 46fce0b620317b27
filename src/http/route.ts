// A route of the HTTP server: method, path, who may call it, and the function that answers. Also the bridge to
// the control handlers, so an HTTP request runs exactly the code a `god` command runs on the control socket.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { ControlContext } from "../daemon/control-server.js";
import { HttpError } from "./respond.js";
import type { Handler } from "./sources.js";
import type { SseStream } from "./sse.js";

/**
 * public: no token ever (the dashboard's files, which hold no data); read: a token off loopback;
 * write: a POST, same-origin and JSON, with the token whenever one is set.
 */
export type Access = "public" | "read" | "write";

export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path's captured parts, URI-decoded. */
  params: string[];
}

export interface Route {
  method: "GET" | "POST";
  path: RegExp;
  access: Access;
  /** Also answers HEAD (not for streams). */
  head?: boolean;
  handle(request: RouteRequest): void | Promise<void>;
}

/** Calls a control method with HTTP's connection as its context. */
export type Call = (method: string, params: unknown, res: ServerResponse) => Promise<unknown>;

export type OpenStream = (req: IncomingMessage, res: ServerResponse) => SseStream;

export function controlCall(handlers: Record<string, Handler>): Call {
  return async (method, params, res) => {
    const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
    if (handler === undefined) throw new HttpError(501, `this god has no "${method}" control method.`);
    const context: ControlContext = {
      notify: () => {},
      bufferedBytes: () => res.writableLength,
      close: () => res.destroy(),
      onClose: (fn) => res.once("close", fn),
    };
    return await handler(params, context);
  };
}
