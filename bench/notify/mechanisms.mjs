// How god could receive sd_notify datagrams (SPEC section 11), measured side by side: two npm native modules
// and two helper processes (python3, perl) forwarding datagrams on a pipe. Prints a markdown table for
// docs/benchmarks.md (section "Notify sockets"). Every process it starts exits by itself or is killed by pid.
// Usage: node bench/notify/mechanisms.mjs [--node PATH] [--modules DIR] [--python PATH] [--runs N]
//                                         [--datagrams N] [--only A,B]
//   --modules: a directory whose node_modules holds the npm candidates (default: the repo, which has
//   node-unix-socket as an optional dependency). For all of them, in a scratch directory:
//     npm install --prefix /tmp/cand unix-dgram@2.0.7 node-unix-socket@0.2.7   (unix-dgram compiles with node-gyp)
//   A candidate that is missing is skipped with a line saying so.
//   --node: the Node binary the probes run on (default: this one), to compare Node 20 and 22.
//   --python: the python3 the helper and the sender run on (default: python3 in PATH; a pyenv shim adds ~80 ms).
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const { values } = parseArgs({
  options: {
    node: { type: "string", default: process.execPath },
    modules: { type: "string", default: join(HERE, "..", "..") },
    runs: { type: "string", default: "10" },
    datagrams: { type: "string", default: "100" },
    only: { type: "string" },
    python: { type: "string", default: "python3" },
  },
});
const RUNS = Number(values.runs);
const ALL = {
  "node-unix-socket": ["node-unix-socket", "node-unix-socket-linux-x64-gnu"],
  "unix-dgram": ["unix-dgram", "bindings", "nan", "file-uri-to-path"],
  "python3-helper": [],
  "perl-helper": [],
};
const names = values.only ? values.only.split(",") : Object.keys(ALL);

function available(name) {
  if (name.endsWith("-helper")) return true;
  try {
    createRequire(join(values.modules, "package.json"))(name);
    return true;
  } catch (error) {
    console.error(`${name}: skipped (${String(error.message).split("\n")[0]})`);
    return false;
  }
}

function duBytes(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const entry of readdirSync(path)) total += duBytes(join(path, entry));
  return total;
}

function installBytes(name) {
  let total = 0;
  for (const pkg of ALL[name]) {
    const dir = join(values.modules, "node_modules", pkg);
    if (existsSync(dir)) total += duBytes(dir);
  }
  return total;
}

function probe(name) {
  const dir = mkdtempSync(join(tmpdir(), "god-notify-bench-"));
  chmodSync(dir, 0o700);
  return new Promise((resolve, reject) => {
    const child = spawn(values.node, [join(HERE, "probe.mjs"), name, values.modules, dir, values.datagrams], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, PYTHON: values.python },
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`${name}: probe exited ${code}`));
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;

const chosen = names.filter(available);
const samples = Object.fromEntries(chosen.map((n) => [n, []]));
for (let run = 0; run < RUNS; run++) {
  // A rotating order, so no candidate always runs first on a cold cache.
  for (let i = 0; i < chosen.length; i++) {
    const name = chosen[(i + run) % chosen.length];
    samples[name].push(await probe(name));
  }
}

const version = await new Promise((resolve) => {
  const c = spawn(values.node, ["--version"]);
  let v = "";
  c.stdout.on("data", (d) => {
    v += d;
  });
  c.on("exit", () => resolve(v.trim()));
});
console.log(`Node ${version}, ${RUNS} runs each, ${values.datagrams} datagrams per run (medians)\n`);
console.log(
  "| mechanism | load + bind 1 socket | god's extra RSS, 1 socket | helper process RSS | total extra RSS, 1 socket | per extra socket (1000 more bound) | latency median | latency p99 | install size |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const name of chosen) {
  const s = samples[name];
  const lost = s.reduce((n, x) => n + (Number(values.datagrams) - x.received), 0);
  const lat = s.flatMap((x) => x.latencies);
  const total1 = median(s.map((x) => x.rss1 - x.rss0 + x.helper1));
  const perSocket = median(s.map((x) => (x.rssMany + x.helperMany - (x.rss1 + x.helper1)) / x.extraSockets));
  console.log(
    `| ${name} | ${median(s.map((x) => x.loadBindMs)).toFixed(1)} ms | ${mib(median(s.map((x) => x.rss1 - x.rss0)))} | ${
      name.endsWith("-helper") ? mib(median(s.map((x) => x.helper1))) : "—"
    } | ${mib(total1)} | ${kib(perSocket)} | ${median(lat).toFixed(3)} ms | ${quantile(lat, 0.99).toFixed(3)} ms | ${
      ALL[name].length ? kib(installBytes(name)) : "0 (uses the system's interpreter)"
    } |${lost ? ` ${lost} lost` : ""}`,
  );
}
