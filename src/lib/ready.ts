// ready() and status(text): an instance says itself that it is ready (SPEC section 11), by whichever channel it
// was offered. GOD_READY_FD=N (`ready: {"fd": N}`): one line on fd N, then the fd is closed; status() has no
// way there and does nothing. NOTIFY_SOCKET (`ready: "notify"`, or systemd's Type=notify): an sd_notify
// datagram. With neither (outside god) both do nothing, so a program calls them unconditionally.
//
// Node cannot send a unix datagram by itself, so NOTIFY_SOCKET loads the optional native package
// node-unix-socket, on first use only (importing the library never loads it). Without it: one warning on
// stderr, and nothing is sent. A spawned python3 or systemd-notify was not used as a fallback: a process per
// call, neither is on every machine, and systemd-notify reports its own pid, not the program's.

import { closeSync, fstatSync, writeSync } from "node:fs";
import { cutStatus } from "../protocol/notify.js";

/** Held in a variable so that neither TypeScript nor a bundler needs the optional package to be installed. */
const NATIVE_PACKAGE: string = "node-unix-socket";

interface NativeDgramSocket {
  on(event: "error", listener: (error: Error) => void): unknown;
  sendTo(buf: Buffer, offset: number, length: number, path: string, done?: (error?: Error) => void): void;
  close(): void;
}
type DgramSocketClass = new () => NativeDgramSocket;

const warned = new Set<string>();

function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.stderr.write(`watchgod: ${message}\n`);
}

/**
 * Tells god (or systemd) that this instance is ready: a line on GOD_READY_FD, or READY=1 on NOTIFY_SOCKET.
 * Resolves once it is sent; never rejects (a failure is one warning on stderr). Outside god it does nothing.
 */
export function ready(): Promise<void> {
  writeReadyLine();
  return sendNotify("READY=1");
}

/**
 * A one-line status for `god status` (STATUS= on NOTIFY_SOCKET; at most 1000 characters, control characters
 * such as newlines shown as U+FFFD). Does nothing with GOD_READY_FD, which carries only readiness, or outside god.
 */
export function status(text: string): Promise<void> {
  return sendNotify(`STATUS=${cutStatus(String(text))}`);
}

/** The s6 convention: one line, then close the fd, so that no child inherits it; the variable goes too. */
function writeReadyLine(): void {
  const text = process.env["GOD_READY_FD"];
  if (text === undefined || text === "") return;
  delete process.env["GOD_READY_FD"];
  const fd = /^[0-9]{1,9}$/.test(text) ? Number(text) : -1;
  if (fd < 3) {
    warnOnce("fd", `GOD_READY_FD=${text} is not a file descriptor above 2; ready() wrote nothing`);
    return;
  }
  try {
    // Inherited by a process it was not meant for, fd N may be any file: write only to a pipe.
    const stats = fstatSync(fd);
    if (!stats.isFIFO() && !stats.isSocket()) {
      warnOnce("fd", `GOD_READY_FD=${fd} is not a pipe in this process; ready() wrote nothing`);
      return;
    }
    writeSync(fd, "READY=1\n");
    closeSync(fd);
  } catch (error) {
    warnOnce("fd", `ready() could not write to GOD_READY_FD=${fd}: ${(error as Error).message}`);
  }
}

let nativeLoad: Promise<DgramSocketClass | null> | undefined;

function loadNative(): Promise<DgramSocketClass | null> {
  nativeLoad ??= import(NATIVE_PACKAGE).then(
    (loaded: { DgramSocket?: unknown; default?: { DgramSocket?: unknown } }) => {
      const found = loaded.DgramSocket ?? loaded.default?.DgramSocket;
      if (typeof found === "function") return found as DgramSocketClass;
      warnOnce("native", `${NATIVE_PACKAGE} has no DgramSocket; ready() and status() send nothing`);
      return null;
    },
    (error: unknown) => {
      const reason = String((error as Error).message ?? error).split("\n")[0];
      warnOnce(
        "native",
        `NOTIFY_SOCKET is set but the optional package ${NATIVE_PACKAGE} cannot be loaded (${reason}), so ` +
          `ready() and status() send nothing; install it (\`npm install ${NATIVE_PACKAGE}\`) or declare the ` +
          `job with ready: {"fd": 3}`,
      );
      return null;
    },
  );
  return nativeLoad;
}

async function sendNotify(state: string): Promise<void> {
  const target = process.env["NOTIFY_SOCKET"];
  if (target === undefined || target === "") return;
  // "@name" is the abstract namespace, as sd_notify reads it.
  const path = target.startsWith("@") ? `\0${target.slice(1)}` : target;
  if (!path.startsWith("/") && !path.startsWith("\0")) {
    warnOnce("socket", `NOTIFY_SOCKET=${target} is not a socket path; ready() and status() send nothing`);
    return;
  }
  const DgramSocket = await loadNative();
  if (DgramSocket === null) return;
  const data = Buffer.from(state, "utf8");
  await new Promise<void>((resolve) => {
    let socket: NativeDgramSocket | null = null;
    const done = (error?: Error) => {
      socket?.close();
      if (error)
        warnOnce(
          "send",
          `could not send ${state.split("=")[0]}= to NOTIFY_SOCKET=${target}: ${error.message}`,
        );
      resolve();
    };
    try {
      socket = new DgramSocket();
      socket.on("error", done);
      socket.sendTo(data, 0, data.length, path, done);
    } catch (error) {
      done(error as Error);
    }
  });
}
