// The control socket fuzzed: connections that send random bytes, random JSON, valid methods with wrong
// params, lines over 1 MiB, half a line and go, an event subscription never read, many requests never read,
// and bursts of more connections than god accepts. Every line that calls for an answer must get one (a
// request, or anything invalid), and after garbage a connection must still answer a valid request.
// `shutdown` is never sent; job names in params are made up, so no job is touched.
import { createConnection } from "node:net";
import { join } from "node:path";
import { ChaosGod, numberedJob, ROOT, shLoader } from "../lib/god.mjs";
import { checkJobs } from "../lib/lines.mjs";

export const name = "control-fuzz";
export const about =
  "random bytes, random JSON, wrong params, huge lines, deaf clients on the control socket";

const METHODS = [
  "status",
  "start",
  "stop",
  "restart",
  "reload",
  "check",
  "loaders",
  "logs",
  "scale",
  "events",
];

export async function run({ seconds, rng }) {
  const { parseRpcLine } = await import(join(ROOT, "dist/src/protocol/jsonrpc.js"));
  const god = new ChaosGod(name);
  const good = ["c-0", "c-1"];
  god.write(
    "good",
    shLoader(
      "good",
      good.map((job) => numberedJob(job, 50)),
    ),
  );
  const counts = {};
  const socketPath = () => join(god.home, "god.sock");
  /** One connection: sends `lines` (Buffers), then a probe request; counts answers; resolves with what it saw. */
  const session = (payload, expected, { read = true, keepMs = 0 } = {}) =>
    new Promise((resolve) => {
      const socket = createConnection(socketPath());
      let answers = 0;
      let probe = false;
      let buffer = "";
      const timer = setTimeout(() => finish("timeout"), 30_000);
      const finish = (how) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ how, answers, probe });
      };
      socket.setEncoding("utf8");
      socket.on("error", () => {});
      socket.on("close", () => finish("closed"));
      socket.on("connect", () => {
        if (!read) socket.pause();
        for (const chunk of payload) socket.write(chunk);
        socket.write(`\n${JSON.stringify({ jsonrpc: "2.0", id: "probe", method: "loaders" })}\n`);
        if (!read) setTimeout(() => finish("left"), keepMs);
      });
      socket.on("data", (text) => {
        buffer += text;
        for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n")) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          let message;
          try {
            message = JSON.parse(line);
          } catch {
            continue;
          }
          if (!("id" in message)) continue; // a notification of a subscription
          if (message.id === "probe") probe = true;
          else answers++;
        }
        // The blank line before the probe is a line too: it is answered (a parse error).
        if (probe && answers >= expected + 1) finish("done");
      });
    });
  try {
    await god.start();
    const notRunning = await god.allRunning();
    if (notRunning.length > 0) throw new Error(`not running at the start: ${notRunning.join(", ")}`);
    const fdsBefore = await god.baselineFds();
    const rssBefore = god.rss();
    let rssPeak = rssBefore;
    let missing = 0;
    let brokenAfterGarbage = 0;
    let sessions = 0;
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline && !god.crashed) {
      rssPeak = Math.max(rssPeak, god.rss() ?? 0);
      const kind = rng.pick(["bytes", "json", "params", "huge", "half", "deaf", "events", "burst"]);
      counts[kind] = (counts[kind] ?? 0) + 1;
      const lines = [];
      let expected = 0;
      const jsonLine = (value) => {
        const text = JSON.stringify(value) ?? "null";
        const parsed = parseRpcLine(text);
        if (parsed.type === "request" || parsed.type === "invalid") expected++;
        lines.push(Buffer.from(`${text}\n`));
      };
      if (kind === "bytes") {
        // Random bytes: how many lines they hold is theirs to say; the probe after them must still answer.
        const bytes = rng.bytes(rng.int(1, 5000));
        lines.push(bytes);
        const got = await session(lines, 0);
        sessions++;
        if (!got.probe) brokenAfterGarbage++;
        continue;
      }
      if (kind === "json") for (let i = rng.int(1, 20); i > 0; i--) jsonLine(rng.json());
      if (kind === "params")
        for (let i = rng.int(1, 20); i > 0; i--)
          jsonLine({
            jsonrpc: "2.0",
            id: i,
            method: rng.pick(METHODS),
            params: rng.chance(0.2) ? { job: "nosuch" } : rng.json(),
          });
      if (kind === "huge") {
        lines.push(Buffer.alloc(rng.int(1, 3) * 1024 * 1024, "z"), Buffer.from("\n"));
        expected = 1;
      }
      if (kind === "half") {
        // Half a line, then gone: nothing to answer.
        const socket = createConnection(socketPath());
        socket.on("error", () => {});
        socket.on("connect", () => socket.end(`{"jsonrpc":"2.0","id":1,"meth`));
        sessions++;
        continue;
      }
      if (kind === "deaf" || kind === "events") {
        const request =
          kind === "events"
            ? { jsonrpc: "2.0", id: 1, method: "events" }
            : { jsonrpc: "2.0", id: 1, method: "logs", params: { n: 1000 } };
        const flood = Buffer.from(`${JSON.stringify(request)}\n`.repeat(kind === "events" ? 1 : 200));
        await session([flood], 0, { read: false, keepMs: rng.int(100, 1000) });
        sessions++;
        continue;
      }
      if (kind === "burst") {
        // More connections at once than god takes (256): the rest wait or are refused; none may hang.
        const many = await Promise.all(
          Array.from({ length: 300 }, () =>
            session([Buffer.from(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "status" })}\n`)], 1),
          ),
        );
        sessions += many.length;
        missing += many.filter((m) => m.how === "timeout").length;
        continue;
      }
      const got = await session(lines, expected);
      sessions++;
      if (got.how !== "done") missing += Math.max(1, expected + 1 - got.answers);
    }
    // Every connection is closed by now; god's side follows.
    const left = await god.allRunning(30_000);
    const fdsAfter = await god.settleFds(fdsBefore);
    const rssAfter = god.rss();
    await Promise.all(good.map((job) => god.call("stop", { job })));
    const checked = checkJobs(god.logs, good);
    const problems = [];
    if (left.length > 0) problems.push(`not running after the fuzz: ${left.join(", ")}`);
    if (brokenAfterGarbage > 0)
      problems.push(`${brokenAfterGarbage} connection(s) did not answer a valid request after random bytes`);
    return {
      rssBefore,
      rssPeak,
      rssAfter,
      fdsBefore,
      fdsAfter,
      ...god.tally({ commands: sessions, unanswered: missing }),
      ...checked,
      notes: [`sessions: ${sessions} ${JSON.stringify(counts)}`],
      problems,
    };
  } finally {
    await god.stop();
    god.cleanup();
  }
}
