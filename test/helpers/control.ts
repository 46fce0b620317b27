// One request on god's control socket, answered in process: for a test that must read what no event carries
// (the usage figures of `status`, refreshed every second) without spawning `god status` for it.

import { createConnection } from "node:net";
import { join } from "node:path";
import { LineDecoder } from "../../src/protocol/ndjson.js";

export function controlRequest(home: string, method: string, params: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(join(home, "god.sock"));
    const decoder = new LineDecoder(64 * 1024 * 1024);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${method} in 10 s`));
    }, 10_000);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("connect", () =>
      socket.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method, params })}\n`),
    );
    socket.on("data", (chunk: Buffer) => {
      for (const line of decoder.push(chunk)) {
        if (line.type !== "line") continue;
        const message = JSON.parse(line.text) as {
          id?: number;
          result?: unknown;
          error?: { message: string };
        };
        if (message.id !== 1) continue;
        clearTimeout(timer);
        socket.end();
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result);
      }
    });
  });
}
