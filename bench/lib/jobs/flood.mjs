// The job of the log measure: `flood.mjs COUNT STAMPDIR` waits for STAMPDIR/go (so that no supervisor is still
// busy starting when it begins), writes STAMPDIR/start (epoch ns), then COUNT numbered lines, one write(2) a
// line, "out N" on stdout for even N and "err N" on stderr for odd N, then STAMPDIR/end. A full pipe blocks the
// writes (or answers EAGAIN on a non-blocking one, which is waited out), as in any program.
import { existsSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

const count = Number(process.argv[2]);
const stampDir = process.argv[3];
const epochNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
const pause = new Int32Array(new SharedArrayBuffer(4));
const nap = (ms) => Atomics.wait(pause, 0, 0, ms);

function writeLine(fd, text) {
  let buffer = Buffer.from(text);
  for (let tries = 0; buffer.length > 0; ) {
    try {
      const written = writeSync(fd, buffer);
      buffer = buffer.subarray(written);
    } catch (error) {
      if (error.code !== "EAGAIN" || ++tries > 100_000) throw error;
      nap(1);
    }
  }
}

const waitUntil = Date.now() + 300_000;
while (!existsSync(join(stampDir, "go"))) {
  if (Date.now() > waitUntil) process.exit(1);
  nap(2);
}
writeFileSync(join(stampDir, "start"), `${epochNs()}\n`);
for (let i = 0; i < count; i++) {
  if (i % 2 === 0) writeLine(1, `out ${i}\n`);
  else writeLine(2, `err ${i}\n`);
}
writeFileSync(join(stampDir, "end"), `${epochNs()}\n`);
