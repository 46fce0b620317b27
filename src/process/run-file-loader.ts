// Runs the file-loader program on one file and reads its hello, for `god import`: a JavaScript config is
// evaluated in that child, never in the command's own process. Bounded like god's own first-line wait.

import { spawn } from "node:child_process";
import { configLoaderCommand } from "../config/loader-command.js";
import { LineDecoder } from "../protocol/ndjson.js";
import { signalGroup } from "./signal-group.js";

/** god gives a loader this long for its first line (SPEC 3); the same bound here. */
export const HELLO_TIMEOUT_MS = 5000;

export type FileLoaderResult =
  | { ok: true; loader: string; jobs: unknown[]; warnings: string[]; output: string }
  | { ok: false; errors: string[]; output: string };

export function runFileLoader(path: string, envName: string | null): Promise<FileLoaderResult> {
  const { command, args, env } = configLoaderCommand(path, envName);
  return new Promise((done) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
      // Its own process group, so that whatever a config started goes with it on a timeout.
      detached: true,
    });
    const lines: string[] = [];
    let stderr = "";
    let timedOut = false;
    const decoder = new LineDecoder();
    child.stdin.on("error", () => {});
    child.stdout.on("data", (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.type !== "line") continue;
        if (lines.length === 0) {
          clearTimeout(timer);
          child.stdin.end(); // the hello is all we need: release the loader
        }
        lines.push(event.text);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) signalGroup(child.pid, "SIGKILL");
    }, HELLO_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      done({ ok: false, errors: [`cannot run the file loader: ${error.message}`], output: "" });
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        done({
          ok: false,
          errors: [
            `${path}: evaluating it took more than ${HELLO_TIMEOUT_MS / 1000} s (god gives a loader ${HELLO_TIMEOUT_MS / 1000} s); make the file only export its configuration, without waiting for anything.`,
          ],
          output: stderr,
        });
        return;
      }
      const hello = lines.length > 0 ? parseHello(lines[0]!) : null;
      if (code !== 0 || hello === null) {
        const errors = stderr.split("\n").filter((line) => line.trim() !== "");
        if (errors.length === 0) {
          errors.push(`${path}: the file loader ended (${signal ?? `exit code ${code}`}) without a hello.`);
        }
        done({ ok: false, errors, output: "" });
        return;
      }
      done({ ok: true, ...hello, warnings: lines.slice(1).flatMap(logMessage), output: stderr });
    });
  });
}

function parseHello(line: string): { loader: string; jobs: unknown[] } | null {
  try {
    const message = JSON.parse(line) as {
      method?: unknown;
      params?: { loader?: { name?: unknown }; jobs?: unknown };
    };
    const jobs = message.params?.jobs;
    const name = message.params?.loader?.name;
    if (message.method !== "hello" || !Array.isArray(jobs) || typeof name !== "string") return null;
    return { loader: name, jobs };
  } catch {
    return null;
  }
}

function logMessage(line: string): string[] {
  try {
    const message = JSON.parse(line) as { method?: unknown; params?: { message?: unknown } };
    return message.method === "log" && typeof message.params?.message === "string"
      ? [message.params.message]
      : [];
  } catch {
    return [];
  }
}
