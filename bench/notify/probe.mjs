// One run of one candidate (child of mechanisms.mjs): load the mechanism, bind one notify socket, then 1000 more,
// then receive timestamped datagrams from a Python sender. Prints one JSON line of figures.
// Usage: node probe.mjs CANDIDATE MODULES_DIR SOCKET_DIR DATAGRAMS
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const rss0 = process.memoryUsage.rss();
const t0 = performance.now();
const [candidate, modulesDir, socketDir, datagramsText] = process.argv.slice(2);
const DATAGRAMS = Number(datagramsText);
const HERE = fileURLToPath(new URL(".", import.meta.url));
const requireFrom = createRequire(join(modulesDir, "package.json"));
const PYTHON = process.env["PYTHON"] || "python3";
/** Enough sockets that the per-socket figure is not lost in the noise of the JS heap. */
const EXTRA_SOCKETS = 1000;

/** Each candidate: { bind(path, onData) -> Promise<close()>, helperPid } */
async function load(name) {
  if (name === "node-unix-socket") {
    const { DgramSocket } = requireFrom("node-unix-socket");
    return {
      helperPid: null,
      async bind(path, onData) {
        const s = new DgramSocket();
        s.on("data", onData);
        s.bind(path);
        return () => s.close();
      },
    };
  }
  if (name === "unix-dgram") {
    const unix = requireFrom("unix-dgram");
    return {
      helperPid: null,
      async bind(path, onData) {
        const s = unix.createSocket("unix_dgram", onData);
        await new Promise((resolve, reject) => {
          s.once("listening", resolve);
          s.once("error", reject);
          s.bind(path);
        });
        return () => s.close();
      },
    };
  }
  if (name === "python3-helper" || name === "perl-helper") {
    const [cmd, script] = name === "python3-helper" ? [PYTHON, "helper.py"] : ["perl", "helper.pl"];
    const child = spawn(cmd, [join(HERE, script)], { stdio: ["pipe", "pipe", "inherit"] });
    const waiting = new Map();
    const handlers = new Map();
    createInterface({ input: child.stdout }).on("line", (line) => {
      const [kind, id, rest] = line.split(" ", 3);
      if (kind === "d") handlers.get(id)?.(Buffer.from(rest ?? "", "base64"));
      else waiting.get(id)?.(kind === "ok" ? null : rest);
    });
    let next = 0;
    return {
      helperPid: child.pid,
      async bind(path, onData) {
        const id = String(next++);
        handlers.set(id, onData);
        const error = await new Promise((resolve) => {
          waiting.set(id, resolve);
          child.stdin.write(`open ${id} ${path}\n`);
        });
        if (error !== null) throw new Error(error);
        return () => child.stdin.write(`close ${id}\n`);
      },
      end: () => child.stdin.end(),
    };
  }
  throw new Error(`unknown candidate ${name}`);
}

function vmRss(pid) {
  if (pid === null) return 0;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? 0) * 1024;
}

const latencies = [];
let received = 0;
let done = () => {};
const allReceived = new Promise((resolve) => {
  done = resolve;
});
function onData(buffer) {
  const text = Buffer.from(buffer).toString();
  if (!text.startsWith("T=")) return;
  latencies.push(Number(process.hrtime.bigint() - BigInt(text.slice(2))) / 1e6);
  if (++received === DATAGRAMS) done();
}

const mechanism = await load(candidate);
const closers = [await mechanism.bind(join(socketDir, "s0"), onData)];
const loadBindMs = performance.now() - t0;
const rss1 = process.memoryUsage.rss();
const helper1 = vmRss(mechanism.helperPid);
for (let i = 1; i < EXTRA_SOCKETS + 1; i++)
  closers.push(await mechanism.bind(join(socketDir, `s${i}`), () => {}));
const rssMany = process.memoryUsage.rss();
const helperMany = vmRss(mechanism.helperPid);

const sender = spawn(PYTHON, [join(HERE, "send-stamps.py"), join(socketDir, "s0"), String(DATAGRAMS), "2"], {
  stdio: "inherit",
});
const timeout = setTimeout(done, 20_000);
await allReceived;
clearTimeout(timeout);
sender.kill();
for (const close of closers) close();
mechanism.end?.();
process.stdout.write(
  `${JSON.stringify({ candidate, loadBindMs, rss0, rss1, rssMany, helper1, helperMany, extraSockets: EXTRA_SOCKETS, received, latencies })}\n`,
);
process.exit(0);
