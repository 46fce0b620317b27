// NDJSON framing shared by the loader protocol and the control socket: bytes in, complete lines out.
// Lines are cut on the byte 0x0A, which never occurs inside a multi-byte UTF-8 sequence, so a character split
// across chunks is decoded whole. A line longer than the limit is reported once and skipped up to its end,
// so a peer that never sends a newline cannot grow our memory.

export const MAX_LINE_BYTES = 1024 * 1024;

export type FrameEvent = { type: "line"; text: string } | { type: "overflow"; bytes: number };

export class LineDecoder {
  private readonly parts: Buffer[] = [];
  private pending = 0;
  private skipping = false;
  private skipped = 0;

  private readonly maxLineBytes: number;

  constructor(maxLineBytes: number = MAX_LINE_BYTES) {
    this.maxLineBytes = maxLineBytes;
  }

  /** Feeds a chunk; returns the complete lines (without "\n", and without a trailing "\r") and overflows. */
  push(chunk: Buffer): FrameEvent[] {
    const out: FrameEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.skipping) {
        this.skipped += piece.length;
      } else if (this.pending + piece.length > this.maxLineBytes) {
        this.skipping = true;
        this.skipped = this.pending + piece.length;
        this.parts.length = 0;
        this.pending = 0;
      } else if (piece.length > 0) {
        this.parts.push(piece);
        this.pending += piece.length;
      }
      if (nl === -1) break;
      if (this.skipping) {
        out.push({ type: "overflow", bytes: this.skipped });
        this.skipping = false;
        this.skipped = 0;
      } else {
        out.push({ type: "line", text: this.take() });
      }
      start = nl + 1;
    }
    // Buffers kept across calls must not pin the caller's (possibly pooled) chunk.
    if (this.parts.length > 1 || (this.parts.length === 1 && this.parts[0]!.buffer === chunk.buffer)) {
      const joined = Buffer.concat(this.parts, this.pending);
      this.parts.length = 0;
      this.parts.push(joined);
    }
    return out;
  }

  /** The bytes after the last newline, when the stream ends; null when there are none. */
  end(): FrameEvent | null {
    if (this.skipping) {
      const bytes = this.skipped;
      this.skipping = false;
      this.skipped = 0;
      return { type: "overflow", bytes };
    }
    if (this.pending === 0) return null;
    return { type: "line", text: this.take() };
  }

  private take(): string {
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.pending);
    this.parts.length = 0;
    this.pending = 0;
    const len = buf.length > 0 && buf[buf.length - 1] === 0x0d ? buf.length - 1 : buf.length;
    return buf.toString("utf8", 0, len);
  }
}

/** Serializes one value as a protocol line. */
export function encodeLine(value: unknown): string {
  return JSON.stringify(value) + "\n";
}
