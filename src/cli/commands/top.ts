// `god top [JOB...] [--once]`: the jobs and their instances with CPU, memory, restarts, uptime and last log line,
// asked of the daemon every second and painted on the terminal's alternate screen until `q` or Ctrl-C. Whatever
// ends it (a key, a signal, a lost daemon, a bug), the terminal is given back as it was: main screen, cursor shown,
// raw mode off. `--once`, or a stdout that is not a terminal, prints one plain frame.

import { constants } from "node:os";
import { ErrorCode, GodError } from "../../protocol/errors.js";
import { AnswerShapeError, type ControlClient, connect } from "../client.js";
import { runCommand } from "../command.js";
import { renderTopFrame, type TopJob, type TopLogRecord, topRows } from "../render-top.js";

const REFRESH_MS = 1000;
/** Without a terminal to ask (`--once` into a pipe), unless COLUMNS says otherwise. */
const DEFAULT_WIDTH = 120;
/** Log lines asked per instance of a job of several, so that each instance likely has its own last line. */
const LINES_PER_INSTANCE = 10;

const definition = {
  name: "top",
  usage: `Usage: god top [JOB...] [--once] [--home DIR]

A live view of every job (or the named ones) and of each instance of a job of several: state, pid, CPU %,
memory (RSS of the instance's whole process group, with its maxMemory), restarts, uptime and last log line,
updated every second. Keys: q or Ctrl-C quits, up and down (or k and j) move the selection.
  --once      print one frame as plain text and exit (also what happens when stdout is not a terminal)
  --home DIR  the god to ask (default: $GOD_HOME, else ~/.god)
No colour when stdout is not a terminal or NO_COLOR is set.`,
  options: { once: { type: "boolean" } },
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals, home }) => {
    const jobs = [...new Set(positionals)];
    const client = await connect(home);
    try {
      if (values.once || !process.stdout.isTTY) {
        const snapshot = await fetchSnapshot(client, jobs);
        const width = process.stdout.isTTY ? process.stdout.columns : envWidth(process.env);
        const lines = renderTopFrame(topRows(snapshot.jobs, snapshot.records), {
          width,
          height: null,
          colour: false,
          selected: null,
          title: title(home, snapshot.jobs),
        });
        process.stdout.write(lines.join("\n") + "\n");
        return 0;
      }
      return await live(client, jobs, home);
    } finally {
      client.close();
    }
  });
}

function envWidth(env: NodeJS.ProcessEnv): number {
  const columns = Number(env["COLUMNS"]);
  return Number.isInteger(columns) && columns > 0 ? columns : DEFAULT_WIDTH;
}

export function colourWanted(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  const noColour = env["NO_COLOR"];
  return isTTY && (noColour === undefined || noColour === "") && env["TERM"] !== "dumb";
}

interface Snapshot {
  jobs: TopJob[];
  records: TopLogRecord[];
}

async function fetchSnapshot(client: ControlClient, names: string[]): Promise<Snapshot> {
  const jobs = asTopJobs(await client.request("status", { jobs: names, instances: true, usage: true }));
  // One request per job, so a chatty job cannot push the others' last lines out of a shared window.
  const answers = await Promise.all(
    jobs.map(async (job) => {
      const n = job.instances.length > 1 ? job.instances.length * LINES_PER_INSTANCE : 1;
      try {
        return asRecords(await client.request("logs", { jobs: [job.name], n }));
      } catch (error) {
        // The job went away between the two requests: it has no line this time.
        if (error instanceof Error && error.name === "RpcError") return [];
        throw error;
      }
    }),
  );
  return { jobs, records: answers.flat() };
}

function title(home: string, jobs: readonly TopJob[]): string {
  let instances = 0;
  let cpu = 0;
  let rss = 0;
  for (const job of jobs) {
    instances += Math.max(1, job.instances.length);
    cpu += job.usage?.cpuPercent ?? 0;
    rss += job.usage?.rssBytes ?? 0;
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `god top  ${home}  ${plural(jobs.length, "job")}, ${plural(instances, "instance")}  cpu ${cpu.toFixed(1)}%  mem ${formatMiB(rss)}`;
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export type Key = "up" | "down" | "quit";

/** The keys in one chunk of terminal input; anything else is ignored. */
export function readKeys(chunk: string): Key[] {
  const keys: Key[] = [];
  for (let i = 0; i < chunk.length; i++) {
    const rest = chunk.slice(i);
    if (rest.startsWith("\x1b[A") || rest.startsWith("\x1bOA")) {
      keys.push("up");
      i += 2;
    } else if (rest.startsWith("\x1b[B") || rest.startsWith("\x1bOB")) {
      keys.push("down");
      i += 2;
    } else if (rest[0] === "k") keys.push("up");
    else if (rest[0] === "j") keys.push("down");
    else if (rest[0] === "q" || rest[0] === "Q" || rest[0] === "\x03") keys.push("quit");
  }
  return keys;
}

const ENTER = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J";
const LEAVE = "\x1b[?25h\x1b[?1049l";

type Outcome = { code: number } | { error: unknown };

async function live(client: ControlClient, jobs: string[], home: string): Promise<number> {
  const out = process.stdout;
  const input = process.stdin;
  const colour = colourWanted(true, process.env);
  let snapshot: Snapshot | null = null;
  let selectedKey: string | null = null;
  let selectedIndex = 0;
  let timer: NodeJS.Timeout | undefined;
  let wake = () => {};
  let done = false;
  let finish: (outcome: Outcome) => void = () => {};
  const finished = new Promise<Outcome>((resolve) => {
    finish = (outcome) => {
      done = true;
      clearTimeout(timer);
      wake();
      resolve(outcome);
    };
  });

  const paint = () => {
    if (snapshot === null || done) return;
    const rows = topRows(snapshot.jobs, snapshot.records);
    const found = rows.findIndex((row) => row.key === selectedKey);
    selectedIndex = Math.max(0, Math.min(found === -1 ? selectedIndex : found, rows.length - 1));
    selectedKey = rows[selectedIndex]?.key ?? null;
    const lines = renderTopFrame(rows, {
      width: out.columns,
      height: out.rows,
      colour,
      selected: rows.length === 0 ? null : selectedIndex,
      title: `${title(home, snapshot.jobs)}  (q quits)`,
    });
    out.write(`\x1b[H${lines.join("\x1b[K\r\n")}\x1b[K\x1b[J`);
  };

  const onData = (chunk: Buffer) => {
    for (const key of readKeys(chunk.toString("latin1"))) {
      if (key === "quit") return finish({ code: 0 });
      const rows = snapshot === null ? [] : topRows(snapshot.jobs, snapshot.records);
      selectedIndex = Math.max(0, Math.min(selectedIndex + (key === "up" ? -1 : 1), rows.length - 1));
      selectedKey = rows[selectedIndex]?.key ?? null;
    }
    paint();
  };
  const onSignal = (signal: NodeJS.Signals) => finish({ code: 128 + constants.signals[signal] });
  const restore = () => {
    if (input.isTTY) input.setRawMode(false);
    out.write(LEAVE);
  };
  // The last resort: a bug that throws past everything below still leaves a usable terminal.
  process.once("exit", restore);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  input.on("data", onData);
  out.on("resize", paint);
  client.onClose(() =>
    finish({
      error: new GodError(
        ErrorCode.Closed,
        `the daemon at ${home} closed the connection; see its log ${home}/logs/god.log.`,
      ),
    }),
  );
  try {
    out.write(ENTER);
    if (input.isTTY) input.setRawMode(true);
    input.resume();
    const refresh = async () => {
      while (!done) {
        snapshot = await fetchSnapshot(client, jobs);
        paint();
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (done) resolve();
          else timer = setTimeout(resolve, REFRESH_MS);
        });
      }
    };
    refresh().catch((error: unknown) => finish({ error }));
    const outcome = await finished;
    if ("error" in outcome) throw outcome.error;
    return outcome.code;
  } finally {
    clearTimeout(timer);
    input.off("data", onData);
    input.pause();
    out.off("resize", paint);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.off(signal, onSignal);
    process.off("exit", restore);
    restore();
  }
}

// The daemon is trusted: these check the outline, and fill what an older daemon leaves out.

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function shapeError(method: string): AnswerShapeError {
  return new AnswerShapeError(
    `the daemon's answer to "${method}" has an unexpected shape; is it running the same version of watchgod as this god?`,
  );
}

function asTopJobs(answer: unknown): TopJob[] {
  if (!isObject(answer) || !Array.isArray(answer["jobs"])) throw shapeError("status");
  return answer["jobs"].map((job: unknown) => {
    if (!isObject(job) || typeof job["name"] !== "string" || typeof job["state"] !== "string") {
      throw shapeError("status");
    }
    return {
      name: job["name"],
      state: job["state"],
      pid: typeof job["pid"] === "number" ? job["pid"] : null,
      restarts: typeof job["restarts"] === "number" ? job["restarts"] : 0,
      uptimeMs: typeof job["uptimeMs"] === "number" ? job["uptimeMs"] : null,
      usage: asUsage(job["usage"]),
      maxMemory: typeof job["maxMemory"] === "number" ? job["maxMemory"] : null,
      instances: Array.isArray(job["instances"]) ? job["instances"].filter(isObject).map(asInstance) : [],
    };
  });
}

function asInstance(instance: Record<string, unknown>): TopJob["instances"][number] {
  return {
    index: typeof instance["index"] === "number" ? instance["index"] : 0,
    pid: typeof instance["pid"] === "number" ? instance["pid"] : null,
    state: typeof instance["state"] === "string" ? instance["state"] : "-",
    restarts: typeof instance["restarts"] === "number" ? instance["restarts"] : 0,
    uptimeMs: typeof instance["uptimeMs"] === "number" ? instance["uptimeMs"] : null,
    usage: asUsage(instance["usage"]),
  };
}

function asUsage(value: unknown): TopJob["usage"] {
  if (!isObject(value)) return null;
  const { cpuPercent, rssBytes } = value;
  return typeof cpuPercent === "number" && typeof rssBytes === "number" ? { cpuPercent, rssBytes } : null;
}

function asRecords(answer: unknown): TopLogRecord[] {
  if (!isObject(answer) || !Array.isArray(answer["records"])) throw shapeError("logs");
  return answer["records"].filter(isObject).flatMap((r) => {
    if (typeof r["job"] !== "string" || typeof r["msg"] !== "string") return [];
    return typeof r["instance"] === "number"
      ? [{ job: r["job"], msg: r["msg"], instance: r["instance"] }]
      : [{ job: r["job"], msg: r["msg"] }];
  });
}
