// The protocol's schemas as TypeBox definitions: the TypeScript types of JobSpec and hello are derived from
// them, and scripts/gen-schema.mjs turns them into the JSON Schemas of docs/ and into schemas.generated.ts,
// the plain objects god validates with. Only types are imported from here at run time, so the daemon does
// not load TypeBox (9 MB of memory and a slow start for what a small checker does).

import { Type } from "@sinclair/typebox";
import { JOB_NAME_PATTERN, MAX_JOBS_PER_LOADER } from "./job-limits.js";
import { JOB_STATES } from "./states.js";

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
    instances: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 1024 }), Type.Literal("max")], {
        description:
          'processes of this job, each with its own index (GOD_INSTANCE); "max": one per CPU; default 1',
      }),
    ),
    ready: Type.Optional(
      Type.Union(
        [
          Type.Literal("notify"),
          Type.Object(
            {
              fd: Type.Integer({
                minimum: 3,
                maximum: 255,
                description: "the fd the instance writes a line to",
              }),
            },
            { additionalProperties: false },
          ),
        ],
        {
          description:
            'readiness from the instance itself: "notify" (systemd sd_notify READY=1 on NOTIFY_SOCKET) or {"fd": N} (a line on fd N, GOD_READY_FD); default: the first ok check',
        },
      ),
    ),
    readyTimeoutMs: Type.Optional(Ms("not ready in time is a failed start; default 60000 with ready")),
    watchdogMs: Type.Optional(
      PositiveMs('with ready "notify": a WATCHDOG=1 missing this long is a failed check'),
    ),
    maxMemory: Type.Optional(
      Type.Union(
        [Type.Integer({ minimum: 1 }), Type.String({ pattern: "^[0-9]+(\\.[0-9]+)?[KMGkmg]?[Bb]?$" })],
        {
          description:
            'RSS of the instance\'s whole process group (bytes, or "300M", "1G"; K/M/G are 1024-based) above which it is replaced',
        },
      ),
    ),
    cron: Type.Optional(
      Type.Union(
        [
          Type.String({ minLength: 1, maxLength: 200 }),
          Type.Object(
            {
              schedule: Type.String({ minLength: 1, maxLength: 200 }),
              timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            },
            { additionalProperties: false },
          ),
        ],
        {
          description: "restart (or start) the job at these times: five or six cron fields, with a time zone",
        },
      ),
    ),
    watch: Type.Optional(
      Type.Object(
        {
          paths: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 100 }),
          ignore: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000 })),
          debounceMs: Type.Optional(Ms("quiet time before the reload; default 500")),
        },
        {
          additionalProperties: false,
          description: "reload the job when files under these paths change (relative to cwd)",
        },
      ),
    ),
  },
  { additionalProperties: false, $id: "JobSpec" },
);

export const HelloSchema = Type.Object(
  {
    protocol: Type.Literal("godv1"),
    loader: Type.Object({
      name: Type.String({ minLength: 1, maxLength: 200 }),
      version: Type.Optional(Type.String({ maxLength: 200 })),
    }),
    jobs: Type.Array(Type.Unknown(), { maxItems: MAX_JOBS_PER_LOADER }),
  },
  { $id: "HelloParams" },
);
