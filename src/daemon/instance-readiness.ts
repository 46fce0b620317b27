// The channel an instance says it is ready on (SPEC 11), opened before its spawn and closed at its exit: its own
// notify socket (`ready: "notify"`, NOTIFY_SOCKET, systemd's datagrams) or a pipe on fd N (`ready: {"fd": N}`,
// GOD_READY_FD). What the instance says becomes messages for the runner, which turns them into table events;
// a word from a process that has exited cannot arrive, since its channel is closed with it.

import { createHash } from "node:crypto";
import { join } from "node:path";
import type { JobConfig } from "../protocol/jobspec.js";
import { type NotifyMessage, parseNotifyDatagram } from "../protocol/notify.js";
import { openNotifySocket } from "../sockets/notify-socket.js";
import { openReadyPipe } from "../sockets/ready-pipe.js";

export type ReadinessMessage = NotifyMessage | { type: "closed" } | { type: "bad"; count: number };

export interface Readiness {
  /** Set in the instance's environment. */
  env: Record<string, string>;
  /** The fd the instance gets at stdio index `index` (ready by fd). */
  fd: { index: number; fd: number } | null;
  /** Right after the spawn (also a failed one): god's copy of a pipe's write end goes. */
  afterSpawn(): void;
  /** The process is gone: nothing more is read. */
  close(): void;
}

const NONE: Readiness = { env: {}, fd: null, afterSpawn: () => {}, close: () => {} };

/**
 * The channel of process `run` of instance `index` of `config`. Notify sockets live in `dir` (0700), named by
 * a short hash of the job and the process, to keep the path within a unix socket's 107 bytes.
 */
export async function openReadiness(
  config: JobConfig,
  index: number,
  run: number,
  dir: string,
  deliver: (message: ReadinessMessage) => void,
): Promise<Readiness | { error: string }> {
  const ready = config.ready;
  if (ready === null) return NONE;
  if (ready === "notify") {
    const id = createHash("sha256").update(config.name).digest("hex").slice(0, 10);
    const path = join(dir, `${id}.${index}.${run}.sock`);
    const socket = await openNotifySocket(path, (data) => {
      const datagram = parseNotifyDatagram(data);
      // STATUS= first: "READY=1\nSTATUS=serving" is shown serving from the moment it is running.
      const ordered = [
        ...datagram.messages.filter((m) => m.type === "status"),
        ...datagram.messages.filter((m) => m.type !== "status"),
      ];
      for (const message of ordered) deliver(message);
      if (datagram.bad > 0) deliver({ type: "bad", count: datagram.bad });
    });
    if ("error" in socket)
      return { error: `job "${config.name}" cannot get its notify socket: ${socket.error}` };
    return { env: { NOTIFY_SOCKET: path }, fd: null, afterSpawn: () => {}, close: () => socket.close() };
  }
  // The pipe's FIFO lives in the system's temp dir for the moment it takes to open (as output pipes do).
  const pipe = await openReadyPipe();
  void pipe.ready.then((outcome) => deliver(outcome === "ready" ? { type: "ready" } : { type: "closed" }));
  return {
    env: { GOD_READY_FD: String(ready.fd) },
    fd: { index: ready.fd, fd: pipe.writeFd },
    afterSpawn: () => pipe.closeWriteEnd(),
    close: () => pipe.close(),
  };
}
