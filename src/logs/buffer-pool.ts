// Reused memory for the buffers a batch of lines is written from. A flood writes tens of MB a second; freshly
// allocated, that is garbage which the GC collects late (it sits outside the JS heap), so god's RSS would climb
// with the allocator's whims. A batch's buffer is handed back once it is on disk and out of the recent lines, and
// the next batch of about its size reuses it. Sizes go by powers of two, 4 KiB to 1 MiB; larger ones are not
// pooled. The pool keeps at most MAX_POOLED_BYTES.

const MIN_SHIFT = 12;
const MAX_SHIFT = 20;
const MAX_POOLED_BYTES = 8 * 1024 * 1024;

export class BufferPool {
  private readonly free: Buffer[][] = [];
  private pooledBytes = 0;

  constructor() {
    for (let shift = 0; shift <= MAX_SHIFT; shift++) this.free.push([]);
  }

  /** Bytes held for reuse. */
  get pooled(): number {
    return this.pooledBytes;
  }

  /** A buffer of exactly `size` bytes, contents undefined. Give it back with give() when done with it. */
  take(size: number): Buffer {
    const shift = shiftFor(size);
    if (shift > MAX_SHIFT) return Buffer.allocUnsafeSlow(size);
    const buf = this.free[shift]!.pop();
    if (buf === undefined) return Buffer.allocUnsafeSlow(1 << shift).subarray(0, size);
    this.pooledBytes -= buf.length;
    return buf.subarray(0, size);
  }

  /** Hands back a buffer from take(): nothing may use it afterwards. */
  give(buf: Buffer): void {
    const capacity = buf.buffer.byteLength;
    const shift = shiftFor(capacity);
    if (shift > MAX_SHIFT || 1 << shift !== capacity || buf.byteOffset !== 0) return;
    if (this.pooledBytes + capacity > MAX_POOLED_BYTES) return;
    this.free[shift]!.push(Buffer.from(buf.buffer, 0, capacity));
    this.pooledBytes += capacity;
  }
}

function shiftFor(size: number): number {
  let shift = MIN_SHIFT;
  while (1 << shift < size && shift <= MAX_SHIFT) shift++;
  return shift;
}

/** One pool for every job of this process. */
export const sharedBufferPool = new BufferPool();
