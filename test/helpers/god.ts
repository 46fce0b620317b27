// Test rig for integration tests: a temp home and loader dir per test, a real `god run` child, the real CLI,
// and waiting on conditions (bounded polls of god's own answers) instead of sleeps. Everything started is
// killed by process group at the end.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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
    const god = spawn(process.execPath, [CLI, "run", "--dir", this.dir, "--home", this.home, ...extra], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.god = god;
    if (god.pid) this.pids.add(god.pid);
    god.stdout!.on("data", (d: Buffer) => {
      this.godOutput += d.toString();
    });
    god.stderr!.on("data", (d: Buffer) => {
      this.godOutput += d.toString();
    });
    return god;
  }

  ctl(args: string[], timeoutMs?: number): Promise<CliResult> {
    return runCli([...args, "--home", this.home], timeoutMs === undefined ? {} : { timeoutMs });
  }

  async status(): Promise<StatusJobs> {
    const r = await this.ctl(["status", "--json"]);
    if (r.code !== 0) throw new Error(`god status failed (${r.code}): ${r.stderr}`);
    return (JSON.parse(r.stdout) as { jobs: StatusJobs }).jobs;
  }

  async job(name: string): Promise<StatusJob | undefined> {
    return (await this.status().catch(() => [])).find((j) => j.name === name);
  }

  /** Polls `probe` every 50 ms until it returns a value other than undefined/false, for at most timeoutMs. */
  async until<T>(
    what: string,
    probe: () => Promise<T | undefined | false> | T | undefined | false,
    timeoutMs = 20_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (let i = 0; i < 100_000; i++) {
      try {
        const value = await probe();
        if (value !== undefined && value !== false) return value;
        last = value;
      } catch (error) {
        last = error;
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `timed out waiting for ${what} (last: ${String(last)})\n--- god output ---\n${this.godOutput.slice(-4000)}`,
    );
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
    await this.stopGod().catch(() => null);
    for (const pid of this.pids) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

export type StatusJob = {
  name: string;
  state: string;
  want: string;
  pid: number | null;
  instance: number | null;
  restarts: number;
  uptimeMs: number | null;
  loader: string;
  check: { status: string; message: string | null; at: string } | null;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  reason: string | null;
};
export type StatusJobs = StatusJob[];

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
