// /metrics: the Prometheus text format (version 0.0.4), written by hand: it is a few lines of escaping, and a
// client library would cost god ~12 MB of memory and ~100 ms of start (docs/http.md has the figures).
// Per job: state, up, restarts, last check status and latency, instances' CPU and memory from /proc, listen
// sockets, log lines dropped on a full disk; per loader: state; and god's own process metrics under the names
// client libraries use.

import { compareNames } from "../core/name-order.js";
import type { LoaderJson } from "../protocol/control.js";
import { JOB_STATES, LOADER_STATES } from "../protocol/states.js";
import type { JobView, UsageSource } from "./sources.js";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;
type Sample = [labels: Labels, value: number];

const CHECK_STATUSES = ["ok", "degraded", "fail"] as const;

/** Computed once: recomputing from the uptime at each scrape would make it jitter. */
const START_TIME_SECONDS = Math.round(Date.now() - process.uptime() * 1000) / 1000;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function number(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

class MetricsText {
  private readonly lines: string[] = [];

  family(name: string, type: "gauge" | "counter", help: string, samples: Sample[]): void {
    if (samples.length === 0) return;
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    this.lines.push(`# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      this.lines.push(`${name}${pairs.length > 0 ? `{${pairs.join(",")}}` : ""} ${number(value)}`);
    }
  }

  toString(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

export interface MetricsInput {
  jobs: Iterable<JobView>;
  usage: UsageSource;
  loaders: LoaderJson[];
  version: string;
  /** Lines of each job dropped because its log file could not be written (a full disk), since god started. */
  droppedLines?: ReadonlyMap<string, number>;
}

export function renderMetrics(input: MetricsInput): string {
  const jobs = [...input.jobs].map((view) => ({ view, json: view.toJson() }));
  jobs.sort((a, b) => compareNames(a.json.name, b.json.name));
  const groups = new Map(jobs.map(({ json, view }) => [json.name, view.instances().map((i) => i.pgid)]));
  const usage = input.usage.groups(new Set([...groups.values()].flat()));
  const sum = (name: string, key: "cpuSeconds" | "rssBytes" | "processes") =>
    (groups.get(name) ?? []).reduce((total, pgid) => total + (usage.get(pgid)?.[key] ?? 0), 0);
  const live = jobs.filter(({ json }) => (groups.get(json.name) ?? []).some((pgid) => usage.has(pgid)));

  const out = new MetricsText();
  out.family(
    "god_job_state",
    "gauge",
    "The job's state: 1 for the state it is in, 0 for the others.",
    jobs.flatMap(({ json }) =>
      JOB_STATES.map((s): Sample => [{ job: json.name, state: s }, +(json.state === s)]),
    ),
  );
  out.family(
    "god_job_up",
    "gauge",
    "1 when the job is ready (running or degraded), else 0.",
    jobs.map(({ json }) => [{ job: json.name }, +(json.state === "running" || json.state === "degraded")]),
  );
  out.family(
    "god_job_want_up",
    "gauge",
    "1 when god is asked to keep the job running, 0 when it was stopped or never started.",
    jobs.map(({ json }) => [{ job: json.name }, +(json.want === "up")]),
  );
  out.family(
    "god_job_auto",
    "gauge",
    "1 when the job starts with god (auto), else 0; /healthz looks at these jobs.",
    jobs.map(({ json, view }) => [{ job: json.name }, +view.config.auto]),
  );
  out.family(
    "god_job_restarts_total",
    "counter",
    "Restarts of the job since god started.",
    jobs.map(({ json }) => [{ job: json.name }, json.restarts]),
  );
  out.family(
    "god_job_uptime_seconds",
    "gauge",
    "Seconds since the live instance was started.",
    jobs.flatMap(({ json }): Sample[] =>
      json.uptimeMs === null ? [] : [[{ job: json.name }, json.uptimeMs / 1000]],
    ),
  );
  const checked = jobs.filter(({ json }) => json.check !== null);
  out.family(
    "god_job_check_status",
    "gauge",
    "The last check's result: 1 for its status, 0 for the others.",
    checked.flatMap(({ json }) =>
      CHECK_STATUSES.map((s): Sample => [{ job: json.name, status: s }, +(json.check?.status === s)]),
    ),
  );
  out.family(
    "god_job_check_timestamp_seconds",
    "gauge",
    "When the last check ended (Unix time).",
    checked.map(({ json }) => [{ job: json.name }, Date.parse(json.check?.at ?? "") / 1000]),
  );
  out.family(
    "god_job_check_latency_seconds",
    "gauge",
    "How long the last check took.",
    checked.flatMap(({ json, view }): Sample[] => {
      const ms = view.checkLatencyMs;
      return ms === null ? [] : [[{ job: json.name }, ms / 1000]];
    }),
  );
  out.family(
    "god_job_instances",
    "gauge",
    "Live instances of the job (a reload briefly has two).",
    jobs.map(({ json, view }) => [{ job: json.name }, view.instances().length]),
  );
  out.family(
    "god_job_processes",
    "gauge",
    "Processes in the process groups of the job's instances.",
    live.map(({ json }) => [{ job: json.name }, sum(json.name, "processes")]),
  );
  out.family(
    "god_job_cpu_seconds_total",
    "counter",
    "User and system CPU time of the instances' process groups, reaped children included.",
    live.map(({ json }) => [{ job: json.name }, sum(json.name, "cpuSeconds")]),
  );
  out.family(
    "god_job_resident_memory_bytes",
    "gauge",
    "Resident memory of the instances' process groups (their RSS summed).",
    live.map(({ json }) => [{ job: json.name }, sum(json.name, "rssBytes")]),
  );
  out.family(
    "god_job_listen_sockets",
    "gauge",
    "Listening sockets god holds for the job (its `listen` entries).",
    jobs.map(({ json, view }) => [{ job: json.name }, Object.keys(view.config.listen).length]),
  );
  writeInstanceMetrics(out, jobs, usage);
  const dropped = input.droppedLines ?? new Map<string, number>();
  const droppedJobs = [...new Set([...jobs.map(({ json }) => json.name), ...dropped.keys()])].sort();
  out.family(
    "god_log_lines_dropped_total",
    "counter",
    "Lines of the job's output dropped because its log file could not be written (a full disk).",
    droppedJobs.map((job) => [{ job }, dropped.get(job) ?? 0]),
  );
  out.family(
    "god_loader_state",
    "gauge",
    "The loader's state: 1 for the state it is in, 0 for the others.",
    input.loaders.flatMap((l) =>
      LOADER_STATES.map((s): Sample => [{ loader: l.path, state: s }, +(l.state === s)]),
    ),
  );
  out.family("god_build_info", "gauge", "The watchgod version of this god.", [
    [{ version: input.version }, 1],
  ]);
  writeProcessMetrics(out, input.usage);
  return out.toString();
}

/**
 * Per instance (SPEC 12), labelled {job, index}: `index` rather than `instance`, which Prometheus gives the
 * scraped target. A job of one instance has these too, so a query does not depend on the count.
 */
function writeInstanceMetrics(
  out: MetricsText,
  jobs: Array<{ view: JobView; json: ReturnType<JobView["toJson"]> }>,
  usage: ReadonlyMap<number, { cpuSeconds: number; rssBytes: number; processes: number }>,
): void {
  const rows = jobs.flatMap(({ view, json }) =>
    json.instances.map((inst) => {
      const pgids = view
        .instances()
        .filter((live) => live.index === inst.index)
        .map((live) => live.pgid);
      return { labels: { job: json.name, index: String(inst.index) }, inst, pgids };
    }),
  );
  const live = rows.filter((r) => r.pgids.some((pgid) => usage.has(pgid)));
  const sum = (pgids: number[], key: "cpuSeconds" | "rssBytes") =>
    pgids.reduce((total, pgid) => total + (usage.get(pgid)?.[key] ?? 0), 0);
  out.family(
    "god_instance_up",
    "gauge",
    "1 when the instance is ready (running or degraded), else 0.",
    rows.map((r): Sample => [r.labels, +(r.inst.state === "running" || r.inst.state === "degraded")]),
  );
  out.family(
    "god_instance_restarts_total",
    "counter",
    "Restarts of the instance since god started.",
    rows.map((r): Sample => [r.labels, r.inst.restarts]),
  );
  out.family(
    "god_instance_uptime_seconds",
    "gauge",
    "Seconds since the instance's live process was started.",
    rows.flatMap((r): Sample[] => (r.inst.uptimeMs === null ? [] : [[r.labels, r.inst.uptimeMs / 1000]])),
  );
  out.family(
    "god_instance_adopted",
    "gauge",
    "1 when the instance's process was adopted from a previous god, else 0.",
    rows.map((r): Sample => [r.labels, +r.inst.adopted]),
  );
  out.family(
    "god_instance_cpu_seconds_total",
    "counter",
    "User and system CPU time of the instance's process group, reaped children included.",
    live.map((r): Sample => [r.labels, sum(r.pgids, "cpuSeconds")]),
  );
  out.family(
    "god_instance_resident_memory_bytes",
    "gauge",
    "Resident memory of the instance's process group.",
    live.map((r): Sample => [r.labels, sum(r.pgids, "rssBytes")]),
  );
}

function writeProcessMetrics(out: MetricsText, usage: UsageSource): void {
  const cpu = process.cpuUsage();
  const self = usage.self();
  out.family("process_cpu_user_seconds_total", "counter", "User CPU time of god.", [[{}, cpu.user / 1e6]]);
  out.family("process_cpu_system_seconds_total", "counter", "System CPU time of god.", [
    [{}, cpu.system / 1e6],
  ]);
  out.family("process_cpu_seconds_total", "counter", "User and system CPU time of god.", [
    [{}, (cpu.user + cpu.system) / 1e6],
  ]);
  out.family("process_resident_memory_bytes", "gauge", "Resident memory of god.", [
    [{}, process.memoryUsage.rss()],
  ]);
  out.family("process_start_time_seconds", "gauge", "When god started (Unix time).", [
    [{}, START_TIME_SECONDS],
  ]);
  if (self.openFds !== null) {
    out.family("process_open_fds", "gauge", "Open file descriptors of god.", [[{}, self.openFds]]);
  }
  if (self.maxFds !== null) {
    out.family("process_max_fds", "gauge", "god's limit of open file descriptors.", [[{}, self.maxFds]]);
  }
}
