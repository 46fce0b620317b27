// Starts one instance of a job: argv without a shell, god's environment with the job's overrides, its own
// process group, stdout and stderr as pipes owned by god (so logs survive restarts of the job).

import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { JobConfig } from "../protocol/jobspec.js";

export type SpawnResult =
  | { ok: true; child: ChildProcess; pid: number; program: string | null }
  | { ok: false; message: string };

/**
 * god's own environment, copied once by settleEnvironment(): reading process.env goes through Node's interceptor
 * for every variable (0.15 ms a spawn here, between a crash and the fork that replaces it; issue 17), and god's
 * environment does not change once it runs (`god run` removes its private variables before the first spawn).
 * Until it is settled, each spawn reads process.env.
 */
let settled: Readonly<NodeJS.ProcessEnv> | null = null;

export function settleEnvironment(): void {
  settled = { ...process.env };
}

/** The environment jobs start from: the settled copy, or process.env itself. */
export function godEnvironment(): Readonly<NodeJS.ProcessEnv> {
  return settled ?? process.env;
}

export function jobEnvironment(
  base: Readonly<NodeJS.ProcessEnv>,
  overrides: Record<string, string | null>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface SpawnOptions {
  /** Extra environment set by god itself (LISTEN_FDS and the like), applied last. */
  extraEnv?: Record<string, string>;
  /** fds for stdio slots 3 and up (listening sockets); null leaves a slot closed. */
  extraFds?: Array<number | null>;
  /** fds for stdout and stderr (the same one twice for logs.merge); without them, Node's own pipes. */
  outFds?: [number, number];
  /**
   * A warm start (warm-start.ts): the process is a /bin/sh that waits for a line on its stdin, then execs the
   * argv with stdin on /dev/null. The program is looked up in PATH now too (a missing one fails now, as a
   * direct spawn does), and `program` in the result is the path found.
   */
  warm?: boolean;
}

/** The directory the job's processes start in: its cwd, or god's own. */
export function jobCwd(config: JobConfig): string {
  return config.cwd === null ? process.cwd() : resolve(config.cwd);
}

/**
 * Spawns the instance; resolves once it is known whether the process started. The cwd is looked at only when
 * the spawn fails (the child's chdir fails with the same ENOENT as a missing program): a stat before every
 * spawn is time between a crash and the fork of its restart (issue 17).
 */
export function spawnInstance(config: JobConfig, options: SpawnOptions = {}): Promise<SpawnResult> {
  const cwd = jobCwd(config);
  let [file, ...args] = config.exec as [string, ...string[]];
  let env = jobEnvironment(godEnvironment(), config.env);
  Object.assign(env, options.extraEnv ?? {});
  const fds = options.extraFds ?? [];
  const listening = env["LISTEN_FDS"] !== undefined;
  let program: string | null = null;
  if (listening || options.warm) {
    // LISTEN_PID must be the instance's own pid, known only after fork: a fixed sh trampoline sets it and
    // execs the argv (execScript); a warm start waits first (warmScript).
    program = findExecutable(file, env["PATH"] ?? "", cwd);
    if (program === null) {
      return Promise.resolve({
        ok: false,
        message: spawnMessage(config, cwd, Object.assign(new Error("ENOENT"), { code: "ENOENT" })),
      });
    }
    const script = options.warm ? warmScript(listening, env) : execScript(true, env);
    // The program as the job names it: the shell's exec looks it up in PATH as execvp would, and argv[0] is
    // the job's own, as with a direct spawn.
    args = ["-c", script, options.warm ? WARM_NAME : START_NAME, file, ...args];
    file = "/bin/sh";
    env = shellEnvironment(env);
  }
  const [out, err]: ["pipe" | number, "pipe" | number] = options.outFds ?? ["pipe", "pipe"];
  const stdio: Array<"ignore" | "pipe" | number> = [
    options.warm ? "pipe" : "ignore",
    out,
    err,
    ...fds.map((fd) => fd ?? "ignore"),
  ];
  let child: ChildProcess;
  try {
    child = spawn(file, args, { cwd, env, stdio, detached: true, windowsHide: true });
  } catch (error) {
    return Promise.resolve({
      ok: false,
      message: spawnMessage(config, cwd, error as NodeJS.ErrnoException),
    });
  }
  if (child.pid !== undefined) return Promise.resolve({ ok: true, child, pid: child.pid, program });
  return new Promise((done) => {
    child.once("error", (error: NodeJS.ErrnoException) =>
      done({ ok: false, message: spawnMessage(config, cwd, error) }),
    );
  });
}

/** $0 of a warm start's shell: what `ps` shows of it, before the program's argv. */
export const WARM_NAME = "god-warm-start";
/** $0 of the shell that sets LISTEN_PID and execs at once. */
const START_NAME = "god-start";

/**
 * The end of a start through /bin/sh: LISTEN_PID set to the shell's pid (which the program keeps across the
 * exec) when the instance gets sockets, then the program replaces the shell; its argv is passed as arguments
 * and never parsed by the shell. The program's environment is the one a direct spawn gives, `env`: dash sets PWD
 * to its cwd when it starts, so PWD is put back to what `env` says, or unset when it says nothing; and what dash
 * drops or sets itself (names that are not shell identifiers; PPID, OPTIND, IFS) is given back by
 * /usr/bin/env, one exec more, only for such an environment.
 */
export function execScript(listening: boolean, env: Readonly<NodeJS.ProcessEnv>): string {
  const listenPid = listening ? "LISTEN_PID=$$; export LISTEN_PID; " : "";
  const pwd = env["PWD"];
  const keepPwd = pwd === undefined ? "unset PWD; " : `PWD=${shellQuote(pwd)}; export PWD; `;
  const lost = Object.entries(env)
    .filter(([name, value]) => value !== undefined && notForShell(name))
    .map(([name, value]) => shellQuote(`${name}=${value}`));
  const exec = lost.length === 0 ? 'exec "$@"' : `exec /usr/bin/env -- ${lost.join(" ")} "$@"`;
  return `${listenPid}${keepPwd}${exec}`;
}

function notForShell(name: string): boolean {
  return !SHELL_NAME.test(name) || SHELL_SETS.has(name);
}

/**
 * The environment the shell itself is given: without what execScript gives back through /usr/bin/env (dash does
 * not even start with a non-numeric OPTIND). The same object when there is none.
 */
function shellEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const names = Object.keys(env).filter(notForShell);
  if (names.length === 0) return env;
  const out = { ...env };
  for (const name of names) delete out[name];
  return out;
}

/** Environment names dash passes on: shell identifiers... */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** ...except those it sets itself when it starts. */
const SHELL_SETS = new Set(["PPID", "OPTIND", "IFS"]);

/**
 * The script of a warm start's shell. It waits for one line on stdin; at end of file (god closed it, or died)
 * it exits without running anything. Then stdin becomes /dev/null, as for any instance, and the start goes on
 * as execScript's.
 */
export function warmScript(listening: boolean, env: Readonly<NodeJS.ProcessEnv>): string {
  // The line is read into PWD, which execScript sets or unsets next: no variable of the job's is touched.
  return `read -r PWD || exit 0; exec </dev/null; ${execScript(listening, env)}`;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** argv[0] as execvp would find it (PATH of the job's environment), or null. */
export function findExecutable(file: string, path: string, cwd: string): string | null {
  const candidates = file.includes("/")
    ? [resolve(cwd, file)]
    : path.split(":").map((dir) => join(dir || ".", file));
  for (const candidate of candidates) {
    try {
      // A missing candidate answers undefined, not an exception (each one a stack trace; PATH has many misses).
      if (!statSync(candidate, { throwIfNoEntry: false })?.isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not executable, or a path through a file (ENOTDIR): execvp would go on too
    }
  }
  return null;
}

/** Why the cwd cannot be one, or null when it is a directory. */
function cwdProblem(config: JobConfig, cwd: string): string | null {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(cwd, { throwIfNoEntry: false });
  } catch {
    stat = undefined; // a part of the path is a file (ENOTDIR), or may not be searched
  }
  if (stat === undefined) return `cwd "${cwd}" does not exist; fix the cwd of job "${config.name}"`;
  if (!stat.isDirectory()) return `cwd "${cwd}" is not a directory; fix the cwd of job "${config.name}"`;
  return null;
}

function spawnMessage(config: JobConfig, cwd: string, error: NodeJS.ErrnoException): string {
  const unusableCwd = cwdProblem(config, cwd);
  if (unusableCwd !== null) return unusableCwd;
  const file = config.exec[0];
  switch (error.code) {
    case "ENOENT":
      return `"${file}" was not found (looked up in PATH); fix exec[0] of job "${config.name}" or install it`;
    case "EACCES":
      return `"${file}" is not executable (permission denied); fix its mode or exec[0] of job "${config.name}"`;
    default:
      return `could not start "${file}" for job "${config.name}": ${error.message}`;
  }
}
