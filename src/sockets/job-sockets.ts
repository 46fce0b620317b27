// The listening sockets of one job (SPEC 6, docs/sockets.md): bound once, kept across restarts and reloads, and
// rebound only for an address that changed; every instance (and a reload's candidate) gets the same ones.
// Holds are serialized per job, so two spawns at once never bind the same address twice.

import { takeSockets } from "../process/take-sockets.js";
import { parseListenAddress } from "../protocol/listen-address.js";
import { type HeldSocket, holdSocket } from "./held-socket.js";

export interface SocketsLog {
  info(msg: string, fields: Record<string, unknown>): void;
  error(msg: string, fields: Record<string, unknown>): void;
}

export class JobSockets {
  private readonly job: string;
  private readonly log: SocketsLog;
  private held: { key: string; sockets: HeldSocket[] } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** hold() and recover() calls not yet done: while any is, heldNow() answers null. */
  private pending = 0;
  /**
   * Set when an adopted instance listens on the job's addresses and god could not take its sockets back: a new
   * process cannot bind them while it lives, so a reload must stop it first (SPEC 13).
   */
  lost: string | null = null;

  constructor(job: string, log: SocketsLog) {
    this.job = job;
    this.log = log;
  }

  /** The sockets for `listen` (name -> address), binding what is new and closing what is no longer named. */
  hold(listen: Record<string, string>): Promise<HeldSocket[] | { error: string }> {
    const next = this.queue.then(() => this.holdNow(listen));
    this.track(next);
    return next;
  }

  /**
   * What hold(listen) would give when it would bind and close nothing and nothing else is queued (a job with no
   * sockets, or one whose sockets are held already), at once; otherwise null: ask hold(). A restart after a
   * crash then spawns in the same turn as the exit (issue 17).
   */
  heldNow(listen: Record<string, string>): HeldSocket[] | null {
    if (this.pending > 0) return null;
    const entries = Object.entries(listen);
    if (this.held === null) return entries.length === 0 ? [] : null;
    return this.held.key === JSON.stringify(entries) ? this.held.sockets : null;
  }

  private track(next: Promise<unknown>): void {
    this.pending++;
    this.queue = next.then(
      () => {
        this.pending--;
      },
      () => {
        this.pending--;
      },
    );
  }

  /**
   * After an adoption: takes the listening sockets back from the adopted process `pid`, which got `listen`'s
   * sockets as fds 3 and up, so the next reload hands over with nothing dropped. Queued before any hold.
   */
  recover(pid: number, listen: Record<string, string>): Promise<string | null> {
    const entries = Object.entries(listen);
    if (entries.length === 0 || this.held !== null) return Promise.resolve(null);
    const next = this.queue.then(async () => {
      const taken = await takeSockets(
        pid,
        entries.map((_, i) => 3 + i),
      );
      if ("error" in taken) {
        this.lost = taken.error;
        return taken.error;
      }
      const sockets: HeldSocket[] = [];
      for (const [i, [name, address]] of entries.entries()) {
        const t = taken[i]!;
        if (!sameAddress(t.address, address)) {
          for (const x of taken) x.close();
          this.lost = `fd ${t.from} of pid ${pid} listens on ${t.address}, not ${address}`;
          return this.lost;
        }
        sockets.push({ name, address, fd: t.fd, close: () => t.close() });
      }
      this.held = { key: JSON.stringify(entries), sockets };
      this.lost = null;
      this.log.info(`job ${this.job} holds its sockets again, taken from adopted pid ${pid}`, {
        job: this.job,
      });
      return null;
    });
    this.track(next);
    return next;
  }

  /** The sockets held now, without binding anything (for the next god, and for status). */
  current(): readonly HeldSocket[] {
    return this.held?.sockets ?? [];
  }

  close(): void {
    for (const socket of this.held?.sockets ?? []) socket.close();
    this.held = null;
  }

  private async holdNow(listen: Record<string, string>): Promise<HeldSocket[] | { error: string }> {
    const key = JSON.stringify(Object.entries(listen));
    const existing = this.held;
    if (existing && existing.key === key) return existing.sockets;
    const held: HeldSocket[] = [];
    for (const [name, address] of Object.entries(listen)) {
      const reuse = existing?.sockets.find((h) => h.address === address);
      if (reuse) {
        held.push({ ...reuse, name });
        continue;
      }
      const socket = await holdSocket(this.job, name, address);
      if ("error" in socket) {
        for (const h of held) if (!existing?.sockets.some((e) => e.fd === h.fd)) h.close();
        this.log.error(socket.error, { job: this.job, address });
        return socket;
      }
      this.log.info(`job ${this.job} holds ${address} (fd ${socket.fd})`, { job: this.job, address });
      held.push(socket);
    }
    for (const old of existing?.sockets ?? []) if (!held.some((h) => h.fd === old.fd)) old.close();
    this.held = { key, sockets: held };
    return held;
  }
}

/** Whether a socket found listening (getsockname's form) is the one a listen address names (0 = any port). */
function sameAddress(found: string, wanted: string): boolean {
  const a = parseListenAddress(found);
  const b = parseListenAddress(wanted);
  if ("error" in a || "error" in b) return false;
  if (a.kind === "unix" || b.kind === "unix")
    return a.kind === "unix" && b.kind === "unix" && a.path === b.path;
  return (
    (b.port === 0 || a.port === b.port) && (a.host === b.host || b.host === "0.0.0.0" || b.host === "::")
  );
}
