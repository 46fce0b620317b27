// listeners() in a real child that was handed a listening socket as fd 3, the way god passes sockets.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

const LIBRARY = new URL("../../src/lib/index.js", import.meta.url).href;

const CHILD_SOURCE = `
import { createServer } from "node:net";
import { listeners } from ${JSON.stringify(LIBRARY)};

const found = listeners();
if (!found.http) {
  console.log(JSON.stringify({ found }));
} else {
  const server = createServer((socket) => socket.end("hello from the child\\n", () => server.close()));
  server.listen(found.http, () => console.log(JSON.stringify({ found })));
}
`;

let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "watchgod-lib-listeners-"));
  writeFileSync(join(dir, "child.mjs"), CHILD_SOURCE);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The environment without any LISTEN_* variable this test process may itself have been given. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("LISTEN_")) env[key] = value;
  return { ...env, ...extra };
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) {
    text += String(chunk);
    const nl = text.indexOf("\n");
    if (nl !== -1) return text.slice(0, nl);
  }
  return text;
}

test("a socket passed as fd 3 with LISTEN_FDS=1 LISTEN_FDNAMES=http is served by server.listen(listeners().http)", async () => {
  const holder = createServer();
  holder.listen(0, "127.0.0.1");
  await once(holder, "listening");
  const { port } = holder.address() as AddressInfo;
  // Node has no public accessor for a server's fd; god's socket module passes fds the same way.
  const fd = (holder as unknown as { _handle: { fd: number } })._handle.fd;
  const child = spawn(process.execPath, [join(dir, "child.mjs")], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe", fd],
    env: cleanEnv({ LISTEN_FDS: "1", LISTEN_FDNAMES: "http" }),
  });
  try {
    // The child holds its own copy; closing ours leaves the socket listening for the child alone.
    holder.close();
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    const exited = once(child, "close");
    const line = await firstLine(child.stdout!);
    assert.deepEqual(JSON.parse(line), { found: { http: { fd: 3 } } }, stderr);

    const socket = connect(port, "127.0.0.1");
    socket.setEncoding("utf8");
    let answer = "";
    for await (const chunk of socket) answer += String(chunk);
    assert.equal(answer, "hello from the child\n");
    const [code] = await exited;
    assert.equal(code, 0, stderr);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

test("LISTEN_PID of another process gives {}", async () => {
  const child = spawn(process.execPath, [join(dir, "child.mjs")], {
    cwd: dir,
    stdio: ["ignore", "pipe", "inherit"],
    env: cleanEnv({ LISTEN_FDS: "1", LISTEN_FDNAMES: "http", LISTEN_PID: String(process.pid) }),
  });
  try {
    const exited = once(child, "close");
    assert.deepEqual(JSON.parse(await firstLine(child.stdout!)), { found: {} });
    const [code] = await exited;
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});
