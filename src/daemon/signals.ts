// What each signal means to god (issue 18): every catchable signal has a documented effect (docs/processes.md),
// and none of them ends god with nothing stopped or recorded. SIGTERM and SIGINT stop everything, SIGQUIT makes
// god leave its jobs running for the next god, SIGHUP reloads the loaders, SIGUSR1 reopens the log files; the
// other catchable signals whose default would kill god are logged and ignored.

import { constants } from "node:os";

export interface SignalActions {
  /** The ordered shutdown (a second stop signal during it kills every group). */
  stop(signal: NodeJS.Signals): void;
  /** god exits and leaves every job running, recorded for the next god to adopt. */
  leave(signal: NodeJS.Signals): void;
  reloadLoaders(): void;
  reopenLogs(): void;
  log: {
    info(message: string, fields: Record<string, unknown>): void;
    warn(message: string, fields: Record<string, unknown>): void;
  };
  /** Signals taken by something else (SIGUSR2 under GOD_TEST_FAULT). */
  taken?: ReadonlySet<string>;
}

/**
 * Catchable signals whose default action would end god, which mean nothing to it: logged and ignored. Left at
 * their default: SIGKILL and SIGSTOP (uncatchable), SIGSEGV, SIGBUS, SIGFPE and SIGILL (a fault in god itself,
 * where no JavaScript can safely run), SIGABRT (abort(), which ends the process whatever a handler does),
 * SIGPROF (V8's CPU profiler), SIGTSTP, SIGTTIN and SIGTTOU (job control stops god, SIGCONT resumes it),
 * and the signals ignored by default (SIGCHLD, SIGCONT, SIGURG, SIGWINCH; SIGPIPE, which Node ignores).
 */
export const IGNORED_SIGNALS: readonly NodeJS.Signals[] = (
  [
    "SIGUSR2",
    "SIGALRM",
    "SIGVTALRM",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGSTKFLT",
    "SIGTRAP",
  ] as NodeJS.Signals[]
).filter((name) => name in constants.signals);

/** One line per ignored signal per minute at most: a flood of signals cannot flood god's log. */
const IGNORED_LOG_MS = 60_000;

export function installSignals(actions: SignalActions): void {
  const { log } = actions;
  let stops = 0;
  const onStop = (signal: NodeJS.Signals) => {
    stops++;
    actions.stop(signal);
  };
  process.on("SIGTERM", onStop);
  process.on("SIGINT", onStop);
  process.on("SIGQUIT", (signal: NodeJS.Signals) => {
    // After a stop signal, SIGQUIT does not turn the shutdown into a leave.
    if (stops > 0) return;
    actions.leave(signal);
  });
  process.on("SIGHUP", () => {
    log.info("SIGHUP: reloading every loader", {});
    actions.reloadLoaders();
  });
  process.on("SIGUSR1", () => {
    actions.reopenLogs();
    log.info("SIGUSR1: log files reopened", {});
  });
  const loggedAt = new Map<string, number>();
  const suppressed = new Map<string, number>();
  for (const name of IGNORED_SIGNALS) {
    if (actions.taken?.has(name)) continue;
    process.on(name, () => {
      const now = performance.now();
      const last = loggedAt.get(name);
      if (last !== undefined && now - last < IGNORED_LOG_MS) {
        suppressed.set(name, (suppressed.get(name) ?? 0) + 1);
        return;
      }
      const more = suppressed.get(name) ?? 0;
      suppressed.delete(name);
      loggedAt.set(name, now);
      log.warn(
        `received ${name}, which means nothing to god: ignored (docs/processes.md says what each signal does)${more > 0 ? `; ${more} more since the last note` : ""}`,
        { signal: name },
      );
    });
  }
}
