// What the library's ready() costs the program that calls it (median of N runs): over NOTIFY_SOCKET (loads
// the native package on first use) and over GOD_READY_FD (a write on a pipe), against a god-side notify socket
// and ready pipe opened here. Usage: node bench/notify/lib-send.mjs [--runs N]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const { openNotifySocket } = await import(join(ROOT, "dist/src/sockets/notify-socket.js"));
const { openReadyPipe } = await import(join(ROOT, "dist/src/sockets/ready-pipe.js"));
const LIB = join(ROOT, "dist/src/lib/index.js");
const { values } = parseArgs({ options: { runs: { type: "string", default: "10" } } });

const PROGRAM = `
const rss0 = process.memoryUsage.rss();
const t0 = performance.now();
const { ready } = await import(${JSON.stringify(LIB)});
const t1 = performance.now();
await ready();
const t2 = performance.now();
console.log(JSON.stringify({ importMs: t1 - t0, readyMs: t2 - t1, rssDelta: process.memoryUsage.rss() - rss0 }));
`;

function runProgram(stdio, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", PROGRAM], { stdio, env });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "god-lib-send-"));
const samples = { none: [], notify: [], fd: [] };
try {
  const socket = await openNotifySocket(join(dir, "notify", "s"), () => {});
  if ("error" in socket) throw new Error(socket.error);
  const base = { ...process.env };
  delete base.NOTIFY_SOCKET;
  delete base.GOD_READY_FD;
  for (let i = 0; i < Number(values.runs); i++) {
    samples.none.push(await runProgram(["ignore", "pipe", "inherit"], base));
    samples.notify.push(
      await runProgram(["ignore", "pipe", "inherit"], { ...base, NOTIFY_SOCKET: socket.path }),
    );
    const pipe = await openReadyPipe(dir);
    const run = runProgram(["ignore", "pipe", "inherit", pipe.writeFd], { ...base, GOD_READY_FD: "3" });
    pipe.closeWriteEnd();
    samples.fd.push(await run);
    await pipe.ready;
    pipe.close();
  }
  socket.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`Node ${process.version}, ${values.runs} runs each (medians)\n`);
console.log("| ready() over | import the library | first ready() | program's RSS growth (import + ready) |");
console.log("|---|---:|---:|---:|");
for (const [name, label] of [
  ["none", "nothing (outside god)"],
  ["fd", "GOD_READY_FD"],
  ["notify", "NOTIFY_SOCKET (loads node-unix-socket)"],
]) {
  const s = samples[name];
  console.log(
    `| ${label} | ${median(s.map((x) => x.importMs)).toFixed(1)} ms | ${median(s.map((x) => x.readyMs)).toFixed(1)} ms | ${(
      median(s.map((x) => x.rssDelta)) / 1048576
    ).toFixed(1)} MiB |`,
  );
}
