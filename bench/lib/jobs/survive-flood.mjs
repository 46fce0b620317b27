// The log job of the survive measure: `survive-flood.mjs STAMPDIR [LINES_PER_TICK] [TICK_MS]` writes numbered
// lines "n PID SEQ" (SEQ from 1) to stdout, LINES_PER_TICK of them every TICK_MS (default 20 every 10 ms: about
// 2,000 lines/s, steady), each burst one write(2) of under PIPE_BUF bytes. After each burst it writes SEQ, the
// last line written, to STAMPDIR/PID, so that the bench knows what it wrote even if it dies. Once STAMPDIR/stop
// exists it writes no more lines and idles (it does not exit: no supervisor then restarts it). A full pipe
// blocks the write (EAGAIN on a non-blocking one is waited out); a broken one (EPIPE) ends it, as it would any
// program that writes to its stdout.
import { existsSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

const stampDir = process.argv[2];
const perTick = Number(process.argv[3] ?? 20);
const tickMs = Number(process.argv[4] ?? 10);
const stampFile = join(stampDir, String(process.pid));
const stopFile = join(stampDir, "stop");
const pause = new Int32Array(new SharedArrayBuffer(4));
const nap = (ms) => Atomics.wait(pause, 0, 0, ms);

function writeAll(fd, buffer) {
  for (let tries = 0; buffer.length > 0; ) {
    try {
      buffer = buffer.subarray(writeSync(fd, buffer));
    } catch (error) {
      if (error.code !== "EAGAIN" || ++tries > 300_000) throw error;
      nap(1);
    }
  }
}

let seq = 0;
writeFileSync(stampFile, "0\n");
const timer = setInterval(() => {
  if (existsSync(stopFile)) {
    clearInterval(timer);
    writeFileSync(stampFile, `${seq}\n`);
    // Idle until the bench stops the job (bounded: an hour).
    setTimeout(() => {}, 3_600_000);
    return;
  }
  let text = "";
  for (let i = 0; i < perTick; i++) text += `n ${process.pid} ${++seq}\n`;
  writeAll(1, Buffer.from(text));
  writeFileSync(stampFile, `${seq}\n`);
}, tickMs);
