// Measures (does not assert) what `watch` costs god on a big tree (SPEC 15, issue 16): a generated tree of N files
// (default 100,000) in directories of P files each (default 100), watched by one job (`paths: ["."]`). Printed:
// the directories in the tree, the inotify watches god holds (lines of /proc/GOD/fdinfo/*), god's RSS without and
// with the watch, how long the walk took (from the job's declaration to god's "watching N directories" line), and
// whether the per-job cap was hit. With --node-recursive it also runs Node's own fs.watch(dir, {recursive: true})
// on the same tree in a child process, for comparison (on Linux, Node 20 walks synchronously and watches every
// file).
//
// Usage: node bench/watch-tree.mjs [--files N (100000)] [--per-dir P (100)] [--node-recursive] [--dist DIR]
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeHelloLoader } from "./lib/hello-loader.mjs";

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "100000" },
    "per-dir": { type: "string", default: "100" },
    "node-recursive": { type: "boolean", default: false },
    dist: { type: "string", default: fileURLToPath(new URL("../dist", import.meta.url)) },
  },
});
const FILES = Number(values.files);
const PER_DIR = Number(values["per-dir"]);
const CLI = join(resolve(values.dist), "src/cli/main.js");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** inotify watches a process holds: one `inotify wd:` line per watch in its fdinfo. */
function inotifyWatches(pid) {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      count += (readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8").match(/^inotify wd:/gm) ?? []).length;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

/** 10 top directories, each with the leaf directories of PER_DIR files: FILES files in all. */
function makeTree(root) {
  const leaves = Math.ceil(FILES / PER_DIR);
  const perTop = Math.ceil(leaves / 10);
  let files = 0;
  let dirs = 1;
  for (let t = 0; t < 10 && files < FILES; t++) {
    mkdirSync(join(root, `t${t}`));
    dirs++;
    for (let l = 0; l < perTop && files < FILES; l++) {
      const leaf = join(root, `t${t}`, `l${l}`);
      mkdirSync(leaf);
      dirs++;
      for (let f = 0; f < PER_DIR && files < FILES; f++, files++) writeFileSync(join(leaf, `f${f}.js`), "");
    }
  }
  return { files, dirs };
}

function ctl(home, args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, "--home", home], (error, stdout) =>
      resolve(error ? null : stdout),
    );
  });
}

async function until(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    const value = await probe();
    if (value) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** god with one job over the tree, with or without `watch`; its RSS and watches once settled. */
async function measureGod(tree, watch) {
  const root = mkdtempSync(join(tmpdir(), "god-bench-watch-"));
  const home = join(root, "home");
  const dir = join(root, "loaders");
  mkdirSync(dir);
  const job = { name: "web", exec: ["sleep", "100000"], cwd: tree, auto: true };
  if (watch) job.watch = { paths: ["."] };
  writeHelloLoader(root, join(dir, "app"), [job], "b");
  let output = "";
  const god = spawn(process.execPath, [CLI, "run", "--dir", dir, "--home", home], {
    stdio: ["ignore", "pipe", "ignore"],
    detached: true,
  });
  god.stdout.on("data", (d) => {
    output += d;
  });
  try {
    const lineTime = (re) => {
      for (const line of output.split("\n")) {
        if (!re.test(line)) continue;
        return JSON.parse(line).time;
      }
      return null;
    };
    const declared = await until("the job", () => lineTime(/"msg":"job web declared"/), 30_000);
    let walkMs = null;
    let capped = false;
    if (watch) {
      const watching = await until("the watch", () => lineTime(/"msg":"job web: watching/), 300_000);
      walkMs = watching - declared;
      capped = /watch stops at/.test(output);
    }
    await sleep(2000);
    return { rss: rssMb(god.pid), watches: inotifyWatches(god.pid), walkMs, capped };
  } finally {
    await ctl(home, ["shutdown"]);
    await sleep(200);
    try {
      process.kill(-god.pid, "SIGKILL");
    } catch {
      // gone already
    }
    rmSync(root, { recursive: true, force: true });
  }
}

/** Node's own recursive watch on the tree, in a child: its RSS, watches and how long fs.watch() blocked. */
async function measureNodeRecursive(tree) {
  const script = `const fs = require("node:fs"); const t = performance.now();
const w = fs.watch(${JSON.stringify(tree)}, { recursive: true }, () => {});
process.stdout.write(String(performance.now() - t) + "\\n"); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  try {
    const blockedMs = Number(
      await until("node's recursive watch", () => out.split("\n")[0] || null, 600_000),
    );
    await sleep(1000);
    return { rss: rssMb(child.pid), watches: inotifyWatches(child.pid), blockedMs };
  } finally {
    child.kill("SIGKILL");
  }
}

const tree = mkdtempSync(join(tmpdir(), "god-bench-tree-"));
try {
  const made = makeTree(tree);
  console.log(`watch-tree: ${made.files} files in ${made.dirs} directories (${PER_DIR} a directory)`);
  const without = await measureGod(tree, false);
  const withWatch = await measureGod(tree, true);
  console.log(`  god, no watch        RSS ${without.rss.toFixed(1)} MB, inotify watches ${without.watches}`);
  console.log(
    `  god, watch ["."]     RSS ${withWatch.rss.toFixed(1)} MB, inotify watches ${withWatch.watches}, walk ${withWatch.walkMs} ms${withWatch.capped ? ", the per-job cap was hit" : ""}`,
  );
  if (values["node-recursive"]) {
    const node = await measureNodeRecursive(tree);
    console.log(
      `  node fs.watch recursive  RSS ${node.rss.toFixed(1)} MB, inotify watches ${node.watches}, fs.watch() blocked ${node.blockedMs.toFixed(0)} ms`,
    );
  }
} finally {
  rmSync(tree, { recursive: true, force: true });
}
