// The notify socket of `ready: "notify"`, spoken to by programs that are not god's: a Python sender on the raw
// datagram protocol, systemd's own systemd-notify, and Node programs using the library's ready() and status().
// Also: the modes of the socket and its directory, oversized datagrams, a stale socket file, and a machine
// without the optional native package (a copy of the compiled code outside any node_modules).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseNotifyDatagram } from "../../src/protocol/notify.js";
import { type NotifySocket, notifyAvailable, openNotifySocket } from "../../src/sockets/notify-socket.js";

const DIST_SRC = fileURLToPath(new URL("../../src/", import.meta.url));
const WRAPPER = fileURLToPath(new URL("../../../node_modules/node-unix-socket", import.meta.url));
const LIB_ESM = fileURLToPath(new URL("../../src/lib/index.js", import.meta.url));
const LIB_CJS = fileURLToPath(new URL("../../cjs/src/lib/index.js", import.meta.url));
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const SYSTEMD_NOTIFY = ["/usr/bin/systemd-notify", "/bin/systemd-notify"].find((p) => existsSync(p));
/** The npm registry has the native package's binary for these; elsewhere the tests say why they skip. */
const MUST_HAVE_NATIVE = process.platform === "linux" && process.arch === "x64";
const noNative = MUST_HAVE_NATIVE ? false : notifyAvailable();

const root = mkdtempSync(join(tmpdir(), "god-notify-"));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
/** A fresh notify directory per test, as god makes one under GOD_HOME. */
function socketPath(): string {
  return join(root, `home${++counter}`, "notify", "i1.sock");
}

/** Datagrams received, and a bounded wait for a condition on them. */
function collector() {
  const got: string[] = [];
  let wake: () => void = () => {};
  return {
    got,
    onDatagram(data: Buffer) {
      got.push(data.toString("utf8"));
      wake();
    },
    async until(done: (got: string[]) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!done(got)) {
        const left = deadline - Date.now();
        if (left <= 0) assert.fail(`timed out waiting for ${what}; received ${JSON.stringify(got)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
  };
}

async function open(path: string, onDatagram: (data: Buffer) => void): Promise<NotifySocket> {
  const socket = await openNotifySocket(path, onDatagram);
  if ("error" in socket) assert.fail(socket.error);
  return socket;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment without NOTIFY_SOCKET or GOD_READY_FD this test process may itself have been given. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env["NOTIFY_SOCKET"];
  delete env["GOD_READY_FD"];
  return { ...env, ...extra };
}

describe("the notify socket", { skip: noNative || false }, () => {
  test("notifyAvailable() says null where the native package loads", () => {
    assert.equal(notifyAvailable(), null);
  });

  test("a Python sender's READY=1 and STATUS= arrive; the socket is 0600 in a 0700 directory; close() removes it", async () => {
    const path = socketPath();
    const c = collector();
    const socket = await open(path, c.onDatagram);
    try {
      assert.equal(socket.path, path);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(join(path, "..")).mode & 0o777, 0o700);
      const sent = await run(PYTHON, [
        "-c",
        [
          "import socket, sys",
          "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
          "s.sendto(b'STATUS=warming up', sys.argv[1])",
          "s.sendto(b'READY=1\\nSTATUS=serving', sys.argv[1])",
        ].join("\n"),
        path,
      ]);
      assert.equal(sent.code, 0, sent.stderr);
      await c.until((got) => got.length >= 2, "two datagrams");
      assert.deepEqual(c.got, ["STATUS=warming up", "READY=1\nSTATUS=serving"]);
      assert.deepEqual(parseNotifyDatagram(Buffer.from(c.got[1]!)).messages, [
        { type: "ready" },
        { type: "status", text: "serving" },
      ]);
    } finally {
      socket.close();
    }
    assert.equal(existsSync(path), false, "close() removed the socket file");
    socket.close();
  });

  test("a datagram over 4096 bytes is dropped and counted; 4096 bytes exactly and empty ones arrive", async () => {
    const c = collector();
    const socket = await open(socketPath(), c.onDatagram);
    try {
      const sent = await run(PYTHON, [
        "-c",
        [
          "import socket, sys",
          "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
          "s.sendto(b'STATUS=' + b'x' * 5000, sys.argv[1])",
          "s.sendto(b'STATUS=' + b'y' * 4089, sys.argv[1])",
          "s.sendto(b'', sys.argv[1])",
          "s.sendto(b'STATUS=' + b'z' * 70000, sys.argv[1])",
          "s.sendto(b'READY=1', sys.argv[1])",
        ].join("\n"),
        socket.path,
      ]);
      assert.equal(sent.code, 0, sent.stderr);
      // Datagrams on a unix socket arrive in order, so READY=1 comes after everything sent before it.
      await c.until((got) => got.includes("READY=1"), "READY=1");
      assert.deepEqual(
        c.got.map((d) => d.length),
        [4096, 0, 7],
      );
      assert.equal(socket.oversized, 2);
    } finally {
      socket.close();
    }
  });

  test("a socket file left by an earlier god is replaced; a file that is not a socket is an error", async () => {
    const path = socketPath();
    const first = await open(path, () => {});
    // A crashed god never closes: simulate by binding again over the live file.
    const c = collector();
    const second = await open(path, c.onDatagram);
    try {
      const sent = await run(PYTHON, [
        "-c",
        "import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'READY=1', sys.argv[1])",
        path,
      ]);
      assert.equal(sent.code, 0, sent.stderr);
      await c.until((got) => got.length === 1, "READY=1 on the new socket");
      // The old socket's close() leaves the new socket's file alone.
      first.close();
      assert.ok(existsSync(path));
    } finally {
      first.close();
      second.close();
    }
    const blocked = socketPath();
    mkdirSync(join(blocked, ".."), { recursive: true });
    writeFileSync(blocked, "not a socket");
    const result = await openNotifySocket(blocked, () => {});
    assert.ok("error" in result);
    assert.equal(
      result.error,
      `cannot open the notify socket ${blocked}: a file that is not a socket is in the way; move it`,
    );
  });

  test("a path too long for a unix socket address is refused with the reason", async () => {
    const path = join(root, "x".repeat(100), "notify", "i1.sock");
    const result = await openNotifySocket(path, () => {});
    assert.ok("error" in result);
    assert.match(result.error, /^cannot open the notify socket .*: the path is \d+ bytes, over the 107 /);
    assert.equal(existsSync(join(root, "x".repeat(100))), false, "nothing was made");
  });

  test("systemd-notify --ready --status= reaches the socket, and its barrier leaves no fd open in god", {
    skip: SYSTEMD_NOTIFY === undefined && "systemd-notify is not installed (Debian package systemd)",
  }, async () => {
    const c = collector();
    const socket = await open(socketPath(), c.onDatagram);
    const fdsBefore = readdirSync("/proc/self/fd").length;
    try {
      for (let i = 0; i < 3; i++) {
        const sent = await run(
          SYSTEMD_NOTIFY!,
          ["--ready", `--status=round ${i}`],
          cleanEnv({ NOTIFY_SOCKET: socket.path }),
        );
        assert.equal(sent.code, 0, sent.stderr);
      }
      await c.until((got) => got.filter((d) => d.includes("READY=1")).length === 3, "three READY=1");
      const messages = c.got.flatMap((d) => parseNotifyDatagram(Buffer.from(d)).messages);
      assert.deepEqual(
        messages.filter((m) => m.type === "ready"),
        [{ type: "ready" }, { type: "ready" }, { type: "ready" }],
      );
      assert.deepEqual(
        messages.filter((m) => m.type === "status"),
        [0, 1, 2].map((i) => ({ type: "status", text: `round ${i}` })),
      );
      // systemd-notify also sends BARRIER=1 with a pipe fd and waits for it to be closed: the fd must not
      // pile up in god.
      assert.ok(readdirSync("/proc/self/fd").length <= fdsBefore + 1, "no fd was kept per datagram");
    } finally {
      socket.close();
    }
  });

  for (const [format, file, source] of [
    [
      "ESM",
      "ready.mjs",
      `import { ready, status } from ${JSON.stringify(LIB_ESM)};\nawait status("starting");\nawait ready();\nawait status("serving\\nnow");\n`,
    ],
    [
      "CommonJS",
      "ready.cjs",
      `const { ready, status } = require(${JSON.stringify(LIB_CJS)});\nstatus("starting").then(ready).then(() => status("serving\\nnow"));\n`,
    ],
  ] as const) {
    test(`a Node program (${format}) using the library's ready() and status() is heard`, async () => {
      const c = collector();
      const socket = await open(socketPath(), c.onDatagram);
      try {
        const program = join(root, file);
        writeFileSync(program, source);
        const ran = await run(process.execPath, [program], cleanEnv({ NOTIFY_SOCKET: socket.path }));
        assert.equal(ran.code, 0, ran.stderr);
        assert.equal(ran.stderr, "");
        await c.until((got) => got.length >= 3, "three datagrams");
        assert.deepEqual(c.got, ["STATUS=starting", "READY=1", "STATUS=serving\uFFFDnow"]);
      } finally {
        socket.close();
      }
    });
  }

  test("the library loads the native package only when ready() has a NOTIFY_SOCKET to send to", async () => {
    const socket = await open(socketPath(), () => {});
    try {
      const probe = `
        const native = () => Object.keys(require.cache).some((p) => p.includes("node-unix-socket"));
        const lib = require(${JSON.stringify(LIB_CJS)});
        const before = native();
        lib.ready().then(() => {
          const unset = native();
          process.env.NOTIFY_SOCKET = ${JSON.stringify(socket.path)};
          return lib.ready().then(() => console.log(JSON.stringify([before, unset, native()])));
        });`;
      const ran = await run(process.execPath, ["-e", probe], cleanEnv({}));
      assert.equal(ran.code, 0, ran.stderr);
      assert.deepEqual(JSON.parse(ran.stdout), [false, false, true]);
    } finally {
      socket.close();
    }
  });

  test("an @abstract NOTIFY_SOCKET is used as systemd uses it; a socket nobody binds gives one warning, never a throw", async () => {
    const program = join(root, "gone.mjs");
    writeFileSync(
      program,
      `import { ready, status } from ${JSON.stringify(LIB_ESM)};\nawait ready();\nawait status("x");\nconsole.log("done");\n`,
    );
    for (const target of [join(root, "nobody.sock"), `@god-test-nobody-${process.pid}`]) {
      const ran = await run(process.execPath, [program], cleanEnv({ NOTIFY_SOCKET: target }));
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(ran.stdout, "done\n");
      const warnings = ran.stderr.trim().split("\n");
      assert.equal(warnings.length, 1, ran.stderr);
      assert.match(
        warnings[0]!,
        /^watchgod: could not send READY= to NOTIFY_SOCKET=.*: (No such file|Connection refused)/,
      );
    }
  });
});

describe("without the optional native package", () => {
  // The compiled code copied where no node_modules can be found, as on a machine where it did not install.
  const bare = join(root, "bare");
  cpSync(DIST_SRC, join(bare, "src"), { recursive: true });
  writeFileSync(join(bare, "package.json"), '{ "type": "module" }\n');

  test("notifyAvailable() and openNotifySocket() give the sentence that says what to install", async () => {
    const probe = `
      import { notifyAvailable, openNotifySocket } from "./src/sockets/notify-socket.js";
      const opened = await openNotifySocket(${JSON.stringify(join(bare, "notify", "i1.sock"))}, () => {});
      console.log(JSON.stringify({ available: notifyAvailable(), opened }));`;
    const file = join(bare, "probe.mjs");
    writeFileSync(file, probe);
    const ran = await run(process.execPath, [file]);
    assert.equal(ran.code, 0, ran.stderr);
    const { available, opened } = JSON.parse(ran.stdout) as { available: string; opened: { error: string } };
    assert.equal(
      available,
      'ready: "notify" needs the optional package node-unix-socket, which is not installed; install it beside watchgod with `npm install node-unix-socket`, or use ready: {"fd": 3}',
    );
    assert.deepEqual(opened, { error: available });
  });

  test("with the package but no binary for this platform, the sentence says to use the fd instead", {
    skip: !existsSync(WRAPPER) && "node-unix-socket is not installed here",
  }, async () => {
    // The real wrapper package alone, as npm leaves it where no platform package was published.
    const dir = join(root, "no-binary");
    cpSync(DIST_SRC, join(dir, "src"), { recursive: true });
    cpSync(WRAPPER, join(dir, "node_modules", "node-unix-socket"), { recursive: true });
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    const file = join(dir, "probe.mjs");
    writeFileSync(
      file,
      `import { notifyAvailable } from "./src/sockets/notify-socket.js";\nconsole.log(notifyAvailable());\n`,
    );
    const ran = await run(process.execPath, [file]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(
      ran.stdout.trim(),
      /^ready: "notify" needs the optional package node-unix-socket, which has no binary that loads on \w+-\w+ \(Cannot find module 'node-unix-socket-[\w-]+'.*\); use ready: \{"fd": 3\} instead$/,
    );
  });

  test("ready() and status() warn once on stderr and resolve", async () => {
    const file = join(bare, "program.mjs");
    writeFileSync(
      file,
      `import { ready, status } from "./src/lib/index.js";\nawait ready();\nawait status("a");\nawait ready();\nconsole.log("done");\n`,
    );
    const ran = await run(process.execPath, [file], cleanEnv({ NOTIFY_SOCKET: join(bare, "nobody.sock") }));
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, "done\n");
    assert.match(
      ran.stderr,
      /^watchgod: NOTIFY_SOCKET is set but the optional package node-unix-socket cannot be loaded \(Cannot find (module|package) 'node-unix-socket'.*\), so ready\(\) and status\(\) send nothing; install it \(`npm install node-unix-socket`\) or declare the job with ready: \{"fd": 3\}\n$/,
    );
  });

  test("with neither NOTIFY_SOCKET nor GOD_READY_FD, ready() and status() do nothing at all", async () => {
    const file = join(bare, "outside.mjs");
    writeFileSync(
      file,
      `import { ready, status } from "./src/lib/index.js";\nawait ready();\nawait status("a");\nconsole.log("done");\n`,
    );
    const ran = await run(process.execPath, [file], cleanEnv({}));
    assert.deepEqual(ran, { code: 0, stdout: "done\n", stderr: "" });
  });
});
