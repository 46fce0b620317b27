// /metrics against a real god: the text format is well formed, and the figures are the jobs' own: state,
// restarts, check status and latency, CPU and memory summed over each instance's process group, listen
// sockets, and god's own process metrics.

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { Sandbox } from "../helpers/god.js";
import { post, request, startHttpGod } from "./http-rig.js";

type Samples = Map<string, number>;

/** Parses the text format strictly: every sample's family has HELP and TYPE first, every line is valid. */
function parseMetrics(text: string): Samples {
  const samples: Samples = new Map();
  const described = new Set<string>();
  const typed = new Set<string>();
  assert.ok(text.endsWith("\n"), "the text ends with a newline");
  for (const line of text.trimEnd().split("\n")) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$/.exec(line);
    if (help) {
      assert.ok(!described.has(help[1]!), `one HELP for ${help[1]}`);
      described.add(help[1]!);
      continue;
    }
    if (type) {
      typed.add(type[1]!);
      continue;
    }
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$/.exec(line);
    assert.ok(sample, `a valid sample line: ${line}`);
    const name = sample[1]!;
    assert.ok(described.has(name) && typed.has(name), `HELP and TYPE come before ${name}`);
    const value = Number(sample[3]);
    assert.ok(!Number.isNaN(value) || sample[3] === "NaN", `a number: ${line}`);
    samples.set(`${name}${sample[2] ?? ""}`, value);
  }
  return samples;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("/metrics", () => {
  const sandbox = new Sandbox("god-http-metrics-");
  let base = "";

  before(async () => {
    const port = await freePort();
    sandbox.libLoader(
      "app",
      `
job("web", { exec: ["sleep", "1000"], auto: true, check: { every: "1m", probe: command(["sleep", "0.2"]) } });
job("group", { exec: ["sh", "-c", "sleep 1000 & sleep 1000 & wait"], auto: true });
job("busy", { exec: ["sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; exec sleep 1000"], auto: true });
job("pair", { exec: ["sleep", "1000"], auto: true, instances: 2 });
job("holder", { exec: ["sleep", "1000"], listen: { http: "tcp://127.0.0.1:${port}", admin: "tcp://127.0.0.1:${port + 1}" } });
`,
    );
    base = await startHttpGod(sandbox);
    for (const name of ["web", "group", "busy", "pair"]) {
      const job = await sandbox.untilState(name, "running");
      for (const inst of job.instances) sandbox.track(inst.pid);
    }
  });
  after(() => sandbox.cleanup());

  const scrape = async (): Promise<Samples> => {
    const answer = await request(`${base}/metrics`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    return parseMetrics(answer.body);
  };

  it("is well-formed text with every job's state, up and auto", async () => {
    const m = await scrape();
    assert.equal(m.get('god_job_state{job="web",state="running"}'), 1);
    assert.equal(m.get('god_job_state{job="web",state="stopped"}'), 0);
    assert.equal(m.get('god_job_state{job="holder",state="stopped"}'), 1);
    assert.equal(m.get('god_job_up{job="web"}'), 1);
    assert.equal(m.get('god_job_up{job="holder"}'), 0);
    assert.equal(m.get('god_job_auto{job="web"}'), 1);
    assert.equal(m.get('god_job_auto{job="holder"}'), 0);
    assert.equal(m.get('god_job_listen_sockets{job="holder"}'), 2);
    assert.equal(m.get('god_job_listen_sockets{job="web"}'), 0);
    assert.equal(m.get('god_job_instances{job="web"}'), 1);
    assert.equal(
      m.get("god_loader_state{loader=" + JSON.stringify(`${sandbox.dir}/app`) + ',state="idle"}'),
      1,
    );
  });

  it("counts restarts", async () => {
    const before = (await scrape()).get('god_job_restarts_total{job="group"}')!;
    const answer = await post(`${base}/api/jobs/group/restart`);
    assert.equal(answer.status, 200, answer.body);
    sandbox.track((JSON.parse(answer.body) as { pid: number }).pid);
    assert.equal((await scrape()).get('god_job_restarts_total{job="group"}'), before + 1);
  });

  it("has the last check's status and how long it took", async () => {
    const m = await sandbox.until("web's check in the metrics", async () => {
      const m = await scrape();
      return m.has('god_job_check_latency_seconds{job="web"}') ? m : undefined;
    });
    assert.equal(m.get('god_job_check_status{job="web",status="ok"}'), 1);
    assert.equal(m.get('god_job_check_status{job="web",status="fail"}'), 0);
    const latency = m.get('god_job_check_latency_seconds{job="web"}')!;
    assert.ok(latency >= 0.15 && latency < 10, `latency ${latency} s for a check that sleeps 0.2 s`);
    const at = m.get('god_job_check_timestamp_seconds{job="web"}')!;
    assert.ok(Math.abs(at - Date.now() / 1000) < 120);
    assert.equal(m.has('god_job_check_status{job="group",status="ok"}'), false, "no check, no status");
  });

  it("sums CPU and memory over each instance's process group", async () => {
    const m = await sandbox.until("busy's CPU time", async () => {
      const m = await scrape();
      return (m.get('god_job_cpu_seconds_total{job="busy"}') ?? 0) >= 0.05 ? m : undefined;
    });
    assert.equal(m.get('god_job_processes{job="group"}'), 3, "sh and its two sleeps");
    assert.equal(m.get('god_job_processes{job="web"}'), 1);
    const groupRss = m.get('god_job_resident_memory_bytes{job="group"}')!;
    const webRss = m.get('god_job_resident_memory_bytes{job="web"}')!;
    assert.ok(webRss > 100_000, `web's RSS ${webRss}`);
    assert.ok(groupRss > webRss, `the group's RSS (${groupRss}) is more than one sleep's (${webRss})`);
    assert.equal(m.has('god_job_cpu_seconds_total{job="holder"}'), false, "no instance, no CPU figure");
  });

  it("has each instance's up, restarts, uptime, adoption, CPU and memory, labelled by job and index", async () => {
    const m = await scrape();
    const pair = (await sandbox.job("pair"))!;
    for (const index of ["0", "1"]) {
      const labels = `{job="pair",index="${index}"}`;
      assert.equal(m.get(`god_instance_up${labels}`), 1);
      assert.equal(m.get(`god_instance_restarts_total${labels}`), 0);
      assert.equal(m.get(`god_instance_adopted${labels}`), 0);
      assert.ok(m.get(`god_instance_uptime_seconds${labels}`)! >= 0);
      assert.ok(m.get(`god_instance_resident_memory_bytes${labels}`)! > 100_000);
      assert.ok(m.has(`god_instance_cpu_seconds_total${labels}`));
    }
    assert.equal(m.get('god_job_instances{job="pair"}'), 2);
    assert.equal(pair.instances.length, 2);
    // One instance's process group, not the job's sum.
    assert.equal(
      m.get('god_instance_resident_memory_bytes{job="group",index="0"}'),
      m.get('god_job_resident_memory_bytes{job="group"}'),
    );
    assert.equal(m.get('god_instance_up{job="holder",index="0"}'), 0, "a stopped job's instance is down");
  });

  it("has god's own process metrics", async () => {
    const m = await scrape();
    assert.ok(m.get("process_resident_memory_bytes")! > 10_000_000);
    assert.ok(m.get("process_cpu_seconds_total")! > 0);
    assert.ok(m.get("process_open_fds")! > 5);
    assert.ok(m.get("process_max_fds")! >= m.get("process_open_fds")!);
    const start = m.get("process_start_time_seconds")!;
    assert.ok(start <= Date.now() / 1000 && start > Date.now() / 1000 - 600, `start time ${start}`);
    assert.equal([...m.keys()].filter((k) => k.startsWith("god_build_info{")).length, 1);
  });
});
