// A listening socket that god holds for a job's whole life and passes to every instance as an fd, so a new
// instance takes traffic from the same kernel queue while the old one drains: nothing is refused between them.
// god binds it but never accepts on it: the handle is made with Node's bind-only server handle (what the
// cluster module uses), and listen(2) is called once on the shared socket by a throwaway child that exits
// before its event loop could accept anything.

import { rmSync, statSync } from "node:fs";
import * as net from "node:net";
import { createConnection } from "node:net";
import { listenOnce } from "../process/listen-once.js";
import { type ListenAddress, parseListenAddress } from "../protocol/listen-address.js";
import { errname } from "./errno.js";

type ServerHandle = { fd: number; close(): void; getsockname?(out: { port?: number }): number };
type CreateServerHandle = (address: string, port: number, addressType: number) => ServerHandle | number;

export interface HeldSocket {
  name: string;
  address: string;
  fd: number;
  close(): void;
}

/** Binds and listens; resolves to the held socket or to the sentence saying why it could not. */
export async function holdSocket(
  job: string,
  name: string,
  text: string,
): Promise<HeldSocket | { error: string }> {
  const address = parseListenAddress(text);
  const fail = (cause: string) => ({ error: `job "${job}" cannot listen on ${text}: ${cause}` });
  if ("error" in address) return fail(address.error);
  if (address.kind === "unix") {
    const stale = await staleUnixSocket(address.path);
    if (stale === "live") return fail("another process is listening there; stop it or choose another path");
    if (stale === "file")
      return fail("a file that is not a socket is in the way; move it or choose another path");
    if (stale === "stale") rmSync(address.path, { force: true });
  }
  const create = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;
  if (typeof create !== "function") return fail("this Node.js has no bind-only server handle");
  const handle =
    address.kind === "tcp"
      ? create(address.host, address.port, address.family)
      : create(address.path, -1, -1);
  if (typeof handle === "number") return fail(explain(errname(handle), address));
  if (address.kind === "tcp" && address.port !== 0) {
    // libuv defers EADDRINUSE from bind(2) to listen(2), leaving the socket unbound: see where it landed.
    const bound: { port?: number } = {};
    handle.getsockname?.(bound);
    if (bound.port !== address.port) {
      handle.close();
      return fail(explain("EADDRINUSE", address));
    }
  }
  const problem = await listenOnce(handle.fd);
  if (problem !== null) {
    handle.close();
    return fail(explain(problem, address));
  }
  return {
    name,
    address: text,
    fd: handle.fd,
    close: () => {
      handle.close();
      if (address.kind === "unix") rmSync(address.path, { force: true });
    },
  };
}

function explain(code: string, address: ListenAddress): string {
  switch (code) {
    case "EADDRINUSE":
      return "the address is already in use; stop what listens there or choose another port";
    case "EACCES":
    case "EPERM":
      return address.kind === "tcp" && address.port < 1024
        ? "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
        : "permission denied";
    case "EADDRNOTAVAIL":
      return "no interface of this machine has that address";
    case "ENOENT":
    case "ENOTDIR":
      return "the directory of the socket does not exist";
    case "ENOTFOUND":
    case "EINVAL":
      return "not a valid address to listen on";
    default:
      return code;
  }
}

/** What is at a unix socket path: nothing, a socket nobody answers on, a live one, or some other file. */
function staleUnixSocket(path: string): Promise<"none" | "stale" | "live" | "file"> {
  try {
    if (!statSync(path).isSocket()) return Promise.resolve("file");
  } catch {
    return Promise.resolve("none");
  }
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve("live");
    });
    socket.once("error", () => resolve("stale"));
  });
}
