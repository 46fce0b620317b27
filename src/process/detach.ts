// `god run -d`: starts the daemon in a new session (no terminal, its own process group), its stderr in a file for
// the errors it may have before its log is open, and waits until it says that its socket answers: a line on
// fd 3, the pipe named by GOD_READY_FD. The daemon closes that pipe right after, so no job inherits it.

import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";

/** The variable that tells a daemon which fd to announce its readiness on. */
export const READY_FD_VARIABLE = "GOD_READY_FD";
const READY_FD = 3;

export type DetachOutcome =
  /** The daemon answers on its socket and runs on its own. */
  | { type: "ready"; pid: number }
  /** It exited before it was ready; its stderr file says why. */
  | { type: "exited"; pid: number; code: number | null; signal: NodeJS.Signals | null }
  /** Still not ready after `timeoutMs`; it is left running. */
  | { type: "timeout"; pid: number }
  | { type: "error"; message: string };

export function startDetached(
  command: string,
  args: string[],
  options: { stderrFile: string; timeoutMs: number },
): Promise<DetachOutcome> {
  let stderr: number;
  try {
    stderr = openSync(options.stderrFile, "w", 0o600);
  } catch (error) {
    return Promise.resolve({
      type: "error",
      message: `cannot open ${options.stderrFile}: ${(error as Error).message}`,
    });
  }
  return new Promise((done) => {
    const child = spawn(command, args, {
      detached: true,
      stdio: ["ignore", "ignore", stderr, "pipe"],
      env: { ...process.env, [READY_FD_VARIABLE]: String(READY_FD) },
    });
    closeSync(stderr);
    const pipe = child.stdio[READY_FD];
    let settled = false;
    const settle = (outcome: DetachOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      pipe?.destroy();
      child.unref();
      done(outcome);
    };
    const timer = setTimeout(() => settle({ type: "timeout", pid: child.pid ?? 0 }), options.timeoutMs);
    child.once("error", (error) => settle({ type: "error", message: error.message }));
    child.once("exit", (code, signal) => settle({ type: "exited", pid: child.pid ?? 0, code, signal }));
    let said = "";
    pipe?.on("error", () => {});
    pipe?.on("data", (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes("\n")) settle({ type: "ready", pid: child.pid ?? 0 });
    });
  });
}
