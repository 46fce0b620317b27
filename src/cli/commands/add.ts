// `god add NAME [...] -- COMMAND ARGS...`: keeps a job in GOD_HOME/jobs/NAME.json (a JSON loader, which god
// always watches) and, when a god runs there, waits until it runs. What PM2 keeps in memory until `pm2 save`,
// god keeps in a file at once (SPEC 14).

import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { type AddedSpec, addedJobSpec, addOutcome, jobFileText } from "../added-job.js";
import { type ControlClient, connect, NoDaemonError, WAIT_TIMEOUT_MS } from "../client.js";
import { runCommand, UsageError } from "../command.js";
import { JobEvents } from "../job-events.js";
import { jobLine } from "../render.js";

const definition = {
  name: "add",
  usage: `Usage: god add NAME [-i N] [--env K=V]... [--cwd DIR] [--listen NAME=ADDR]... [--no-auto] [--home DIR] -- COMMAND ARGS...

Keeps the job NAME in GOD_HOME/jobs/NAME.json, a loader god always watches, and when a god runs at that home
waits until the job runs: exit 0 once it runs, 1 with the reason if it fails to start (the file stays; \`god
remove NAME\` deletes it). With no god running it only writes the file; \`god run\` (or \`god run -d\`) starts it.
COMMAND runs without a shell, looked up in god's PATH. A NAME already taken is refused.
  -i N               instances: N processes (GOD_INSTANCE 0..N-1), or "max" for one per CPU
  --env K=V          a variable for the job, over god's environment (repeatable)
  --cwd DIR          where the command runs (default: this directory)
  --listen NAME=ADDR a socket god binds and holds for the job: tcp://HOST:PORT, HOST:PORT or unix:PATH
  --no-auto          declare the job without starting it (\`god start NAME\` starts it)
  --home DIR         the god's home (default: $GOD_HOME, else ~/.god)`,
  options: {
    instances: { type: "string", short: "i" },
    env: { type: "string", multiple: true },
    cwd: { type: "string" },
    listen: { type: "string", multiple: true },
    "no-auto": { type: "boolean" },
  },
} as const;

/** How long god may take to load a new file of GOD_HOME/jobs (a 200 ms debounce and a node that starts). */
export const DECLARE_TIMEOUT_MS = 30_000;

export function main(args: string[]): Promise<number> {
  const split = args.indexOf("--");
  const own = split === -1 ? args : args.slice(0, split);
  const command = split === -1 ? [] : args.slice(split + 1);
  return runCommand(definition, own, async ({ values, positionals, home }) => {
    if (positionals.length !== 1 || command.length === 0) {
      const name = positionals[0] ?? "NAME";
      const given = positionals.length > 1 ? ` ${positionals.slice(1).join(" ")}` : " COMMAND ARGS...";
      throw new UsageError(
        `\`god add\` needs a NAME, then -- and the command: god add ${name} --${given}; run \`god add --help\`.`,
      );
    }
    const cwd = resolve(values.cwd ?? process.cwd());
    if (!isDirectory(cwd)) {
      throw new UsageError(
        `--cwd ${values.cwd}: ${cwd} is not a directory; give the job's working directory.`,
      );
    }
    const spec = addedJobSpec({
      name: positionals[0]!,
      command,
      instances: values.instances,
      env: values.env,
      cwd,
      listen: values.listen,
      auto: !values["no-auto"],
    });
    await checkSpec(spec);
    const file = join(home, "jobs", `${spec.name}.json`);
    if (existsSync(file)) {
      return refuse(
        `a job named ${spec.name} was already added at ${home} (${file}); \`god remove ${spec.name}\` it first, or choose another name.`,
      );
    }
    const client = await connect(home).catch((error: unknown) => {
      if (error instanceof NoDaemonError) return null;
      throw error;
    });
    if (client === null) {
      if (!writeJobFile(home, file, spec)) return taken(spec.name, file, home);
      process.stdout.write(
        `${spec.name}: added to ${file}; no god is running at ${home}: \`god run -d\` starts it with every job of ${join(home, "jobs")}.\n`,
      );
      return 0;
    }
    try {
      return await addTo(client, home, file, spec);
    } finally {
      client.close();
    }
  });
}

async function addTo(client: ControlClient, home: string, file: string, spec: AddedSpec): Promise<number> {
  const events = await JobEvents.open(client, home);
  const owner = events.jobs.get(spec.name);
  if (owner !== undefined) {
    return refuse(
      `the god at ${home} already runs a job named ${spec.name}, declared by ${owner.loader}; choose another name.`,
    );
  }
  if (!writeJobFile(home, file, spec)) return taken(spec.name, file, home);
  const decide = () =>
    addOutcome(file, spec.name, spec.auto, events.jobs.get(spec.name), events.loaders.get(file));
  const declared = () => (events.jobs.get(spec.name)?.loader === file ? true : decide());
  const first = await events.until(`god to load ${file}`, declared, DECLARE_TIMEOUT_MS);
  const outcome =
    first === true ? await events.until(`${spec.name} to start`, decide, WAIT_TIMEOUT_MS) : first;
  if (outcome.type === "ok") {
    const line = jobLine(outcome.job);
    process.stdout.write(
      spec.auto
        ? `${line}\n`
        : `${line}; declared, not started (--no-auto): \`god start ${spec.name}\` starts it\n`,
    );
    return 0;
  }
  if (outcome.refused) {
    rmSync(file, { force: true });
    return refuse(`${outcome.message}; the file is removed.`);
  }
  return refuse(
    `${outcome.message}; see \`god logs ${spec.name}\`. It stays in ${file}: \`god remove ${spec.name}\` deletes it.`,
  );
}

/** The JobSpec as god will read it: each problem in one sentence. */
async function checkSpec(spec: AddedSpec): Promise<void> {
  const { parseHello } = await import("../../protocol/hello.js");
  const hello = parseHello({ protocol: "godv1", loader: { name: `${spec.name}.json` }, jobs: [spec] });
  const errors = hello.ok ? hello.jobErrors.map((e) => e.message) : hello.errors;
  if (errors.length > 0) throw new UsageError(`god add ${spec.name}: ${errors.join("; ")}.`);
}

/**
 * Writes NAME.json whole: aside under a dot-name (which god skips), then hard-linked into place, which fails if
 * the name exists; so god never reads half a file and two `god add` of one name cannot both succeed.
 * False when the name was taken meanwhile.
 */
function writeJobFile(home: string, file: string, spec: AddedSpec): boolean {
  const dir = join(home, "jobs");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const text = jobFileText(spec);
  const aside = join(dir, `.${spec.name}.json.${process.pid}.tmp`);
  // 0600: the job's env may hold secrets.
  writeFileSync(aside, text, { mode: 0o600 });
  try {
    linkSync(aside, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    // A file system without hard links: an exclusive create (god's 200 ms debounce covers the write).
    try {
      const fd = openSync(file, "wx", 0o600);
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (createError) {
      if ((createError as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw createError;
    }
  } finally {
    rmSync(aside, { force: true });
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function taken(name: string, file: string, home: string): number {
  return refuse(`a job named ${name} was added at ${home} meanwhile (${file}); choose another name.`);
}

function refuse(sentence: string): number {
  process.stderr.write(`god: ${sentence}\n`);
  return 1;
}
