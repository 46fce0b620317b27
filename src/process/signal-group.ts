// Signals a whole process group. Every instance and loader runs as the leader of its own group (spawned
// detached), so `-pid` reaches its grandchildren too. ESRCH means the group is already gone.

/**
 * Sends `signal` to every process of group `pgid`. Returns false when nothing was signalled: the group is
 * gone (ESRCH), or none of its processes may be signalled by god (EPERM, a setuid grandchild for instance).
 * Neither may take god down, since these calls also run from timers. A pgid of 0 or 1 is refused: `-0` is
 * god's own group and `-1` every process god may signal.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new RangeError(`refusing to signal process group ${pgid}`);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ESRCH" || code === "EPERM") return false;
    throw error;
  }
}

/**
 * Stops a group: `signal` now, SIGKILL after `timeoutMs` unless `exited` settles first. After the leader has
 * exited, whatever is left of its group is killed at once, so grandchildren never outlive their job.
 */
export function stopGroup(
  pgid: number,
  signal: NodeJS.Signals,
  timeoutMs: number,
  exited: Promise<unknown>,
): void {
  signalGroup(pgid, signal);
  const timer = setTimeout(() => signalGroup(pgid, "SIGKILL"), timeoutMs);
  void exited.then(() => {
    clearTimeout(timer);
    signalGroup(pgid, "SIGKILL");
  });
}

/** Sends `signal` to one process (not its group). False when it is gone or not god's to signal. */
export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  if (!Number.isInteger(pid) || pid <= 1) throw new RangeError(`refusing to signal process ${pid}`);
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return false;
    if (code === "EPERM") return signal === 0;
    throw error;
  }
}
