// One god under test: `god run` from the built dist/ in a temp root of its own (loaders dir, home), its output
// kept, a crash noticed (an exit nobody asked for, or a fatal line), a control client that counts commands
// left unanswered, and a cleanup that ends god and every process it started (checked by pid start time and by
// the temp root in its command line, so nothing else is ever hit).
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cmdline, fdCounts, killGroup, rssBytes, sleep, startTime, warmStarts } from "./proc.mjs";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const CLI = join(ROOT, "dist/src/cli/main.js");
export const FIXTURES = join(ROOT, "chaos/fixtures");

/** A hello line for a shell loader. */
export function helloLine(name, jobs) {
  return JSON.stringify({
    jsonrpc: "2.0",
    method: "hello",
    params: { protocol: "godv1", loader: { name }, jobs },
  });
}

/** A loader that declares `jobs`, then waits for god to close its stdin. */
export function shLoader(name, jobs) {
  return `#!/bin/sh\ncat <<'EOF'\n${helloLine(name, jobs)}\nEOF\nexec cat >/dev/null\n`;
}

/** A job writing numbered lines (fixtures/numbered.mjs), `rate` a second (0: as fast as god reads). */
export function numberedJob(name, rate, extra = {}) {
  return {
    name,
    exec: [process.execPath, join(FIXTURES, "numbered.mjs"), String(rate)],
    auto: true,
    stop: { signal: "SIGTERM", timeoutMs: 3000 },
    backoff: { initialMs: 50, maxMs: 1000 },
    ...extra,
  };
}

/** Both ends of each spare pipe of god's pool when it is full (DEFAULT_SPARE_PIPES, 6). */
const FULL_POOL_FDS = 12;

/** Every god started and not yet stopped, for stopAll(). */
const live = new Set();

/** Stops every god still running (the run was interrupted) and removes their temp dirs. */
export async function stopAll() {
  await Promise.all(
    [...live].map(async (god) => {
      await god.stop();
      god.cleanup();
    }),
  );
}

export class ChaosGod {
  constructor(name) {
    this.name = name;
    this.root = mkdtempSync(join(tmpdir(), `god-chaos-${name}-`));
    this.dir = join(this.root, "loaders");
    this.home = join(this.root, "home");
    this.logs = join(this.home, "logs");
    mkdirSync(this.dir, { recursive: true });
    this.process = null;
    this.pid = null;
    this.base = null;
    this.crashes = [];
    this.stopping = false;
    this.tail = "";
    this.unanswered = 0;
    this.commands = 0;
    this.pids = new Map();
    this.controls = new Set();
  }

  /** Writes an executable loader into the loader dir (or anywhere under the root with inDir false). */
  write(name, text, inDir = true) {
    const path = inDir ? join(this.dir, name) : join(this.root, name);
    writeFileSync(path, text);
    chmodSync(path, 0o755);
    return path;
  }

  async start({ http = false } = {}) {
    const args = [CLI, "run", "--dir", this.dir, "--home", this.home];
    if (http) args.push("--http", "127.0.0.1:0");
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    live.add(this);
    this.process = child;
    this.pid = child.pid;
    this.track(child.pid);
    const onOutput = (chunk) => {
      const text = chunk.toString();
      this.tail = (this.tail + text).slice(-256 * 1024);
      if (/"level":60/.test(text)) this.crashes.push(`fatal line: ${text.slice(0, 500)}`);
    };
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
    this.exited = new Promise((done) =>
      child.once("exit", (code, signal) => {
        if (!this.stopping) this.crashes.push(`god exited by itself (code ${code}, signal ${signal})`);
        done({ code, signal });
      }),
    );
    await this.untilOutput(`"msg":"god ${child.pid} started"`, 30_000);
    if (http) {
      await this.untilOutput('"http":"', 30_000);
      this.base = `http://${/"http":"([^"]+)"/.exec(this.tail)[1]}`;
    }
    this.control = await this.openControl();
    return this;
  }

  async untilOutput(text, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (!this.tail.includes(text)) {
      if (Date.now() > deadline)
        throw new Error(`${this.name}: no "${text}" from god in ${timeoutMs} ms\n${this.tail.slice(-3000)}`);
      if (this.process.exitCode !== null || this.process.signalCode !== null)
        throw new Error(`${this.name}: god exited before "${text}"\n${this.tail.slice(-3000)}`);
      await sleep(50);
    }
  }

  get crashed() {
    return this.crashes.length > 0;
  }

  rss() {
    return rssBytes(this.pid);
  }

  fds() {
    return fdCounts(this.pid);
  }

  /** Remembers a pid god started (a job, a loader) so cleanup can end its group if god did not. */
  track(pid) {
    if (Number.isInteger(pid) && pid > 0 && !this.pids.has(pid)) this.pids.set(pid, startTime(pid));
  }

  async openControl() {
    const control = await Control.open(join(this.home, "god.sock"), this);
    this.controls.add(control);
    return control;
  }

  /** A command on the shared connection; counted, and counted as unanswered when no answer came in time. */
  async call(method, params = {}, timeoutMs = 150_000) {
    // After a crash nothing answers: that is counted once, as the crash, not again for every command.
    if (this.crashed) return { closed: true };
    return this.control.call(method, params, timeoutMs);
  }

  async status() {
    const answer = await this.call("status", {}, 60_000);
    const jobs = answer.result?.jobs ?? [];
    for (const job of jobs) for (const inst of job.instances ?? []) this.track(inst.pid);
    return jobs;
  }

  async loaders() {
    const answer = await this.call("loaders", {}, 60_000);
    const loaders = answer.result?.loaders ?? [];
    for (const loader of loaders) this.track(loader.pid);
    return loaders;
  }

  /**
   * Waits (bounded) until every job is running, and every job named in `expect` is declared (a loader that
   * starts slower, such as a Node one beside shell ones, has not declared its jobs when the others run); the
   * names of those that are not, or [].
   */
  async allRunning(timeoutMs = 60_000, expect = []) {
    const deadline = Date.now() + timeoutMs;
    let jobs = [];
    const missing = () => expect.filter((name) => !jobs.some((j) => j.name === name));
    while (Date.now() < deadline) {
      if (this.crashed) return ["god crashed"];
      jobs = await this.status();
      if (jobs.length > 0 && jobs.every((j) => j.state === "running") && missing().length === 0) return [];
      await sleep(200);
    }
    return [
      ...jobs.filter((j) => j.state !== "running").map((j) => `${j.name} (${j.state})`),
      ...missing().map((name) => `${name} (not declared)`),
    ];
  }

  /** What every scenario reports of its commands; `extra` adds what the scenario sent and counted itself. */
  tally(extra = {}) {
    return {
      commands: this.commands + (extra.commands ?? 0),
      unanswered: this.unanswered + (extra.unanswered ?? 0),
      crashes: this.crashes,
    };
  }

  /** god's fds once its pool of spare pipes is full again (bounded wait; the pool refills in the background). */
  async baselineFds() {
    let fds = null;
    for (let i = 0; i < 100; i++) {
      fds = this.split(this.fds(), await this.liveInstances());
      if (fds && fds.pool === FULL_POOL_FDS && fds.halfOpen === 0) return fds;
      await sleep(100);
    }
    return fds;
  }

  /**
   * fdCounts() with the FIFO fds split: `instance`, both ends of two pipes (stdout, stderr) per live instance;
   * `warm`, god's fds of its warm starts (both ends of their FIFOs, and the socket of each one's stdin, which is
   * taken out of `other`); `pool`, the rest (the spare pipes, both ends each). Warm starts are bounded (16 by
   * default) and held while their jobs run, so they are not a leak; what they hold is counted from /proc.
   */
  split(fds, live) {
    if (!fds) return fds;
    const instance = 4 * live;
    const warm = warmStarts(this.pid);
    const warmPaths = new Set(warm.flatMap((w) => [...w.fifos]));
    let warmFifo = 0;
    for (const [path, count] of fds.fifos) if (warmPaths.has(path)) warmFifo += count;
    const { fifos: _fifos, ...rest } = fds;
    return {
      ...rest,
      instance,
      warmStarts: warm.length,
      warm: warmFifo + warm.length,
      other: fds.other - warm.length,
      pool: fds.fifo - instance - warmFifo,
    };
  }
  /** god's RSS after quietMs under the load as it is: the median of the last samples (one a second). */
  async quietRss(quietMs) {
    const samples = [];
    for (let waited = 0; waited < quietMs && !this.crashed; waited += 1000) {
      await sleep(1000);
      samples.push(this.rss());
    }
    const last = samples.slice(-5).sort((a, b) => a - b);
    return last[Math.floor(last.length / 2)] ?? this.rss();
  }

  /** How many instances have a live process. */
  async liveInstances() {
    const jobs = await this.status();
    return jobs.reduce((sum, j) => sum + (j.instances ?? []).filter((i) => i.pid !== null).length, 0);
  }

  /**
   * Waits (bounded) until god's fds match `baseline` again: the same "other" fds, both ends of two pipes per
   * live instance, no FIFO open at one end only, and the pool as full as it was. Returns the counts seen last.
   */
  async settleFds(baseline, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    let now = this.fds();
    while (Date.now() < deadline && !this.crashed) {
      now = this.split(this.fds(), await this.liveInstances());
      // A leak only adds: the baseline may have held an fd of the moment, so fewer is settled too.
      if (now && now.other <= baseline.other && now.halfOpen === 0 && now.pool === baseline.pool)
        return { ...now, settled: true };
      await sleep(250);
    }
    return { ...now, settled: false };
  }

  /** SIGTERM, and SIGKILL after 60 s; then every process it started that is still alive. */
  async stop() {
    this.stopping = true;
    live.delete(this);
    for (const control of this.controls) control.close();
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill("SIGTERM");
      const timer = setTimeout(() => this.process.kill("SIGKILL"), 60_000);
      await this.exited;
      clearTimeout(timer);
    }
    for (const [pid, started] of this.pids) {
      if (pid === this.pid || startTime(pid) !== started || !cmdline(pid).includes(this.root)) continue;
      killGroup(pid);
    }
  }

  cleanup() {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A control connection: JSON-RPC requests with ids, answers matched, unanswered ones counted on the god. */
export class Control {
  static open(path, god) {
    return new Promise((resolveOpen, reject) => {
      const socket = createConnection(path);
      socket.once("connect", () => resolveOpen(new Control(socket, god)));
      socket.once("error", reject);
    });
  }

  constructor(socket, god) {
    this.socket = socket;
    this.god = god;
    this.next = 1;
    this.waiting = new Map();
    this.closed = false;
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("data", (text) => {
      buffer += text;
      let nl = buffer.indexOf("\n");
      while (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf("\n");
        let message;
        try {
          message = JSON.parse(line);
        } catch {
          continue;
        }
        const entry = this.waiting.get(message.id);
        if (entry) {
          this.waiting.delete(message.id);
          entry(message);
        }
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      for (const done of this.waiting.values()) done({ closed: true });
      this.waiting.clear();
    });
  }

  call(method, params, timeoutMs) {
    this.god.commands++;
    if (this.closed) {
      this.god.unanswered++;
      return Promise.resolve({ closed: true });
    }
    const id = this.next++;
    return new Promise((resolveCall) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        this.god.unanswered++;
        resolveCall({ unanswered: true });
      }, timeoutMs);
      this.waiting.set(id, (message) => {
        clearTimeout(timer);
        if (message.closed && !this.god.stopping && !this.god.crashed) this.god.unanswered++;
        resolveCall(message);
      });
      this.socket.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  }

  close() {
    this.socket.destroy();
  }
}
