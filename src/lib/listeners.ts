// listeners(): the sockets god (or systemd) passed to this process, by the sd_listen_fds convention:
// fds 3..3+LISTEN_FDS-1, named by LISTEN_FDNAMES, meant for the process LISTEN_PID. `server.listen(l)` takes one.

export interface Listener {
  fd: number;
}

export type Listeners = Partial<Record<string, Listener>>;

/** The first passed fd, after stdin, stdout and stderr. */
export const LISTEN_FDS_START = 3;
/** A bound for a corrupt LISTEN_FDS, far above any real count. */
const MAX_LISTEN_FDS = 4096;

export function readListeners(env: NodeJS.ProcessEnv, pid: number): Listeners {
  const forPid = env["LISTEN_PID"];
  // The variables are inherited by children; only the process they were meant for may take the fds.
  if (forPid !== undefined && forPid !== "" && Number(forPid) !== pid) return {};
  const count = Number(env["LISTEN_FDS"] ?? "");
  if (!Number.isInteger(count) || count <= 0 || count > MAX_LISTEN_FDS) return {};
  const names = env["LISTEN_FDNAMES"]?.split(":") ?? [];
  const out: Listeners = {};
  for (let i = 0; i < count; i++) {
    // systemd names a socket "unknown" when no name was given.
    const name = names[i] || "unknown";
    if (Object.hasOwn(out, name)) continue;
    // defineProperty, so even a name like "__proto__" is an ordinary key.
    Object.defineProperty(out, name, {
      value: { fd: LISTEN_FDS_START + i },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** `{ name: { fd } }` for each socket passed to this process; `{}` when none were. */
export function listeners(): Listeners {
  return readListeners(process.env, process.pid);
}
