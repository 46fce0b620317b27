// One server-sent-events response: `event:`/`data:` frames, a heartbeat comment so proxies and clients know the
// stream is alive, and a bound on what waits unsent. A client that stops reading is dropped once that bound is
// passed: it can never make god buffer without limit.

import type { IncomingMessage, ServerResponse } from "node:http";
import { NO_STORE } from "./respond.js";

export interface SseOptions {
  heartbeatMs: number;
  /** Unsent bytes past which the client is dropped. */
  maxBufferedBytes: number;
}

export const DEFAULT_SSE: SseOptions = { heartbeatMs: 15_000, maxBufferedBytes: 1024 * 1024 };

export class SseStream {
  private readonly res: ServerResponse;
  private readonly options: SseOptions;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly closers: Array<(reason: string) => void> = [];
  private closedReason: string | null = null;

  constructor(req: IncomingMessage, res: ServerResponse, options: SseOptions) {
    this.res = res;
    this.options = options;
    req.socket?.setNoDelay(true);
    res.writeHead(200, {
      ...NO_STORE,
      "content-type": "text/event-stream; charset=utf-8",
      // Tells a reverse proxy (nginx) not to hold the frames back.
      "x-accel-buffering": "no",
    });
    res.write(": watchgod\n\n");
    this.heartbeat = setInterval(() => this.write(": heartbeat\n\n"), options.heartbeatMs);
    res.on("close", () => this.finish("the client went away"));
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  bufferedBytes(): number {
    return this.res.writableLength;
  }

  /** Sends one event; false once the stream is closed (or was just dropped for falling behind). */
  send(event: string, data: unknown): boolean {
    return this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends the stream, telling the client why first. */
  end(reason: string): void {
    if (this.closed) return;
    this.send("closed", { reason });
    this.res.end();
    this.finish(reason);
  }

  onClose(fn: (reason: string) => void): void {
    if (this.closedReason !== null) fn(this.closedReason);
    else this.closers.push(fn);
  }

  private write(frame: string): boolean {
    if (this.closed) return false;
    this.res.write(frame);
    if (this.res.writableLength > this.options.maxBufferedBytes) {
      const kib = Math.round(this.options.maxBufferedBytes / 1024);
      // What is queued will never be read in time: drop it with the connection rather than keep it.
      this.res.destroy();
      this.finish(`the client fell behind: more than ${kib} KiB of events were not read`);
      return false;
    }
    return true;
  }

  private finish(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    clearInterval(this.heartbeat);
    for (const fn of this.closers.splice(0)) fn(reason);
  }
}
