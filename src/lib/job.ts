// job(): declares a job and returns the mutable object the program may keep filling in (the original's style,
// `j.exec = [...]`) until init(). Mistakes found now are thrown now, naming the job and the option.

import { describeValue, isRecord } from "./describe.js";
import type { Job, JobOptions } from "./options.js";
import { hasJob, isSealed, registerJob } from "./registry.js";
import { buildSpec, JOB_NAME_PATTERN } from "./spec.js";

export function job(name: string, options: JobOptions = {}): Job {
  if (typeof name !== "string" || !JOB_NAME_PATTERN.test(name)) {
    throw new TypeError(
      `job(${describeValue(name)}): a job name is 1 to 64 characters from A-Z, a-z, 0-9, "_", "." and "-"`,
    );
  }
  if (isSealed()) {
    throw new TypeError(`job "${name}": declared after init(); declare every job before calling init()`);
  }
  if (hasJob(name)) {
    throw new TypeError(`job "${name}": declared twice; job names must be unique`);
  }
  if (!isRecord(options)) {
    throw new TypeError(`job "${name}": options: expected an object, got ${describeValue(options)}`);
  }
  if (Object.hasOwn(options, "name")) {
    throw new TypeError(`job "${name}": name: unknown option; the name is job()'s first argument`);
  }
  const created = { ...options } as unknown as Job;
  // The registry is keyed by name, so renaming the object would desynchronise the two.
  Object.defineProperty(created, "name", {
    value: name,
    enumerable: true,
    writable: false,
    configurable: false,
  });
  buildSpec(created);
  registerJob(created);
  return created;
}
