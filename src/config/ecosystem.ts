// PM2's ecosystem file (`module.exports = { apps: [...] }`, already evaluated) to god's JobSpecs: the file's
// shapes, one JobSpec per app (ecosystem-app.ts), names unique, and the once-per-file warnings. Any error
// refuses the whole file.

import { describeValue, isRecord } from "../lib/describe.js";
import type { ConfigJobSpec, Conversion } from "./config-job.js";
import { convertApp } from "./ecosystem-app.js";
import { EcosystemNotes, notesSummary } from "./ecosystem-notes.js";
import type { EcosystemOptions } from "./ecosystem-options.js";

export type { EcosystemOptions } from "./ecosystem-options.js";

export function convertEcosystem(config: unknown, file: string, options: EcosystemOptions): Conversion {
  const errors: string[] = [];
  const warnings: string[] = [];
  const notes = new EcosystemNotes();
  let apps: unknown[];
  if (Array.isArray(config)) {
    apps = config;
  } else if (isRecord(config) && Array.isArray(config["apps"])) {
    apps = config["apps"];
    for (const key of Object.keys(config)) if (key !== "apps") notes.field(key, "top level");
  } else if (isRecord(config) && isRecord(config["apps"])) {
    apps = [config["apps"]];
  } else if (isRecord(config) && typeof config["script"] === "string") {
    apps = [config];
  } else {
    const got = isRecord(config) ? `an object without "apps"` : describeValue(config);
    return {
      jobs: [],
      warnings,
      errors: [
        `${file}: expected PM2's ecosystem format, an object { apps: [{ name, script, ... }] }, got ${got}; export it with module.exports = { apps: [...] }.`,
      ],
    };
  }
  const jobs: ConfigJobSpec[] = [];
  const firstIndex = new Map<string, number>();
  apps.forEach((app, i) => {
    const job = convertApp(app, i, file, options, notes, errors, warnings);
    if (job === null) return;
    const first = firstIndex.get(job.name);
    if (first !== undefined) {
      errors.push(
        `${file}: apps[${i}].name: "${job.name}" is also the name of apps[${first}]; give each app its own name.`,
      );
      return;
    }
    firstIndex.set(job.name, i);
    jobs.push(job);
  });
  warnings.push(...notesSummary(file, options.envName, notes, apps.length));
  if (apps.length === 0 && errors.length === 0) {
    warnings.push(`${file}: "apps" is empty, so it declares no job; add an app { name, script }.`);
  }
  return { jobs: errors.length > 0 ? [] : jobs, warnings, errors };
}
