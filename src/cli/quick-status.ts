// `god status` with nothing but --home: the command typed most, answered before the status command's module
// is loaded. One request on a bare socket, the daemon's table written once it has come, as the smallest client of
// the control socket would (issue 17: the command's module, its argument parsing and its JSON-RPC peer were
// 3.4 ms of `god status` over that client; docs/benchmarks.md, "god status"). Anything but a table in the
// answer (no daemon, an error, a god from before `format`, a hang-up, no answer within QUICK_TIMEOUT_MS) is
// left to the status command, which asks again and explains it: this path writes nothing then.

import { createConnection } from "node:net";
import { resolveHome, socketPath } from "./home.js";

/** How long the quick path waits before it leaves the question to the status command. */
export const QUICK_TIMEOUT_MS = 2000;

/** An answer longer than this is not a table of the size this path is for: the status command takes it. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

const REQUEST = `${JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "status",
  params: { jobs: [], format: "text", instances: false },
})}\n`;

/** The home of a `god status` the quick path answers (args after "status"), or null when it is not one. */
export function quickStatusHome(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  if (args.length === 0) return resolveHome(null, env);
  if (args.length === 1 && args[0]!.startsWith("--home=") && args[0]!.length > "--home=".length)
    return resolveHome(args[0]!.slice("--home=".length), env);
  if (args.length === 2 && args[0] === "--home" && args[1] !== "" && !args[1]!.startsWith("-"))
    return resolveHome(args[1]!, env);
  return null;
}

/** Asks the god at `home` for its table and writes it to stdout; false (nothing written) for anything else. */
export function quickStatus(home: string, timeoutMs = QUICK_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath(home));
    let answer = "";
    let settled = false;
    const finish = (table: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (table !== null) process.stdout.write(table);
      resolve(table !== null);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.setEncoding("utf8");
    socket.on("error", () => finish(null));
    socket.on("close", () => finish(null));
    socket.on("connect", () => socket.write(REQUEST));
    socket.on("data", (chunk: string) => {
      answer += chunk;
      const end = answer.indexOf("\n");
      if (end !== -1) finish(tableOf(answer.slice(0, end)));
      else if (answer.length > MAX_ANSWER_BYTES) finish(null);
    });
  });
}

/** The table in a JSON-RPC answer to the request above, or null. */
function tableOf(line: string): string | null {
  try {
    const message = JSON.parse(line) as { id?: unknown; result?: { text?: unknown } | null };
    const text = message.id === 1 ? message.result?.text : undefined;
    return typeof text === "string" ? text : null;
  } catch {
    return null;
  }
}
