// `god reload JOB... [--no-wait]`; shared with the other job actions in ../job-action.ts.

import { runJobAction } from "../job-action.js";

export function main(args: string[]): Promise<number> {
  return runJobAction("reload", args);
}
