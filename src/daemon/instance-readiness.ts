// The channel an instance says it is ready on (SPEC 11), opened before its spawn and closed at its exit: its own
// notify socket (`ready: "notify"`, NOTIFY_SOCKET, systemd's datagrams) or a pipe on fd N (`ready: {"fd": N}`,
// GOD_READY_FD). What the instance says becomes messages for the runner, which turns them into table events;
// a word from a process that has exited cannot arrive, since its channel is closed with it.

import { join } from "node:path";
import type { JobConfig } from "../protocol/jobspec.js";
import { type NotifyMessage, parseNotifyDatagram } from "../protocol/notify.js";
import { openNotifySocket } from "../sockets/notify-socket.js";
import { openReadyPipe, type ReadyPipe, reopenReadyPipe } from "../sockets/ready-pipe.js";

export type ReadinessMessage = NotifyMessage | { type: "closed" } | { type: "bad"; count: number };

export interface Readiness {
  /** Set in the instance's environment. */
  env: Record<string, string>;
  /** The fd the instance gets at stdio index `index` (ready by fd). */
  fd: { index: number; fd: number } | null;
  /** The notify socket's path (recorded, so a later god binds it again), or null. */
  path: string | null;
  /** The ready fd's FIFO while the instance has not said it is ready (recorded, so a later god reads it). */
  readyPipe: string | null;
  /** Right after the spawn (also a failed one): god's copy of a pipe's write end goes. */
  afterSpawn(): void;
  /** The process is gone: nothing more is read. */
  close(): void;
}

/** No readiness of its own: a job without `ready`, or an adopted instance whose channel is not open yet. */
export const NO_READINESS: Readiness = {
  env: {},
  fd: null,
  path: null,
  readyPipe: null,
  afterSpawn: () => {},
  close: () => {},
};

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
  pipesDir?: string,
): Promise<Readiness | { error: string }> {
  const ready = config.ready;
  if (ready === null) return NO_READINESS;
  if (ready === "notify") {
    // node:crypto is loaded by the first job that asks for a notify socket (a bare node has 2 MiB more RSS
    // with it).
    const { createHash } = await import("node:crypto");
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
    return {
      env: { NOTIFY_SOCKET: path },
      fd: null,
      path,
      readyPipe: null,
      afterSpawn: () => {},
      close: () => socket.close(),
    };
  }
  // The pipe's FIFO is kept in `pipesDir` (GOD_HOME/pipes) until the instance is ready, so a god that dies
  // before the word leaves it for the next (SPEC 13); without one it lives in the temp dir for a moment.
  const pipe = await openReadyPipe(pipesDir, pipesDir !== undefined);
  return fromPipe(pipe, ready.fd, deliver);
}

/**
 * An adopted instance that had not said it was ready: its kept ready FIFO, opened again, so the word (written
 * while no god read, or later) is heard. Null when the FIFO is gone.
 */
export function reopenReadiness(
  config: JobConfig,
  path: string,
  deliver: (message: ReadinessMessage) => void,
): Readiness | null {
  const ready = config.ready;
  if (ready === null || ready === "notify") return null;
  const pipe = reopenReadyPipe(path);
  return pipe === null ? null : fromPipe(pipe, ready.fd, deliver);
}

function fromPipe(pipe: ReadyPipe, fd: number, deliver: (message: ReadinessMessage) => void): Readiness {
  const readiness: Readiness = {
    env: { GOD_READY_FD: String(fd) },
    fd: { index: fd, fd: pipe.writeFd },
    path: null,
    readyPipe: pipe.path,
    afterSpawn: () => pipe.closeWriteEnd(),
    close: () => pipe.close(),
  };
  void pipe.ready.then((outcome) => {
    // Once the word is heard (or the pipe closed) there is nothing left for a later god to read.
    readiness.readyPipe = null;
    deliver(outcome === "ready" ? { type: "ready" } : { type: "closed" });
  });
  return readiness;
}
