// FIFOs made by `mkfifo` (Node has no mkfifo(3) nor pipe(2)): one process for any number of paths, with no
// pipes of its own (execFile would make three socketpairs and streams to read them). Rejects with the spawn
// error (code ENOENT when mkfifo is missing) or with its exit status.

import { spawn } from "node:child_process";

export function makeFifos(paths: string[], mode = "600"): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("mkfifo", ["-m", mode, ...paths], { stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`mkfifo ${signal === null ? `exited with code ${code}` : `was killed by ${signal}`}`),
        );
    });
  });
}
