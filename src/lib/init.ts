// init(): the point where a program's declarations become a loader. With argv[2] "godv1" it serves god and
// never returns to the program's main code; otherwise it only checks the jobs and resolves.

import { basename } from "node:path";
import { serveLoader } from "./loader-serve.js";
import { declaredJobs, sealRegistry } from "./registry.js";
import { toJobSpec } from "./spec.js";

export interface InitOptions {
  /** The loader's name in `god loaders`; default the program file's base name. */
  name?: string | undefined;
  version?: string | undefined;
}

/** argv[1] is exactly "godv1" for god's loaders (SPEC 2); for node that is process.argv[2]. */
export function isLoaderMode(): boolean {
  return process.argv[2] === "godv1";
}

let serving = false;

/**
 * In loader mode: sends the jobs to god and serves it; the returned promise never settles, so code after
 * `await init()` is the program's main code and does not run. Otherwise it resolves at once.
 * Throws a TypeError naming the job and the option when a job cannot be sent.
 */
export function init(options: InitOptions = {}): Promise<void> {
  if (serving) throw new Error("init() was called twice in loader mode");
  const jobs = declaredJobs().map((job) => ({ job, spec: toJobSpec(job) }));
  sealRegistry();
  if (!isLoaderMode()) return Promise.resolve();
  serving = true;
  const name = options.name ?? basename(process.argv[1] ?? "loader");
  const loader = options.version === undefined ? { name } : { name, version: options.version };
  serveLoader({ loader, jobs });
  return new Promise<void>(() => {});
}
