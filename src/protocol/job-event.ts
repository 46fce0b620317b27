// The `event` notification god sends a loader about a state its job subscribed to (SPEC 3.1), and the check
// request's params. `instance` is the process's run number (1, 2, ...), `index` the instance's index (SPEC 12).

export interface JobEventParams {
  job: string;
  instance: number;
  index: number;
  pid?: number;
  state: string;
  exitCode?: number | null;
  signal?: string | null;
  at: string;
}

/** Which process a check is about. */
export interface CheckTarget {
  pid: number;
  /** The run number of the process. */
  instance: number;
  index: number;
}
