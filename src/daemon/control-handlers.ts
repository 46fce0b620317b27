// The control methods (SPEC 5) as handlers over the supervisor: params are checked here, answers are the
// stable JSON shapes of protocol/control.ts. The control socket serves them; HTTP will serve the same table.

import type { LogsService } from "../logs/logs-service.js";
import type { ControlMethod, LoadersJson, UpgradeJson } from "../protocol/control.js";
import { ErrorCode, GodError } from "../protocol/errors.js";
import { renderStatus } from "../protocol/status-table.js";
import type { Handler } from "./control-server.js";
import type { Supervisor } from "./supervisor.js";

export interface HandlerDeps {
  supervisor: Supervisor;
  logs: LogsService;
  /** Stops every job and exits; with leaveJobs, exits at once leaving them running (SPEC 13). */
  shutdown: (leaveJobs: boolean) => Promise<void>;
  /** `status` with usage asked (`god top`): god reads usage for a while (SPEC 15). */
  wantUsage?: () => void;
  /** Says how god was started, then exits leaving every job running for the installed god (SPEC 13). */
  upgrade: () => Promise<UpgradeJson>;
  reloadLoaders: () => Promise<LoadersJson>;
}

/** An event subscriber that has left this much unread is cut off: it can neither slow god nor grow it. */
export const EVENTS_MAX_UNREAD_BYTES = 4 * 1024 * 1024;

function record(params: unknown): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (typeof params !== "object" || Array.isArray(params)) {
    throw new GodError(ErrorCode.InvalidParams, "params: expected an object");
  }
  return params as Record<string, unknown>;
}

function jobName(params: unknown): string {
  const job = record(params)["job"];
  if (typeof job !== "string" || job === "")
    throw new GodError(ErrorCode.InvalidParams, "params.job: expected a job name");
  return job;
}

function wait(params: unknown): boolean {
  const value = record(params)["wait"];
  if (value === undefined) return true;
  if (typeof value !== "boolean")
    throw new GodError(ErrorCode.InvalidParams, "params.wait: expected a boolean");
  return value;
}

function names(params: unknown): string[] {
  const jobs = record(params)["jobs"];
  if (jobs === undefined) return [];
  if (!Array.isArray(jobs) || !jobs.every((j) => typeof j === "string")) {
    throw new GodError(ErrorCode.InvalidParams, "params.jobs: expected an array of job names");
  }
  return jobs;
}

/** One handler per control method: the compiler holds this table to CONTROL_METHODS. */
export function controlHandlers(deps: HandlerDeps): Record<ControlMethod, Handler> {
  const { supervisor } = deps;
  const action =
    (name: string): Handler =>
    (params) =>
      supervisor.act(name, jobName(params), wait(params));
  return {
    // `instances` and `usage` (what `god top` asks for) are accepted: every answer has both; asking for usage
    // keeps god reading it for a while (the first answer may have none yet). `format: "text"` answers
    // {text}: the `god status` table, with a line per instance when `instances` is true.
    status: (params) => {
      const p = record(params);
      for (const flag of ["instances", "usage"]) {
        if (p[flag] !== undefined && typeof p[flag] !== "boolean")
          throw new GodError(ErrorCode.InvalidParams, `params.${flag}: expected a boolean`);
      }
      const format = p["format"];
      if (format !== undefined && format !== "json" && format !== "text")
        throw new GodError(ErrorCode.InvalidParams, 'params.format: expected "json" or "text"');
      if (p["usage"] === true) deps.wantUsage?.();
      const status = supervisor.status(names(params));
      return format === "text"
        ? { text: renderStatus(status, { instances: p["instances"] === true }) }
        : status;
    },
    start: action("start"),
    stop: action("stop"),
    restart: action("restart"),
    reload: action("reload"),
    check: (params) => supervisor.check(jobName(params)),
    loaders: () => supervisor.loadersJson(),
    "reload-loaders": () => deps.reloadLoaders(),
    // The newest lines at once; with follow, then every new line as a `log` notification on this connection
    // until the client goes or falls too far behind (then `log-closed` says why).
    logs: (params, context) => {
      const p = record(params);
      const n = p["n"] === undefined ? 20 : p["n"];
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 100_000) {
        throw new GodError(ErrorCode.InvalidParams, "params.n: expected an integer from 0 to 100000");
      }
      const jobs = names(params);
      for (const job of jobs) {
        // A job no loader declares any more still has its files; only a name with neither is unknown.
        if (!supervisor.jobs.has(job) && deps.logs.recent([job], 1).length === 0) supervisor.status([job]);
      }
      const records = deps.logs.recent(jobs, n);
      if (p["follow"] === true) {
        const stop = deps.logs.follow(jobs, {
          send: (r) => context.notify("log", r),
          bufferedBytes: () => context.bufferedBytes(),
          close: (reason) => {
            context.notify("log-closed", { reason });
            context.close(reason);
          },
        });
        context.onClose(stop);
      }
      return { records };
    },
    shutdown: async (params) => {
      const leave = record(params)["leaveJobs"];
      if (leave !== undefined && typeof leave !== "boolean") {
        throw new GodError(ErrorCode.InvalidParams, "params.leaveJobs: expected a boolean");
      }
      await deps.shutdown(leave === true);
      return {};
    },
    upgrade: () => deps.upgrade(),
    scale: (params) => {
      const count = record(params)["count"];
      if (typeof count !== "string" && typeof count !== "number") {
        throw new GodError(ErrorCode.InvalidParams, "params.count: expected N, +N or -N");
      }
      return supervisor.scale(jobName(params), String(count), wait(params));
    },
    // The state of every job and loader at once, then every change as a `change` notification on this
    // connection, until the client goes or falls too far behind (then `events-closed` says why).
    events: (_params, context) => {
      const stop = supervisor.subscribe((change) => {
        if (context.bufferedBytes() > EVENTS_MAX_UNREAD_BYTES) {
          stop();
          const reason = `the client fell behind: more than ${EVENTS_MAX_UNREAD_BYTES / (1024 * 1024)} MiB of events were not read`;
          context.notify("events-closed", { reason });
          context.close(reason);
          return;
        }
        context.notify("change", change);
      });
      context.onClose(stop);
      return { ...supervisor.status([]), ...supervisor.loadersJson() };
    },
  };
}
