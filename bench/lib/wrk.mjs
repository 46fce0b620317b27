// wrk against one URL on the loopback, stopped by SIGINT when the caller is done (and never later than its own
// -d bound): requests, socket errors, non-2xx answers and the longest gap between successes (wrk-gap.lua).
import { fileURLToPath } from "node:url";
import { track } from "./cleanup.mjs";
import { signalGroup, spawnGroup, waitExit } from "./proc.mjs";

const GAP_SCRIPT = fileURLToPath(new URL("./wrk-gap.lua", import.meta.url));

/** Starts wrk; returns { stop() } which ends the run and resolves the parsed figures. */
export function startWrk(url, { threads = 1, connections = 8, maxSeconds = 120 } = {}) {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(url)) throw new Error(`wrk targets 127.0.0.1 only, not ${url}`);
  const child = spawnGroup(
    [
      "wrk",
      "-t",
      String(threads),
      "-c",
      String(connections),
      "-d",
      `${maxSeconds}s`,
      "--timeout",
      "2s",
      "--latency",
      "-s",
      GAP_SCRIPT,
      url,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  track(child.pid);
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    output += chunk;
  });
  return {
    async stop() {
      signalGroup(child.pid, "SIGINT");
      if (!(await waitExit(child, 15_000))) {
        signalGroup(child.pid, "SIGKILL");
        throw new Error(`wrk did not stop within 15 s of SIGINT: ${output.slice(-500)}`);
      }
      return parseWrk(output);
    },
  };
}

/** wrk's "99%  1.23ms" as milliseconds (null when it printed no distribution). */
function latencyMs(match) {
  if (!match) return null;
  const scale = { us: 0.001, ms: 1, s: 1000 }[match[2]];
  return Number(match[1]) * scale;
}

export function parseWrk(output) {
  const number = (re) => {
    const m = re.exec(output);
    return m ? Number(m[1]) : 0;
  };
  const requests = /(\d+) requests in/.exec(output);
  const gap = /BENCH longest_gap_ms=(\d+) non2xx=(\d+) ok_ms=(\d+)/.exec(output);
  if (!requests || !gap) throw new Error(`could not read wrk's output: ${output.slice(-800)}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = socket ? socket.slice(1).map(Number) : [0, 0, 0, 0];
  const non2xx = Number(gap[2]);
  return {
    requests: Number(requests[1]),
    non2xx,
    connectErrors: errors[0],
    readErrors: errors[1],
    writeErrors: errors[2],
    timeouts: errors[3],
    failed: non2xx + errors.reduce((a, b) => a + b, 0),
    longestGapMs: Number(gap[1]),
    non3xxByWrk: number(/Non-2xx or 3xx responses: (\d+)/),
    p99Ms: latencyMs(/^\s*99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output)),
  };
}
