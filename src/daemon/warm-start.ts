// Warm starts (issue 17): the next process of an instance that has been restarted, forked ahead of time. After a
// crash god's restart waits for nothing but the fork of god itself (a 13 MiB Node process: about 1.3 ms before
// the program even execs). A warm start moves that fork off the path: some time after a restart, god spawns the
// next process already, as a /bin/sh that waits on its stdin (spawn-instance.ts, warmScript) with everything a
// start gives it (cwd, environment, process group, output pipes, sockets, readiness channel). When the table
// asks for that process, god sends one line and the shell execs the program: same pid, same group, nothing
// forked. The table decides nothing new: a warm start is one way of carrying out its `spawn`, for the run it
// was made for, and is discarded as soon as the table's instance no longer leads to that run (a stop, a new
// spec, a scale down) or god stops. It dies with god too: its stdin reaches end of file and the shell exits.

import type { ChildProcess } from "node:child_process";
import { accessSync, constants, rmSync, statSync } from "node:fs";
import type { OutputPipe } from "../logs/output-pipe.js";
import { signalGroup } from "../process/signal-group.js";
import type { JobConfig } from "../protocol/jobspec.js";
import type { Readiness } from "./instance-readiness.js";

/** Warm starts kept at most at once by default, over all jobs: each is a waiting dash (1.6 MiB RSS, 0.2 its own). */
export const DEFAULT_WARM_STARTS = 16;

/** How long after a restart god forks the warm start of the next one (the restart's own start goes first). */
export const WARM_DELAY_MS = 50;

/** The daemon's budget of warm starts: how many waiting shells may exist at once. */
export class WarmStarts {
  readonly max: number;
  private used = 0;

  constructor(max = DEFAULT_WARM_STARTS) {
    this.max = max;
  }

  /** One more, if the budget has room. */
  take(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }

  give(): void {
    if (this.used > 0) this.used--;
  }

  get count(): number {
    return this.used;
  }
}

/** What a warm start holds until it is fired or discarded. */
export interface WarmParts {
  /** The run of the instance it was made for. */
  run: number;
  /** The spec it was made with: the runner's config object at the time. */
  config: JobConfig;
  child: ChildProcess;
  pid: number;
  /** The program's path, as PATH gave it when the shell was spawned. */
  program: string;
  /** The cwd the shell runs in. */
  cwd: string;
  pipes: OutputPipe[] | null;
  readiness: Readiness;
}

export class WarmStart {
  readonly parts: WarmParts;
  private readonly cwdIdentity: string | null;
  private readonly budget: WarmStarts;
  private readonly onDied: () => void;
  private state: "waiting" | "fired" | "discarded" = "waiting";

  /** `onDied`: the shell ended before it was fired (then its parts are freed already). */
  constructor(parts: WarmParts, budget: WarmStarts, onDied: () => void) {
    this.parts = parts;
    this.budget = budget;
    this.onDied = onDied;
    this.cwdIdentity = identity(parts.cwd);
    // A write to a shell that died meanwhile fails with EPIPE: that is seen by the exit, not an error of god.
    parts.child.stdin?.on("error", () => {});
    parts.child.once("exit", this.died);
  }

  /**
   * Lets the shell exec the program, when it still can: it is alive, the program is still executable at its
   * path and the cwd is still the same directory. Otherwise the warm start is discarded and false returned (the
   * runner then spawns as usual, which names what is wrong).
   */
  fire(): boolean {
    if (this.state !== "waiting") return false;
    const { child, program, cwd } = this.parts;
    if (child.exitCode !== null || child.signalCode !== null || !executable(program)) {
      this.discard();
      return false;
    }
    if (identity(cwd) !== this.cwdIdentity) {
      this.discard();
      return false;
    }
    this.state = "fired";
    child.off("exit", this.died);
    child.stdin?.end("\n");
    this.budget.give();
    return true;
  }

  /** Kills the waiting shell and frees what it held. */
  discard(): void {
    if (this.state !== "waiting") return;
    this.state = "discarded";
    this.parts.child.off("exit", this.died);
    signalGroup(this.parts.pid, "SIGKILL");
    this.free();
  }

  private readonly died = () => {
    if (this.state !== "waiting") return;
    this.state = "discarded";
    this.free();
    this.onDied();
  };

  private free(): void {
    this.parts.child.stdin?.destroy();
    closePipes(this.parts.pipes);
    this.parts.readiness.close();
    this.budget.give();
  }
}

/** Output pipes no process will use: both of god's ends closed, their FIFOs removed. */
export function closePipes(pipes: OutputPipe[] | null): void {
  for (const pipe of pipes ?? []) {
    pipe.closeWriteEnd();
    pipe.readable.destroy();
    if (typeof pipe.path === "string") rmSync(pipe.path, { force: true });
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function identity(path: string): string | null {
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    return stat?.isDirectory() ? `${stat.dev}:${stat.ino}` : null;
  } catch {
    return null; // a part of the path is a file, or may not be searched
  }
}
