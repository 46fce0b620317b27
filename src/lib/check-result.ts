// Runs a check function and turns whatever it returns (a status, a boolean, an object, a promise of one, a
// throw) into the wire's {status, message?, nextMs?}. Anything unexpected is a "fail" that says what came back,
// so a buggy check shows up in `god status` instead of passing.

import { describeValue, errorMessage, isRecord } from "./describe.js";
import { durationMs } from "./duration.js";
import type { CheckContext, CheckFunction } from "./options.js";
import type { CheckResult, CheckStatus } from "./wire.js";

/** god keeps the first 1000 characters (docs/protocol.md); cutting here marks the cut and keeps lines small. */
export const MAX_MESSAGE_CHARS = 1000;

const EXPECTED = 'expected "ok", "degraded", "fail", a boolean or {status, message?, nextMs?}';

function isStatus(value: unknown): value is CheckStatus {
  return value === "ok" || value === "degraded" || value === "fail";
}

function clip(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS - 3) + "..." : message;
}

function fail(message: string): CheckResult {
  return { status: "fail", message: clip(message) };
}

export function toCheckResult(value: unknown): CheckResult {
  if (isStatus(value)) return { status: value };
  if (value === true) return { status: "ok" };
  if (value === false) return fail("the check returned false");
  if (!isRecord(value) || !isStatus(value["status"])) {
    const got = isRecord(value)
      ? `an object with status ${describeValue(value["status"])}`
      : describeValue(value);
    return fail(`the check returned ${got}; ${EXPECTED}`);
  }
  const result: CheckResult = { status: value["status"] };
  const message = value["message"];
  if (message !== undefined && message !== null) result.message = clip(String(message));
  const next = value["nextMs"];
  if (next !== undefined && next !== null) {
    const ms = durationMs(next);
    if (ms === null) return fail(`the check returned nextMs ${describeValue(next)}; expected milliseconds`);
    result.nextMs = ms;
  }
  return result;
}

export async function runCheck(check: CheckFunction, context: CheckContext): Promise<CheckResult> {
  try {
    return toCheckResult(await check(context));
  } catch (error) {
    return fail(errorMessage(error));
  }
}
