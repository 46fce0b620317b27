// The answer to a `check` request, as god reads it: anything that is not a well-formed result is a "fail"
// that says what was wrong, so a broken check never looks healthy.

import type { CheckStatus } from "./control.js";

export interface CheckResult {
  status: CheckStatus;
  message: string | null;
  nextMs: number | null;
}

export function parseCheckResult(value: unknown): CheckResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      status: "fail",
      message: `invalid check result ${JSON.stringify(value)?.slice(0, 100)}`,
      nextMs: null,
    };
  }
  const record = value as Record<string, unknown>;
  const status = record["status"];
  if (status !== "ok" && status !== "degraded" && status !== "fail") {
    return {
      status: "fail",
      message: `invalid check status ${JSON.stringify(status)?.slice(0, 100)}`,
      nextMs: null,
    };
  }
  const message = typeof record["message"] === "string" ? record["message"].slice(0, 1000) : null;
  const next = record["nextMs"];
  const nextMs =
    typeof next === "number" && Number.isFinite(next) && next >= 0 ? Math.min(next, 86_400_000) : null;
  return { status, message, nextMs };
}
