// Line framing on bytes for one output stream. Complete lines come out as slices of the chunk (no copy); the
// bytes after the last newline wait for the next chunk; a line longer than maxLineBytes is cut into pieces at a
// character boundary, never dropped; whatever is left when the stream closes is the final line.

import { isUtf8 } from "node:buffer";

/** The lines framed from one chunk: line i is bufs[i][starts[i], ends[i]), without its "\n". */
export class LineBatch {
  count = 0;
  /** Sum of the lines' lengths, newlines not counted. */
  bytes = 0;
  /** Every line is valid UTF-8, so its bytes can be written as they are. */
  valid = true;
  readonly bufs: Buffer[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  add(buf: Buffer, start: number, end: number): void {
    this.bufs.push(buf);
    this.starts.push(start);
    this.ends.push(end);
    this.count++;
    this.bytes += end - start;
  }

  /** Forgets the lines, and the chunks they point into. */
  clear(): void {
    this.count = 0;
    this.bytes = 0;
    this.valid = true;
    this.bufs.length = 0;
    this.starts.length = 0;
    this.ends.length = 0;
  }
}

export class LineSplitter {
  maxLineBytes: number;
  /** Bytes of the line in progress, not yet ended by a newline; always at most maxLineBytes in total. */
  private carry: Buffer[] = [];
  private carryBytes = 0;

  constructor(maxLineBytes: number) {
    this.maxLineBytes = maxLineBytes;
  }

  /**
   * Frames a chunk into `out`. The lines added may point into `chunk`: use them before it changes. Nothing
   * kept across calls points into it.
   */
  push(chunk: Buffer, out: LineBatch): void {
    const max = this.maxLineBytes;
    let start = 0;
    if (this.carryBytes > 0) {
      const nl = chunk.indexOf(0x0a);
      if (nl === -1) {
        // Copied: the chunk may be a reused read buffer.
        this.carry.push(Buffer.from(chunk));
        this.carryBytes += chunk.length;
        if (this.carryBytes > max) this.cutCarry(out);
        return;
      }
      this.carry.push(chunk.subarray(0, nl));
      const line = Buffer.concat(this.carry, this.carryBytes + nl);
      this.carry = [];
      this.carryBytes = 0;
      if (!isUtf8(line)) out.valid = false;
      this.addLine(out, line, 0, line.length);
      start = nl + 1;
    }
    // The complete lines inside the chunk form one region, checked for UTF-8 in a single pass.
    const regionStart = start;
    let nl = chunk.indexOf(0x0a, start);
    while (nl !== -1) {
      if (nl - start > max) this.addLine(out, chunk, start, nl);
      else out.add(chunk, start, nl);
      start = nl + 1;
      nl = start < chunk.length ? chunk.indexOf(0x0a, start) : -1;
    }
    if (start > regionStart && out.valid && !isUtf8(chunk.subarray(regionStart, start))) out.valid = false;
    if (start < chunk.length) {
      // Copied: the chunk may be a reused read buffer, and must not be pinned until the newline arrives.
      this.carry.push(Buffer.from(chunk.subarray(start)));
      this.carryBytes = chunk.length - start;
      if (this.carryBytes > max) this.cutCarry(out);
    }
  }

  /** The stream closed: the bytes after the last newline become the final line. */
  end(out: LineBatch): void {
    if (this.carryBytes === 0) return;
    const line = this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry, this.carryBytes);
    this.carry = [];
    this.carryBytes = 0;
    if (!isUtf8(line)) out.valid = false;
    this.addLine(out, line, 0, line.length);
  }

  /** Adds a line, cut into pieces of at most maxLineBytes. */
  private addLine(out: LineBatch, buf: Buffer, start: number, end: number): void {
    const max = this.maxLineBytes;
    while (end - start > max) {
      const cut = cutPoint(buf, start, max);
      out.add(buf, start, cut);
      start = cut;
    }
    out.add(buf, start, end);
  }

  /** The line in progress is already longer than maxLineBytes: emit its full pieces, keep the rest. */
  private cutCarry(out: LineBatch): void {
    const max = this.maxLineBytes;
    const buf = Buffer.concat(this.carry, this.carryBytes);
    let start = 0;
    while (buf.length - start > max) {
      const cut = cutPoint(buf, start, max);
      out.add(buf, start, cut);
      start = cut;
    }
    // Only the pieces: the rest may end inside a character that the next chunk completes.
    if (out.valid && !isUtf8(buf.subarray(0, start))) out.valid = false;
    this.carry = [buf.subarray(start)];
    this.carryBytes = buf.length - start;
  }
}

/**
 * Where to end a piece of at most `max` bytes starting at `start`: before the character that would straddle
 * the limit, so each piece decodes on its own and the pieces join back into the line.
 */
export function cutPoint(buf: Buffer, start: number, max: number): number {
  const limit = start + max;
  let cut = limit;
  // Continuation bytes are 10xxxxxx; a UTF-8 character has at most three of them.
  while (cut > limit - 3 && (buf[cut]! & 0xc0) === 0x80) cut--;
  return (buf[cut]! & 0xc0) === 0x80 ? limit : cut;
}
