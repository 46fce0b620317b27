// `god top` against a fake daemon (a control socket in a temp home answering canned `status` and `logs`):
// `--once` prints one plain frame, no daemon is exit 3, and the live view runs in a real pseudo-terminal under
// tmux: first frame, refresh, the selection moving on Down, and the terminal given back (main screen, cursor
// shown, raw mode off) after q, after SIGTERM and after the daemon goes away.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { LineDecoder } from "../../src/protocol/ndjson.js";
import { RpcPeer } from "../../src/protocol/rpc-peer.js";
import { CLI, runCli } from "../helpers/god.js";

type Handler = (method: string, params: unknown, socket: Socket) => unknown;

interface FakeDaemon {
  home: string;
  requests: Array<{ method: string; params: unknown }>;
  /** Resolves once `count` status requests have arrived. */
  statusCount(count: number): Promise<void>;
  /** Drops every connection and stops listening, leaving the home in place. */
  vanish(): Promise<void>;
  stop(): Promise<void>;
}

async function fakeDaemon(handler: Handler): Promise<FakeDaemon> {
  const home = mkdtempSync(join(tmpdir(), "god-top-"));
  const requests: FakeDaemon["requests"] = [];
  const sockets = new Set<Socket>();
  let statuses = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const peer = new RpcPeer({
      write: (line) => {
        if (!socket.destroyed) socket.write(line);
      },
      onRequest: (method, params) => {
        requests.push({ method, params });
        if (method === "status") {
          statuses++;
          for (const waiter of waiters) if (statuses >= waiter.count) waiter.resolve();
        }
        return handler(method, params, socket);
      },
      defaultTimeoutMs: 10_000,
    });
    const decoder = new LineDecoder();
    socket.on("data", (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) if (event.type === "line") peer.handleLine(event.text);
    });
  });
  await new Promise<void>((resolve) => server.listen(join(home, "god.sock"), resolve));
  const vanish = async () => {
    for (const socket of sockets) socket.destroy();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    home,
    requests,
    statusCount: (count) =>
      new Promise((resolve) => {
        if (statuses >= count) resolve();
        else waiters.push({ count, resolve });
      }),
    vanish,
    stop: async () => {
      await vanish();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

const MiB = 1024 * 1024;

function status(restarts: number) {
  return {
    jobs: [
      {
        name: "backend",
        state: "running",
        want: "up",
        pid: 4242,
        instance: 0,
        restarts,
        uptimeMs: 7_500_000,
        loader: "/etc/god/backend.js",
        check: null,
        lastExit: null,
        reason: null,
        usage: { cpuPercent: 12, rssBytes: 300 * MiB },
        maxMemory: 1024 * MiB,
        instances: [
          {
            index: 0,
            pid: 4242,
            state: "running",
            restarts: 0,
            uptimeMs: 7_500_000,
            usage: { cpuPercent: 7, rssBytes: 200 * MiB },
          },
          {
            index: 1,
            pid: 4243,
            state: "starting",
            restarts,
            uptimeMs: 3_000,
            usage: { cpuPercent: 5, rssBytes: 100 * MiB },
          },
        ],
      },
      {
        name: "worker",
        state: "backoff",
        want: "up",
        pid: null,
        instance: null,
        restarts: 3,
        uptimeMs: null,
        loader: "/etc/god/worker",
        check: null,
        lastExit: { code: 1, signal: null, at: "2026-11-25T15:00:00.000Z" },
        reason: "backoff 400 ms",
        usage: null,
        maxMemory: null,
        instances: [],
      },
    ],
  };
}

const LOGS: Record<string, unknown[]> = {
  backend: [
    {
      t: "2026-11-25T15:00:00.000Z",
      job: "backend",
      pid: 4242,
      stream: "out",
      msg: "listening",
      instance: 0,
    },
    {
      t: "2026-11-25T15:00:01.000Z",
      job: "backend",
      pid: 4243,
      stream: "out",
      msg: "warming cache",
      instance: 1,
    },
  ],
  worker: [
    { t: "2026-11-25T15:00:02.000Z", job: "worker", pid: 77, stream: "err", msg: "connect ECONNREFUSED" },
  ],
};

function answer(statusAnswer: () => unknown): Handler {
  return (method, params) => {
    if (method === "status") return statusAnswer();
    const jobs = (params as { jobs: string[] }).jobs;
    return { records: jobs.flatMap((job) => LOGS[job] ?? []) };
  };
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { GOD_HOME: _home, COLUMNS: _columns, NO_COLOR: _noColor, ...inherited } = process.env;
  return { ...inherited, ...extra };
}

test("--once: one plain frame, the requests the lead's daemon answers, exit 0", async () => {
  const daemon = await fakeDaemon(answer(() => status(1)));
  try {
    const run = await runCli(["top", "--once", "--home", daemon.home], { env: env({ COLUMNS: "90" }) });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "");
    assert.equal(
      run.stdout,
      [
        `god top  ${daemon.home}  2 jobs, 3 instances  cpu 12.0%  mem 300.0 MiB`,
        "JOB          STATE     PID   CPU%        MEM  RESTARTS  UPTIME  LAST LOG",
        "backend      running   -     12.0       300M  1         2h05m   warming cache",
        "  backend.0  running   4242   7.0  200M/1.0G  0         2h05m   listening",
        "  backend.1  starting  4243   5.0  100M/1.0G  1         3s      warming cache",
        "worker       backoff   -        -          -  3         -       connect ECONNREFUSED",
        "",
      ].join("\n"),
    );
    assert.deepEqual(daemon.requests[0], {
      method: "status",
      params: { jobs: [], instances: true, usage: true },
    });
    assert.deepEqual(
      daemon.requests.slice(1).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [
        { method: "logs", params: { jobs: ["backend"], n: 20 } },
        { method: "logs", params: { jobs: ["worker"], n: 1 } },
      ],
    );

    // Named jobs are passed on; with no terminal and no COLUMNS the frame is 120 wide; never an escape code.
    const named = await runCli(["top", "worker", "--home", daemon.home], { env: env() });
    assert.equal(named.code, 0, named.stderr);
    assert.ok(!named.stdout.includes("\x1b"));
    assert.deepEqual(daemon.requests[3], {
      method: "status",
      params: { jobs: ["worker"], instances: true, usage: true },
    });
  } finally {
    await daemon.stop();
  }
});

test("no daemon: exit 3 and the usual sentence; a stray argument is a usage error", async () => {
  const home = mkdtempSync(join(tmpdir(), "god-top-"));
  try {
    const run = await runCli(["top", "--once", "--home", home], { env: env() });
    assert.equal(run.code, 3);
    assert.equal(run.stdout, "");
    assert.equal(
      run.stderr,
      `god: no god is running at ${home} (no answer on ${home}/god.sock); start one with \`god run --home ${home}\`.\n`,
    );
    const flag = await runCli(["top", "--nope", "--home", home], { env: env() });
    assert.equal(flag.code, 2);
    assert.equal(flag.stderr, "god: unknown flag --nope for `god top`; run `god top --help`.\n");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

// --- The live view in a real terminal -----------------------------------------------------------------------

const run = promisify(execFile);

/** A tmux server of its own (by socket name) with one 100x16 pane running sh. */
class Terminal {
  readonly name = `god-top-${process.pid}-${Date.now()}`;
  private socket: string | null = null;

  async start(environment: NodeJS.ProcessEnv): Promise<void> {
    await this.tmux(
      ["-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "16", "env PS1='$ ' /bin/sh"],
      environment,
    );
    this.socket = (await this.tmux(["display-message", "-p", "#{socket_path}"])).trim();
    await this.until("the shell's prompt", (s) => s.startsWith("$"));
  }

  /** Waits for the `exit=N` that follows each command typed here, and returns N. */
  async exitCode(what: string): Promise<number> {
    const screen = await this.until(what, (s) => /exit=\d+$/m.test(s));
    return Number(/exit=(\d+)$/m.exec(screen)![1]);
  }

  async tmux(args: string[], environment: NodeJS.ProcessEnv = env()): Promise<string> {
    const { TMUX: _tmux, ...rest } = environment;
    const { stdout } = await run("tmux", ["-L", this.name, ...args], { env: rest, timeout: 30_000 });
    return stdout;
  }

  type(keys: string): Promise<string> {
    return this.tmux(["send-keys", "-l", keys]);
  }

  key(name: string): Promise<string> {
    return this.tmux(["send-keys", name]);
  }

  screen(): Promise<string> {
    return this.tmux(["capture-pane", "-p"]);
  }

  /** `alternate_on` and `cursor_flag` of the pane: is the alternate screen on, is the cursor shown. */
  async modes(): Promise<{ alternate: boolean; cursor: boolean }> {
    const [alternate, cursor] = (await this.tmux(["display-message", "-p", "#{alternate_on} #{cursor_flag}"]))
      .trim()
      .split(" ");
    return { alternate: alternate === "1", cursor: cursor === "1" };
  }

  /** Polls tmux (not god) a bounded number of times until the screen satisfies `ok`. */
  async until(what: string, ok: (screen: string) => boolean): Promise<string> {
    let last = "";
    for (let i = 0; i < 400; i++) {
      last = await this.screen();
      if (ok(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}; the screen:\n${last}`);
  }

  async stop(): Promise<void> {
    await this.tmux(["kill-server"]).catch(() => "");
    // tmux leaves its socket file behind.
    if (this.socket !== null) rmSync(this.socket, { force: true });
  }
}

/** The line of the screen that starts (after the margin) with `label`. */
function lineOf(screen: string, label: string): string {
  return screen.split("\n").find((line) => line.slice(2).startsWith(label)) ?? "";
}

/**
 * The terminal's mode as `stty -a` shows it after god top: canonical input and echo are back. (Node also resets
 * a terminal it put in raw mode when it exits; this checks what the user is left with, whoever restored it.)
 */
async function sttyRestored(terminal: Terminal, marker: string): Promise<void> {
  // The marker is split in the command, so that only the output matches it.
  await terminal.type(
    `stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo "mark""${marker}"\n`,
  );
  const screen = await terminal.until(`stty's answer ${marker}`, (s) => s.includes(`mark${marker}`));
  assert.match(screen, new RegExp(`^icanon echo mark${marker}$`, "m"));
}

test("live: first frame, refresh, Down moves the selection, q quits 0 and gives the terminal back", async () => {
  let restarts = 1;
  const daemon = await fakeDaemon(answer(() => status(restarts)));
  const terminal = new Terminal();
  try {
    await terminal.start(env({ NO_COLOR: "1", TERM: "xterm" }));
    await terminal.type(`${process.execPath} ${CLI} top --home ${daemon.home}; echo exit=$?\n`);
    const first = await terminal.until("the first frame", (s) => s.includes("worker"));
    assert.match(first, /^god top {2}.* {2}\(q quits\)$/m);
    assert.deepEqual(await terminal.modes(), { alternate: true, cursor: false });
    assert.match(lineOf(first, "backend "), /^> backend {6}running/);
    assert.match(lineOf(first, "  backend.0"), /^ {3}/);
    // NO_COLOR: not one attribute on the screen.
    assert.ok(!(await terminal.tmux(["capture-pane", "-p", "-e"])).includes("\x1b"));

    // Every second a new status: the next frame shows what changed.
    restarts = 7;
    await daemon.statusCount(3);
    await terminal.until("the refreshed frame", (s) => /backend\.1 +starting +4243 .* 7 +3s/.test(s));

    await terminal.key("Down");
    const moved = await terminal.until("the selection on backend.0", (s) =>
      lineOf(s, "  backend.0").startsWith(">"),
    );
    assert.match(lineOf(moved, "backend "), /^ {2}backend/);
    await terminal.key("Down");
    await terminal.key("Down");
    await terminal.key("Down"); // past the last row: stays there
    await terminal.until("the selection on worker", (s) => lineOf(s, "worker").startsWith(">"));
    await terminal.key("Up");
    await terminal.until("the selection back on backend.1", (s) => lineOf(s, "  backend.1").startsWith(">"));

    await terminal.type("q");
    assert.equal(await terminal.exitCode("god top to exit"), 0);
    const after = await terminal.screen();
    assert.ok(!after.includes("JOB "), after);
    assert.deepEqual(await terminal.modes(), { alternate: false, cursor: true });
    await sttyRestored(terminal, "one");
  } finally {
    await terminal.stop();
    await daemon.stop();
  }
});

test("live: colour on a terminal; SIGTERM and a lost daemon also give the terminal back", async () => {
  const daemon = await fakeDaemon(answer(() => status(1)));
  const terminal = new Terminal();
  const pidFile = join(daemon.home, "top.pid");
  try {
    await terminal.start(env({ TERM: "xterm" }));
    const top = `${process.execPath} ${CLI} top --home ${daemon.home}`;
    await terminal.type(`sh -c 'echo $$ > ${pidFile}; exec ${top}'; echo exit=$?\n`);
    await terminal.until("the first frame", (s) => s.includes("worker"));
    // The selection is reverse video rather than a margin.
    const coloured = await terminal.tmux(["capture-pane", "-p", "-e"]);
    assert.match(coloured, new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*7m[^\\n]*backend {6}`));
    assert.ok(!/^> /m.test(await terminal.screen()));

    const pid = Number(readFileSync(pidFile, "utf8"));
    process.kill(pid, "SIGTERM");
    assert.equal(await terminal.exitCode("god top to exit on SIGTERM"), 143);
    assert.deepEqual(await terminal.modes(), { alternate: false, cursor: true });
    await sttyRestored(terminal, "two");

    await terminal.type("clear\n");
    await terminal.until("a clear screen", (s) => s.trim() === "$");
    await terminal.type(`${top}; echo exit=$?\n`);
    await terminal.until("the first frame again", (s) => s.includes("worker"));
    await daemon.vanish();
    assert.equal(await terminal.exitCode("god top to exit when the daemon goes"), 1);
    const afterLoss = await terminal.screen();
    assert.match(afterLoss, new RegExp(`^god: the daemon at ${daemon.home} closed the connection`, "m"));
    assert.deepEqual(await terminal.modes(), { alternate: false, cursor: true });
    await sttyRestored(terminal, "three");
  } finally {
    await terminal.stop();
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
      } catch {
        // already gone
      }
    }
    await daemon.stop();
  }
});
