// The native dialect (SPEC 3.1): JSON-RPC 2.0 over lines, many requests in flight. god asks `check` and sends
// `event` notifications; the spec of a job is the one its hello declared, and god stops instances itself.

import { parseCheckResult } from "../protocol/check-result.js";
import { ErrorCode, GodError } from "../protocol/errors.js";
import type { CheckTarget, JobEventParams } from "../protocol/job-event.js";
import type { JobConfig } from "../protocol/jobspec.js";
import type { RpcPeer } from "../protocol/rpc-peer.js";
import type { CheckVerdict, LoaderDialect, Prepared, StopPlan } from "./loader-dialect.js";

export class NativeDialect implements LoaderDialect {
  readonly name = "native";
  private readonly peer: RpcPeer;

  constructor(peer: RpcPeer) {
    this.peer = peer;
  }

  async check(job: string, target: CheckTarget, timeoutMs: number): Promise<CheckVerdict> {
    try {
      const value = await this.peer.request("check", { job, ...target }, timeoutMs);
      return { type: "result", result: parseCheckResult(value), noCheck: false };
    } catch (error) {
      if (error instanceof GodError && error.code === ErrorCode.Closed) return { type: "skip", nextMs: null };
      const message =
        error instanceof GodError && error.code === ErrorCode.Timeout
          ? `check timed out after ${timeoutMs} ms`
          : `check failed: ${(error as Error).message}`;
      return { type: "result", result: { status: "fail", message, nextMs: null }, noCheck: false };
    }
  }

  prepareSpawn(config: JobConfig): Promise<Prepared> {
    return Promise.resolve({ ok: true, config });
  }

  exited(): void {}

  stateChanged(params: JobEventParams): void {
    this.peer.notify("event", params);
  }

  stopPlan(): Promise<StopPlan> {
    return Promise.resolve({ by: "god" });
  }

  close(reason: string): void {
    this.peer.close(reason);
  }
}
