// The built-in loader for configuration files (SPEC 14), run by god as `node file-loader.js FILE godv1` (env
// GOD_ENV_NAME=NAME for PM2's env_NAME). It converts FILE, prints one native `hello` and its warnings as `log`
// notifications, and stays until god closes its stdin. A file that cannot be converted: the sentences on
// stderr and exit 1 before any hello, so god keeps the jobs of the file's last good version. Nothing reaches
// stdout before the file has been evaluated: a JavaScript config's own output goes to stderr.

import { basename } from "node:path";
import { installStdoutGuard, type RawWrite } from "../lib/stdout-guard.js";
import { LineDecoder } from "../protocol/ndjson.js";
import type { ConfigJobSpec } from "./config-job.js";
import { configFileKind } from "./config-kind.js";
import { readConfigFile } from "./read-config.js";

// Set by god (from `god run --env NAME`); the same name as in loader-command.ts.
const ENV_NAME_VARIABLE = "GOD_ENV_NAME";

async function main(argv: string[]): Promise<void> {
  const [file, mode] = argv;
  if (file === undefined || mode !== "godv1" || argv.length !== 2) {
    return fail(
      2,
      "usage: node file-loader.js FILE godv1 (god runs it for a configuration file in a loader directory).",
    );
  }
  const out = installStdoutGuard();
  const kind = configFileKind(file);
  if (kind === null) {
    return fail(
      1,
      `${file}: not a configuration file god reads; name it *.json, Procfile or ecosystem.config.js (or make it an executable loader).`,
    );
  }
  const envName = process.env[ENV_NAME_VARIABLE];
  const result = await readConfigFile(file, kind, {
    envName: envName === undefined || envName === "" ? null : envName,
  });
  if (result.errors.length > 0) return fail(1, result.errors.join("\n"));
  const lines = [hello(basename(file), result.jobs), ...result.warnings.map((w) => log("warn", w))];
  // One write, so the hello and its warnings arrive together.
  await write(out, lines.join(""));
  serve(out, file);
}

function hello(name: string, jobs: ConfigJobSpec[]): string {
  const params = { protocol: "godv1", loader: { name }, jobs };
  return JSON.stringify({ jsonrpc: "2.0", method: "hello", params }) + "\n";
}

function log(level: "warn", message: string): string {
  return JSON.stringify({ jsonrpc: "2.0", method: "log", params: { level, message } }) + "\n";
}

/** Until stdin ends: a request gets an error (a file cannot answer checks), a notification is dropped. */
function serve(out: RawWrite, file: string): void {
  const decoder = new LineDecoder();
  process.stdin.on("data", (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) {
      if (event.type !== "line") continue;
      const id = requestId(event.text);
      if (id === undefined) continue;
      const error = {
        code: -32601,
        message: `${basename(file)} is a configuration file, which answers no requests; give the job a check.probe or write a loader program`,
      };
      out(JSON.stringify({ jsonrpc: "2.0", id, error }) + "\n", () => {});
    }
  });
  const done = () => void write(out, "").then(() => process.exit(0));
  process.stdin.once("end", done);
  process.stdin.once("error", done);
}

function requestId(text: string): string | number | null | undefined {
  try {
    const message = JSON.parse(text) as unknown;
    if (typeof message !== "object" || message === null || !("method" in message) || !("id" in message)) {
      return undefined;
    }
    const id = (message as { id: unknown }).id;
    return typeof id === "string" || typeof id === "number" || id === null ? id : null;
  } catch {
    return undefined;
  }
}

function write(out: RawWrite, text: string): Promise<void> {
  return new Promise((resolve) => {
    out(text, () => resolve());
  });
}

function fail(code: number, text: string): Promise<void> {
  return new Promise(() => {
    process.stderr.write(text + "\n", () => process.exit(code));
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(
    `file-loader: internal error: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
