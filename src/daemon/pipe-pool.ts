// Output pipes ready before they are needed. Each instance gets real pipes for its stdout and stderr (see
// logs/output-pipe.ts: they hold 64 KiB whatever the write sizes, so god reads in large chunks), but making
// them costs a `mkfifo` process (a fork of god, milliseconds); a crashed job must not wait for that, so a few
// are kept ready and the pool is refilled in the background, a little after the spawn that took them (a fork
// before the job's own, or while it starts, would delay it). Instances started together (god's start, a
// loader's hello) wait for one refill made for all of them, not a process each.

import { rmSync } from "node:fs";
import { createPipes, type OutputPipe } from "../logs/output-pipe.js";

/** Pipes kept ready by default. */
export const DEFAULT_SPARE_PIPES = 6;

/** How many refills a take waits for (others may take what one made) before making its own pipes. */
const MAX_FILLS_PER_TAKE = 3;

/** How long after a take the pool is topped up. */
export const REFILL_DELAY_MS = 25;

/** The most FIFOs one mkfifo makes (its argv stays small). */
const MAX_BATCH = 256;

export class PipePool {
  private readonly ready: OutputPipe[] = [];
  private refilling: Promise<void> | null = null;
  private refillQueued = false;
  /** Pipes wanted by takes waiting for a refill. */
  private waiting = 0;
  private readonly spare: number;
  private readonly dir: string | undefined;
  /** FIFOs kept on disk in `dir` while their instance runs (SPEC 13), not unlinked at once. */
  private readonly keep: boolean;
  private closed = false;

  constructor(spare = DEFAULT_SPARE_PIPES, dir?: string, keep = false) {
    this.spare = spare;
    this.dir = dir;
    this.keep = keep;
  }

  /** Where FIFOs stay on disk for a later god (GOD_HOME/pipes), or undefined when they do not. */
  get keptDir(): string | undefined {
    return this.keep ? this.dir : undefined;
  }

  /** `count` pipes from the pool at once, or null when it holds fewer (then take() makes or waits for them). */
  takeNow(count: number): OutputPipe[] | null {
    if (this.closed || this.ready.length < count) return null;
    const out = this.ready.splice(0, count);
    this.refillSoon();
    return out;
  }

  /** `count` pipes, from the ready ones when there are enough. */
  async take(count: number): Promise<OutputPipe[]> {
    for (let fills = 0; fills < MAX_FILLS_PER_TAKE && this.ready.length < count && !this.closed; fills++) {
      this.waiting += count;
      try {
        await this.fill();
      } finally {
        this.waiting -= count;
      }
    }
    if (this.ready.length < count) return createPipes(count, this.dir, this.keep);
    const out = this.ready.splice(0, count);
    this.refillSoon();
    return out;
  }

  close(): void {
    this.closed = true;
    for (const pipe of this.ready.splice(0)) discard(pipe);
  }

  /**
   * Tops the pool up REFILL_DELAY_MS after a take: by then the process the pipes went to has started. Made at
   * once, the refill's mkfifo (a fork of god, 1.4 ms of god's time) ran while that process started, on a
   * machine whose cores the two shared with whatever else runs (issue 17).
   */
  private refillSoon(): void {
    if (this.refillQueued || this.closed || this.ready.length >= this.spare) return;
    this.refillQueued = true;
    setTimeout(() => {
      this.refillQueued = false;
      if (this.ready.length < this.spare) void this.fill();
    }, REFILL_DELAY_MS).unref();
  }

  /** One mkfifo for the waiting takes and the spares; a take that comes meanwhile waits for the same one. */
  private fill(): Promise<void> {
    if (this.refilling) return this.refilling;
    const count = Math.min(MAX_BATCH, this.waiting + this.spare - this.ready.length);
    if (count <= 0 || this.closed) return Promise.resolve();
    this.refilling = createPipes(count, this.dir, this.keep)
      .then((pipes) => {
        if (this.closed) for (const pipe of pipes) discard(pipe);
        else this.ready.push(...pipes);
      })
      .catch(() => {})
      .finally(() => {
        this.refilling = null;
      });
    return this.refilling;
  }
}

function discard(pipe: OutputPipe): void {
  pipe.closeWriteEnd();
  pipe.readable.destroy();
  if (pipe.path) rmSync(pipe.path, { force: true });
}
