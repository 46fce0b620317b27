// A Procfile (foreman's format): `NAME: command` lines, `#` comments, blank lines. Each command runs through
// `/bin/sh -c`, the one place god uses a shell, because a shell command is what the format means. The `.env`
// beside the file is merged into every job's environment, and PORT follows foreman's rule: the base (5000, or
// PORT from .env) + 100 x the entry's index + the instance's index. The instance is known only at spawn, so
// that last sum is done by the shell, from the GOD_INSTANCE god sets in each instance.

import type { ConfigJobSpec, Conversion } from "./config-job.js";
import { nodeParseEnv, type ParseEnv, parseDotenv } from "./dotenv.js";

export const PROCFILE_BASE_PORT = 5000;
export const PROCFILE_SHELL = "/bin/sh";

const ENTRY = /^([A-Za-z0-9_.-]+):[ \t]*(.*)$/;
const MAX_NAME = 64;

export interface ProcfileOptions {
  /** Where the commands run: the Procfile's own directory, as with foreman. */
  dir: string;
  /** The `.env` beside the Procfile, when there is one. */
  dotenv: { text: string; file: string } | null;
  /** Node's parser; a test passes null to play an older Node. */
  parseEnv?: ParseEnv | null;
}

/** The shell text that sets PORT for instance GOD_INSTANCE of the entry with this port, then runs `command`. */
export function withPort(port: number, command: string): string {
  return `PORT=$((${port} + \${GOD_INSTANCE:-0})); export PORT; ${command}`;
}

export function convertProcfile(text: string, file: string, options: ProcfileOptions): Conversion {
  const errors: string[] = [];
  let env: Record<string, string> = {};
  if (options.dotenv !== null) {
    const parse = options.parseEnv === undefined ? nodeParseEnv() : options.parseEnv;
    const parsed = parseDotenv(options.dotenv.text, options.dotenv.file, parse);
    errors.push(...parsed.errors);
    env = parsed.env;
  }
  let base = PROCFILE_BASE_PORT;
  if (env["PORT"] !== undefined) {
    const port = Number(env["PORT"]);
    if (/^\d+$/.test(env["PORT"]) && port >= 1 && port <= 65535) base = port;
    else {
      errors.push(
        `${options.dotenv!.file}: PORT=${env["PORT"]} is not a port number; give PORT a number from 1 to 65535 (the base port of the Procfile's entries).`,
      );
    }
  }
  const jobs: ConfigJobSpec[] = [];
  const lines = new Map<string, number>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const where = `${file}:${i + 1}`;
    const match = ENTRY.exec(trimmed);
    if (!match) {
      errors.push(
        `${where}: ${JSON.stringify(trimmed.length > 60 ? trimmed.slice(0, 60) + "..." : trimmed)} is not "NAME: command"; write the process name (letters, digits, "_", "." or "-"), a colon and the command, or make the line a comment with #.`,
      );
      return;
    }
    const name = match[1]!;
    const command = match[2]!.trim();
    if (name.length > MAX_NAME) {
      errors.push(`${where}: the name "${name}" is longer than ${MAX_NAME} characters; shorten it.`);
      return;
    }
    if (command === "") {
      errors.push(`${where}: "${name}" has no command; write the command after the colon.`);
      return;
    }
    const first = lines.get(name);
    if (first !== undefined) {
      errors.push(
        `${where}: "${name}" is already declared on line ${first}; give each process its own name.`,
      );
      return;
    }
    lines.set(name, i + 1);
    const port = base + 100 * jobs.length;
    const job: ConfigJobSpec = {
      name,
      exec: [PROCFILE_SHELL, "-c", withPort(port, command)],
      cwd: options.dir,
      auto: true,
    };
    // PORT is the shell's to set; the base it came from is in the command.
    const { PORT: _base, ...rest } = env;
    if (Object.keys(rest).length > 0) job.env = rest;
    jobs.push(job);
  });
  const warnings =
    jobs.length === 0 && errors.length === 0
      ? [`${file}: declares no process; add lines of the form "NAME: command".`]
      : [];
  return { jobs: errors.length > 0 ? [] : jobs, warnings, errors };
}
