// The pipe of `ready: {"fd": N}` (SPEC section 11, the s6 convention): the instance gets the write end as fd N
// (and GOD_READY_FD=N); the first newline it writes there means ready, and EOF before one means it closed the
// fd (or exited) without being ready. The pipe is a real one, made as god's output pipes are.

import { rmSync } from "node:fs";
import type { Readable } from "node:stream";
import { createPipes, reopenPipe } from "../logs/output-pipe.js";

export type ReadyOutcome = "ready" | "closed";

export interface ReadyPipe {
  /** Give to the child at stdio index N (N >= 3), with GOD_READY_FD=N in its environment (-1: reopened). */
  writeFd: number;
  /** The FIFO's path while it is kept on disk for a later god, else null. */
  path: string | null;
  /** "ready" at the first newline; "closed" at EOF before one, or when close() comes first. Never rejects. */
  ready: Promise<ReadyOutcome>;
  /** Call right after spawn (and after a failed spawn): god's copy of the write end must not keep it open. */
  closeWriteEnd(): void;
  /** Stops reading and closes both of god's ends (when the instance is gone, or no longer needs watching). */
  close(): void;
}

/**
 * `dir` holds the pipe's FIFO for a moment, as for createPipes (default: the system temp dir); with `keep` the
 * FIFO stays there while the instance has not said it is ready, so that a later god can open it again and hear
 * the word (SPEC 13).
 */
export async function openReadyPipe(dir?: string, keep = false): Promise<ReadyPipe> {
  const [pipe] = await createPipes(1, dir, keep);
  return watchReady(pipe!.readable, pipe!.writeFd, pipe!.closeWriteEnd, pipe!.path ?? null);
}

/** The read end of a kept ready FIFO, opened again by a later god (an adopted instance not yet ready). */
export function reopenReadyPipe(path: string): ReadyPipe | null {
  const readable = reopenPipe(path);
  if (readable === null) return null;
  return watchReady(readable, -1, () => {}, path);
}

function watchReady(
  readable: Readable,
  writeFd: number,
  closeWriteEnd: () => void,
  path: string | null,
): ReadyPipe {
  let settle: (outcome: ReadyOutcome) => void = () => {};
  const ready = new Promise<ReadyOutcome>((resolve) => {
    settle = resolve;
  });
  readable.on("data", (chunk: Buffer) => {
    // After the line, what else the instance writes is read and dropped: closing god's end instead would
    // kill with SIGPIPE an instance that writes its line twice.
    if (chunk.includes(0x0a)) {
      settle("ready");
      // Heard: no later god needs the FIFO's name any more (the fds stay open until the instance ends).
      if (path !== null) rmSync(path, { force: true });
    }
  });
  readable.on("end", () => settle("closed"));
  readable.on("close", () => settle("closed"));
  readable.on("error", () => settle("closed"));
  return {
    writeFd,
    path,
    ready,
    closeWriteEnd,
    close: () => {
      closeWriteEnd();
      settle("closed");
      readable.destroy();
      if (path !== null) rmSync(path, { force: true });
    },
  };
}
