// Test rig for integration tests: a temp home and loader dir per test, a real `god run` child, the real CLI,
// and waits that resolve on god's own events (its `events` stream) instead of sleeps or polls of `god status`.
// Everything started is killed by process group at the end.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { JobJson } from "../../src/protocol/control.js";
import { GodEvents } from "./god-events.js";

export const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
export const LIB = fileURLToPath(new URL("../../src/lib/index.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        timeout: options.timeoutMs ?? 60_000,
        env: options.env ?? process.env,
        cwd: options.cwd ?? process.cwd(),
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export class Sandbox {
  readonly root: string;
  readonly home: string;
  readonly dir: string;
  god: ChildProcess | null = null;
  godOutput = "";
  private readonly pids = new Set<number>();
  private eventStream: Promise<GodEvents> | null = null;
  private outputWaiters = new Set<() => void>();

  constructor(prefix = "god-test-") {
    this.root = mkdtempSync(join(tmpdir(), prefix));
    this.home = join(this.root, "home");
    this.dir = join(this.root, "loaders");
    mkdirSync(this.dir, { recursive: true });
  }

  /** Writes an executable file (a loader or a job) into the loader dir or elsewhere under root. */
  write(name: string, text: string, options: { inDir?: boolean; mode?: number } = {}): string {
    const path = options.inDir === false ? join(this.root, name) : join(this.dir, name);
    writeFileSync(path, text);
    chmodSync(path, options.mode ?? 0o755);
    return path;
  }

  /** A loader written with the library: `body` declares jobs with `job(...)`; init() is appended. */
  libLoader(name: string, body: string): string {
    return this.write(
      name,
      `#!/usr/bin/env node\nimport { job, init, http, tcp, command } from ${JSON.stringify(LIB)};\n${body}\nawait init();\n`,
    );
  }

  startGod(extra: string[] = []): ChildProcess {
    return this.startGodWith(["run", "--dir", this.dir, "--home", this.home, ...extra]);
  }

  /** Starts god with exactly these arguments (after the CLI's path). */
  startGodWith(args: string[]): ChildProcess {
    this.eventStream?.then((e) => e.close()).catch(() => {});
    this.eventStream = null;
    const god = spawn(process.execPath, [CLI, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.god = god;
    if (god.pid) this.pids.add(god.pid);
    const output = (d: Buffer) => {
      this.godOutput += d.toString();
      for (const wake of [...this.outputWaiters]) wake();
    };
    god.stdout!.on("data", output);
    god.stderr!.on("data", output);
    god.once("exit", () => {
      for (const wake of [...this.outputWaiters]) wake();
    });
    return god;
  }

  ctl(args: string[], timeoutMs?: number): Promise<CliResult> {
    return runCli([...args, "--home", this.home], timeoutMs === undefined ? {} : { timeoutMs });
  }

  /**
   * god's event stream (subscribed once god says it started; again after a restart of god). Every wait of this
   * rig resolves on its changes.
   */
  events(): Promise<GodEvents> {
    const open = this.eventStream;
    if (open) {
      return open.then((e) => {
        if (!e.isClosed) return e;
        this.eventStream = null;
        return this.events();
      });
    }
    const god = this.god;
    const pid = god?.pid;
    const started = new RegExp(`"msg":"god ${pid} started"`);
    this.eventStream = this.untilOutput(
      `god ${pid} to start`,
      () => started.test(this.godOutput),
      30_000,
    ).then(() => GodEvents.open(this.home));
    this.eventStream.catch(() => {
      this.eventStream = null;
    });
    return this.eventStream;
  }

  /** Resolves once `probe` holds, evaluated whenever god writes to its output or exits. */
  untilOutput(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (probe()) {
          done();
          resolve();
        } else if (this.god?.exitCode !== null || this.god?.signalCode !== null) {
          done();
          reject(
            new Error(
              `god exited while waiting for ${what}\n--- god output ---\n${this.godOutput.slice(-4000)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`timed out waiting for ${what}\n--- god output ---\n${this.godOutput.slice(-4000)}`),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.outputWaiters.delete(check);
      };
      this.outputWaiters.add(check);
      check();
    });
  }

  /** Every job, as god's event stream last told it (the object `god status --json` prints, per job). */
  async status(): Promise<StatusJobs> {
    const events = await this.events();
    return [...events.jobs.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async job(name: string): Promise<StatusJob | undefined> {
    return (await this.events().catch(() => null))?.jobs.get(name);
  }

  /**
   * Resolves with the first value of `probe` that is not undefined/false. It is evaluated after every event
   * of god (state and loader changes), whenever god writes to its output, and every 100 ms for conditions
   * outside god (a file's contents, a process gone); never by spawning `god status`.
   */
  until<T>(
    what: string,
    probe: () => Promise<T | undefined | false> | T | undefined | false,
    timeoutMs = 20_000,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      let last: unknown;
      let running = false;
      let finished = false;
      let events: GodEvents | null = null;
      const check = () => {
        if (running || finished) return;
        running = true;
        void Promise.resolve()
          .then(() => probe())
          .then(
            (value) => {
              running = false;
              if (finished) return;
              if (value !== undefined && value !== false) {
                done();
                resolve(value);
              } else last = value;
            },
            (error: unknown) => {
              running = false;
              last = error;
            },
          );
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out waiting for ${what} (last: ${String(last)})\n--- god output ---\n${this.godOutput.slice(-4000)}`,
          ),
        );
      }, timeoutMs);
      const poll = setInterval(check, 100);
      const stopEvents: Array<() => void> = [];
      const done = () => {
        finished = true;
        clearTimeout(timer);
        clearInterval(poll);
        this.outputWaiters.delete(check);
        for (const stop of stopEvents) stop();
      };
      this.outputWaiters.add(check);
      if (this.god && this.god.exitCode === null && this.god.signalCode === null) {
        this.events().then(
          (e) => {
            events = e;
            if (!finished) stopEvents.push(e.onChange(check));
            check();
          },
          () => {},
        );
      }
      check();
      void events;
    });
  }

  untilState(name: string, state: string, timeoutMs?: number): Promise<StatusJob> {
    return this.until(
      `${name} to be ${state}`,
      async () => {
        const j = await this.job(name);
        return j?.state === state ? j : undefined;
      },
      timeoutMs,
    );
  }

  /** Remembers a pid (a job's, for example) to kill by group at cleanup. */
  track(pid: number | null | undefined): void {
    if (pid) this.pids.add(pid);
  }

  async stopGod(): Promise<number | null> {
    const god = this.god;
    if (!god || god.exitCode !== null || god.signalCode !== null) return god?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => god.once("exit", (code) => r(code)));
    god.kill("SIGTERM");
    const timer = setTimeout(() => god.kill("SIGKILL"), 20_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  async cleanup(): Promise<void> {
    this.eventStream?.then((e) => e.close()).catch(() => {});
    await this.stopGod().catch(() => null);
    for (const pid of this.pids) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    // GOD_TEST_KEEP=1 keeps the sandbox (god.log, logs, state.json) to read after a failure.
    if (process.env.GOD_TEST_KEEP) process.stderr.write(`kept ${this.root}\n`);
    else rmSync(this.root, { recursive: true, force: true });
  }
}

export type StatusJob = JobJson;
export type StatusJobs = StatusJob[];

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
