// The processes the bench starts or measures: spawning in a process group of its own, signalling a group,
// bounded waits for an exit, and a process's RSS and CPU time read from /proc.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Field 22 of /proc/PID/stat (clock ticks since boot), or null when the process is gone. */
export function startTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses; the fields after its last ")" are plain.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(rest[19]);
  } catch {
    return null;
  }
}

/**
 * Whether pid runs (a zombie does not: a process whose parent died may wait a while to be reaped), and, when
 * `started` is given, is still the process that had that start time.
 */
export function alive(pid, started) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (rest[0] === "Z" || rest[0] === "X") return false;
    return started === undefined || Number(rest[19]) === started;
  } catch {
    return false;
  }
}

/** The process group of PID, or null when it is gone. */
export function processGroup(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return null;
  }
}

/** Resident set size in KiB (VmRSS), or null when the process is gone. */
export function rssKiB(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** RssAnon and RssFile in KiB (the heap and such, and mapped files such as the executable), or null. */
export function rssParts(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status)?.[1] ?? Number.NaN);
    return { anon: field("RssAnon"), file: field("RssFile") };
  } catch {
    return null;
  }
}

/**
 * CPU time the process itself has used, in ns: the sum over its live threads of schedstat's time on CPU (exact,
 * where stat's utime+stime count 10 ms ticks; Node's GC and libuv threads count too, its children do not).
 */
export function cpuNs(pid) {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
    return ns;
  } catch {
    return null;
  }
}

/** Spawns argv in a process group of its own, so that the group can be signalled as a whole. */
export function spawnGroup(argv, { env = process.env, cwd, stdio = "ignore" } = {}) {
  const [file, ...args] = argv;
  return spawn(file, args, { env, cwd, stdio, detached: true });
}

/** Signals the group led by pid; a group already gone is no error. */
export function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if (error.code === "ESRCH") return false;
    throw error;
  }
}

/** Resolves true when the child has exited within timeoutMs, else false. */
export function waitExit(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", onExit);
  });
}

/**
 * Runs argv to its end, at most timeoutMs (then its group gets SIGKILL and the result says so).
 * Resolves { code, signal, stdout, stderr, ms, timedOut }; never rejects for a non-zero exit.
 */
export function run(argv, { env = process.env, cwd, timeoutMs = 30_000, capture = true } = {}) {
  const started = process.hrtime.bigint();
  const child = spawnGroup(argv, { env, cwd, stdio: ["ignore", capture ? "pipe" : "ignore", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    // Bounded: only the tail matters for an error message.
    stderr = (stderr + chunk).slice(-8192);
  });
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: error.message, ms: 0, timedOut: false });
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ code, signal, stdout, stderr, ms, timedOut });
    });
  });
}

/** Like run(), but throws with the command's stderr when it does not exit 0. */
export async function runOk(argv, options) {
  const result = await run(argv, options);
  if (result.code !== 0) {
    const why = result.timedOut
      ? `timed out after ${options?.timeoutMs ?? 30_000} ms`
      : `exited ${result.code}`;
    throw new Error(`${argv.join(" ")} ${why}: ${result.stderr.trim() || result.stdout.trim().slice(-2000)}`);
  }
  return result;
}
