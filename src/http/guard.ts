// Who may ask what. On a loopback address the Host header must name this machine (a page that rebinds its DNS
// name to 127.0.0.1 is refused); with a token, a POST (and, off loopback, every API read) needs
// `Authorization: Bearer TOKEN`; a POST must come from god's own origin and carry a JSON content type, which
// a plain HTML form on another site cannot send, so a page the operator visits cannot drive god.

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isLoopbackHost } from "./address.js";

export interface GuardPolicy {
  /** The --http-token, or null. */
  token: string | null;
  /** The server listens on a loopback address. */
  loopback: boolean;
}

export type Verdict = { ok: true } | { ok: false; status: 401 | 403 | 415; message: string };

const OK: Verdict = { ok: true };

/** The host part of a Host header: `localhost:8088` -> `localhost`, `[::1]:8088` -> `::1`. */
function hostName(header: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(header);
  if (bracketed) return bracketed[1]!;
  return header.replace(/:\d*$/, "");
}

/** Against DNS rebinding: on loopback, only loopback names are answered. */
export function checkHost(req: IncomingMessage, policy: GuardPolicy): Verdict {
  if (!policy.loopback) return OK;
  const host = req.headers.host;
  if (host !== undefined && isLoopbackHost(hostName(host))) return OK;
  return {
    ok: false,
    status: 403,
    message: `god's HTTP on a loopback address answers only requests for 127.0.0.1, [::1] or localhost, not for "${host ?? ""}"; open it by one of those names.`,
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** The token, when this request needs one: every POST, and every API read off loopback. */
export function checkToken(req: IncomingMessage, policy: GuardPolicy, mutating: boolean): Verdict {
  if (policy.token === null || (!mutating && policy.loopback)) return OK;
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
  if (match === null) {
    return {
      ok: false,
      status: 401,
      message:
        "this god's HTTP needs the header `Authorization: Bearer TOKEN` with the --http-token god runs with.",
    };
  }
  // Compare digests of equal length in constant time, so the answer's timing says nothing about the token.
  if (!timingSafeEqual(digest(match[1]!), digest(policy.token))) {
    return {
      ok: false,
      status: 401,
      message: "the bearer token is wrong; send the --http-token god runs with.",
    };
  }
  return OK;
}

/** A POST must be same-origin and JSON, so neither another site's script nor its form can send one. */
export function checkMutation(req: IncomingMessage): Verdict {
  const origin = req.headers.origin;
  const own = req.headers.host === undefined ? null : `http://${req.headers.host}`;
  if (origin !== undefined && origin !== own) {
    return {
      ok: false,
      status: 403,
      message: `cross-origin request from ${origin} refused: god's actions may be posted only from its own dashboard (${own ?? "no Host header"}).`,
    };
  }
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    return {
      ok: false,
      status: 403,
      message: `request from another site (Sec-Fetch-Site: ${site}) refused: god's actions may be posted only from its own dashboard.`,
    };
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    return {
      ok: false,
      status: 415,
      message: "a POST to god must have `Content-Type: application/json` (its body may be empty or {}).",
    };
  }
  return OK;
}
