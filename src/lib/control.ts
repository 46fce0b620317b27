// Loader-to-god actions: a loader may start, stop, restart or reload the jobs it declared, and send log lines.
// They work only while the loader is being served (loader mode); elsewhere there is no god to ask.

import type { RpcPeer } from "../protocol/rpc-peer.js";

/** An action may wait for a stop timeout and a new instance's readiness, so the bound is generous. */
export const ACTION_TIMEOUT_MS = 120_000;

export type LogLevel = "debug" | "info" | "warn" | "error";

let peer: RpcPeer | null = null;

export function setControlPeer(value: RpcPeer | null): void {
  peer = value;
}

async function act(
  method: "start" | "stop" | "restart" | "reload",
  job: string,
  reason?: string,
): Promise<void> {
  if (!peer) {
    throw new Error(
      `${method}("${job}"): not in loader mode; only a loader that god runs (argv "godv1") can ask god to act`,
    );
  }
  if (typeof job !== "string") throw new TypeError(`${method}(): expected a job name, got ${typeof job}`);
  await peer.request(method, reason === undefined ? { job } : { job, reason }, ACTION_TIMEOUT_MS);
}

/** Asks god to start a job this loader declared; rejects with god's error (code 1003 for another loader's job). */
export function start(job: string, reason?: string): Promise<void> {
  return act("start", job, reason);
}

export function stop(job: string, reason?: string): Promise<void> {
  return act("stop", job, reason);
}

export function restart(job: string, reason?: string): Promise<void> {
  return act("restart", job, reason);
}

export function reload(job: string, reason?: string): Promise<void> {
  return act("reload", job, reason);
}

/** A line for god's log, attributed to this loader; outside loader mode it goes to stderr. */
export function log(level: LogLevel, message: string): void {
  if (peer) peer.notify("log", { level, message: String(message) });
  else process.stderr.write(`${level}: ${message}\n`);
}
