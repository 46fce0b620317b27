// `god start JOB... [--no-wait]`; shared with the other job actions in ../job-action.ts.

import { runJobAction } from "../job-action.js";

export function main(args: string[]): Promise<number> {
  return runJobAction("start", args);
}
