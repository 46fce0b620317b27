// `god add`'s pure parts: the JobSpec its flags make (and the sentence for each flag it cannot use), the file's
// text, and what god's events mean for the command (done, failed with the instance's reason, or not yet).

import assert from "node:assert/strict";
import { test } from "node:test";
import { type AddFlags, addedJobSpec, addOutcome, jobFileText } from "../../src/cli/added-job.js";
import type { InstanceJson, JobJson, LoaderJson } from "../../src/protocol/control.js";
import { parseHello } from "../../src/protocol/hello.js";

const FLAGS: AddFlags = {
  name: "web",
  command: ["node", "server.js", "--port", "3000"],
  instances: null,
  env: [],
  cwd: "/srv/app",
  listen: [],
  auto: true,
};

test("the flags make a JobSpec that a hello accepts", () => {
  const spec = addedJobSpec({
    ...FLAGS,
    instances: "4",
    env: ["NODE_ENV=production", "EMPTY=", "URL=a=b"],
    listen: ["http=127.0.0.1:8080", "admin=unix:/run/admin.sock"],
    auto: false,
  });
  assert.deepEqual(spec, {
    name: "web",
    exec: ["node", "server.js", "--port", "3000"],
    cwd: "/srv/app",
    auto: false,
    env: { NODE_ENV: "production", EMPTY: "", URL: "a=b" },
    instances: 4,
    listen: { http: "tcp://127.0.0.1:8080", admin: "unix:/run/admin.sock" },
  });
  const hello = parseHello({ protocol: "godv1", loader: { name: "web.json" }, jobs: [spec] });
  assert.ok(hello.ok && hello.jobErrors.length === 0, JSON.stringify(hello));
  assert.deepEqual(JSON.parse(jobFileText(spec)), { jobs: [spec] });
  assert.equal(addedJobSpec({ ...FLAGS, instances: "max" }).instances, "max");
  assert.deepEqual(Object.keys(addedJobSpec(FLAGS)), ["name", "exec", "cwd", "auto"]);
});

test("each flag god cannot use is one sentence naming it (a usage error, exit 2)", () => {
  const cases: Array<[Partial<AddFlags>, string]> = [
    [
      { name: "my app" },
      '"my app" is not a job name; use 1 to 64 letters, digits, "_", "." or "-" (run `god add --help`).',
    ],
    [{ command: [] }, "`god add` needs the command after --: god add web -- COMMAND ARGS..."],
    [{ instances: "0" }, '-i 0: expected a count from 1 to 1024, or "max" (one per CPU).'],
    [{ instances: "two" }, '-i two: expected a count from 1 to 1024, or "max" (one per CPU).'],
    [{ env: ["NODE_ENV"] }, "--env NODE_ENV: expected NAME=VALUE, such as --env NODE_ENV=production."],
    [{ env: ["=x"] }, "--env =x: expected NAME=VALUE, such as --env NODE_ENV=production."],
    [
      { listen: ["8080"] },
      '--listen 8080: expected NAME=ADDRESS, such as --listen http=tcp://127.0.0.1:8080 (NAME of letters, digits and "_").',
    ],
    [
      { listen: ["http=nowhere"] },
      "--listen http=nowhere: expected tcp://HOST:PORT or unix:PATH, such as tcp://127.0.0.1:8080, 127.0.0.1:8080 or unix:/run/app.sock.",
    ],
  ];
  for (const [flags, sentence] of cases) {
    assert.throws(
      () => addedJobSpec({ ...FLAGS, ...flags }),
      (error: Error & { exitCode?: number }) => error.message === sentence && error.exitCode === 2,
      sentence,
    );
  }
});

const FILE = "/home/u/.god/jobs/web.json";

function instance(index: number, overrides: Partial<InstanceJson> = {}): InstanceJson {
  return {
    index,
    pid: 100 + index,
    instance: 1,
    state: "running",
    want: "up",
    restarts: 0,
    uptimeMs: 0,
    check: null,
    lastExit: null,
    reason: null,
    adopted: false,
    processes: 1,
    usage: null,
    statusText: null,
    ...overrides,
  };
}

function job(instances: InstanceJson[], overrides: Partial<JobJson> = {}): JobJson {
  return {
    name: "web",
    state: "running",
    want: "up",
    pid: 100,
    instance: 1,
    restarts: 0,
    uptimeMs: 0,
    loader: FILE,
    check: null,
    lastExit: null,
    reason: null,
    instances,
    usage: null,
    maxMemory: null,
    statusText: null,
    adopted: false,
    ...overrides,
  };
}

function loader(overrides: Partial<LoaderJson> = {}): LoaderJson {
  const base: LoaderJson = {
    path: FILE,
    pid: null,
    state: "idle",
    dialect: "native",
    jobs: ["web"],
    error: null,
    restarts: 0,
    lastError: null,
  };
  return { ...base, ...overrides };
}

test("add is done once every instance is ready; --no-auto once the job is declared", () => {
  const starting = job([instance(0), instance(1, { state: "starting", pid: null })], { state: "degraded" });
  assert.equal(addOutcome(FILE, "web", true, starting, loader()), null, "one instance is still starting");
  const both = job([instance(0), instance(1, { state: "degraded" })]);
  assert.equal(addOutcome(FILE, "web", true, both, loader())?.type, "ok");
  const stopped = job([instance(0, { state: "stopped", pid: null })], { state: "stopped" });
  assert.equal(addOutcome(FILE, "web", false, stopped, loader())?.type, "ok");
  assert.equal(addOutcome(FILE, "web", true, stopped, loader()), null, "auto: it is about to start");
  const oneShot = job([instance(0, { state: "exited", lastExit: { code: 0, signal: null, at: "t" } })]);
  assert.equal(addOutcome(FILE, "web", true, oneShot, loader())?.type, "ok");
  assert.equal(addOutcome(FILE, "web", true, undefined, undefined), null, "not loaded yet");
});

test("add fails with the instance's reason, or with god's refusal of the file", () => {
  const crashed = job([
    instance(0),
    instance(1, { state: "backoff", reason: "exited with code 3; next start in 100 ms" }),
  ]);
  assert.deepEqual(addOutcome(FILE, "web", true, crashed, loader()), {
    type: "failed",
    message: "web failed to start (backoff: exited with code 3; next start in 100 ms)",
    refused: false,
  });
  const exited = job([instance(0, { state: "exited", lastExit: { code: 2, signal: null, at: "t" } })]);
  assert.equal(
    (addOutcome(FILE, "web", true, exited, loader()) as { message: string }).message,
    "web failed to start (exited: exited with code 2)",
  );
  const elsewhere = job([instance(0)], { loader: "/etc/god/Procfile" });
  const refused = loader({ jobs: [], error: 'job "web" is already declared by loader /etc/god/Procfile' });
  assert.deepEqual(addOutcome(FILE, "web", true, elsewhere, refused), {
    type: "failed",
    message: `god refused ${FILE}: job "web" is already declared by loader /etc/god/Procfile`,
    refused: true,
  });
});
