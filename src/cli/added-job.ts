// `god add`'s job (SPEC 14): the JobSpec its flags describe, the file that keeps it (GOD_HOME/jobs/NAME.json, a
// JSON loader), and what god's events say about it once the file is written. Pure.

import type { InstanceJson, JobJson, LoaderJson } from "../protocol/control.js";
import { JOB_NAME_PATTERN } from "../protocol/jobspec.js";
import { parseListenAddress } from "../protocol/listen-address.js";
import { UsageError } from "./command.js";

export interface AddFlags {
  name: string;
  /** After `--`: the program and its arguments (no shell). */
  command: string[];
  /** `-i N`: a count, or "max". */
  instances: string | null;
  /** `--env K=V`, repeatable. */
  env: string[];
  /** Absolute. */
  cwd: string;
  /** `--listen NAME=ADDR`, repeatable. */
  listen: string[];
  auto: boolean;
}

/** What NAME.json holds: the fields of a JobSpec that `god add` sets. */
export interface AddedSpec {
  name: string;
  exec: string[];
  cwd: string;
  auto: boolean;
  env?: Record<string, string>;
  instances?: number | "max";
  listen?: Record<string, string>;
}

const LISTEN_NAME = /^[A-Za-z0-9_]{1,64}$/;
const ENV_NAME = /^[^=\0]+$/;
const MAX_INSTANCES = 1024;

/** The JobSpec of `god add`'s flags; a flag god cannot use is a UsageError naming it. */
export function addedJobSpec(flags: AddFlags): AddedSpec {
  const help = "run `god add --help`";
  if (!new RegExp(JOB_NAME_PATTERN).test(flags.name)) {
    throw new UsageError(
      `"${flags.name}" is not a job name; use 1 to 64 letters, digits, "_", "." or "-" (${help}).`,
    );
  }
  if (flags.command.length === 0 || flags.command[0] === "") {
    throw new UsageError(`\`god add\` needs the command after --: god add ${flags.name} -- COMMAND ARGS...`);
  }
  const spec: AddedSpec = { name: flags.name, exec: flags.command, cwd: flags.cwd, auto: flags.auto };
  if (flags.env.length > 0) {
    const env: Record<string, string> = {};
    for (const pair of flags.env) {
      const eq = pair.indexOf("=");
      const key = eq === -1 ? pair : pair.slice(0, eq);
      if (eq === -1 || !ENV_NAME.test(key)) {
        throw new UsageError(`--env ${pair}: expected NAME=VALUE, such as --env NODE_ENV=production.`);
      }
      env[key] = pair.slice(eq + 1);
    }
    spec.env = env;
  }
  if (flags.instances !== null) spec.instances = instances(flags.instances);
  if (flags.listen.length > 0) {
    const listen: Record<string, string> = {};
    for (const pair of flags.listen) {
      const eq = pair.indexOf("=");
      const name = pair.slice(0, Math.max(eq, 0));
      if (eq === -1 || !LISTEN_NAME.test(name)) {
        throw new UsageError(
          `--listen ${pair}: expected NAME=ADDRESS, such as --listen http=tcp://127.0.0.1:8080 (NAME of letters, digits and "_").`,
        );
      }
      const address = listenAddress(pair.slice(eq + 1));
      const parsed = parseListenAddress(address);
      if ("error" in parsed) {
        throw new UsageError(
          `--listen ${pair}: ${parsed.error}, such as tcp://127.0.0.1:8080, 127.0.0.1:8080 or unix:/run/app.sock.`,
        );
      }
      listen[name] = address;
    }
    spec.listen = listen;
  }
  return spec;
}

function instances(text: string): number | "max" {
  if (text === "max") return "max";
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1 || count > MAX_INSTANCES) {
    throw new UsageError(`-i ${text}: expected a count from 1 to ${MAX_INSTANCES}, or "max" (one per CPU).`);
  }
  return count;
}

/** `HOST:PORT` is short for `tcp://HOST:PORT`. */
function listenAddress(text: string): string {
  return text.startsWith("tcp://") || text.startsWith("unix:") ? text : `tcp://${text}`;
}

/** The JSON loader file that keeps the job: `{"jobs": [SPEC]}`, as a hello's params. */
export function jobFileText(spec: AddedSpec): string {
  return JSON.stringify({ jobs: [spec] }, null, 2) + "\n";
}

export type AddOutcome =
  | { type: "ok"; job: JobJson }
  /** `refused`: god did not take the file's job at all (its loader's error), so the file should go. */
  | { type: "failed"; message: string; refused: boolean };

/**
 * What god's view of the job and of its file's loader means for `god add`: done (declared, and running unless
 * `auto` is false), failed, or not decided yet (null).
 */
export function addOutcome(
  file: string,
  name: string,
  auto: boolean,
  job: JobJson | undefined,
  loader: LoaderJson | undefined,
): AddOutcome | null {
  if (job !== undefined && job.loader === file) {
    if (!auto) return { type: "ok", job };
    // Each instance as `god start` judges it: ready (running, or degraded by its check) is done.
    const runs = job.instances.length > 0 ? job.instances : [{ ...job, index: 0 }];
    for (const run of runs) {
      const failed =
        run.state === "backoff" ||
        run.state === "failed" ||
        (run.state === "exited" && run.lastExit?.code !== 0);
      if (failed) return failedJob(job.name, run);
    }
    const done = runs.every(
      (run) => run.state === "running" || run.state === "degraded" || run.state === "exited",
    );
    return done ? { type: "ok", job } : null;
  }
  if (loader !== undefined && loader.error !== null && !loader.jobs.includes(name)) {
    return { type: "failed", message: `god refused ${file}: ${loader.error}`, refused: true };
  }
  return null;
}

type Run = Pick<InstanceJson, "index" | "state" | "reason" | "lastExit">;

function failedJob(name: string, run: Run): AddOutcome {
  const exit = run.lastExit;
  const how =
    run.reason ??
    (exit === null ? null : exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`);
  return {
    type: "failed",
    message: `${name} failed to start${how === null ? ` (${run.state})` : ` (${run.state}: ${how})`}`,
    refused: false,
  };
}
