// One app of an ecosystem file to one JobSpec: each field PM2 users rely on, mapped to god's equivalent, and
// every bad value reported with its field path and the fix (docs/from-pm2.md is the table).

import { basename, isAbsolute, resolve } from "node:path";
import { describeValue, isRecord } from "../lib/describe.js";
import { JOB_NAME_PATTERN } from "../protocol/jobspec.js";
import type { ConfigJobSpec } from "./config-job.js";
import { execOf, home } from "./ecosystem-exec.js";
import type { EcosystemNotes } from "./ecosystem-notes.js";
import type { Bad, EcosystemOptions } from "./ecosystem-options.js";
import { backoffOf, backoffSpec, maxRestartsOf } from "./ecosystem-restart.js";
import { memorySize } from "./memory-size.js";
import { pm2Duration, pm2Env, pm2Instances } from "./pm2-values.js";

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

const NAME = new RegExp(JOB_NAME_PATTERN);

export function convertApp(
  app: unknown,
  i: number,
  file: string,
  options: EcosystemOptions,
  notes: EcosystemNotes,
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

  for (const key of Object.keys(app)) if (!KNOWN.has(key) && !key.startsWith("env_")) notes.field(key, name);

  let cwd = options.dir;
  if (app["cwd"] !== undefined) {
    if (typeof app["cwd"] === "string" && app["cwd"] !== "")
      cwd = resolve(options.dir, home(app["cwd"], options));
    else bad("cwd", "a directory path", "give the directory the app runs in");
  }

  const { exec, interpreter } = execOf(app, { at, name, script, cwd, options, errors, warnings, bad });

  const job: ConfigJobSpec = { name, exec, cwd, auto: true };

  const env: Record<string, string | null> = {};
  if (app["env"] !== undefined) {
    const base = pm2Env(app["env"]);
    if (base === null) bad("env", "an object of variables", "give env as { NAME: value }");
    else Object.assign(env, base);
  }
  if (options.envName !== null) {
    const field = `env_${options.envName}`;
    if (app[field] === undefined) notes.withoutEnvName.push(name);
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
      notes.ownPorts.push(name);
    }
  }

  if (app["autorestart"] === false) job.restart = "never";
  else if (app["autorestart"] !== undefined && app["autorestart"] !== true) {
    bad("autorestart", "true or false", "write true or false");
  }

  const backoff = backoffOf(app, bad);
  if (backoff !== null) job.backoff = backoffSpec(backoff);
  const maxRestarts = maxRestartsOf(app, backoff, bad);
  if (maxRestarts !== null) job.maxRestarts = maxRestarts;

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
    if (app[field] === false) notes.separateLogs.push(name);
    else if (app[field] !== undefined && app[field] !== true)
      bad(field, "true or false", "write true or false");
  }
  if (app["log_date_format"] !== undefined) notes.logDateFormat.push(name);
  if (app["time"] !== undefined && typeof app["time"] !== "boolean")
    bad("time", "true or false", "write true or false");

  if (app["wait_ready"] === true) {
    job.ready = "notify";
    notes.waitReady.push(name);
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
