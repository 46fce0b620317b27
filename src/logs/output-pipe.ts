// The pipes god gives an instance for its output. Node's own stdio "pipe" is a unix socketpair: every small
// write takes a socket buffer of its own, so a job writing a line at a time fills it after a few hundred lines
// and god must wake for nearly every line. A real pipe holds 64 KiB whatever the write sizes, so god can read
// in large chunks. Node has no pipe(2): a FIFO made by `mkfifo` in a private directory, opened at both ends
// and unlinked at once, is one. Where mkfifo is missing, a socketpair is the fallback.
//
// The read end is a PipeReadable: an ordinary Readable for anyone, and for JobLog a fast path that reads into
// one reused buffer and can stop reading the fd itself (backpressure, and resting between small reads).

import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import {
  createConnection,
  createServer,
  Socket as NetSocket,
  type Socket,
  type SocketConstructorOpts,
} from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { makeFifos } from "../process/mkfifo.js";

export const PIPE_READ_BYTES = 64 * 1024;

/**
 * One read buffer for every pipe: a read and its callback run together, synchronously, and the consumer copies
 * what it keeps before it returns, so a thousand jobs do not cost a thousand buffers.
 */
let sharedReadBuffer: Buffer | null = null;

/** takeRest() reads at most this many buffers: more than a pipe holds, even one grown to 1 MiB. */
const MAX_REST_READS = 32;

export interface OutputPipe {
  /** Give to the child as fd 1 and/or fd 2. */
  writeFd: number;
  /** The FIFO's path when it stays on disk (so a later god can read on), else null. */
  path?: string | null;
  /** god's end. Pass it to JobLog.attach. */
  readable: Readable;
  /**
   * Closes god's copy of the write end: the readable ends once the child's copies are closed too. The daemon
   * calls it once it has handled the instance's exit (or after a failed spawn), so that the end comes after
   * the exit.
   */
  closeWriteEnd(): void;
}

/** Options Node's Socket constructor takes but @types/node leaves out. */
interface RawSocketOptions extends SocketConstructorOpts {
  onread: { buffer: Uint8Array; callback: (bytes: number, buffer: Uint8Array) => boolean | undefined };
  pauseOnCreate: boolean;
}

/** The read end of a real pipe. */
export class PipeReadable extends Readable {
  private readonly fd: number;
  private readonly socket: Socket;
  private consumer: ((chunk: Buffer) => void) | null = null;
  private held = false;

  constructor(fd: number) {
    super();
    this.fd = fd;
    sharedReadBuffer ??= Buffer.allocUnsafeSlow(PIPE_READ_BYTES);
    const buffer = sharedReadBuffer;
    const options: RawSocketOptions = {
      fd,
      readable: true,
      writable: false,
      // Nothing is read until someone consumes.
      pauseOnCreate: true,
      onread: {
        buffer,
        callback: (bytes) => {
          this.onChunk(buffer.subarray(0, bytes));
          return undefined;
        },
      },
    };
    this.socket = new NetSocket(options);
    this.socket.on("end", () => this.push(null));
    this.socket.on("error", (error) => this.destroy(error));
    this.socket.on("close", () => {
      if (!this.readableEnded) this.push(null);
    });
  }

  /**
   * JobLog's fast path: every chunk goes to fn as a view of a buffer that is reused once fn returns. The
   * readable still emits "end" and "close" (it must be flowing: resume() it).
   */
  consume(fn: (chunk: Buffer) => void): void {
    this.consumer = fn;
    for (let chunk = this.read(); chunk !== null; chunk = this.read()) fn(chunk as Buffer);
  }

  /** Stops reading the fd itself: the kernel pipe fills and the writer blocks. */
  hold(): void {
    this.held = true;
    this.socket.pause();
  }

  release(): void {
    this.held = false;
    if (!this.destroyed) this.socket.resume();
  }

  /**
   * For a reader about to close the pipe (the job is gone): hands fn what the kernel pipe holds now, in the
   * same reused buffer as consume(), without waiting for more. Call it held, then destroy() the readable.
   * Bounded: a writer still alive cannot keep it reading.
   */
  takeRest(fn: (chunk: Buffer) => void): void {
    if (this.destroyed) return;
    const buffer = sharedReadBuffer!;
    for (let i = 0; i < MAX_REST_READS; i++) {
      let bytes: number;
      try {
        bytes = readSync(this.fd, buffer, 0, buffer.length, null);
      } catch {
        return; // EAGAIN: the pipe is empty and a writer still has it open
      }
      if (bytes === 0) return;
      fn(buffer.subarray(0, bytes));
    }
  }

  override _read(): void {
    if (!this.held) this.socket.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }

  private onChunk(chunk: Buffer): void {
    if (this.consumer !== null) {
      this.consumer(chunk);
      return;
    }
    if (!this.push(Buffer.from(chunk))) this.socket.pause();
  }
}

let mkfifoMissing = false;

/**
 * `count` independent pipes. For logs.merge one pipe serves as both fd 1 and fd 2 (as `2>&1`), so the kernel
 * keeps the exact order of the child's writes; otherwise one pipe for stdout and one for stderr.
 * `dir` holds the FIFOs for a moment (default: the system temp dir).
 */
export async function createPipes(
  count: number,
  dir: string = tmpdir(),
  keep = false,
): Promise<OutputPipe[]> {
  if (!mkfifoMissing) {
    try {
      return await (keep ? keptFifoPipes(count, dir) : fifoPipes(count, dir));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      mkfifoMissing = true;
    }
  }
  const pipes: OutputPipe[] = [];
  for (let i = 0; i < count; i++) pipes.push(await socketPipe(dir));
  return pipes;
}

export async function createPipe(dir?: string): Promise<OutputPipe> {
  const [pipe] = await createPipes(1, dir);
  return pipe!;
}

async function fifoPipes(count: number, dir: string): Promise<OutputPipe[]> {
  const scratch = mkdtempSync(join(dir, "god-pipe-"));
  try {
    const paths = Array.from({ length: count }, (_, i) => join(scratch, String(i)));
    await makeFifos(paths);
    return openEnds(paths, constants.O_WRONLY).map(({ readFd, writeFd }) => ({
      writeFd,
      readable: new PipeReadable(readFd),
      closeWriteEnd: closeOnce(writeFd),
    }));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * FIFOs that stay on disk in `dir` (GOD_HOME/pipes) for as long as their instance runs, so that a later god can
 * open them again and read on (SPEC 13). The instance's end is opened read-write: a reader always exists, so
 * the instance never gets SIGPIPE when god is gone; its writes wait in the pipe, and block once it is full.
 */
async function keptFifoPipes(count: number, dir: string): Promise<OutputPipe[]> {
  const stamp = `${process.pid}-${Date.now().toString(36)}-${(fifoSerial++).toString(36)}`;
  const paths = Array.from({ length: count }, (_, i) => join(dir, `${stamp}-${i}`));
  await makeFifos(paths);
  let ends: FifoEnds[];
  try {
    ends = openEnds(paths, constants.O_RDWR);
  } catch (error) {
    // The FIFOs nobody will use go too.
    for (const path of paths) rmSync(path, { force: true });
    throw error;
  }
  return ends.map(({ path, readFd, writeFd }) => ({
    writeFd,
    path,
    readable: new PipeReadable(readFd),
    closeWriteEnd: closeOnce(writeFd),
  }));
}

interface FifoEnds {
  path: string;
  readFd: number;
  writeFd: number;
}

/**
 * Opens both ends of each FIFO: the read end first and non-blocking, so that opening the write end (with
 * `writeFlags`) does not wait for a reader. Out of fds (EMFILE) halfway, it closes what it opened, which would
 * be nobody's to close, and throws.
 */
function openEnds(paths: string[], writeFlags: number): FifoEnds[] {
  const opened: number[] = [];
  try {
    return paths.map((path) => {
      const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      opened.push(readFd);
      const writeFd = openSync(path, writeFlags);
      opened.push(writeFd);
      return { path, readFd, writeFd };
    });
  } catch (error) {
    for (const fd of opened) closeSync(fd);
    throw error;
  }
}

let fifoSerial = 0;

/** The read end of a kept FIFO, opened again by a later god (an adopted instance's output). */
export function reopenPipe(path: string): PipeReadable | null {
  try {
    return new PipeReadable(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
  } catch {
    return null;
  }
}

function closeOnce(fd: number): () => void {
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    closeSync(fd);
  };
}

/** A connected pair of unix stream sockets, made through a listening socket in a private directory. */
async function socketPipe(dir: string): Promise<OutputPipe> {
  const scratch = mkdtempSync(join(dir, "god-pipe-"));
  const server = createServer({ pauseOnConnect: true });
  try {
    const address = join(scratch, "s");
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(address, () => resolve());
    });
    const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
    const writer = createConnection(address);
    await new Promise<void>((resolve, reject) => {
      writer.once("connect", resolve);
      writer.once("error", reject);
    });
    // Nothing ever comes back on the write end.
    writer.pause();
    const readable = await accepted;
    const handle = (writer as unknown as { _handle?: { fd?: unknown } })._handle;
    if (typeof handle?.fd !== "number" || handle.fd < 0) {
      writer.destroy();
      readable.destroy();
      throw new Error("output pipe: the socket has no file descriptor");
    }
    readable.on("error", () => {});
    return { writeFd: handle.fd, readable, closeWriteEnd: () => writer.destroy() };
  } finally {
    if (server.listening) server.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
