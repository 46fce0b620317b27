// A job's output: every line of every instance's stdout and stderr, framed, transformed and written to
// logs/JOB.log. The pipes are read only as fast as the file takes the lines (backpressure), so god's
// memory stays bounded and nothing is dropped.

import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { JobConfig } from "../protocol/jobspec.js";

export type LogsConfig = JobConfig["logs"];

export interface JobLogOptions {
  job: string;
  dir: string;
  logs: LogsConfig;
}

export class JobLog {
  private readonly options: JobLogOptions;
  private logs: LogsConfig;
  private file: WriteStream;

  constructor(options: JobLogOptions) {
    this.options = options;
    this.logs = options.logs;
    this.file = createWriteStream(join(options.dir, `${options.job}.log`), { flags: "a", mode: 0o600 });
  }

  get path(): string {
    return join(this.options.dir, `${this.options.job}.log`);
  }

  setConfig(logs: LogsConfig): void {
    this.logs = logs;
  }

  /** Reads an instance's streams to their end; resolves once every line is handed to the file. */
  attach(pid: number, streams: { out: Readable; err: Readable | null }): Promise<void> {
    const done = [this.pump(pid, "out", streams.out)];
    if (streams.err) done.push(this.pump(pid, "err", streams.err));
    return Promise.all(done).then(() => undefined);
  }

  private pump(pid: number, stream: "out" | "err", input: Readable): Promise<void> {
    return new Promise((resolve) => {
      let carry = "";
      const emit = (text: string) => {
        const prefix = this.logs.timestamps ? `${new Date().toISOString()} ` : "";
        const ok = this.file.write(`${prefix}${this.options.job}[${pid}] ${stream}| ${text}\n`);
        if (!ok) {
          input.pause();
          this.file.once("drain", () => input.resume());
        }
      };
      input.setEncoding("utf8");
      input.on("data", (chunk: string) => {
        const lines = (carry + chunk).split("\n");
        carry = lines.pop() ?? "";
        for (const line of lines) emit(line);
      });
      input.on("end", () => {
        if (carry !== "") emit(carry);
        resolve();
      });
      input.on("error", () => resolve());
    });
  }

  reopen(): void {
    const old = this.file;
    this.file = createWriteStream(this.path, { flags: "a", mode: 0o600 });
    old.end();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.file.end(resolve));
  }
}
