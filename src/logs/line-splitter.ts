// Line framing on bytes for one output stream. Complete lines come out as slices of the chunk (no copy); the
// bytes after the last newline wait for the next chunk; a line longer than maxLineBytes is cut into pieces at a
// character boundary, never dropped; whatever is left when the stream closes is the final line.

import { isUtf8 } from "node:buffer";

/**
 * The lines framed from one chunk: line i is bufs[i][starts[i], ends[i]), without its "\n". The storage is
 * reused from chunk to chunk (it grows, never shrinks), so framing allocates nothing per line.
 */
export class LineBatch {
  count = 0;
  /** Sum of the lines' lengths, newlines not counted. */
  bytes = 0;
  /** Every line is valid UTF-8, so its bytes can be written as they are. */
  valid = true;
  readonly bufs: Buffer[] = [];
  starts = new Int32Array(256);
  ends = new Int32Array(256);

  add(buf: Buffer, start: number, end: number): void {
    const i = this.count;
    if (i === this.starts.length) this.grow();
    if (i < this.bufs.length) this.bufs[i] = buf;
    else this.bufs.push(buf);
    this.starts[i] = start;
    this.ends[i] = end;
    this.count = i + 1;
    this.bytes += end - start;
  }

  /** Forgets the lines, and the chunks they point into. */
  clear(): void {
    this.bufs.fill(EMPTY, 0, this.count);
    this.count = 0;
    this.bytes = 0;
    this.valid = true;
  }

  private grow(): void {
    const starts = new Int32Array(this.starts.length * 2);
    starts.set(this.starts);
    this.starts = starts;
    const ends = new Int32Array(this.ends.length * 2);
    ends.set(this.ends);
    this.ends = ends;
  }
}

const EMPTY = Buffer.alloc(0);
const MIN_CARRY_BYTES = 1024;

export class LineSplitter {
  maxLineBytes: number;
  /**
   * The bytes of the line in progress, not yet ended by a newline: carry[0, carryBytes), at most maxLineBytes.
   * Two buffers take turns, reused, so that a partial line at the end of nearly every read allocates nothing: a
   * line completed from one is still in the batch while the next partial line goes into the other. Both are
   * made by the first partial line: a stream that never has one (a job that writes nothing) costs no buffer.
   */
  private carry: Buffer = EMPTY;
  private spare: Buffer = EMPTY;
  private carryBytes = 0;

  constructor(maxLineBytes: number) {
    this.maxLineBytes = maxLineBytes;
  }

  /**
   * Frames a chunk into `out`. The lines added may point into `chunk` and into this splitter's buffers: use
   * them before the next call. Nothing kept across calls points into `chunk`.
   */
  push(chunk: Buffer, out: LineBatch): void {
    const max = this.maxLineBytes;
    let start = 0;
    if (this.carryBytes > 0) {
      const nl = chunk.indexOf(0x0a);
      if (nl === -1) {
        this.append(chunk, 0, chunk.length);
        if (this.carryBytes > max) this.cutCarry(out);
        return;
      }
      this.append(chunk, 0, nl);
      const line = this.carry;
      const length = this.carryBytes;
      this.swap();
      if (!isUtf8(line.subarray(0, length))) out.valid = false;
      this.addLine(out, line, 0, length);
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
      // Copied: the chunk may be a reused read buffer.
      this.append(chunk, start, chunk.length);
      if (this.carryBytes > max) this.cutCarry(out);
    }
  }

  /** The stream closed: the bytes after the last newline become the final line. */
  end(out: LineBatch): void {
    if (this.carryBytes === 0) return;
    const line = this.carry;
    const length = this.carryBytes;
    this.swap();
    if (!isUtf8(line.subarray(0, length))) out.valid = false;
    this.addLine(out, line, 0, length);
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

  private append(from: Buffer, start: number, end: number): void {
    const needed = this.carryBytes + end - start;
    if (needed > this.carry.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.carry.length * 2, MIN_CARRY_BYTES));
      this.carry.copy(grown, 0, 0, this.carryBytes);
      this.carry = grown;
    }
    from.copy(this.carry, this.carryBytes, start, end);
    this.carryBytes = needed;
  }

  /** The line in progress is already longer than maxLineBytes: emit its full pieces, keep the rest. */
  private cutCarry(out: LineBatch): void {
    const max = this.maxLineBytes;
    const buf = this.carry;
    const length = this.carryBytes;
    let start = 0;
    while (length - start > max) {
      const cut = cutPoint(buf, start, max);
      out.add(buf, start, cut);
      start = cut;
    }
    // Only the pieces: the rest may end inside a character that the next chunk completes.
    if (out.valid && !isUtf8(buf.subarray(0, start))) out.valid = false;
    // The pieces stay in `buf` until the batch is written; the rest goes to a buffer of its own (long lines
    // are rare enough to allocate for). The spare may hold a line of this same batch: it is left alone.
    const rest = Buffer.allocUnsafeSlow(Math.max(MIN_CARRY_BYTES, (length - start) * 2));
    buf.copy(rest, 0, start, length);
    this.carry = rest;
    this.carryBytes = length - start;
  }

  private swap(): void {
    const used = this.carry;
    this.carry = this.spare;
    this.spare = used;
    this.carryBytes = 0;
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
