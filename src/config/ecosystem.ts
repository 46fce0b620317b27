// PM2's ecosystem file (`module.exports = { apps: [...] }`, already evaluated) to god's JobSpecs. Every field PM2
// users rely on maps to god's equivalent; what god does differently is said once per file in a warning, and a
// field god does not know is named in one warning line, never dropped in silence. docs/from-pm2.md is the table.

import { basename, extname, isAbsolute, resolve } from "node:path";
import { describeValue, isRecord } from "../lib/describe.js";
import { JOB_NAME_PATTERN } from "../protocol/jobspec.js";
import type { ConfigJobSpec, Conversion } from "./config-job.js";
import { memorySize } from "./memory-size.js";
import {
  type Backoff,
  GOD_BACKOFF,
  PM2_MAX_RESTARTS,
  PM2_MIN_UPTIME_MS,
  pm2Duration,
  pm2Env,
  pm2Instances,
  pm2Words,
  restartWindowMs,
} from "./pm2-values.js";

export interface EcosystemOptions {
  /** `god run --env NAME` / `god import --env NAME`: env_NAME is merged over env. */
  envName: string | null;
  /** Where a relative `cwd` (and, without one, the apps) start from: the config file's own directory. */
  dir: string;
  /** The node that runs a script whose interpreter is node: god's own, as PM2 runs its own. */
  nodePath: string;
  /** CPUs, for `instances: -1` (all but one). */
  cpuCount: number;
  /** What `~` means in `cwd` and `script`. */
  homeDir: string;
  /** Whether a file exists: a script that is not a file under cwd is a command looked up in PATH. */
  exists: (path: string) => boolean;
}

/** PM2 sends SIGINT to stop an app (its docs tell apps to handle SIGINT), so converted jobs keep that. */
export const PM2_STOP_SIGNAL = "SIGINT";

/** Fields read below, with PM2's aliases. env_NAME fields are known too. */
const KNOWN = new Set([
  "name",
  "script",
  "args",
  "interpreter",
  "exec_interpreter",
  "interpreter_args",
  "interpreterArgs",
  "node_args",
  "cwd",
  "env",
  "port",
  "instances",
  "exec_mode",
  "autorestart",
  "max_restarts",
  "min_uptime",
  "restart_delay",
  "exp_backoff_restart_delay",
  "kill_timeout",
  "max_memory_restart",
  "cron_restart",
  "cron",
  "watch",
  "ignore_watch",
  "watch_delay",
  "merge_logs",
  "combine_logs",
  "log_date_format",
  "time",
  "wait_ready",
  "listen_timeout",
]);

/** The interpreters PM2 would pick by extension, where god (with no `interpreter`) runs the file itself. */
const PM2_INTERPRETERS: Record<string, string> = {
  ".sh": "bash",
  ".py": "python",
  ".rb": "ruby",
  ".php": "php",
  ".pl": "perl",
  ".coffee": "coffee",
  ".ts": "bun",
  ".tsx": "bun",
};

const NAME = new RegExp(JOB_NAME_PATTERN);

/** Notes gathered over all apps, so that each becomes one warning line for the whole file. */
class Notes {
  readonly unknown = new Map<string, string[]>();
  readonly logDateFormat: string[] = [];
  readonly separateLogs: string[] = [];
  readonly waitReady: string[] = [];
  readonly ownPorts: string[] = [];
  readonly withoutEnvName: string[] = [];

  field(field: string, who: string): void {
    const list = this.unknown.get(field) ?? [];
    list.push(who);
    this.unknown.set(field, list);
  }
}

export function convertEcosystem(config: unknown, file: string, options: EcosystemOptions): Conversion {
  const errors: string[] = [];
  const warnings: string[] = [];
  const notes = new Notes();
  let apps: unknown[];
  if (Array.isArray(config)) {
    apps = config;
  } else if (isRecord(config) && Array.isArray(config["apps"])) {
    apps = config["apps"];
    for (const key of Object.keys(config)) if (key !== "apps") notes.field(key, "top level");
  } else if (isRecord(config) && isRecord(config["apps"])) {
    apps = [config["apps"]];
  } else if (isRecord(config) && typeof config["script"] === "string") {
    apps = [config];
  } else {
    const got = isRecord(config) ? `an object without "apps"` : describeValue(config);
    return {
      jobs: [],
      warnings,
      errors: [
        `${file}: expected PM2's ecosystem format, an object { apps: [{ name, script, ... }] }, got ${got}; export it with module.exports = { apps: [...] }.`,
      ],
    };
  }
  const jobs: ConfigJobSpec[] = [];
  const firstIndex = new Map<string, number>();
  apps.forEach((app, i) => {
    const job = convertApp(app, i, file, options, notes, errors, warnings);
    if (job === null) return;
    const first = firstIndex.get(job.name);
    if (first !== undefined) {
      errors.push(
        `${file}: apps[${i}].name: "${job.name}" is also the name of apps[${first}]; give each app its own name.`,
      );
      return;
    }
    firstIndex.set(job.name, i);
    jobs.push(job);
  });
  warnings.push(...summary(file, options, notes, apps.length));
  if (apps.length === 0 && errors.length === 0) {
    warnings.push(`${file}: "apps" is empty, so it declares no job; add an app { name, script }.`);
  }
  return { jobs: errors.length > 0 ? [] : jobs, warnings, errors };
}

function convertApp(
  app: unknown,
  i: number,
  file: string,
  options: EcosystemOptions,
  notes: Notes,
  errors: string[],
  warnings: string[],
): ConfigJobSpec | null {
  const at = `${file}: apps[${i}]`;
  if (!isRecord(app)) {
    errors.push(`${at}: expected an app object { name, script, ... }, got ${describeValue(app)}.`);
    return null;
  }
  const before = errors.length;
  const bad = (field: string, expected: string, fix: string) => {
    errors.push(`${at}.${field}: expected ${expected}, got ${describeValue(app[field])}; ${fix}.`);
  };
  const script = app["script"];
  if (typeof script !== "string" || script.trim() === "") {
    errors.push(
      `${at}.script: ${script === undefined ? "missing" : `expected a path, got ${describeValue(script)}`}; give the path of the program to run.`,
    );
    return null;
  }
  const nameValue = app["name"] ?? defaultName(script);
  if (typeof nameValue !== "string" || !NAME.test(nameValue)) {
    errors.push(
      `${at}.name: ${describeValue(nameValue)} is not a job name god accepts; use 1 to 64 letters, digits, "_", "." or "-".`,
    );
    return null;
  }
  const name = nameValue;
  const who = name;

  for (const key of Object.keys(app)) if (!KNOWN.has(key) && !key.startsWith("env_")) notes.field(key, who);

  let cwd = options.dir;
  if (app["cwd"] !== undefined) {
    if (typeof app["cwd"] === "string" && app["cwd"] !== "")
      cwd = resolve(options.dir, home(app["cwd"], options));
    else bad("cwd", "a directory path", "give the directory the app runs in");
  }

  // exec: [interpreter, interpreter args, script, args], or [script, args] with interpreter "none".
  const interpreterValue = app["interpreter"] ?? app["exec_interpreter"];
  let interpreter: string;
  if (interpreterValue === undefined) {
    interpreter = /\.(c|m)?js$/i.test(script) ? "node" : "none";
    const pm2Would = PM2_INTERPRETERS[extname(script).toLowerCase()];
    if (pm2Would !== undefined) {
      warnings.push(
        `${at} (${name}): ${script} is run as a program itself (it needs #! and the execute bit), where PM2 would have run it with ${pm2Would}; set interpreter: "${pm2Would}" to keep that.`,
      );
    }
  } else if (typeof interpreterValue === "string" && interpreterValue.trim() !== "") {
    interpreter = interpreterValue.trim();
    if (interpreter.includes("@")) {
      errors.push(
        `${at}.interpreter: "${interpreter}" asks PM2 to install a Node version, which god does not do; give the path of that node instead.`,
      );
    }
  } else {
    bad(
      "interpreter",
      'a command, "node" or "none"',
      'name the interpreter, or "none" to run the script itself',
    );
    interpreter = "none";
  }
  const args = words(app, "args", at, errors);
  const interpreterArgsField = ["interpreter_args", "interpreterArgs", "node_args"].find(
    (field) => app[field] !== undefined,
  );
  const interpreterArgs = interpreterArgsField ? words(app, interpreterArgsField, at, errors) : [];
  const expanded = home(script, options);
  const path = resolve(cwd, expanded);
  const onDisk = options.exists(path);
  let program = path;
  if (interpreter === "none" && !onDisk && !expanded.includes("/")) {
    program = expanded; // a command such as "npm", looked up in PATH as PM2 does
  } else if (!onDisk) {
    warnings.push(
      `${at} (${name}): the script ${path} does not exist (yet); ${name} cannot start until it does.`,
    );
  }
  let exec: string[];
  if (interpreter === "none") {
    if (interpreterArgsField) {
      warnings.push(
        `${at} (${name}): ${interpreterArgsField} is ignored, because the script runs without an interpreter.`,
      );
    }
    exec = [program, ...args];
  } else {
    exec = [interpreter === "node" ? options.nodePath : interpreter, ...interpreterArgs, program, ...args];
  }

  const job: ConfigJobSpec = { name, exec, cwd, auto: true };

  const env: Record<string, string | null> = {};
  if (app["env"] !== undefined) {
    const base = pm2Env(app["env"]);
    if (base === null) bad("env", "an object of variables", "give env as { NAME: value }");
    else Object.assign(env, base);
  }
  if (options.envName !== null) {
    const field = `env_${options.envName}`;
    if (app[field] === undefined) notes.withoutEnvName.push(who);
    else {
      const chosen = pm2Env(app[field]);
      if (chosen === null) bad(field, "an object of variables", `give ${field} as { NAME: value }`);
      else Object.assign(env, chosen);
    }
  }
  if (app["port"] !== undefined) {
    const port = app["port"];
    if (
      (typeof port === "number" && Number.isInteger(port)) ||
      (typeof port === "string" && /^\d+$/.test(port))
    ) {
      env["PORT"] = String(port);
    } else bad("port", "a port number", "give the port the app listens on");
  }
  // As PM2 does, so that a Python program's lines reach the log as they are printed.
  if (interpreter.includes("python") && env["PYTHONUNBUFFERED"] === undefined) env["PYTHONUNBUFFERED"] = "1";
  if (Object.keys(env).length > 0) job.env = env;

  if (app["instances"] !== undefined) {
    const instances = pm2Instances(app["instances"], options.cpuCount);
    if (instances === null)
      bad("instances", 'a number, "max" or -1', 'give a count, or "max" for one per CPU');
    else if (instances !== undefined) {
      job.instances = instances;
      notes.ownPorts.push(who);
    }
  }

  if (app["autorestart"] === false) job.restart = "never";
  else if (app["autorestart"] !== undefined && app["autorestart"] !== true) {
    bad("autorestart", "true or false", "write true or false");
  }

  const backoff = backoffOf(app, bad);
  if (backoff !== null) job.backoff = backoffSpec(backoff);
  if (app["max_restarts"] !== undefined || app["min_uptime"] !== undefined) {
    let count = PM2_MAX_RESTARTS;
    let minUptimeMs = PM2_MIN_UPTIME_MS;
    const rawCount = app["max_restarts"];
    if (rawCount !== undefined) {
      if (typeof rawCount === "number" && Number.isSafeInteger(rawCount) && rawCount >= 0) count = rawCount;
      else bad("max_restarts", "a count (0 or more)", "give how many quick restarts in a row are allowed");
    }
    if (app["min_uptime"] !== undefined) {
      const ms = pm2Duration(app["min_uptime"]);
      if (ms === null || ms === 0)
        bad("min_uptime", 'milliseconds or "30s", "1m"', "give how long a run must last");
      else minUptimeMs = ms;
    }
    job.maxRestarts = { count, windowMs: restartWindowMs(count, minUptimeMs, backoff ?? GOD_BACKOFF) };
  }

  const stop: { signal: string; timeoutMs?: number } = { signal: PM2_STOP_SIGNAL };
  if (app["kill_timeout"] !== undefined) {
    const ms = pm2Duration(app["kill_timeout"]);
    if (ms === null) bad("kill_timeout", "milliseconds", "give how long to wait after SIGINT before SIGKILL");
    else stop.timeoutMs = ms;
  }
  job.stop = stop;

  if (app["max_memory_restart"] !== undefined) {
    const size = memorySize(app["max_memory_restart"]);
    if (size === null) bad("max_memory_restart", 'bytes or a size such as "300M", "1G"', "give the limit");
    else job.maxMemory = size;
  }

  const cronField = app["cron_restart"] !== undefined ? "cron_restart" : "cron";
  const cron = app[cronField];
  if (cron !== undefined && cron !== 0 && cron !== "0") {
    const fields = typeof cron === "string" ? cron.trim().split(/\s+/).length : 0;
    if (fields === 5 || fields === 6) job.cron = (cron as string).trim();
    else bad(cronField, "a cron pattern of 5 or 6 fields", 'write it like "0 3 * * *" (every day at 03:00)');
  }

  const watch = watchOf(app, cwd, bad);
  if (watch !== null) job.watch = watch;

  for (const field of ["merge_logs", "combine_logs"]) {
    if (app[field] === false) notes.separateLogs.push(who);
    else if (app[field] !== undefined && app[field] !== true)
      bad(field, "true or false", "write true or false");
  }
  if (app["log_date_format"] !== undefined) notes.logDateFormat.push(who);
  if (app["time"] !== undefined && typeof app["time"] !== "boolean")
    bad("time", "true or false", "write true or false");

  if (app["wait_ready"] === true) {
    job.ready = "notify";
    notes.waitReady.push(who);
  } else if (app["wait_ready"] !== undefined && app["wait_ready"] !== false) {
    bad("wait_ready", "true or false", "write true or false");
  }
  if (app["listen_timeout"] !== undefined) {
    const ms = pm2Duration(app["listen_timeout"]);
    if (ms === null || ms === 0)
      bad("listen_timeout", "milliseconds", "give how long the app may take to be ready");
    else job.readyTimeoutMs = ms;
  }

  return errors.length > before ? null : job;
}

/** PM2's default name: the script's file name without its extension. */
function defaultName(script: string): string {
  const file = basename(script);
  const dot = file.lastIndexOf(".");
  return dot > 0 ? file.slice(0, dot) : file;
}

function home(path: string, options: EcosystemOptions): string {
  if (path === "~") return options.homeDir;
  return path.startsWith("~/") ? resolve(options.homeDir, path.slice(2)) : path;
}

function words(app: Record<string, unknown>, field: string, at: string, errors: string[]): string[] {
  if (app[field] === undefined) return [];
  const split = pm2Words(app[field]);
  if (split.ok) return split.words;
  errors.push(`${at}.${field}: ${split.error}; give the arguments as an array of strings.`);
  return [];
}

type Bad = (field: string, expected: string, fix: string) => void;

/** restart_delay (a fixed wait in PM2) starts god's backoff; exp_backoff_restart_delay is PM2's own backoff. */
function backoffOf(app: Record<string, unknown>, bad: Bad): Backoff | null {
  if (app["exp_backoff_restart_delay"] !== undefined) {
    const ms = pm2Duration(app["exp_backoff_restart_delay"]);
    if (ms !== null && ms > 0) return { initialMs: ms, factor: 1.5, maxMs: Math.max(15_000, ms) };
    bad("exp_backoff_restart_delay", "milliseconds", "give the first wait before a restart");
    return null;
  }
  if (app["restart_delay"] === undefined) return null;
  const ms = pm2Duration(app["restart_delay"]);
  if (ms === null) {
    bad("restart_delay", "milliseconds", "give the wait before a restart");
    return null;
  }
  if (ms === 0) return null;
  return { initialMs: ms, factor: GOD_BACKOFF.factor, maxMs: Math.max(GOD_BACKOFF.maxMs, ms) };
}

function backoffSpec(backoff: Backoff): NonNullable<ConfigJobSpec["backoff"]> {
  const spec: NonNullable<ConfigJobSpec["backoff"]> = { initialMs: backoff.initialMs };
  if (backoff.factor !== GOD_BACKOFF.factor) spec.factor = backoff.factor;
  if (backoff.maxMs !== GOD_BACKOFF.maxMs) spec.maxMs = backoff.maxMs;
  return spec;
}

function watchOf(
  app: Record<string, unknown>,
  cwd: string,
  bad: Bad,
): NonNullable<ConfigJobSpec["watch"]> | null {
  const value = app["watch"];
  let paths: string[];
  if (value === undefined || value === false) return null;
  if (value === true) paths = [cwd];
  else if (typeof value === "string" && value !== "") paths = [resolve(cwd, value)];
  else if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((p) => typeof p === "string" && p !== "")
  ) {
    paths = value.map((p: string) => (isAbsolute(p) ? p : resolve(cwd, p)));
  } else {
    bad("watch", "true or paths", "give true (the app's cwd) or the paths to watch");
    return null;
  }
  const watch: NonNullable<ConfigJobSpec["watch"]> = { paths };
  const ignore = app["ignore_watch"];
  if (typeof ignore === "string" && ignore !== "") watch.ignore = [ignore];
  else if (Array.isArray(ignore) && ignore.every((p) => typeof p === "string")) watch.ignore = [...ignore];
  else if (ignore !== undefined)
    bad("ignore_watch", "a path or an array of paths", "give the paths not to watch");
  if (app["watch_delay"] !== undefined) {
    const ms = pm2Duration(app["watch_delay"]);
    if (ms === null)
      bad("watch_delay", "milliseconds", "give how long changes must be quiet before a restart");
    else watch.debounceMs = ms;
  }
  return watch;
}

/** One warning line per difference, for the whole file. */
function summary(file: string, options: EcosystemOptions, notes: Notes, appCount: number): string[] {
  const out: string[] = [];
  const list = (names: string[]) => [...new Set(names)].join(", ");
  if (notes.unknown.size > 0) {
    const fields = [...notes.unknown].map(([field, who]) => `${field} (${list(who)})`).join(", ");
    out.push(
      `${file}: god does not know these fields and ignores them: ${fields}; see docs/from-pm2.md for what god does instead.`,
    );
  }
  if (options.envName !== null && notes.withoutEnvName.length > 0) {
    const field = `env_${options.envName}`;
    out.push(
      notes.withoutEnvName.length === appCount
        ? `${file}: no app has ${field}, so --env ${options.envName} changes nothing; check the name.`
        : `${file}: ${list(notes.withoutEnvName)} ${notes.withoutEnvName.length > 1 ? "have" : "has"} no ${field} and run${notes.withoutEnvName.length > 1 ? "" : "s"} with env alone.`,
    );
  }
  if (notes.ownPorts.length > 0) {
    out.push(
      `${file}: ${list(notes.ownPorts)}: each instance is a process of its own (PM2's cluster mode is not used); a program that listens on a fixed port itself must take god's socket (a "listen" in a JSON loader and listeners() from the watchgod library) or use a port per instance (GOD_INSTANCE is 0, 1, ...).`,
    );
  }
  if (notes.waitReady.length > 0) {
    out.push(
      `${file}: ${list(notes.waitReady)}: wait_ready becomes ready: "notify"; the program must call ready() from the watchgod library (or send READY=1 to NOTIFY_SOCKET) instead of process.send('ready'), and one not ready within listen_timeout fails instead of counting as ready.`,
    );
  }
  if (notes.separateLogs.length > 0) {
    out.push(
      `${file}: ${list(notes.separateLogs)}: merge_logs: false is not honoured; god writes one log file per job, each line naming its instance.`,
    );
  }
  if (notes.logDateFormat.length > 0) {
    out.push(
      `${file}: ${list(notes.logDateFormat)}: log_date_format is not honoured; god's log lines carry ISO 8601 timestamps.`,
    );
  }
  return out;
}
