// The package entry, `import { job, init, listeners } from "watchgod"`: what programs use to declare jobs,
// serve god as a loader and take the sockets god passes. It loads no daemon code and no schema library.

import { isLoaderMode } from "./init.js";
import { installStdoutGuard } from "./stdout-guard.js";

export type { JobStateName } from "../protocol/states.js";
export { type LogLevel, log, reload, restart, start, stop } from "./control.js";
export { type Duration, type DurationUnit, parseDuration } from "./duration.js";
export { type InitOptions, init } from "./init.js";
export { job } from "./job.js";
export { type Listener, type Listeners, listeners } from "./listeners.js";
export type {
  BackoffOptions,
  CheckContext,
  CheckFunction,
  CheckOptions,
  CheckResultObject,
  CheckValue,
  Job,
  JobOptions,
  LogsOptions,
  MaxRestartsOptions,
  StopOptions,
} from "./options.js";
export {
  command,
  type ExecProbe,
  type HttpProbe,
  type HttpProbeOptions,
  http,
  type Probe,
  type TcpProbe,
  tcp,
} from "./probes.js";
export { ready, status } from "./ready.js";
export type { CheckResult, CheckStatus, JobEvent, WireJobSpec } from "./wire.js";

// In loader mode stdout belongs to the protocol from the start: a console.log in the program's own module
// body, which runs before init(), would otherwise be god's first line and break the hello.
if (isLoaderMode()) installStdoutGuard();
