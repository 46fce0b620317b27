// Measures (does not assert) the first reload after an adoption (SPEC 13, issue 14): a job of 2 instances of
// bench/lib/jobs/server.cjs on a god-held socket, under wrk; god is killed with SIGKILL, a new god adopts the
// instances, then `god reload` replaces them one by one. Three variants, each in its own god:
//   taken     the new god takes the listening sockets back from an adopted instance (pidfd_getfd, python3);
//   lost      it cannot (a `python3` that fails stands in for no python3, an old kernel or no permission), so
//             the reload stops each old process before its new one starts;
//   no-kill   the same reload with no kill and no adoption: the floor.
// Per variant: failed requests, the longest gap with no 2xx answer (wrk-gap.lua), and the time from the new god's
// start to every instance adopted. Medians over the repeats.
//
// Usage: node bench/adopt-reload.mjs [--repeats N (3)] [--dist DIR]
import { chmodSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cleanupAll, track } from "./lib/cleanup.mjs";
import { sleep, until } from "./lib/clock.mjs";
import { writeHelloLoader } from "./lib/hello-loader.mjs";
import { freePort } from "./lib/ports.mjs";
import { runOk, signalGroup, spawnGroup, waitExit } from "./lib/proc.mjs";
import { median } from "./lib/stats.mjs";
import { startWrk } from "./lib/wrk.mjs";

const { values } = parseArgs({
  options: {
    repeats: { type: "string", default: "3" },
    dist: { type: "string", default: fileURLToPath(new URL("../dist", import.meta.url)) },
  },
});
const REPEATS = Number(values.repeats);
const CLI = join(resolve(values.dist), "src", "cli", "main.js");
const SERVER = fileURLToPath(new URL("./lib/jobs/server.cjs", import.meta.url));

async function once(variant) {
  const dir = mkdtempSync(join(tmpdir(), "god-adopt-reload-"));
  const home = join(dir, "home");
  const loaders = join(dir, "loaders");
  mkdirSync(loaders, { recursive: true });
  const port = await freePort();
  const job = {
    name: "web",
    exec: [process.execPath, SERVER],
    auto: true,
    instances: 2,
    listen: { http: `tcp://127.0.0.1:${port}` },
    ready: { fd: 4 },
    readyTimeoutMs: 10_000,
    reload: "replace",
    stop: { signal: "SIGTERM", timeoutMs: 5000 },
  };
  writeHelloLoader(dir, join(loaders, "bench"), [job], "b");
  // The "lost" variant: a python3 first on PATH that fails as a missing one would.
  const fake = join(dir, "bin");
  mkdirSync(fake);
  writeFileSync(join(fake, "python3"), "#!/bin/sh\necho 'python3: not available here' >&2\nexit 127\n");
  chmodSync(join(fake, "python3"), 0o755);
  const out = openSync(join(dir, "god.out"), "a");
  const start = (env = process.env) => {
    const god = spawnGroup([process.execPath, CLI, "run", "--dir", loaders, "--home", home], {
      env,
      stdio: ["ignore", out, out],
    });
    track(god.pid);
    return god;
  };
  const status = async () =>
    JSON.parse((await runOk([process.execPath, CLI, "status", "--json", "--home", home])).stdout).jobs;
  const instances = async () => (await status()).flatMap((j) => j.instances);
  try {
    let god = start();
    await until(
      "2 instances running",
      async () => (await instances()).filter((i) => i.state === "running").length === 2,
      { timeoutMs: 30_000, everyMs: 50 },
    );
    for (const i of await instances()) track(i.pid);
    const wrk = startWrk(`http://127.0.0.1:${port}/`, { connections: 8, maxSeconds: 60 });
    await sleep(1000);
    let adoptMs = null;
    if (variant !== "no-kill") {
      signalGroup(god.pid, "SIGKILL");
      await waitExit(god, 10_000);
      await sleep(1000);
      const env = variant === "lost" ? { ...process.env, PATH: `${fake}:${process.env.PATH}` } : process.env;
      const began = performance.now();
      god = start(env);
      await until(
        "every instance adopted",
        async () => {
          const list = await instances().catch(() => []);
          return list.length === 2 && list.every((i) => i.adopted);
        },
        { timeoutMs: 30_000, everyMs: 20 },
      );
      adoptMs = performance.now() - began;
      // The sockets are taken back in the background: let that finish before the reload.
      await sleep(1000);
    }
    await runOk([process.execPath, CLI, "reload", "web", "--home", home], { timeoutMs: 60_000 });
    for (const i of await instances()) track(i.pid);
    await sleep(1000);
    const figures = await wrk.stop();
    await runOk([process.execPath, CLI, "shutdown", "--home", home], { timeoutMs: 60_000 }).catch(() => {});
    await waitExit(god, 20_000);
    return { ...figures, adoptMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const VARIANTS = ["taken", "lost", "no-kill"];
const results = new Map(VARIANTS.map((v) => [v, []]));
try {
  for (let r = 0; r < REPEATS; r++) {
    for (const variant of VARIANTS) results.get(variant).push(await once(variant));
  }
} finally {
  await cleanupAll();
}
process.stdout.write(
  `first reload of 2 instances after an adoption, under wrk (${REPEATS} repeats, medians)\n`,
);
for (const [variant, runs] of results) {
  const failed = median(runs.map((x) => x.failed));
  const gap = median(runs.map((x) => x.longestGapMs));
  const adopt = runs[0].adoptMs === null ? "-" : `${median(runs.map((x) => x.adoptMs)).toFixed(0)} ms`;
  process.stdout.write(
    `  ${variant.padEnd(8)} failed ${String(failed).padStart(4)}   longest gap ${String(gap).padStart(5)} ms   adopted after ${adopt}   (failed per run: ${runs.map((x) => x.failed).join(", ")})\n`,
  );
}
