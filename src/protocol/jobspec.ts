// The JobSpec: one TypeBox definition gives the TypeScript type, the runtime validation and the JSON Schema
// published in docs/ for loader authors in other languages. normalizeJobSpec fills the defaults (SPEC 3.1).

import { constants } from "node:os";
import { type Static, Type } from "@sinclair/typebox";
import { JOB_STATES } from "./states.js";

export const JOB_NAME_PATTERN = "^[A-Za-z0-9_.-]{1,64}$";
export const MAX_JOBS_PER_LOADER = 1000;

const Ms = (description: string) => Type.Integer({ minimum: 0, maximum: 2_147_483_647, description });
const PositiveMs = (description: string) => Type.Integer({ minimum: 1, maximum: 2_147_483_647, description });

export const JobName = Type.String({ pattern: JOB_NAME_PATTERN, description: "unique job name" });

export const ProbeSchema = Type.Union(
  [
    Type.Object(
      {
        http: Type.Object(
          {
            url: Type.String({ pattern: "^https?://", description: "URL to GET" }),
            status: Type.Optional(
              Type.Tuple(
                [Type.Integer({ minimum: 100, maximum: 599 }), Type.Integer({ minimum: 100, maximum: 599 })],
                {
                  description: "accepted status range [min, max]; default [200, 399]",
                },
              ),
            ),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        tcp: Type.Object(
          {
            host: Type.String({ minLength: 1 }),
            port: Type.Integer({ minimum: 1, maximum: 65535 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    Type.Object({ exec: Type.Array(Type.String(), { minItems: 1 }) }, { additionalProperties: false }),
  ],
  { description: "a check god performs itself" },
);

export const JobSpecSchema = Type.Object(
  {
    name: JobName,
    exec: Type.Array(Type.String(), {
      minItems: 1,
      description: "argv; argv[0] is looked up in PATH; no shell",
    }),
    env: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), {
        description: "merged over god's environment; null removes a variable",
      }),
    ),
    cwd: Type.Optional(Type.String({ minLength: 1, description: "working directory; default god's" })),
    auto: Type.Optional(Type.Boolean({ description: "start when god starts; default false" })),
    after: Type.Optional(Type.Array(JobName, { description: "start only once these jobs are ready" })),
    restart: Type.Optional(
      Type.Union([Type.Literal("always"), Type.Literal("on-failure"), Type.Literal("never")], {
        description: 'when an exited instance is started again; default "always"',
      }),
    ),
    backoff: Type.Optional(
      Type.Object(
        {
          initialMs: Type.Optional(Ms("first wait; default 100")),
          maxMs: Type.Optional(Ms("longest wait; default 30000")),
          factor: Type.Optional(Type.Number({ minimum: 1, maximum: 100, description: "growth; default 2" })),
          resetAfterMs: Type.Optional(Ms("ready this long resets the backoff; default 10000")),
        },
        { additionalProperties: false },
      ),
    ),
    maxRestarts: Type.Optional(
      Type.Union([
        Type.Null(),
        Type.Object(
          { count: Type.Integer({ minimum: 0 }), windowMs: PositiveMs("the window") },
          { additionalProperties: false },
        ),
      ]),
    ),
    check: Type.Optional(
      Type.Union([
        Type.Null(),
        Type.Object(
          {
            intervalMs: Type.Optional(PositiveMs("between checks; default 5000")),
            timeoutMs: Type.Optional(PositiveMs("per check; default 2000")),
            failures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: "default 3" })),
            graceMs: Type.Optional(Ms("after spawn, before the first ok; default 30000")),
            probe: Type.Optional(ProbeSchema),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
    stop: Type.Optional(
      Type.Object(
        {
          signal: Type.Optional(Type.String({ pattern: "^SIG[A-Z0-9]+$", description: 'default "SIGTERM"' })),
          timeoutMs: Type.Optional(Ms("then SIGKILL; default 10000")),
        },
        { additionalProperties: false },
      ),
    ),
    listen: Type.Optional(
      Type.Record(
        Type.String({ pattern: "^[A-Za-z0-9_]{1,64}$" }),
        Type.String({ pattern: "^(tcp://|unix:)" }),
        {
          description: "sockets god binds and holds: tcp://HOST:PORT or unix:PATH",
          additionalProperties: false,
        },
      ),
    ),
    reload: Type.Optional(Type.Union([Type.Literal("replace"), Type.Literal("restart")])),
    logs: Type.Optional(
      Type.Object(
        {
          timestamps: Type.Optional(Type.Boolean()),
          format: Type.Optional(Type.Union([Type.Literal("text"), Type.Literal("json")])),
          redact: Type.Optional(Type.Array(Type.String())),
          maxLineBytes: Type.Optional(Type.Integer({ minimum: 64, maximum: 16 * 1024 * 1024 })),
          merge: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    events: Type.Optional(Type.Array(Type.Union(JOB_STATES.map((s) => Type.Literal(s))))),
  },
  { additionalProperties: false, $id: "JobSpec" },
);

export type JobSpec = Static<typeof JobSpecSchema>;
export type Probe = Static<typeof ProbeSchema>;

export type RestartPolicy = "always" | "on-failure" | "never";

/** A JobSpec with every default filled in: what the supervisor works with. */
export interface JobConfig {
  name: string;
  exec: string[];
  env: Record<string, string | null>;
  cwd: string | null;
  auto: boolean;
  after: string[];
  restart: RestartPolicy;
  backoff: { initialMs: number; maxMs: number; factor: number; resetAfterMs: number };
  maxRestarts: { count: number; windowMs: number } | null;
  check: {
    intervalMs: number;
    timeoutMs: number;
    failures: number;
    graceMs: number;
    probe: Probe | null;
  } | null;
  stop: { signal: NodeJS.Signals; timeoutMs: number };
  listen: Record<string, string>;
  reload: "replace" | "restart";
  logs: {
    timestamps: boolean;
    format: "text" | "json";
    redact: string[];
    maxLineBytes: number;
    merge: boolean;
  };
  events: string[];
}

/** Checks what the schema cannot: signal names, regexes, addresses. Returns [path suffix, message] pairs. */
export function semanticErrors(spec: JobSpec): Array<[string, string]> {
  const errors: Array<[string, string]> = [];
  const signal = spec.stop?.signal;
  if (signal !== undefined && !Object.hasOwn(constants.signals, signal)) {
    errors.push([".stop.signal", `unknown signal "${signal}"`]);
  }
  spec.logs?.redact?.forEach((pattern, i) => {
    try {
      new RegExp(pattern, "g");
    } catch (error) {
      errors.push([`.logs.redact[${i}]`, `invalid regular expression: ${(error as Error).message}`]);
    }
  });
  for (const [name, address] of Object.entries(spec.listen ?? {})) {
    const problem = addressProblem(address);
    if (problem) errors.push([`.listen.${name}`, problem]);
  }
  return errors;
}

/** null when the listen address is well formed, else what is wrong with it. */
export function addressProblem(address: string): string | null {
  if (address.startsWith("unix:")) return address.length > 5 ? null : "expected unix:PATH";
  const match = /^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[^:[\]/]+):(\d{1,5})$/.exec(address);
  if (!match) return "expected tcp://HOST:PORT or unix:PATH";
  const port = Number(match[2]);
  if (port > 65535) return `port ${port} is out of range`;
  return null;
}

export function normalizeJobSpec(spec: JobSpec): JobConfig {
  const check = spec.check ?? null;
  const listen = spec.listen ?? {};
  return {
    name: spec.name,
    exec: [...spec.exec],
    env: { ...(spec.env ?? {}) },
    cwd: spec.cwd ?? null,
    auto: spec.auto ?? false,
    after: [...(spec.after ?? [])],
    restart: spec.restart ?? "always",
    backoff: {
      initialMs: spec.backoff?.initialMs ?? 100,
      maxMs: spec.backoff?.maxMs ?? 30_000,
      factor: spec.backoff?.factor ?? 2,
      resetAfterMs: spec.backoff?.resetAfterMs ?? 10_000,
    },
    maxRestarts: spec.maxRestarts ?? null,
    check:
      check === null
        ? null
        : {
            intervalMs: check.intervalMs ?? 5000,
            timeoutMs: check.timeoutMs ?? 2000,
            failures: check.failures ?? 3,
            graceMs: check.graceMs ?? 30_000,
            probe: check.probe ?? null,
          },
    stop: {
      signal: (spec.stop?.signal ?? "SIGTERM") as NodeJS.Signals,
      timeoutMs: spec.stop?.timeoutMs ?? 10_000,
    },
    listen: { ...listen },
    reload: spec.reload ?? (Object.keys(listen).length > 0 ? "replace" : "restart"),
    logs: {
      timestamps: spec.logs?.timestamps ?? true,
      format: spec.logs?.format ?? "text",
      redact: [...(spec.logs?.redact ?? [])],
      maxLineBytes: spec.logs?.maxLineBytes ?? 65_536,
      merge: spec.logs?.merge ?? false,
    },
    events: [...(spec.events ?? [])],
  };
}
