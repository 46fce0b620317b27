// The one registry of error codes. Protocol codes travel in JSON-RPC `error.code` on the loader protocol and
// the control socket; docs/errors.md lists the same table and test/unit/errors-doc.test.ts keeps the two in step.
// Codes are never reused.

export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
  UnknownJob: 1001,
  InvalidState: 1002,
  NotPermitted: 1003,
  Timeout: 1004,
  ActionFailed: 1005,
  LoaderFailed: 1006,
  Closed: 1007,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The exit code of a god under systemd that leaves for `god upgrade` (EX_TEMPFAIL): its unit counts it a success
 * and starts god again at once (SuccessExitStatus and RestartForceExitStatus), and the new god adopts the jobs.
 */
export const UPGRADE_EXIT_CODE = 75;

export const errorCodeMeaning: Record<ErrorCode, string> = {
  [-32700]: "parse error: the line is not JSON",
  [-32600]: "invalid request: the JSON is not a JSON-RPC 2.0 message",
  [-32601]: "unknown method",
  [-32602]: "invalid params: a field is missing or has the wrong type (the message names its path)",
  [-32603]: "internal error of the answering side",
  1001: "unknown job: no loader declares a job of that name",
  1002: "invalid state: the job cannot take that action in its current state",
  1003: "not permitted: a loader may control only the jobs it declared",
  1004: "timeout: the other side did not answer in time",
  1005: "action failed: the job did not reach the state asked for (the message says why)",
  1006: "loader failed: the loader exited, broke the protocol or sent an invalid hello",
  1007: "closed: the connection closed before the answer came",
};

/** An error with a stable code and a one-sentence message that names the cause and the fix. */
export class GodError extends Error {
  override readonly name = "GodError";
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "number" && Object.hasOwn(errorCodeMeaning, value);
}
