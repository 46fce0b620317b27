// How a job's line looks in its file (SPEC 7): `TIME JOB[PID] STREAM| msg` (`JOB.K[PID]` for instance K of a job
// that runs several) or one JSON object {t, job, pid, instance?, stream, msg}, with the `redact` patterns
// replaced by "[redacted]". A batch of lines becomes one
// Buffer. Without redaction and with valid UTF-8 (the common case) bytes are copied and no string is built.

import type { JobConfig } from "../protocol/jobspec.js";
import type { LineBatch } from "./line-splitter.js";
import type { LogStream } from "./log-record.js";

export type LogsConfig = JobConfig["logs"];

export const REDACTED = "[redacted]";

/** Where a batch's bytes go: a fresh buffer, or one from a pool. Not Buffer's shared pool: see encode(). */
export type Alloc = (size: number) => Buffer;

const allocSlow: Alloc = (size) => Buffer.allocUnsafeSlow(size);

export class LineFormat {
  readonly job: string;
  readonly timestamps: boolean;
  readonly json: boolean;
  private readonly redactions: RegExp[];

  constructor(job: string, logs: LogsConfig) {
    this.job = job;
    this.timestamps = logs.timestamps;
    this.json = logs.format === "json";
    // The JobSpec validation compiled each pattern already; "g" replaces every match.
    this.redactions = logs.redact.map((pattern) => new RegExp(pattern, "g"));
  }

  redact(msg: string): string {
    for (const re of this.redactions) {
      re.lastIndex = 0;
      msg = msg.replace(re, REDACTED);
    }
    return msg;
  }

  /**
   * The file bytes for a batch: whole lines, each ended by "\n". When `msgs` is given, it receives every
   * line's message (decoded with U+FFFD for invalid bytes, and redacted), in order.
   */
  encode(batch: LineBatch, head: LineHead, msgs: string[] | null, alloc: Alloc = allocSlow): Buffer {
    if (batch.valid && this.redactions.length === 0) {
      if (msgs !== null) decodeAll(batch, msgs);
      return this.json
        ? encodeJsonBytes(batch, head.bytes, alloc)
        : encodeTextBytes(batch, head.bytes, alloc);
    }
    let text = "";
    const prefix = head.text;
    for (let i = 0; i < batch.count; i++) {
      const msg = this.redact(batch.bufs[i]!.toString("utf8", batch.starts[i], batch.ends[i]));
      if (msgs !== null) msgs.push(msg);
      text += this.json ? prefix + JSON.stringify(msg) + "}\n" : prefix + msg + "\n";
    }
    // Never from Buffer's shared pool: the recent lines may keep this, and must not pin a pool slab.
    const out = alloc(Buffer.byteLength(text, "utf8"));
    out.write(text, 0, "utf8");
    return out;
  }
}

/** Decodes every line's message of a batch whose bytes need no transform. */
export function decodeAll(batch: LineBatch, msgs: string[]): void {
  for (let i = 0; i < batch.count; i++)
    msgs.push(batch.bufs[i]!.toString("utf8", batch.starts[i], batch.ends[i]));
}

function encodeTextBytes(batch: LineBatch, prefix: Buffer, alloc: Alloc): Buffer {
  const plen = prefix.length;
  const out = alloc(batch.count * (plen + 1) + batch.bytes);
  let pos = 0;
  for (let i = 0; i < batch.count; i++) {
    out.set(prefix, pos);
    pos += plen;
    pos = copyBytes(batch.bufs[i]!, batch.starts[i]!, batch.ends[i]!, out, pos);
    out[pos++] = 0x0a;
  }
  return out;
}

function copyBytes(from: Buffer, start: number, end: number, to: Buffer, pos: number): number {
  // Short lines are the common case, and for them a JS loop beats a native call.
  if (end - start < 64) {
    while (start < end) to[pos++] = from[start++]!;
    return pos;
  }
  return pos + from.copy(to, pos, start, end);
}

const HEX = "0123456789abcdef";

/** JSON.stringify's escaping, on valid UTF-8 bytes: `"`, `\\` and control characters; nothing else. */
function encodeJsonBytes(batch: LineBatch, prefix: Buffer, alloc: Alloc): Buffer {
  const plen = prefix.length;
  let size = batch.count * (plen + 4) + batch.bytes;
  for (let i = 0; i < batch.count; i++) {
    const buf = batch.bufs[i]!;
    const end = batch.ends[i]!;
    for (let j = batch.starts[i]!; j < end; j++) {
      const b = buf[j]!;
      if (b === 0x22 || b === 0x5c) size += 1;
      else if (b < 0x20) size += b === 0x08 || b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d ? 1 : 5;
    }
  }
  const out = alloc(size);
  let pos = 0;
  for (let i = 0; i < batch.count; i++) {
    out.set(prefix, pos);
    pos += plen;
    out[pos++] = 0x22;
    const buf = batch.bufs[i]!;
    const end = batch.ends[i]!;
    let run = batch.starts[i]!;
    for (let j = run; j < end; j++) {
      const b = buf[j]!;
      if (b >= 0x20 && b !== 0x22 && b !== 0x5c) continue;
      pos = copyBytes(buf, run, j, out, pos);
      run = j + 1;
      out[pos++] = 0x5c;
      if (b === 0x22 || b === 0x5c) out[pos++] = b;
      else if (b === 0x0a) out[pos++] = 0x6e;
      else if (b === 0x0d) out[pos++] = 0x72;
      else if (b === 0x09) out[pos++] = 0x74;
      else if (b === 0x08) out[pos++] = 0x62;
      else if (b === 0x0c) out[pos++] = 0x66;
      else pos += out.write(`u00${HEX[b >> 4]}${HEX[b & 15]}`, pos, "latin1");
    }
    pos = copyBytes(buf, run, end, out, pos);
    out[pos++] = 0x22;
    out[pos++] = 0x7d;
    out[pos++] = 0x0a;
  }
  return out;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * The start of every line of one stream of one instance, cached for the current millisecond: within a
 * millisecond (and a flood fits thousands of lines in one) the prefix is built once.
 */
export class LineHead {
  readonly pid: number;
  readonly stream: LogStream;
  /** The instance's index when the job runs several; null labels the line with the job alone. */
  readonly instance: number | null;
  /** Time of the prefix, as ms since the epoch and as ISO text. */
  ms = -1;
  iso = "";
  text = "";
  bytes: Buffer = NO_BYTES;
  private format: LineFormat | null = null;
  /**
   * Where `bytes` lives, rewritten in place each millisecond: a small Buffer made anew each time would come from
   * Node's shared slab, live long enough to be promoted, and pile up until a full GC. Made by the first line.
   */
  private store: Buffer = NO_BYTES;

  constructor(pid: number, stream: LogStream, instance: number | null = null) {
    this.pid = pid;
    this.stream = stream;
    this.instance = instance;
  }

  /** Brings the prefix up to date for this format and time. */
  update(format: LineFormat, ms: number): void {
    if (ms === this.ms && format === this.format) return;
    if (ms !== this.ms) {
      this.ms = ms;
      this.iso = new Date(ms).toISOString();
    }
    this.format = format;
    const job = format.job;
    if (format.json) {
      const t = format.timestamps ? `"t":"${this.iso}",` : "";
      const instance = this.instance === null ? "" : `"instance":${this.instance},`;
      this.text = `{${t}"job":${JSON.stringify(job)},"pid":${this.pid},${instance}"stream":"${this.stream}","msg":`;
    } else {
      const label = this.instance === null ? job : `${job}.${this.instance}`;
      this.text = `${format.timestamps ? `${this.iso} ` : ""}${label}[${this.pid}] ${this.stream}| `;
    }
    const length = Buffer.byteLength(this.text, "utf8");
    if (length > this.store.length) this.store = Buffer.allocUnsafeSlow(Math.max(128, length * 2));
    this.store.write(this.text, 0, "utf8");
    this.bytes = this.store.subarray(0, length);
  }
}
