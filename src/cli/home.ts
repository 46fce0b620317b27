// Where a command finds its god: the home (`--home DIR` > env GOD_HOME > ~/.god) and the control socket in it.
// A file of its own so that god.ts can answer `god status` without loading the command frame (quick-status.ts).

import { homedir } from "node:os";
import { join, resolve } from "node:path";

export function resolveHome(flag: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== null) return resolve(flag);
  const fromEnv = env["GOD_HOME"];
  if (fromEnv !== undefined && fromEnv !== "") return resolve(fromEnv);
  return join(homedir(), ".god");
}

export function socketPath(home: string): string {
  return join(home, "god.sock");
}
