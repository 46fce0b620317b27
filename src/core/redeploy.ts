// The harmless-reload rule (SPEC 2): when a loader says hello again (after its crash, a kill, SIGHUP, a reload,
// a timeout or a protocol error), a running job is replaced only when its spec changed in what its processes
// were started with, or when a file its exec runs has a new identity since they started (a deploy). Anything
// else, however often the loader is reloaded, touches no running instance. Pure: the caller finds the file.

import type { JobConfig } from "../protocol/jobspec.js";

/** The fields a running process was started with: a change of one needs a new process. */
export const PROCESS_FIELDS = ["exec", "env", "cwd", "listen"] as const;

export function changedFields(before: JobConfig, after: JobConfig): string[] {
  return PROCESS_FIELDS.filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

/**
 * Why the job's instances must be replaced, as the sentence god logs, or null when they must not.
 * `deployedFile` is the program file whose identity changed since a live process started, if any.
 */
export function replaceReason(
  before: JobConfig,
  after: JobConfig,
  deployedFile: string | null,
): string | null {
  const fields = changedFields(before, after);
  if (fields.length > 0) return `its spec changed (${fields.join(", ")})`;
  if (deployedFile !== null)
    return `its program ${deployedFile} was replaced since its instance started (a deploy)`;
  return null;
}
