// Loader mode: god's side of the conversation is on stdin/stdout. Sends `hello`, answers `check` requests (many
// at once, in any order), delivers `event` notifications to onEvent, and exits 0 once god closes stdin.

import { ErrorCode, GodError } from "../protocol/errors.js";
import { type FrameEvent, LineDecoder } from "../protocol/ndjson.js";
import { RpcPeer } from "../protocol/rpc-peer.js";
import { runCheck } from "./check-result.js";
import { setControlPeer } from "./control.js";
import { errorMessage, isRecord } from "./describe.js";
import type { CheckFunction, Job, JobOptions } from "./options.js";
import { installStdoutGuard, type RawWrite } from "./stdout-guard.js";
import type { CheckResult, HelloParams, JobEvent, WireJobSpec } from "./wire.js";

/** If stdout cannot be flushed (nobody reads it), exit anyway after this long. */
const EXIT_FLUSH_LIMIT_MS = 5000;

export interface ServeOptions {
  loader: { name: string; version?: string };
  jobs: Array<{ job: Job; spec: WireJobSpec }>;
}

type Handlers = { run: CheckFunction | null; onEvent: JobOptions["onEvent"] };

/** Protocol lines to the real stdout; reading from god pauses while stdout is congested. */
class ProtocolOut {
  private pending = 0;
  private flushed: Array<() => void> = [];
  private readonly raw: RawWrite;
  private readonly onCongested: () => void;

  constructor(raw: RawWrite, onCongested: () => void) {
    this.raw = raw;
    this.onCongested = onCongested;
  }

  write(line: string): void {
    this.pending++;
    const ok = this.raw(line, () => {
      this.pending--;
      if (this.pending === 0) for (const callback of this.flushed.splice(0)) callback();
    });
    if (!ok) this.onCongested();
  }

  /** Runs the callback once every line written so far has left the process. */
  whenFlushed(callback: () => void): void {
    if (this.pending === 0) callback();
    else this.flushed.push(callback);
  }
}

function handlersOf(job: Job): Handlers {
  const check = job.check;
  const run = typeof check === "function" ? check : (check?.run ?? null);
  return { run, onEvent: job.onEvent };
}

function reportError(what: string, error: unknown): void {
  process.stderr.write(`watchgod: ${what}: ${errorMessage(error)}\n`);
}

export function serveLoader(options: ServeOptions): void {
  const raw = installStdoutGuard();
  const stdin = process.stdin;
  const stdout = process.stdout;
  const handlers = new Map<string, Handlers>(options.jobs.map(({ job }) => [job.name, handlersOf(job)]));

  let closing = false;
  let congested = false;
  const out = new ProtocolOut(raw, () => {
    if (congested) return;
    // Answers already in flight are still buffered; not reading god's next requests is the backpressure.
    congested = true;
    stdin.pause();
    stdout.once("drain", () => {
      congested = false;
      if (!closing) stdin.resume();
    });
  });

  const answerCheck = async (params: unknown): Promise<CheckResult> => {
    if (!isRecord(params) || typeof params["job"] !== "string") {
      throw new GodError(ErrorCode.InvalidParams, "job: expected a string");
    }
    const name = params["job"];
    const entry = handlers.get(name);
    if (!entry)
      throw new GodError(ErrorCode.UnknownJob, `unknown job "${name}": this loader does not declare it`);
    if (!entry.run) {
      throw new GodError(ErrorCode.InvalidState, `job "${name}" has no check function in this loader`);
    }
    const { pid, instance, index } = params;
    if (typeof pid !== "number") throw new GodError(ErrorCode.InvalidParams, "pid: expected a number");
    if (typeof instance !== "number")
      throw new GodError(ErrorCode.InvalidParams, "instance: expected a number");
    // index came with instances (SPEC 12); a god before them did not send it: the one instance is 0.
    return runCheck(entry.run, { job: name, pid, instance, index: typeof index === "number" ? index : 0 });
  };

  const deliverEvent = (params: unknown): void => {
    if (!isRecord(params) || typeof params["job"] !== "string") return;
    const name = params["job"];
    const onEvent = handlers.get(name)?.onEvent;
    if (!onEvent) return;
    // A failing callback is the program's bug, not a protocol error: report it and keep serving.
    try {
      Promise.resolve(onEvent(params as unknown as JobEvent)).catch((error: unknown) =>
        reportError(`onEvent of job "${name}" failed`, error),
      );
    } catch (error) {
      reportError(`onEvent of job "${name}" failed`, error);
    }
  };

  const peer = new RpcPeer({
    write: (line) => out.write(line),
    defaultTimeoutMs: 30_000,
    onRequest: (method, params) => {
      if (method === "check") return answerCheck(params);
      throw new GodError(ErrorCode.MethodNotFound, `unknown method "${method}"`);
    },
    // Notifications this library does not know (from a newer god) are ignored, as JSON-RPC allows.
    onNotification: (method, params) => {
      if (method === "event") deliverEvent(params);
    },
    onInvalid: (failure, text) =>
      reportError("invalid line from god", `${failure.message}: ${text.slice(0, 200)}`),
  });
  setControlPeer(peer);

  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    peer.close("god closed the loader's stdin");
    const exit = (): never => process.exit(0);
    setTimeout(exit, EXIT_FLUSH_LIMIT_MS);
    out.whenFlushed(exit);
  };

  const handleFrame = (frame: FrameEvent): void => {
    if (frame.type === "overflow") {
      reportError("skipped a line from god", `${frame.bytes} bytes is over the line limit`);
    } else if (frame.text.trim() !== "") {
      peer.handleLine(frame.text);
    }
  };

  const hello: HelloParams = {
    protocol: "godv1",
    loader: options.loader,
    jobs: options.jobs.map(({ spec }) => spec),
  };
  peer.notify("hello", hello);

  const decoder = new LineDecoder();
  stdin.on("data", (chunk: Buffer | string) => {
    if (closing) return;
    for (const frame of decoder.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk))
      handleFrame(frame);
  });
  stdin.on("end", () => {
    const last = decoder.end();
    if (last && !closing) handleFrame(last);
    shutdown();
  });
  stdin.on("error", shutdown);
  // EPIPE: god is gone, and stdin's end follows; there is nobody left to answer.
  stdout.on("error", shutdown);
}
