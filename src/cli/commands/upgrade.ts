// `god upgrade`: the running god hands over to the god installed now, and no job is restarted (SPEC 13). The old
// god says how it was started, stops its loaders, records every instance and exits; the new one is started the
// same way (same arguments, working directory and environment) and adopts them. Under the systemd unit of `god
// startup` the old god exits with UPGRADE_EXIT_CODE and systemd starts the new one.

import { readFileSync } from "node:fs";
import type { JobJson, SupervisorChange, UpgradeJson } from "../../protocol/control.js";
import { type ControlClient, connect, NoDaemonError, WAIT_TIMEOUT_MS } from "../client.js";
import { expectPositionals, runCommand } from "../command.js";
import { detach } from "./run.js";

const definition = {
  name: "upgrade",
  usage: `Usage: god upgrade [--home DIR]

Replaces the running god with the god installed now (run it after \`npm install -g watchgod@NEW\`): the old god
stops its loaders and exits, leaving every job running and serving; the new one starts with the same arguments,
working directory and environment, and adopts them. No job is restarted, no log line is lost.
Under the systemd unit of \`god startup\`, the old god exits with code 75 and systemd starts the new one.
The same by hand: \`god shutdown --leave-jobs\`, then \`god run ...\` as before.
  --home DIR  the god to upgrade (default: $GOD_HOME, else ~/.god)`,
  options: {},
} as const;

/** How long the old god may take to exit, and the new one (under systemd) to answer. */
const HANDOVER_TIMEOUT_MS = 30_000;
/** How long to wait for the new god to adopt what the old one left, before reporting anyway. */
const ADOPT_TIMEOUT_MS = 15_000;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ positionals, home }) => {
    expectPositionals("upgrade", positionals, 0, 0, "no arguments");
    const client = await connect(home);
    let old: UpgradeJson;
    try {
      old = (await client.request("upgrade", {}, WAIT_TIMEOUT_MS)) as UpgradeJson;
    } finally {
      client.close();
    }
    const version = installedVersion();
    if (!(await gone(old.pid))) {
      process.stderr.write(
        `god: the old god (pid ${old.pid}) has not exited ${HANDOVER_TIMEOUT_MS / 1000} s after leaving; its jobs are still running. Look at its log, then start the new one with \`god run\` as before.\n`,
      );
      return 1;
    }
    if (old.service) {
      if (!(await answers(home))) {
        process.stderr.write(
          `god: the old god left (its jobs are still running), but systemd did not start the new one within ${HANDOVER_TIMEOUT_MS / 1000} s; see \`journalctl -u watchgod\` and run \`systemctl start watchgod\`.\n`,
        );
        return 1;
      }
      process.stdout.write(`systemd started god ${version} at ${home}.\n`);
    } else {
      const code = await detach(home, old.argv, { env: old.env, cwd: old.cwd, what: `god ${version}` });
      if (code !== 0) {
        process.stderr.write(
          `god: the old god left its jobs running; start the new one with \`god ${old.argv.join(" ")}\` (from ${old.cwd}) to adopt them.\n`,
        );
        return code;
      }
    }
    const adopted = await adoption(home, old.instances);
    const how =
      adopted >= old.instances
        ? "none restarted"
        : "see `god status` for the others (a job whose spec changed meanwhile is reloaded by its policy)";
    process.stdout.write(
      `god ${old.version} (pid ${old.pid}) -> god ${version}: ${adopted} of ${old.instances} instance(s) adopted, ${how}.\n`,
    );
    return 0;
  });
}

function installedVersion(): string {
  try {
    // dist/src/cli/commands/upgrade.js -> the package root
    const url = new URL("../../../../package.json", import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** Whether process `pid` has exited, within HANDOVER_TIMEOUT_MS (it is not our child: asked every 20 ms). */
async function gone(pid: number): Promise<boolean> {
  const { signalProcess } = await import("../../process/signal-group.js");
  for (let waited = 0; waited <= HANDOVER_TIMEOUT_MS; waited += 20) {
    if (!signalProcess(pid, 0)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Whether a god answers at `home` within HANDOVER_TIMEOUT_MS (systemd starts it: tried every 100 ms). */
async function answers(home: string): Promise<boolean> {
  for (let waited = 0; waited <= HANDOVER_TIMEOUT_MS; waited += 100) {
    const client = await connect(home).catch((error: unknown) => {
      if (error instanceof NoDaemonError) return null;
      throw error;
    });
    if (client) {
      client.close();
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The count of adopted instances once it reaches `expected` (or after ADOPT_TIMEOUT_MS), from god's events. */
async function adoption(home: string, expected: number): Promise<number> {
  let client: ControlClient;
  try {
    client = await connect(home);
  } catch {
    return 0;
  }
  const jobs = new Map<string, JobJson>();
  const count = () => {
    let n = 0;
    for (const job of jobs.values()) for (const i of job.instances) if (i.adopted) n++;
    return n;
  };
  try {
    return await new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(count()), ADOPT_TIMEOUT_MS);
      const settle = () => {
        if (count() < expected) return;
        clearTimeout(timer);
        resolve(count());
      };
      client.onClose(() => {
        clearTimeout(timer);
        resolve(count());
      });
      client.onNotification((method, params) => {
        if (method !== "change") return;
        const change = params as SupervisorChange;
        if (change.type === "job") jobs.set(change.job.name, change.job);
        settle();
      });
      client.request("events", {}).then(
        (snapshot) => {
          for (const job of (snapshot as { jobs: JobJson[] }).jobs) jobs.set(job.name, job);
          settle();
        },
        () => resolve(count()),
      );
    });
  } finally {
    client.close();
  }
}
