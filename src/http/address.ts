// The address of `god run --http ADDR`: `HOST:PORT` or `[IPV6]:PORT`, whether it is loopback, and whether god
// may serve on it with the token it was given. Checked before anything binds, so a refusal costs nothing.

import { isIPv4, isIPv6 } from "node:net";

export interface HttpAddress {
  /** As given to listen(): an IPv6 address without its brackets. */
  host: string;
  port: number;
  loopback: boolean;
}

const MIN_TOKEN_LENGTH = 16;

export function parseHttpAddress(text: string): HttpAddress | { problem: string } {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:[\]]+):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  if (match === null) {
    const hint = isIPv6(text.replace(/:\d+$/, "")) ? "put an IPv6 address in brackets, e.g. [::1]:8088" : "";
    return {
      problem: `--http ${text} is not HOST:PORT; ${hint || "write it as 127.0.0.1:8088 or [::1]:8088"}.`,
    };
  }
  const host = match[1]!;
  const port = Number(match[2]);
  if (bracketed !== null && !isIPv6(host)) {
    return { problem: `--http ${text}: ${host} in brackets is not an IPv6 address; write it as [::1]:8088.` };
  }
  if (!Number.isInteger(port) || port > 65535) {
    return { problem: `--http ${text}: the port must be a number from 0 to 65535 (0 picks a free one).` };
  }
  return { host, port, loopback: isLoopbackHost(host) };
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`: names that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (name === "localhost" || name === "::1" || name === "0:0:0:0:0:0:0:1") return true;
  const v4 = name.startsWith("::ffff:") ? name.slice("::ffff:".length) : name;
  return isIPv4(v4) && v4.startsWith("127.");
}

/** Why god must not serve HTTP with these settings, as one sentence with the fix; null when it may. */
export function httpStartProblem(address: string, token: string | null): string | null {
  const parsed = parseHttpAddress(address);
  if ("problem" in parsed) return parsed.problem;
  if (token !== null) {
    if (token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
      return `--http-token must be at least ${MIN_TOKEN_LENGTH} visible ASCII characters without spaces; generate one with \`openssl rand -hex 16\`.`;
    }
    return null;
  }
  if (!parsed.loopback) {
    return `--http ${address} is not a loopback address, so without a token anyone who reaches it could control the jobs; add --http-token TOKEN (e.g. from \`openssl rand -hex 16\`) or listen on 127.0.0.1.`;
  }
  return null;
}

/** The printable form of a bound address: `127.0.0.1:8088`, `[::1]:8088`. */
export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
