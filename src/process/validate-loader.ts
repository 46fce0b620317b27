// `god validate PATH`: runs one loader the way god would, without a daemon, and reports its jobs or every
// protocol error, so loader authors can test a loader on its own.

import { resolve } from "node:path";
import { dependencyErrors } from "../core/dependencies.js";
import type { JobConfig } from "../protocol/jobspec.js";
import { LEGACY_NEXT_MS } from "../protocol/legacy-cadence.js";
import { type AcceptedHello, FIRST_LINE_TIMEOUT_MS, LoaderConnection } from "./loader-connection.js";

export interface ValidateReport {
  ok: boolean;
  dialect: "native" | "legacy" | null;
  /** The legacy dialect's check cadence (its answers set each next check), for the report. */
  legacyNextCheckMs: number;
  loader: { name: string; version: string | null } | null;
  jobs: JobConfig[];
  errors: string[];
}

/** `launch` runs a loader that is not `PATH godv1`: god's built-in loader of a configuration file. */
export function validateLoader(
  path: string,
  launch?: { argv: string[]; env: Record<string, string> },
): Promise<ValidateReport> {
  const errors: string[] = [];
  let hello: AcceptedHello | null = null;
  return new Promise((done) => {
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      const jobs = hello?.jobs ?? [];
      for (const e of hello?.jobErrors ?? []) errors.push(e.message);
      const graph = dependencyErrors(new Map(jobs.map((j) => [j.name, j.after])), new Set());
      for (const [, message] of graph) errors.push(message);
      const rejected = new Set(graph.keys());
      done({
        ok: hello !== null && errors.length === 0,
        dialect: connection.dialect?.name ?? null,
        legacyNextCheckMs: LEGACY_NEXT_MS,
        loader: hello?.loader ?? null,
        jobs: jobs.filter((j) => !rejected.has(j.name)),
        errors,
      });
    };
    const connection = new LoaderConnection(
      resolve(path),
      {
        onHello: (h) => {
          hello = h;
          void connection.stop();
        },
        onEnd: (reason) => {
          if (reason !== null) errors.push(reason);
          finish();
        },
        onRequest: () => ({}),
        onForward: () => {},
        onNewLoaders: () => {},
        onLog: () => {},
        onStderr: (line) => {
          process.stderr.write(`${path}: ${line}\n`);
        },
        onMalformed: (problem, excerpt) => {
          errors.push(excerpt ? `${problem}: ${excerpt}` : problem);
        },
      },
      undefined,
      launch?.argv,
      launch?.env,
    );
    connection.start();
    setTimeout(() => void connection.stop(), FIRST_LINE_TIMEOUT_MS + 1000).unref();
  });
}
