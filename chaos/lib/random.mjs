// A seeded random source, so that a chaos run that found something can be run again the same way (its seed is
// printed). mulberry32: small, fast, good enough to pick actions and make garbage.

export class Random {
  constructor(seed) {
    this.seed = seed >>> 0;
    this.state = this.seed;
  }

  /** A float in [0, 1). */
  next() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min, max) {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick(items) {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p) {
    return this.next() < p;
  }

  bytes(n) {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  /** A short printable string, sometimes with characters that break naive parsers. */
  text(max = 20) {
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.:/\\\"'{}[]%\u00e9\u4e2d\u{1f600} \t";
    let out = "";
    const n = this.int(0, max);
    for (let i = 0; i < n; i++) out += this.pick([...alphabet]);
    return out;
  }

  /** A random JSON value, nested at most `depth` deep. */
  json(depth = 3) {
    const kind = this.int(0, depth > 0 ? 7 : 4);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308, this.int(-1000, 1000)]);
      case 3:
      case 4:
        return this.text();
      case 5:
      case 6: {
        const out = {};
        for (let i = this.int(0, 4); i > 0; i--) out[this.text(8)] = this.json(depth - 1);
        return out;
      }
      default:
        return Array.from({ length: this.int(0, 4) }, () => this.json(depth - 1));
    }
  }
}
