// Output pipes ready before they are needed. Each instance gets real pipes for its stdout and stderr (see
// logs/output-pipe.ts: they hold 64 KiB whatever the write sizes, so god reads in large chunks), but making
// one costs a `mkfifo` process; a crashed job must not wait for that, so a few are kept ready and the pool
// is refilled in the background.

import { rmSync } from "node:fs";
import { createPipes, type OutputPipe } from "../logs/output-pipe.js";

/** Pipes kept ready by default. */
export const DEFAULT_SPARE_PIPES = 6;

export class PipePool {
  private readonly ready: OutputPipe[] = [];
  private refilling: Promise<void> | null = null;
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

  /** `count` pipes, from the ready ones when there are enough. */
  async take(count: number): Promise<OutputPipe[]> {
    if (this.ready.length < count) {
      const made = await createPipes(count, this.dir, this.keep);
      this.refill();
      return made;
    }
    const out = this.ready.splice(0, count);
    this.refill();
    return out;
  }

  close(): void {
    this.closed = true;
    for (const pipe of this.ready.splice(0)) {
      pipe.closeWriteEnd();
      pipe.readable.destroy();
      if (pipe.path) rmSync(pipe.path, { force: true });
    }
  }

  private refill(): void {
    if (this.refilling || this.closed || this.ready.length >= this.spare) return;
    this.refilling = createPipes(this.spare - this.ready.length, this.dir, this.keep)
      .then((pipes) => {
        if (this.closed) {
          for (const pipe of pipes) {
            pipe.closeWriteEnd();
            pipe.readable.destroy();
            if (pipe.path) rmSync(pipe.path, { force: true });
          }
        } else this.ready.push(...pipes);
      })
      .catch(() => {})
      .finally(() => {
        this.refilling = null;
      });
  }
}
