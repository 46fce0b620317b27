// The realistic PM2 ecosystem file of test/fixtures/config, set up in a temp directory with the files its apps
// run, and the JobSpecs it must become. Shared by the converter's unit test, the file-loader's and `god import`'s.

import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ConfigJobSpec } from "../../src/config/config-job.js";

/** dist/test/helpers -> the repository's test/fixtures/config (the fixture is not compiled). */
export const CONFIG_FIXTURES = fileURLToPath(new URL("../../../test/fixtures/config/", import.meta.url));

/** A temp directory (real path) holding ecosystem.config.js and the scripts it names. */
export function ecosystemFixtureDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "god-config-")));
  copyFileSync(join(CONFIG_FIXTURES, "ecosystem.config.js"), join(dir, "ecosystem.config.js"));
  for (const file of ["api/dist/server.js", "worker.js", "scripts/report.sh"]) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), "");
  }
  return dir;
}

/** What the fixture becomes with `--env production` (or without any --env). */
export function fixtureJobs(dir: string, nodePath: string, production: boolean): ConfigJobSpec[] {
  return [
    {
      name: "api",
      exec: [nodePath, join(dir, "api/dist/server.js"), "--port", "3000", "--log-level", "info"],
      cwd: join(dir, "api"),
      auto: true,
      env: production
        ? { NODE_ENV: "production", PORT: "3000", DATABASE_URL: "postgres://db.internal/app" }
        : { NODE_ENV: "development", PORT: "3000" },
      instances: 4,
      stop: { signal: "SIGINT", timeoutMs: 5000 },
      maxMemory: "300M",
    },
    {
      name: "worker",
      exec: [nodePath, join(dir, "worker.js"), "--queue", "emails"],
      cwd: dir,
      auto: true,
      env: { NODE_ENV: production ? "production" : "development" },
      stop: { signal: "SIGINT" },
      maxMemory: "1G",
    },
    {
      name: "nightly-report",
      exec: ["bash", join(dir, "scripts/report.sh")],
      cwd: dir,
      auto: true,
      env: { REPORT_DIR: "/var/reports" },
      restart: "never",
      stop: { signal: "SIGINT" },
      cron: "0 3 * * *",
    },
  ];
}

/** The warnings the fixture gives: once per file, each naming the apps concerned. */
export function fixtureWarnings(file: string, production: boolean): string[] {
  return [
    ...(production ? [`${file}: nightly-report has no env_production and runs with env alone.`] : []),
    `${file}: api: each instance is a process of its own (PM2's cluster mode is not used); a program that listens on a fixed port itself must take god's socket (a "listen" in a JSON loader and listeners() from the watchgod library) or use a port per instance (GOD_INSTANCE is 0, 1, ...).`,
    `${file}: api: log_date_format is not honoured; god's log lines carry ISO 8601 timestamps.`,
  ];
}
