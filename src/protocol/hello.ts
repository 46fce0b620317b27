// The native dialect's `hello`: the envelope must be right or the whole hello is refused; each job is then
// validated on its own, so one bad JobSpec does not stop the loader's other jobs.

import type { Static } from "@sinclair/typebox";
import { type JobConfig, type JobSpec, normalizeJobSpec, semanticErrors } from "./jobspec.js";
import type { HelloSchema } from "./schema-definitions.js";
import { HELLO_SCHEMA, JOBSPEC_SCHEMA } from "./schemas.generated.js";
import { schemaErrors } from "./validate.js";

export type HelloParams = Static<typeof HelloSchema>;

export interface JobError {
  /** The job's name when it had a readable one. */
  name: string | null;
  message: string;
}

export type HelloResult =
  | { ok: true; loader: { name: string; version: string | null }; jobs: JobConfig[]; jobErrors: JobError[] }
  | { ok: false; errors: string[] };

function readableName(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const name = (value as { name?: unknown }).name;
  return typeof name === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : null;
}

export function parseHello(params: unknown): HelloResult {
  const envelope = schemaErrors(HELLO_SCHEMA, params, "");
  if (envelope.length > 0) return { ok: false, errors: envelope };
  const hello = params as HelloParams;
  const jobs: JobConfig[] = [];
  const jobErrors: JobError[] = [];
  const names = new Set<string>();
  hello.jobs.forEach((raw, i) => {
    const base = `jobs[${i}]`;
    const name = readableName(raw);
    const errors = schemaErrors(JOBSPEC_SCHEMA, raw, base);
    if (errors.length === 0) {
      const spec = raw as JobSpec;
      for (const [suffix, message] of semanticErrors(spec)) errors.push(`${base}${suffix}: ${message}`);
    }
    if (errors.length > 0) {
      jobErrors.push({ name, message: errors.join("; ") });
      return;
    }
    const config = normalizeJobSpec(raw as JobSpec);
    if (names.has(config.name)) {
      jobErrors.push({ name: config.name, message: `${base}.name: job "${config.name}" is declared twice` });
      return;
    }
    names.add(config.name);
    jobs.push(config);
  });
  return {
    ok: true,
    loader: { name: hello.loader.name, version: hello.loader.version ?? null },
    jobs,
    jobErrors,
  };
}
