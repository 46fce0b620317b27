// The floor of a Node supervisor for the crash-to-restart measure: `node node-respawn.mjs ARGV...` runs ARGV and
// starts it again as soon as it exits, with nothing else, the least any supervisor written for Node does: its
// stdout and stderr piped and read, the exit seen by Node's child_process, the next spawn from the exit event.
// No state file, no table, no logs. What god takes beyond it is what god does beyond that (issue 17).
import { spawn } from "node:child_process";

/** A program that cannot stay up must not spin for ever: the bench kills 20-60 times. */
const MAX_STARTS = 10_000;

const [file, ...args] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write("usage: node node-respawn.mjs PROGRAM [ARG...]\n");
  process.exit(2);
}

let starts = 0;
function start() {
  if (++starts > MAX_STARTS) {
    process.stderr.write(`node-respawn: ${file} was started ${MAX_STARTS} times; giving up\n`);
    process.exit(1);
  }
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.resume();
  child.stderr.resume();
  child.once("error", (error) => {
    process.stderr.write(`node-respawn: ${error.message}\n`);
    process.exit(1);
  });
  child.once("exit", start);
}

start();
