// The ready pipe of `ready: {"fd": N}` with real children: a line on fd N is ready, EOF before one is closed,
// from sh, Python and a Node program using the library's ready(); the fd may sit at any index from 3 up.

import assert from "node:assert/strict";
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { openReadyPipe, type ReadyPipe } from "../../src/sockets/ready-pipe.js";

const LIB = fileURLToPath(new URL("../../src/lib/index.js", import.meta.url));
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

const root = mkdtempSync(join(tmpdir(), "god-ready-pipe-"));
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

/** Spawns argv with the pipe's write end at stdio index `fd` and GOD_READY_FD=fd, as god would. */
function spawnWithReadyFd(pipe: ReadyPipe, argv: string[], fd = 3, extraFds: Record<number, number> = {}) {
  const stdio: StdioOptions = Array.from({ length: fd + 1 }, (_, i) => extraFds[i] ?? ("ignore" as const));
  stdio[2] = "pipe";
  stdio[fd] = pipe.writeFd;
  const env: NodeJS.ProcessEnv = { ...process.env, GOD_READY_FD: String(fd) };
  delete env["NOTIFY_SOCKET"];
  const child = spawn(argv[0]!, argv.slice(1), { stdio, env });
  children.add(child);
  pipe.closeWriteEnd();
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, stderr: () => stderr };
}

/** Every test is bounded: a pipe that never settles fails its test instead of hanging the run. */
const BOUND = { timeout: 60_000 };

test("a line from sh on fd 3 is ready while the instance keeps running", BOUND, async () => {
  const pipe = await openReadyPipe(root);
  const { child, exited } = spawnWithReadyFd(pipe, ["sh", "-c", 'printf "ready\\n" >&3; exec sleep 60']);
  try {
    assert.equal(await Promise.race([pipe.ready, exited.then(() => "exited")]), "ready");
    assert.equal(child.exitCode, null, "still running");
  } finally {
    child.kill("SIGKILL");
    await exited;
    pipe.close();
  }
});

test(
  "an instance that exits without a line is closed, also when it wrote text with no newline",
  BOUND,
  async () => {
    for (const script of ["exit 0", 'printf "almost" >&3; exit 1', "exec 3>&-; sleep 0.2"]) {
      const pipe = await openReadyPipe(root);
      const { exited } = spawnWithReadyFd(pipe, ["sh", "-c", script]);
      assert.equal(await pipe.ready, "closed", script);
      await exited;
      pipe.close();
    }
  },
);

test("closing fd 3 before exiting is closed at once, not at exit", BOUND, async () => {
  const pipe = await openReadyPipe(root);
  const { child, exited } = spawnWithReadyFd(pipe, ["sh", "-c", "exec 3>&-; exec sleep 60"]);
  try {
    assert.equal(await Promise.race([pipe.ready, exited.then(() => "exited")]), "closed");
    assert.equal(child.exitCode, null, "still running");
  } finally {
    child.kill("SIGKILL");
    await exited;
    pipe.close();
  }
});

test(
  "the fd may be at index 5; what the instance writes after its line is read and dropped, never SIGPIPE",
  BOUND,
  async () => {
    const pipe = await openReadyPipe(root);
    // More than a pipe holds (64 KiB), so the writer must wait for god to read past the line.
    const script = "echo >&5; yes more | head -c 1000000 >&5";
    const { exited, stderr } = spawnWithReadyFd(pipe, ["sh", "-c", script], 5);
    assert.equal(await pipe.ready, "ready");
    const [code, signal] = await exited;
    assert.deepEqual([code, signal], [0, null], stderr());
    pipe.close();
  },
);

test("a Python program writing to the fd named by GOD_READY_FD is ready", BOUND, async () => {
  const pipe = await openReadyPipe(root);
  const { exited, stderr } = spawnWithReadyFd(
    pipe,
    [PYTHON, "-c", "import os; os.write(int(os.environ['GOD_READY_FD']), b'ready\\n')"],
    4,
  );
  assert.equal(await pipe.ready, "ready", stderr());
  assert.deepEqual(await exited, [0, null]);
  pipe.close();
});

test(
  "a Node program using the library's ready() is ready; the fd and GOD_READY_FD are gone after it",
  BOUND,
  async () => {
    const program = join(root, "ready.mjs");
    writeFileSync(
      program,
      [
        `import { fstatSync } from "node:fs";`,
        `import { ready, status } from ${JSON.stringify(LIB)};`,
        `await status("ignored: the fd carries readiness only");`,
        `await ready();`,
        `await ready();`,
        `let open = true;`,
        `try { fstatSync(3); } catch { open = false; }`,
        `if (open || process.env.GOD_READY_FD !== undefined) process.exit(2);`,
        `setTimeout(() => {}, 60_000);`,
      ].join("\n"),
    );
    const pipe = await openReadyPipe(root);
    const { child, exited, stderr } = spawnWithReadyFd(pipe, [process.execPath, program]);
    try {
      assert.equal(await Promise.race([pipe.ready, exited.then(() => "exited")]), "ready", stderr());
      assert.equal(child.exitCode, null, `still running; ${stderr()}`);
      assert.equal(stderr(), "");
    } finally {
      child.kill("SIGKILL");
      await exited;
      pipe.close();
    }
  },
);

test(
  "ready() leaves alone a GOD_READY_FD that is not a pipe in this process (an inherited variable), with one warning",
  BOUND,
  async () => {
    const file = join(root, "not-a-pipe.txt");
    writeFileSync(file, "");
    const fd = openSync(file, "w");
    const program = join(root, "inherited.mjs");
    writeFileSync(program, `import { ready } from ${JSON.stringify(LIB)};\nawait ready();\nawait ready();\n`);
    try {
      const child = spawn(process.execPath, [program], {
        stdio: ["ignore", "ignore", "pipe", fd],
        env: { ...process.env, GOD_READY_FD: "3" },
      });
      children.add(child);
      let stderr = "";
      child.stderr!.setEncoding("utf8").on("data", (text: string) => {
        stderr += text;
      });
      const [code] = await once(child, "exit");
      assert.equal(code, 0, stderr);
      assert.equal(stderr, "watchgod: GOD_READY_FD=3 is not a pipe in this process; ready() wrote nothing\n");
      assert.equal(readFileSync(file, "utf8"), "");
    } finally {
      closeSync(fd);
    }
  },
);

test("close() before any line settles as closed and releases the fds", BOUND, async () => {
  const pipe = await openReadyPipe(root);
  pipe.close();
  assert.equal(await pipe.ready, "closed");
  pipe.close();
});
