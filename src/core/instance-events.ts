// What moves an instance (events, fed by the daemon) and what the table asks the daemon to do (effects). Every
// process-related event names its process by run number, so a late word about an old process is recognised.

import type { CheckStatus } from "../protocol/control.js";

/** Whether every job in `after` is ready, and if not, the sentence saying what it waits for. */
export interface Deps {
  ready: boolean;
  reason: string | null;
}

export type InstanceEvent =
  /** Commands carry `cmd`, their sequence number in the job, so an outcome can tell it was superseded. */
  | { type: "start"; cmd: number; deps: Deps }
  | { type: "stop"; cmd: number }
  | { type: "restart"; cmd: number; deps: Deps }
  /** Replace the process by the reload policy; `why` is logged (god reload, a deploy, a memory limit...). */
  | { type: "reload"; cmd: number; deps: Deps; why: string }
  | { type: "depsReady" }
  | { type: "spawned"; run: number; pid: number }
  | { type: "spawnFailed"; run: number; message: string }
  | { type: "exit"; run: number; code: number | null; signal: string | null }
  | {
      type: "check";
      run: number;
      status: CheckStatus;
      message: string | null;
      nextMs: number | null;
      /** Legacy: the loader answered [] (no check); the instance is ready while it runs, and done at exit 0. */
      noCheck?: boolean;
    }
  /** A check that gave no verdict (its loader is down, or a legacy answer forwarded elsewhere). */
  | { type: "checkSkipped"; run: number; nextMs: number | null }
  /** The instance said it is ready (SPEC 11: READY=1, or a line on its ready fd). */
  | { type: "ready"; run: number }
  | { type: "readyTimeout"; run: number }
  /** The instance's own word on how it is doing (STATUS=), shown in status. */
  | { type: "statusText"; run: number; text: string }
  /** WATCHDOG=1: the instance is alive; a missing one within watchdogMs counts as a failed check. */
  | { type: "watchdog"; run: number }
  | { type: "watchdogTimeout"; run: number }
  /** EXTEND_TIMEOUT_USEC=: the start (readiness) or stop timeout now ends this far from now. */
  | { type: "extendTimeout"; run: number; ms: number }
  | { type: "backoffElapsed" }
  /**
   * A process a previous god started and left running, taken over (SPEC 13): it serves as this instance's live
   * process, ready or still starting as that god last knew it.
   */
  | { type: "adopt"; cmd: number; run: number; pid: number; spawnedAtMs: number; ready: boolean };

export type InstanceEventType = InstanceEvent["type"];

export const INSTANCE_EVENT_TYPES: readonly InstanceEventType[] = [
  "start",
  "stop",
  "restart",
  "reload",
  "depsReady",
  "spawned",
  "spawnFailed",
  "exit",
  "check",
  "checkSkipped",
  "ready",
  "readyTimeout",
  "statusText",
  "watchdog",
  "watchdogTimeout",
  "extendTimeout",
  "backoffElapsed",
  "adopt",
];

export type TimerName = "backoff" | "ready" | "watchdog";

export type Effect =
  /** Spawn process `run` of the instance (its live process, or a reload's candidate beside it). */
  | { type: "spawn"; run: number }
  /**
   * Stop process `run`: `signal` to its group, SIGKILL after timeoutMs. With `ask`, the legacy loader is first
   * asked `[job, "stop", PID]` and may take the stop over (SPEC 3.2).
   */
  | { type: "kill"; run: number; signal: NodeJS.Signals; timeoutMs: number; ask: boolean }
  /** Check process `run` after delayMs (replacing its pending check); the result comes back as an event. */
  | { type: "check"; run: number; delayMs: number; timeoutMs: number }
  | { type: "cancelCheck"; run: number }
  /** Fire `backoffElapsed` (run 0), `readyTimeout` or `watchdogTimeout` for `run` after delayMs (replacing it). */
  | { type: "timer"; timer: TimerName; run: number; delayMs: number }
  | { type: "cancelTimer"; timer: TimerName; run: number }
  /** A process being stopped gets this much more time before SIGKILL (EXTEND_TIMEOUT_USEC while stopping). */
  | { type: "extendKill"; run: number; ms: number };
