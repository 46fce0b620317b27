// The JSON API against a real god: the same objects as the control socket, actions through the same handlers,
// the event stream, /healthz, and the HTTP layer's own answers (404, 405, 415).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Sandbox, type StatusJob } from "../helpers/god.js";
import { json, openSse, post, request, startHttpGod } from "./http-rig.js";

const LOADER = `
job("ticker", { exec: ["sh", "-c", "i=0; while true; i=$((i+1)); do echo tick $i; sleep 0.2; done"], auto: true });
job("web", { exec: ["sleep", "1000"], auto: true, check: { every: "1m", probe: command(["true"]) } });
job("manual", { exec: ["sleep", "1000"] });
`;

type Status = { jobs: StatusJob[] };
// Uptime and usage (read from /proc every second) move between two requests: only whether they are set counts.
const withoutClock = (jobs: StatusJob[]) =>
  jobs.map((j) => ({
    ...j,
    uptimeMs: j.uptimeMs === null ? null : 0,
    usage: j.usage === null ? null : "read",
    instances: j.instances.map((i) => ({
      ...i,
      uptimeMs: i.uptimeMs === null ? null : 0,
      usage: i.usage === null ? null : "read",
    })),
  }));

describe("the JSON API", () => {
  const sandbox = new Sandbox("god-http-api-");
  let base = "";

  before(async () => {
    sandbox.libLoader("app", LOADER);
    base = await startHttpGod(sandbox);
    await sandbox.untilState("ticker", "running");
    const web = await sandbox.until("web's first check", async () => {
      const j = await sandbox.job("web");
      return j?.state === "running" && j.check !== null ? j : undefined;
    });
    sandbox.track(web.pid);
    sandbox.track((await sandbox.job("ticker"))?.pid);
    // A process's usage comes with god's second reading of it, and god reads usage only while someone looks
    // (here the dashboard's charts, /api/usage): wait for it, so that two requests agree.
    await sandbox.until("the usage of the running jobs", async () => {
      await request(`${base}/api/usage`);
      const status = json<Status>(await request(`${base}/api/jobs`));
      return status.jobs.every((j) => j.state !== "running" || j.usage !== null);
    });
  });
  after(() => sandbox.cleanup());

  it("GET /api/jobs answers the object `god status --json` prints", async () => {
    const answer = await request(`${base}/api/jobs`);
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers["content-type"]), /^application\/json/);
    assert.equal(answer.headers["cache-control"], "no-store");
    const fromHttp = json<Status>(answer);
    const fromCli = JSON.parse((await sandbox.ctl(["status", "--json"])).stdout) as Status;
    assert.deepEqual(withoutClock(fromHttp.jobs), withoutClock(fromCli.jobs));
    assert.deepEqual(
      fromHttp.jobs.map((j) => j.name),
      ["manual", "ticker", "web"],
    );
  });

  it("GET /api/jobs/NAME answers one job; an unknown job is 404 with god's code, a bad name 400", async () => {
    const web = json<StatusJob>(await request(`${base}/api/jobs/web`));
    assert.equal(web.name, "web");
    assert.equal(web.state, "running");
    assert.equal(web.check?.status, "ok");

    const unknown = await request(`${base}/api/jobs/nosuchjob`);
    assert.equal(unknown.status, 404);
    const error = json<{ error: { code: number; message: string } }>(unknown).error;
    assert.equal(error.code, 1001);
    assert.match(error.message, /unknown job "nosuchjob"/);

    const bad = await request(`${base}/api/jobs/${encodeURIComponent("a b")}`);
    assert.equal(bad.status, 400);
  });

  it("GET /api/loaders answers the object `god loaders --json` prints", async () => {
    const fromHttp = json(await request(`${base}/api/loaders`));
    const fromCli = JSON.parse((await sandbox.ctl(["loaders", "--json"])).stdout) as unknown;
    assert.deepEqual(fromHttp, fromCli);
  });

  it("POST restart gives a new pid, and /api/events tells it", async () => {
    const events = await openSse(`${base}/api/events`);
    try {
      assert.equal(events.status, 200);
      assert.match(String(events.headers["content-type"]), /^text\/event-stream/);
      const snapshot = (await events.next((e) => e.event === "snapshot", "the snapshot")).data as {
        jobs: StatusJob[];
        loaders: unknown[];
      };
      const before = snapshot.jobs.find((j) => j.name === "web")!;
      assert.equal(snapshot.loaders.length, 1);

      const answer = await post(`${base}/api/jobs/web/restart`);
      assert.equal(answer.status, 200, answer.body);
      const after = json<StatusJob>(answer);
      sandbox.track(after.pid);
      assert.equal(after.state, "running");
      assert.notEqual(after.pid, before.pid);
      assert.ok(after.pid !== null);

      const seen = await events.next(
        (e) =>
          e.event === "job" &&
          (e.data as StatusJob).name === "web" &&
          (e.data as StatusJob).pid === after.pid,
        "a job event with web's new pid",
      );
      assert.equal((seen.data as StatusJob).instance, after.instance);
    } finally {
      events.close();
    }
  });

  it("POST with ?wait=0 answers before the outcome; stop and start work the same way", async () => {
    const started = json<StatusJob>(await post(`${base}/api/jobs/manual/start?wait=0`));
    assert.equal(started.name, "manual");
    assert.equal(started.want, "up");
    const running = await sandbox.untilState("manual", "running");
    sandbox.track(running.pid);
    const stopped = json<StatusJob>(await post(`${base}/api/jobs/manual/stop`));
    assert.equal(stopped.state, "stopped");
    assert.equal(stopped.pid, null);
  });

  it("/healthz is 200 while every auto job is up, 503 naming the ones that are not", async () => {
    const healthy = await request(`${base}/healthz`);
    assert.equal(healthy.status, 200);
    assert.deepEqual(json(healthy), { ok: true });

    assert.equal((await post(`${base}/api/jobs/ticker/stop`)).status, 200);
    const failing = await request(`${base}/healthz`);
    assert.equal(failing.status, 503);
    assert.deepEqual(json(failing), { failing: ["ticker"] });

    const restarted = json<StatusJob>(await post(`${base}/api/jobs/ticker/start`));
    sandbox.track(restarted.pid);
    assert.equal((await request(`${base}/healthz`)).status, 200);
  });

  it("a failed action is 409 with god's sentence", async () => {
    sandbox.libLoader(
      "broken",
      `job("broken", { exec: ["/nonexistent/god-test-program"], restart: "never" });`,
    );
    await sandbox.until("the broken job", () => sandbox.job("broken"));
    const answer = await post(`${base}/api/jobs/broken/start`);
    assert.equal(answer.status, 409, answer.body);
    const error = json<{ error: { code: number; message: string } }>(answer).error;
    assert.equal(error.code, 1005);
    assert.match(error.message, /broken/);
  });

  it("GET /api/logs answers a job's newest lines from god's log service", async () => {
    const answer = await request(`${base}/api/logs?job=ticker&n=3`);
    assert.equal(
      answer.status,
      200,
      `${answer.body} (god's run.ts must pass its LogsService to startHttpServer as \`logs\`)`,
    );
    const lines = json<{ lines: Array<{ job: string; stream: string; msg: string }> }>(answer).lines;
    assert.equal(lines.length, 3);
    for (const line of lines) {
      assert.equal(line.job, "ticker");
      assert.equal(line.stream, "out");
      assert.match(line.msg, /^tick \d+$/);
    }
  });

  it("answers 404 off the routes, 405 with Allow for a wrong method, 415 for a POST that is not JSON", async () => {
    assert.equal((await request(`${base}/api/nothing`)).status, 404);
    const wrong = await request(`${base}/api/jobs/web/restart`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, "POST");
    const form = await request(`${base}/api/jobs/web/restart`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=b",
    });
    assert.equal(form.status, 415);
    const notJson = await request(`${base}/api/jobs/web/restart`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    assert.equal(notJson.status, 400);
    assert.equal((await request(`${base}/api/jobs/web/restart?wait=maybe`, { method: "POST" })).status, 415);
  });

  it("serves the dashboard at / with a strict Content-Security-Policy, gzip and an ETag", async () => {
    const page = await request(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers["content-type"]), /^text\/html/);
    assert.match(page.body, /<title>watchgod<\/title>/);
    assert.match(String(page.headers["content-security-policy"]), /default-src 'none'/);
    for (const asset of ["/app.js", "/style.css", "/favicon.svg"]) {
      assert.equal((await request(`${base}${asset}`)).status, 200, asset);
    }
    const zipped = await request(`${base}/app.js`, { headers: { "accept-encoding": "gzip" } });
    assert.equal(zipped.headers["content-encoding"], "gzip");
    const etag = String(zipped.headers.etag);
    assert.equal((await request(`${base}/app.js`, { headers: { "if-none-match": etag } })).status, 304);
    assert.equal((await request(`${base}/..%2fpackage.json`)).status, 404);
    assert.equal((await request(`${base}/nothing.js`)).status, 404);
  });
});
