// The watchgod dashboard: jobs (and the instances of a job of several), loaders and a log tail, kept live by
// god's server-sent events, with CPU and memory charts of the last 10 minutes polled from /api/usage each
// second. Plain JS, no build, nothing from elsewhere. Event streams are read with fetch (not EventSource) so they
// can carry the bearer token in a header; the token comes from a `#token=` fragment or the form, and stays in
// this tab.

import { createChart, drawChart, niceMax } from "./charts.js";

const TOKEN_KEY = "watchgod-token";
const MAX_LOG_LINES = 1000;
const FIRST_LOG_LINES = 200;

const $ = (id) => document.getElementById(id);
const jobs = new Map(); // name -> { tr, job, receivedAt, pending, charts, instances: Map(index -> row) }
const USAGE_POLL_MS = 1000;
let token = readToken();
const tokenWaiters = [];

/** An answer of god other than 2xx, with its status and god's sentence. */
class HttpFailure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function readToken() {
  const match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (match) {
    const value = decodeURIComponent(match[1]);
    sessionStorage.setItem(TOKEN_KEY, value);
    // Out of the address bar, the history and any screenshot.
    history.replaceState(null, "", location.pathname + location.search);
    return value;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function headers(extra = {}) {
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

async function failure(res) {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body?.error?.message) message = body.error.message;
  } catch {
    // not JSON: keep the status line
  }
  return new HttpFailure(res.status, message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** god sends a heartbeat every 15 s: a stream silent for this long is dead, though no one closed it. */
const SILENCE_MS = 45_000;

/** The events of a text/event-stream response, as {event, data} with data parsed from JSON. */
async function* events(url, signal) {
  const local = new AbortController();
  const stop = () => local.abort(signal.reason);
  signal?.addEventListener("abort", stop);
  let silence = 0;
  const arm = () => {
    clearTimeout(silence);
    silence = setTimeout(() => local.abort(new Error("no heartbeat from god")), SILENCE_MS);
  };
  arm();
  try {
    const res = await fetch(url, {
      headers: headers({ accept: "text/event-stream" }),
      signal: local.signal,
      cache: "no-store",
    });
    if (!res.ok) throw await failure(res);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      arm();
      buffer += value;
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line === "" || line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon === -1 ? line : line.slice(0, colon);
          const text = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event = text;
          else if (field === "data") data.push(text);
        }
        if (data.length > 0) yield { event, data: JSON.parse(data.join("\n")) };
      }
    }
  } finally {
    // Also when the caller stops early: the connection is closed, not left open.
    clearTimeout(silence);
    signal?.removeEventListener("abort", stop);
    local.abort();
  }
}

// ---- token ----------------------------------------------------------------------------------------------

function askToken(why) {
  const form = $("token-form");
  $("token-why").textContent = why;
  if (form.hidden) {
    form.hidden = false;
    $("token-input").focus();
  }
}

function tokenGiven() {
  return new Promise((resolve) => tokenWaiters.push(resolve));
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("token-input").value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  $("token-input").value = "";
  $("token-form").hidden = true;
  for (const resolve of tokenWaiters.splice(0)) resolve();
});

// ---- formatting -----------------------------------------------------------------------------------------

function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** What an instance says of itself (STATUS=, SPEC 11), quoted; nothing when it says nothing. */
function statusText(text) {
  return text ? `\u201c${text}\u201d` : "";
}

function stateTone(job) {
  switch (job.state) {
    case "running":
      return "ok";
    case "degraded":
    case "starting":
    case "backoff":
    case "stopping":
      return "warn";
    case "failed":
      return "bad";
    case "exited":
      return job.lastExit?.code === 0 ? "idle" : "bad";
    case "waiting":
      return job.want === "up" ? "warn" : "idle";
    default:
      return "idle";
  }
}

/** Binary units, short, as `god top` writes them: `512B`, `9.5K`, `300M`, `1.2G`. */
function bytes(n) {
  const units = ["B", "K", "M", "G", "T"];
  let value = Math.max(0, n);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)}B`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)}${units[unit]}`;
}

const CHECK_TONE = { ok: "ok", degraded: "warn", fail: "bad" };
const LOADER_TONE = { up: "ok", idle: "idle", down: "warn", failed: "bad" };

function basename(path) {
  return path.slice(path.lastIndexOf("/") + 1);
}

function clock(iso) {
  const d = new Date(iso);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// ---- connection and toast -------------------------------------------------------------------------------

function setConnection(state, text) {
  $("connection").dataset.state = state;
  $("connection-text").textContent = text;
}

let toastTimer = 0;
function toast(text, tone = "") {
  const el = $("toast");
  el.textContent = text;
  el.dataset.tone = tone;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.textContent = "";
  }, 6000);
}

// ---- jobs -----------------------------------------------------------------------------------------------

function field(tr, name) {
  return tr.querySelector(`[data-field="${name}"]`);
}

function renderRow(entry) {
  const { tr, job } = entry;
  field(tr, "name").textContent = job.name;
  const state = field(tr, "state");
  state.textContent = job.state;
  state.dataset.tone = stateTone(job);
  field(tr, "reason").textContent = job.reason ?? "";
  field(tr, "status").textContent = statusText(job.statusText);
  field(tr, "pid").textContent = job.pid ?? "—";
  field(tr, "restarts").textContent = String(job.restarts);
  const loader = field(tr, "loader");
  loader.textContent = basename(job.loader);
  loader.title = job.loader;
  const check = field(tr, "check");
  check.dataset.tone = job.check ? CHECK_TONE[job.check.status] : "none";
  field(tr, "check-message").textContent = job.check?.message ?? "";
  const coming = job.want === "up" && (job.state === "waiting" || job.state === "backoff");
  const up = ["starting", "running", "degraded"].includes(job.state) || coming;
  const down = ["stopped", "exited", "failed"].includes(job.state) || (job.state === "waiting" && !coming);
  for (const button of tr.querySelectorAll("button[data-action]")) {
    const action = button.dataset.action;
    const verb = action[0].toUpperCase() + action.slice(1);
    button.setAttribute("aria-label", `${verb} ${job.name}`);
    button.disabled = entry.pending || (action === "start" && up) || (action === "stop" && down);
  }
  tickRow(entry);
}

function tickRow(entry) {
  const { tr, job } = entry;
  const elapsed = performance.now() - entry.receivedAt;
  field(tr, "uptime").textContent = job.uptimeMs === null ? "—" : duration(job.uptimeMs + elapsed);
  const check = field(tr, "check");
  check.textContent = job.check
    ? `${job.check.status} · ${duration(Date.now() - Date.parse(job.check.at))} ago`
    : "—";
  for (const row of entry.instances.values()) {
    const uptimeMs = row.instance.uptimeMs;
    field(row.tr, "uptime").textContent = uptimeMs === null ? "—" : duration(uptimeMs + elapsed);
  }
}

// ---- instances ------------------------------------------------------------------------------------------

function addCharts(tr, label) {
  const charts = {};
  for (const kind of ["cpu", "memory"]) {
    const what = kind === "cpu" ? "CPU" : "Memory";
    charts[kind] = createChart(kind, `${what} of ${label}, last 10 minutes`, usage.samples);
    tr.querySelector(`[data-chart="${kind}"]`).append(charts[kind]);
  }
  return charts;
}

/** A job of several instances gets one row per instance under its own; a job of one, none. */
function syncInstances(entry) {
  const list = entry.job.instances ?? [];
  const wanted = list.length > 1 ? list : [];
  const keep = new Set(wanted.map((i) => i.index));
  for (const [index, row] of entry.instances) {
    if (!keep.has(index)) {
      row.tr.remove();
      entry.instances.delete(index);
    }
  }
  let after = entry.tr;
  for (const instance of wanted) {
    let row = entry.instances.get(instance.index);
    if (!row) {
      const tr = $("instance-row").content.firstElementChild.cloneNode(true);
      const label = `${entry.job.name}.${instance.index}`;
      tr.dataset.job = entry.job.name;
      tr.dataset.instance = String(instance.index);
      field(tr, "name").textContent = label;
      row = { tr, instance, charts: addCharts(tr, label) };
      entry.instances.set(instance.index, row);
    }
    row.instance = instance;
    after.after(row.tr);
    after = row.tr;
    const state = field(row.tr, "state");
    state.textContent = instance.state;
    state.dataset.tone = stateTone(instance);
    field(row.tr, "reason").textContent = instance.reason ?? "";
    field(row.tr, "status").textContent = statusText(instance.statusText);
    field(row.tr, "pid").textContent = instance.pid ?? "—";
    field(row.tr, "restarts").textContent = String(instance.restarts);
  }
}

// ---- usage charts ---------------------------------------------------------------------------------------

/** What /api/usage has sent so far: per `job/index`, the last `samples` values, the newest taken at endMs. */
const usage = { samples: 600, endMs: null, series: new Map(), maxMemory: new Map() };

function mergeUsage(answer) {
  if (answer.endMs !== null && usage.endMs !== null && answer.endMs < usage.endMs) {
    // Another god (restarted): its history replaces ours at the next poll.
    usage.endMs = null;
    usage.series.clear();
    return;
  }
  usage.samples = answer.samples;
  const full = usage.endMs === null;
  const seen = new Set();
  for (const job of answer.jobs) {
    usage.maxMemory.set(job.name, job.maxMemory);
    for (const instance of job.instances) {
      const key = `${job.name}/${instance.index}`;
      seen.add(key);
      let series = usage.series.get(key);
      if (!series || full) {
        series = { cpu: new Array(answer.samples).fill(null), rss: new Array(answer.samples).fill(null) };
        usage.series.set(key, series);
      }
      for (const [mine, theirs] of [
        [series.cpu, instance.cpuPercent],
        [series.rss, instance.rssBytes],
      ]) {
        mine.push(...theirs);
        mine.splice(0, mine.length - answer.samples);
      }
    }
  }
  // An instance god no longer keeps (scaled down, job removed) is gone from the charts too.
  for (const key of [...usage.series.keys()]) if (!seen.has(key)) usage.series.delete(key);
  usage.endMs = answer.endMs;
}

function sumSeries(list, pick) {
  if (list.length === 0) return [];
  const out = new Array(usage.samples).fill(null);
  for (const series of list) {
    pick(series).forEach((v, i) => {
      if (v !== null) out[i] = (out[i] ?? 0) + v;
    });
  }
  return out;
}

function drawPair(tr, charts, cpu, rss, limit) {
  const lastCpu = cpu.at(-1) ?? null;
  const lastRss = rss.at(-1) ?? null;
  field(tr, "cpu").textContent = lastCpu === null ? "—" : `${lastCpu.toFixed(1)}%`;
  const limitText = limit === null ? "" : ` / ${bytes(limit)}`;
  field(tr, "memory").textContent =
    lastRss === null ? (limit === null ? "—" : `—${limitText}`) : `${bytes(lastRss)}${limitText}`;
  const cpuMax = niceMax(Math.max(1, ...cpu.filter((v) => v !== null)));
  const rssMax = Math.max(limit ?? 0, ...rss.filter((v) => v !== null), 1);
  drawChart(charts.cpu, cpu, cpuMax, null);
  drawChart(charts.memory, rss, rssMax, limit);
}

function drawUsage(entry) {
  const name = entry.job.name;
  const limit = entry.job.maxMemory ?? usage.maxMemory.get(name) ?? null;
  const mine = [...usage.series.entries()].filter(([key]) => key.startsWith(`${name}/`));
  const all = mine.map(([, series]) => series);
  // The limit is per instance: the job's own chart shows it only when the job has one instance.
  const several = entry.instances.size > 0;
  drawPair(
    entry.tr,
    entry.charts,
    sumSeries(all, (s) => s.cpu),
    sumSeries(all, (s) => s.rss),
    several ? null : limit,
  );
  for (const [index, row] of entry.instances) {
    const series = usage.series.get(`${name}/${index}`);
    drawPair(row.tr, row.charts, series?.cpu ?? [], series?.rss ?? [], limit);
  }
}

async function pollUsage() {
  for (;;) {
    try {
      const since = usage.endMs === null ? "" : `?since=${usage.endMs}`;
      const res = await fetch(`/api/usage${since}`, { headers: headers(), cache: "no-store" });
      if (res.ok) {
        mergeUsage(await res.json());
        for (const entry of jobs.values()) drawUsage(entry);
      } else if (res.status === 401) {
        // The event stream asks for the token; polling again before it comes would only fill god's log.
        await tokenGiven();
        continue;
      } else if (res.status === 503 || res.status === 404) {
        // A god without the history: the charts stay empty, the rest of the page works.
        return;
      }
    } catch {
      // god restarting: the next poll tries again
    }
    await sleep(USAGE_POLL_MS);
  }
}

function upsertJob(job) {
  let entry = jobs.get(job.name);
  const before = entry?.job;
  if (!entry) {
    const tr = $("job-row").content.firstElementChild.cloneNode(true);
    tr.dataset.job = job.name;
    entry = {
      tr,
      job,
      receivedAt: performance.now(),
      pending: false,
      charts: addCharts(tr, job.name),
      instances: new Map(),
    };
    for (const button of tr.querySelectorAll("button[data-action]")) {
      button.addEventListener("click", () => act(entry, button.dataset.action));
    }
    jobs.set(job.name, entry);
    placeRow(entry);
    addLogOption(job.name);
  }
  entry.job = job;
  entry.receivedAt = performance.now();
  renderRow(entry);
  syncInstances(entry);
  drawUsage(entry);
  if (before && (before.state !== job.state || before.pid !== job.pid)) flash(entry.tr);
  summarize();
}

function placeRow(entry) {
  const body = $("job-rows");
  const next = [...body.children].find((tr) => tr.dataset.job.localeCompare(entry.job.name) > 0);
  body.insertBefore(entry.tr, next ?? null);
}

function removeJob(name) {
  const entry = jobs.get(name);
  if (!entry) return;
  entry.tr.remove();
  for (const row of entry.instances.values()) row.tr.remove();
  jobs.delete(name);
  removeLogOption(name);
  summarize();
}

function flash(tr) {
  tr.removeAttribute("data-flash");
  void tr.offsetWidth;
  tr.setAttribute("data-flash", "");
}

function summarize() {
  $("no-jobs").hidden = jobs.size > 0;
  const counts = new Map();
  for (const { job } of jobs.values()) counts.set(job.state, (counts.get(job.state) ?? 0) + 1);
  const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([state, n]) => `${n} ${state}`);
  $("summary").textContent =
    `${jobs.size} job${jobs.size === 1 ? "" : "s"}${parts.length ? `: ${parts.join(", ")}` : ""}`;
}

async function act(entry, action) {
  const name = entry.job.name;
  entry.pending = true;
  renderRow(entry);
  const busy = entry.tr.querySelector(`button[data-action="${action}"]`);
  busy.setAttribute("aria-busy", "true");
  toast(`${action} ${name}…`);
  try {
    const res = await fetch(`/api/jobs/${encodeURIComponent(name)}/${action}`, {
      method: "POST",
      headers: headers({ "content-type": "application/json" }),
      body: "{}",
    });
    if (!res.ok) {
      const error = await failure(res);
      if (res.status === 401) askToken(error.message);
      toast(`${action} ${name}: ${error.message}`, "bad");
      return;
    }
    const job = await res.json();
    upsertJob(job);
    toast(`${action} ${name}: done, ${job.state}${job.pid ? ` (pid ${job.pid})` : ""}`);
  } catch (error) {
    toast(`${action} ${name}: ${error.message}`, "bad");
  } finally {
    busy.removeAttribute("aria-busy");
    entry.pending = false;
    if (jobs.get(name) === entry) renderRow(entry);
  }
}

// ---- loaders --------------------------------------------------------------------------------------------

let loaders = new Map();

function renderLoaders() {
  const list = $("loaders");
  list.replaceChildren();
  for (const loader of [...loaders.values()].sort((a, b) => a.path.localeCompare(b.path))) {
    const li = document.createElement("li");
    const state = document.createElement("span");
    state.className = "state";
    state.dataset.tone = LOADER_TONE[loader.state] ?? "idle";
    state.textContent = loader.state;
    const path = document.createElement("code");
    path.textContent = loader.path;
    const info = document.createElement("span");
    info.className = "reason";
    const jobsText = `${loader.jobs.length} job${loader.jobs.length === 1 ? "" : "s"}`;
    info.textContent = [loader.pid ? `pid ${loader.pid}` : null, loader.dialect, jobsText]
      .filter(Boolean)
      .join(" · ");
    li.append(state, path, info);
    if (loader.error) {
      const error = document.createElement("span");
      error.className = "error";
      error.textContent = loader.error;
      li.append(error);
    }
    list.append(li);
  }
}

// ---- live state -----------------------------------------------------------------------------------------

function applySnapshot(snapshot) {
  const names = new Set(snapshot.jobs.map((j) => j.name));
  for (const name of [...jobs.keys()]) if (!names.has(name)) removeJob(name);
  for (const job of snapshot.jobs) upsertJob(job);
  loaders = new Map(snapshot.loaders.map((l) => [l.path, l]));
  renderLoaders();
  summarize();
}

async function followEvents() {
  let delayMs = 500;
  for (;;) {
    setConnection("connecting", "Connecting…");
    try {
      for await (const { event, data } of events("/api/events")) {
        delayMs = 500;
        if (event === "snapshot") {
          setConnection("live", "Live");
          applySnapshot(data);
        } else if (event === "job") upsertJob(data);
        else if (event === "removed") removeJob(data.name);
        else if (event === "loader") {
          loaders.set(data.path, data);
          renderLoaders();
        } else if (event === "closed") break;
      }
      setConnection("down", "Disconnected; reconnecting…");
    } catch (error) {
      if (error instanceof HttpFailure && error.status === 401) {
        setConnection("token", "Token needed");
        askToken(error.message);
        await tokenGiven();
        continue;
      }
      setConnection("down", `Disconnected (${error.message}); reconnecting…`);
    }
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, 10_000);
  }
}

// ---- log tail -------------------------------------------------------------------------------------------

let logAbort = null;
let pendingLines = [];
let flushTimer = 0;

function addLogOption(name) {
  const select = $("log-job");
  if ([...select.options].some((o) => o.value === name)) return;
  const option = new Option(name, name);
  const next = [...select.options].slice(1).find((o) => o.value.localeCompare(name) > 0);
  select.add(option, next ?? null);
}

function removeLogOption(name) {
  const select = $("log-job");
  const option = [...select.options].find((o) => o.value === name);
  if (!option) return;
  const selected = option.selected;
  option.remove();
  if (selected) {
    select.value = "";
    followLogs();
  }
}

function setLogState(text) {
  $("log-state").textContent = text;
}

function logNote(text) {
  const li = document.createElement("li");
  li.className = "note";
  li.textContent = text;
  pendingLines.push(li);
  scheduleFlush();
}

function appendLog(record) {
  const li = document.createElement("li");
  li.className = record.stream;
  const t = document.createElement("span");
  t.className = "t";
  t.textContent = `${clock(record.t)} `;
  t.title = record.t;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = `${record.job}[${record.pid}] ${record.stream}| `;
  const msg = document.createElement("span");
  msg.className = "msg";
  msg.textContent = record.msg;
  li.append(t, who, msg);
  pendingLines.push(li);
  scheduleFlush();
}

/** Lines are added in batches: a busy job may log thousands a second, the page redraws at most 20 times. */
function scheduleFlush() {
  if (flushTimer) return;
  flushTimer = setTimeout(() => {
    flushTimer = 0;
    const list = $("log-lines");
    const pinned = list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
    list.append(...pendingLines.splice(0));
    while (list.childElementCount > MAX_LOG_LINES) list.firstElementChild.remove();
    if (pinned) list.scrollTop = list.scrollHeight;
  }, 50);
}

function followLogs() {
  logAbort?.abort();
  const abort = new AbortController();
  logAbort = abort;
  const job = $("log-job").value;
  const query = `follow=1&n=${FIRST_LOG_LINES}${job ? `&job=${encodeURIComponent(job)}` : ""}`;
  void (async () => {
    let delayMs = 500;
    while (!abort.signal.aborted) {
      pendingLines = [];
      $("log-lines").replaceChildren();
      setLogState("Connecting…");
      try {
        let first = true;
        for await (const { event, data } of events(`/api/logs?${query}`, abort.signal)) {
          if (first) setLogState("Live");
          first = false;
          delayMs = 500;
          if (event === "log") appendLog(data);
          else if (event === "closed") {
            logNote(`god ended this stream: ${data.reason}`);
            break;
          }
        }
        if (first) setLogState("Live");
      } catch (error) {
        if (abort.signal.aborted) return;
        if (error instanceof HttpFailure && error.status === 401) {
          setLogState("Token needed");
          await tokenGiven();
          continue;
        }
        if (error instanceof HttpFailure && error.status === 503) {
          setLogState(error.message);
          return;
        }
        setLogState(`Disconnected (${error.message}); reconnecting…`);
      }
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, 10_000);
    }
  })();
}

$("log-job").addEventListener("change", followLogs);
$("log-clear").addEventListener("click", () => $("log-lines").replaceChildren());
$("log-wrap").addEventListener("change", (event) => {
  $("log-lines").classList.toggle("wrap", event.target.checked);
});

setInterval(() => {
  for (const entry of jobs.values()) tickRow(entry);
}, 1000);

summarize();
void followEvents();
void pollUsage();
followLogs();
