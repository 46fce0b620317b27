// The probe helpers: checks that god performs itself (an HTTP GET, a TCP connect, a command), so a loader whose
// jobs use only probes need not stay resident. They build the wire's `check.probe` value and catch mistakes early.

import { describeValue } from "./describe.js";

export type HttpProbe = { http: { url: string; status?: [number, number] } };
export type TcpProbe = { tcp: { host: string; port: number } };
export type ExecProbe = { exec: string[] };
export type Probe = HttpProbe | TcpProbe | ExecProbe;

export interface HttpProbeOptions {
  /** Accepted status range [min, max]; god's default is [200, 399]. */
  status?: [number, number] | undefined;
}

function isStatusCode(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 599;
}

/** An HTTP GET that passes when the status is in range. */
export function http(url: string, options: HttpProbeOptions = {}): HttpProbe {
  if (typeof url !== "string" || !/^https?:\/\//.test(url)) {
    throw new TypeError(`http(): expected an http:// or https:// URL, got ${describeValue(url)}`);
  }
  const status = options.status;
  if (status === undefined) return { http: { url } };
  const [min, max] = Array.isArray(status) ? status : [];
  if (
    !Array.isArray(status) ||
    status.length !== 2 ||
    !isStatusCode(min) ||
    !isStatusCode(max) ||
    min > max
  ) {
    throw new TypeError(
      `http(): status: expected [min, max], two HTTP status codes from 100 to 599 with min <= max`,
    );
  }
  return { http: { url, status: [min, max] } };
}

/** A TCP connect that passes when the connection is accepted. */
export function tcp(host: string, port: number): TcpProbe {
  if (typeof host !== "string" || host === "") {
    throw new TypeError(`tcp(): expected a host name or address, got ${describeValue(host)}`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`tcp(): expected a port from 1 to 65535, got ${describeValue(port)}`);
  }
  return { tcp: { host, port } };
}

/** A command (an argv, never a shell line) that passes when it exits 0. */
export function command(argv: string[]): ExecProbe {
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((arg) => typeof arg === "string")) {
    throw new TypeError(
      `command(): expected a non-empty array of strings (argv; no shell), got ${describeValue(argv)}`,
    );
  }
  return { exec: [...argv] };
}
