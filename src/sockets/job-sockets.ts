// The listening sockets of one job (SPEC 6, docs/sockets.md): bound once, kept across restarts and reloads, and
// rebound only for an address that changed; every instance (and a reload's candidate) gets the same ones.
// Holds are serialized per job, so two spawns at once never bind the same address twice.

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

  constructor(job: string, log: SocketsLog) {
    this.job = job;
    this.log = log;
  }

  /** The sockets for `listen` (name -> address), binding what is new and closing what is no longer named. */
  hold(listen: Record<string, string>): Promise<HeldSocket[] | { error: string }> {
    const next = this.queue.then(() => this.holdNow(listen));
    this.queue = next.catch(() => undefined);
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
