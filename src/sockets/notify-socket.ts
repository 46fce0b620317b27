// The notify socket of one instance with `ready: "notify"` (SPEC section 11): a unix datagram socket at a path
// in a 0700 directory of GOD_HOME, named to the instance in NOTIFY_SOCKET, from which god reads the sd_notify
// datagrams. Node has no unix datagram sockets, so this uses the optional native package node-unix-socket
// (N-API: one prebuilt binary per platform, shipped in the npm registry's own packages, the same binary for
// every Node version), loaded only when a job asks for it. Why that one: docs/benchmarks.md (notify sockets).

import { chmodSync, lstatSync, mkdirSync, rmSync, type Stats } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { NOTIFY_DATAGRAM_MAX_BYTES } from "../protocol/notify.js";

export const NOTIFY_PACKAGE = "node-unix-socket";
/** A unix socket address (sun_path) holds 108 bytes, the last one a NUL. */
export const UNIX_PATH_MAX_BYTES = 107;

export interface NotifySocket {
  readonly path: string;
  /** Datagrams dropped because they were longer than NOTIFY_DATAGRAM_MAX_BYTES. */
  readonly oversized: number;
  /** Stops reading and removes the socket file (if it is still this socket's). Safe to call twice. */
  close(): void;
}

/** What this module uses of node-unix-socket. */
interface NativeDgramSocket {
  on(event: "data", listener: (data: Buffer) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  bind(path: string): void;
  close(): void;
}
interface NativeModule {
  DgramSocket: new () => NativeDgramSocket;
}

type LoadFailure = { error: string; installed: boolean };
let native: NativeModule | LoadFailure | undefined;

function loadNative(): NativeModule | LoadFailure {
  if (native === undefined) {
    try {
      const loaded = createRequire(import.meta.url)(NOTIFY_PACKAGE) as Partial<NativeModule>;
      native =
        typeof loaded.DgramSocket === "function"
          ? (loaded as NativeModule)
          : { error: `${NOTIFY_PACKAGE} has no DgramSocket`, installed: true };
    } catch (error) {
      // Not found itself, or found without a binary for this platform (its own require of one failed).
      const notFound =
        (error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" &&
        firstLine(error).includes(`'${NOTIFY_PACKAGE}'`);
      native = { error: firstLine(error), installed: !notFound };
    }
  }
  return native;
}

/**
 * null when notify sockets work on this machine; otherwise the sentence saying what to install or use instead,
 * for god to refuse `ready: "notify"` at hello (never a silent wait). Loads the native package on first call.
 */
export function notifyAvailable(): string | null {
  const loaded = loadNative();
  if (!("error" in loaded)) return null;
  const needs = `ready: "notify" needs the optional package ${NOTIFY_PACKAGE}`;
  return loaded.installed
    ? `${needs}, which has no binary that loads on ${process.platform}-${process.arch} (${loaded.error}); ` +
        `use ready: {"fd": 3} instead`
    : `${needs}, which is not installed; install it beside watchgod with \`npm install ${NOTIFY_PACKAGE}\`, ` +
        `or use ready: {"fd": 3}`;
}

/**
 * Binds a datagram socket at `path` (mode 0600; its directory is made or set to 0700) and hands every datagram
 * of at most NOTIFY_DATAGRAM_MAX_BYTES to onDatagram; longer ones are dropped and counted. A socket file left
 * at `path` by an earlier god is replaced. onError gets the reason if reading fails later (the socket is then
 * closed). Resolves to the socket or to the sentence saying why it could not be opened.
 */
export async function openNotifySocket(
  path: string,
  onDatagram: (data: Buffer) => void,
  onError: (reason: string) => void = () => {},
): Promise<NotifySocket | { error: string }> {
  const loaded = loadNative();
  if ("error" in loaded) return { error: notifyAvailable() ?? loaded.error };
  const fail = (cause: string) => ({ error: `cannot open the notify socket ${path}: ${cause}` });
  const bytes = Buffer.byteLength(path);
  if (bytes > UNIX_PATH_MAX_BYTES) {
    return fail(
      `the path is ${bytes} bytes, over the ${UNIX_PATH_MAX_BYTES} a unix socket address holds; use a shorter GOD_HOME`,
    );
  }
  const problem = prepare(path);
  if (problem !== null) return fail(problem);

  const socket = new loaded.DgramSocket();
  let oversized = 0;
  let open = true;
  let bound: Stats | null = null;
  const close = () => {
    if (!open) return;
    open = false;
    socket.close();
    // Only this socket's own file: a later socket may have been bound at the same path.
    const now = lstatOrNull(path);
    if (bound !== null && now?.ino === bound.ino && now.dev === bound.dev) rmSync(path, { force: true });
  };
  socket.on("data", (data) => {
    if (!open) return;
    if (data.length > NOTIFY_DATAGRAM_MAX_BYTES) oversized++;
    else onDatagram(data);
  });
  socket.on("error", (error) => {
    if (!open) return;
    close();
    onError(firstLine(error));
  });
  try {
    socket.bind(path);
    bound = lstatSync(path);
    chmodSync(path, 0o600);
  } catch (error) {
    close();
    return fail(firstLine(error));
  }
  return {
    path,
    get oversized() {
      return oversized;
    },
    close,
  };
}

/** Makes the private directory and clears a stale socket file; the reason it cannot, or null. */
function prepare(path: string): string | null {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stats = lstatSync(dir);
    if (!stats.isDirectory()) return `${dir} is not a directory`;
    const uid = process.getuid?.();
    if (uid !== undefined && stats.uid !== uid)
      return `${dir} belongs to another user (uid ${stats.uid}); remove it`;
    chmodSync(dir, 0o700);
    const existing = lstatOrNull(path);
    if (existing === null) return null;
    if (!existing.isSocket()) return "a file that is not a socket is in the way; move it";
    // Left by a god that crashed: a datagram socket has no listener to ask, and GOD_HOME has one god.
    rmSync(path, { force: true });
    return null;
  } catch (error) {
    return firstLine(error);
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}
