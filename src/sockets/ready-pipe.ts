// The pipe of `ready: {"fd": N}` (SPEC section 11, the s6 convention): the instance gets the write end as fd N
// (and GOD_READY_FD=N); the first newline it writes there means ready, and EOF before one means it closed the
// fd (or exited) without being ready. The pipe is a real one, made as god's output pipes are.

import type { Readable } from "node:stream";
import { createPipe } from "../logs/output-pipe.js";

export type ReadyOutcome = "ready" | "closed";

export interface ReadyPipe {
  /** Give to the child at stdio index N (N >= 3), with GOD_READY_FD=N in its environment. */
  writeFd: number;
  /** "ready" at the first newline; "closed" at EOF before one, or when close() comes first. Never rejects. */
  ready: Promise<ReadyOutcome>;
  /** Call right after spawn (and after a failed spawn): god's copy of the write end must not keep it open. */
  closeWriteEnd(): void;
  /** Stops reading and closes both of god's ends (when the instance is gone, or no longer needs watching). */
  close(): void;
}

/** `dir` holds the pipe's FIFO for a moment, as for createPipes (default: the system temp dir). */
export async function openReadyPipe(dir?: string): Promise<ReadyPipe> {
  const pipe = await createPipe(dir);
  const readable: Readable = pipe.readable;
  let settle: (outcome: ReadyOutcome) => void = () => {};
  const ready = new Promise<ReadyOutcome>((resolve) => {
    settle = resolve;
  });
  readable.on("data", (chunk: Buffer) => {
    // After the line, what else the instance writes is read and dropped: closing god's end instead would
    // kill with SIGPIPE an instance that writes its line twice.
    if (chunk.includes(0x0a)) settle("ready");
  });
  readable.on("end", () => settle("closed"));
  readable.on("close", () => settle("closed"));
  readable.on("error", () => settle("closed"));
  return {
    writeFd: pipe.writeFd,
    ready,
    closeWriteEnd: pipe.closeWriteEnd,
    close: () => {
      pipe.closeWriteEnd();
      settle("closed");
      readable.destroy();
    },
  };
}
