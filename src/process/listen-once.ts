// listen(2) on a bound socket god holds, done by a throwaway child that exits before its event loop could
// accept anything: god itself never accepts on a job's socket (sockets/held-socket.ts says why).

import { spawn } from "node:child_process";

const LISTEN_SCRIPT =
  "const s=require('net').createServer();s.on('error',(e)=>{process.stderr.write(String(e.code||e.message));process.exit(1)});s.listen({fd:3,backlog:511},()=>process.exit(0))";

/** Resolves null once the socket listens, else the error code or message. */
export function listenOnce(fd: number): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-e", LISTEN_SCRIPT], { stdio: ["ignore", "ignore", "pipe", fd] });
    let err = "";
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.once("error", (error) => resolve(error.message));
    child.once("exit", (code) => resolve(code === 0 ? null : err.trim() || `listen failed (exit ${code})`));
  });
}
