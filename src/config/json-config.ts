// A `*.json` loader file: `{"jobs": [JOBSPEC...]}`, the same as a hello's params. The jobs pass through as they
// are (god validates each one with its field path); what is checked here is what a file can get wrong and a
// program cannot: the JSON itself, the envelope, and fields that need a running loader.

import { describeValue } from "../lib/describe.js";
import type { ConfigJobSpec, Conversion } from "./config-job.js";
import { parseJsonText } from "./json-text.js";

const ENVELOPE_FIELDS = new Set(["jobs", "protocol", "loader"]);

export function convertJsonConfig(text: string, file: string): Conversion {
  const parsed = parseJsonText(text, file);
  if (!parsed.ok) return { jobs: [], warnings: [], errors: [parsed.error] };
  const value = parsed.value;
  const shape = `${file}: expected an object {"jobs": [JOBSPEC, ...]}`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const fix = Array.isArray(value) ? `; wrap the array as {"jobs": [...]}` : "";
    return { jobs: [], warnings: [], errors: [`${shape}, got ${describeValue(value)}${fix}.`] };
  }
  const record = value as Record<string, unknown>;
  const errors: string[] = [];
  const unknown = Object.keys(record).filter((key) => !ENVELOPE_FIELDS.has(key));
  if (unknown.length > 0) {
    errors.push(
      `${file}: unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")} at the top level; only "jobs" is read (each job is one entry of "jobs").`,
    );
  }
  const jobs = record["jobs"];
  if (!Array.isArray(jobs)) {
    errors.push(
      `${shape}; "jobs" is ${jobs === undefined ? "missing" : describeValue(jobs)}, give it an array of jobs.`,
    );
    return { jobs: [], warnings: [], errors };
  }
  jobs.forEach((job, i) => {
    if (typeof job !== "object" || job === null || Array.isArray(job)) {
      errors.push(`${file}: jobs[${i}]: expected a JobSpec object, got ${describeValue(job)}.`);
      return;
    }
    const spec = job as Record<string, unknown>;
    const check = spec["check"];
    if (typeof check === "object" && check !== null && !("probe" in check)) {
      errors.push(
        `${file}: jobs[${i}].check: a configuration file cannot answer checks; give check.probe ({"http": {"url": ...}}, {"tcp": {...}} or {"exec": [...]}) or write a loader program.`,
      );
    }
    if (spec["events"] !== undefined) {
      errors.push(
        `${file}: jobs[${i}].events: a configuration file cannot receive events; remove the field or write a loader program.`,
      );
    }
  });
  return { jobs: errors.length > 0 ? [] : (jobs as ConfigJobSpec[]), warnings: [], errors };
}
