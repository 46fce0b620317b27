// Taking back the listening sockets of an adopted instance (SPEC 13). A god that died took its copies of a job's
// sockets with it; the instance it left running still holds its own (fds 3 and up, as god passed them). Node 20
// cannot bind the address again while they listen (no SO_REUSEPORT) and cannot receive an fd outside its IPC
// channel, so a short helper does it: python3 duplicates the instance's fds with pidfd_getfd(2) (Linux 5.6,
// same user or root) and sends each to god over the Node IPC channel it was spawned with, in Node's own handle
// message, as a raw handle that god holds without ever accepting on it. Where that cannot work (no python3, an
// older kernel, no permission, an fd the program closed), the reason is returned and the job's first reload after
// the adoption is a restart.

import { spawn } from "node:child_process";

export interface TakenSocket {
  /** The fd in the instance it was taken from (3, 4, ...). */
  from: number;
  fd: number;
  /** From getsockname in the helper: "tcp://HOST:PORT" or "unix:PATH". */
  address: string;
  close(): void;
}

const HELPER = String.raw`
import ctypes, json, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
def fail(msg):
    print(msg, file=sys.stderr); sys.exit(1)
pid = int(sys.argv[1])
chan = socket.socket(fileno=int(os.environ["NODE_CHANNEL_FD"]))
pidfd = libc.syscall(434, pid, 0)
if pidfd < 0: fail("pidfd_open(%d): %s" % (pid, os.strerror(ctypes.get_errno())))
buf = b""
for target in sys.argv[2:]:
    fd = libc.syscall(438, pidfd, int(target), 0)
    if fd < 0: fail("pidfd_getfd(%d, fd %s): %s" % (pid, target, os.strerror(ctypes.get_errno())))
    s = socket.socket(fileno=fd)
    if not s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN): fail("fd %s of pid %d is not a listening socket" % (target, pid))
    name = s.getsockname()
    if s.family == socket.AF_UNIX: address = "unix:" + (name.decode() if isinstance(name, bytes) else name)
    elif s.family == socket.AF_INET6: address = "tcp://[%s]:%d" % (name[0], name[1])
    else: address = "tcp://%s:%d" % (name[0], name[1])
    msg = {"cmd": "NODE_HANDLE", "type": "net.Native", "msg": {"from": int(target), "address": address}}
    socket.send_fds(chan, [(json.dumps(msg) + "\n").encode()], [fd])
    s.detach(); os.close(fd)
    while b"NODE_HANDLE_ACK" not in buf:
        more = chan.recv(4096)
        if not more: fail("god closed the channel")
        buf += more
    buf = buf[buf.index(b"NODE_HANDLE_ACK") + 15:]
chan.sendall((json.dumps({"done": True}) + "\n").encode())
`;

type RawHandle = { fd: number; close(): void };

/** The listening sockets at fds `fds` of process `pid`, or the sentence saying why they cannot be taken. */
export function takeSockets(
  pid: number,
  fds: number[],
  timeoutMs = 5000,
): Promise<TakenSocket[] | { error: string }> {
  return new Promise((resolve) => {
    const taken: TakenSocket[] = [];
    let err = "";
    let settled = false;
    const finish = (result: TakenSocket[] | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ("error" in result) for (const t of taken) t.close();
      resolve(result);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn("python3", ["-c", HELPER, String(pid), ...fds.map(String)], {
        stdio: ["ignore", "ignore", "pipe", "ipc"],
        serialization: "json",
      });
    } catch (error) {
      finish({ error: `python3 could not be started (${(error as Error).message})` });
      return;
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish({ error: `taking the sockets of pid ${pid} did not finish within ${timeoutMs} ms` });
    }, timeoutMs);
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("message", (message: unknown, handle: unknown) => {
      const m = message as { from?: number; address?: string; done?: boolean };
      if (m.done) {
        finish(taken);
        return;
      }
      const raw = handle as RawHandle | undefined;
      if (raw && typeof raw.fd === "number" && typeof m.from === "number" && typeof m.address === "string") {
        taken.push({ from: m.from, fd: raw.fd, address: m.address, close: () => raw.close() });
      }
    });
    child.once("error", (error: NodeJS.ErrnoException) =>
      finish({ error: error.code === "ENOENT" ? "python3 is not installed" : error.message }),
    );
    child.once("exit", (code) => {
      if (code === 0 && taken.length === fds.length) finish(taken);
      else finish({ error: err.trim().split("\n").pop() || `the helper exited with code ${code}` });
    });
  });
}
