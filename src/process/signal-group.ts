// Signals a whole process group. Every instance and loader runs as the leader of its own group (spawned
// detached), so `-pid` reaches its grandchildren too. ESRCH means the group is already gone.

export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
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
