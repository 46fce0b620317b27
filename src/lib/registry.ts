// The jobs this program has declared, in declaration order. Sealed by init(): the hello has been sent (or would
// have been), so a job declared later could never reach god and is refused at once instead of silently lost.

import type { Job } from "./options.js";

const jobs = new Map<string, Job>();
let sealed = false;

export function registerJob(job: Job): void {
  jobs.set(job.name, job);
}

export function hasJob(name: string): boolean {
  return jobs.has(name);
}

export function declaredJobs(): Job[] {
  return [...jobs.values()];
}

export function sealRegistry(): void {
  sealed = true;
}

export function isSealed(): boolean {
  return sealed;
}
