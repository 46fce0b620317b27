// FIFOs made by `mkfifo` (Node has no mkfifo(3) nor pipe(2)): one process for any number of paths. Rejects
// with the error of execFile (code ENOENT when mkfifo is missing).

import { execFile } from "node:child_process";

export function makeFifos(paths: string[], mode = "600"): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("mkfifo", ["-m", mode, ...paths], (error) => (error ? reject(error) : resolve()));
  });
}
