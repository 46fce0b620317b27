// god's own checks (JobSpec check.probe): an HTTP GET, a TCP connect or a command, each bounded by the check's
// timeout. Every path ends by destroying its socket or killing its process group, so a probe leaves nothing.

import { type ChildProcessByStdio, spawn } from "node:child_process";
import { connect } from "node:net";
import type { Readable } from "node:stream";
import type { Probe } from "../protocol/jobspec.js";

export type ProbeResult = { status: "ok" | "fail"; message: string | null };

export const DEFAULT_HTTP_STATUS: [number, number] = [200, 399];
/** How much of a command's output is kept for its first line; the rest is read and dropped. */
const OUTPUT_HEAD_BYTES = 4096;
/** After a command exits, how long to wait for its pipes to close (a process that left its group may hold them). */
const PIPE_CLOSE_WAIT_MS = 500;
const MAX_MESSAGE_CHARS = 200;

export function runProbe(probe: Probe, timeoutMs: number): Promise<ProbeResult> {
  const limitMs = Math.max(1, Math.floor(timeoutMs));
  if ("http" in probe) return httpProbe(probe.http.url, probe.http.status ?? DEFAULT_HTTP_STATUS, limitMs);
  if ("tcp" in probe) return tcpProbe(probe.tcp.host, probe.tcp.port, limitMs);
  return execProbe(probe.exec, limitMs);
}

function ok(message: string | null = null): ProbeResult {
  return { status: "ok", message };
}

function fail(message: string): ProbeResult {
  return {
    status: "fail",
    message: message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS) : message,
  };
}

/** Node reports a failed multi-address connect (localhost: ::1 and 127.0.0.1) as an AggregateError with no message. */
function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(errorText))].join("; ");
  }
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}

async function httpProbe(url: string, [min, max]: [number, number], timeoutMs: number): Promise<ProbeResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (error) {
    return fail(`invalid URL: ${errorText(error)}`);
  }
  // Loaded on the first HTTP probe: node:https brings TLS and crypto (a bare node has 3.5 MiB more RSS with it).
  const { request } = target.protocol === "https:" ? await import("node:https") : await import("node:http");
  return new Promise((resolve) => {
    let done = false;
    // agent: false gives the request its own connection, closed with it, so no pooled socket outlives the probe.
    const req = request(target, { method: "GET", agent: false, headers: { "user-agent": "watchgod-probe" } });
    const finish = (result: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(fail(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on("response", (res) => {
      // The body is not needed; destroying the request (in finish) closes the connection and discards it.
      res.on("error", () => {});
      res.resume();
      const code = res.statusCode ?? 0;
      finish(code >= min && code <= max ? ok(`HTTP ${code}`) : fail(`HTTP ${code}`));
    });
    req.on("error", (error) => finish(fail(errorText(error))));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    const socket = connect({ host, port });
    const finish = (result: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(fail(`no connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once("connect", () => finish(ok()));
    socket.on("error", (error) => finish(fail(errorText(error))));
  });
}

/** SIGKILL to the whole group; ESRCH (already gone) is the expected common case. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // The group is gone already.
  }
}

function firstLine(output: Buffer): string {
  const line = output
    .toString("utf8")
    .split(/\r?\n/)
    .find((text) => text.trim() !== "");
  return line?.trim() ?? "";
}

function execProbe(argv: string[], timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (file === undefined) {
      resolve(fail("no command to run"));
      return;
    }
    let done = false;
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const head: Buffer[] = [];
    let headBytes = 0;
    let closeWait: NodeJS.Timeout | undefined;

    // detached: its own process group (setsid), so a timeout can kill whatever the command started too.
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(file, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      // Arguments Node refuses outright (a NUL byte) throw instead of emitting "error".
      resolve(fail(`cannot run ${file}: ${errorText(error)}`));
      return;
    }
    const finish = (result: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(closeWait);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(result);
    };
    const outcome = (): ProbeResult => {
      if (timedOut) return fail(`did not finish within ${timeoutMs} ms; killed`);
      const { code, signal } = exit ?? { code: null, signal: null };
      if (code === 0) return ok();
      const how = code !== null ? `exited with code ${code}` : `killed by ${signal}`;
      const line = firstLine(Buffer.concat(head));
      return fail(line === "" ? how : `${how}: ${line}`);
    };
    const collect = (chunk: Buffer): void => {
      if (headBytes >= OUTPUT_HEAD_BYTES) return;
      head.push(chunk);
      headBytes += chunk.length;
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);

    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    // "on", not "once": an unhandled second "error" would take god down.
    child.on("error", (error) => {
      // Spawning failed (ENOENT, EACCES): there is no process to wait for.
      if (child.pid === undefined) finish(fail(`cannot run ${file}: ${errorText(error)}`));
    });
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      clearTimeout(timer);
      // The command is done; anything it left running in its group goes too. The group id cannot be reused
      // while any member is alive, so this reaches only the command's own leftovers.
      killGroup(child.pid);
      closeWait = setTimeout(() => finish(outcome()), PIPE_CLOSE_WAIT_MS);
    });
    child.once("close", () => finish(outcome()));
  });
}
