// Every form a check function may return, and what each becomes on the wire.

import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_MESSAGE_CHARS, runCheck, toCheckResult } from "../../src/lib/check-result.js";
import type { CheckContext } from "../../src/lib/options.js";

const context: CheckContext = { job: "web", pid: 4242, instance: 3, index: 0 };

test("status strings and booleans", () => {
  assert.deepEqual(toCheckResult("ok"), { status: "ok" });
  assert.deepEqual(toCheckResult("degraded"), { status: "degraded" });
  assert.deepEqual(toCheckResult("fail"), { status: "fail" });
  assert.deepEqual(toCheckResult(true), { status: "ok" });
  assert.deepEqual(toCheckResult(false), { status: "fail", message: "the check returned false" });
});

test("objects keep message and nextMs", () => {
  assert.deepEqual(toCheckResult({ status: "degraded", message: "slow", nextMs: 250 }), {
    status: "degraded",
    message: "slow",
    nextMs: 250,
  });
  assert.deepEqual(toCheckResult({ status: "ok", nextMs: "2s" }), { status: "ok", nextMs: 2000 });
  assert.deepEqual(toCheckResult({ status: "ok", message: null, nextMs: undefined }), { status: "ok" });
  assert.deepEqual(toCheckResult({ status: "ok", nextMs: -1 }).status, "fail");
  const long = toCheckResult({ status: "fail", message: "x".repeat(MAX_MESSAGE_CHARS * 2) });
  assert.equal(long.message?.length, MAX_MESSAGE_CHARS);
  assert.ok(long.message?.endsWith("..."));
});

test("anything else fails and says what was returned", () => {
  assert.deepEqual(toCheckResult(42), {
    status: "fail",
    message:
      'the check returned 42; expected "ok", "degraded", "fail", a boolean or {status, message?, nextMs?}',
  });
  assert.match(toCheckResult(undefined).message ?? "", /^the check returned undefined;/);
  assert.match(toCheckResult("okay").message ?? "", /^the check returned "okay";/);
  assert.match(toCheckResult({ status: "good" }).message ?? "", /an object with status "good"/);
});

test("runCheck awaits promises and turns throws into fail with their message", async () => {
  assert.deepEqual(await runCheck(async () => "degraded", context), { status: "degraded" });
  assert.deepEqual(await runCheck(() => Promise.resolve(true), context), { status: "ok" });
  assert.deepEqual(
    await runCheck(() => {
      throw new Error("boom");
    }, context),
    { status: "fail", message: "boom" },
  );
  assert.deepEqual(await runCheck(() => Promise.reject(new Error("nope")), context), {
    status: "fail",
    message: "nope",
  });
  assert.deepEqual(
    await runCheck(() => {
      throw "plain string";
    }, context),
    { status: "fail", message: "plain string" },
  );
  let seen: CheckContext | null = null;
  await runCheck((c) => {
    seen = c;
    return "ok";
  }, context);
  assert.deepEqual(seen, context);
});
