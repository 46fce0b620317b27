# Candidate "python3 helper" for receiving sd_notify datagrams without a native Node module (bench only):
# one process per god binds every notify socket and forwards each datagram to god as a line on stdout.
# stdin:  "open ID PATH" | "close ID"      stdout: "ok ID" | "err ID TEXT" | "d ID BASE64"
import base64, os, selectors, socket, sys

sel = selectors.DefaultSelector()
socks = {}
out = sys.stdout.buffer

def emit(line):
    out.write(line + b"\n")
    out.flush()

def command(line):
    parts = line.decode("utf-8", "replace").split(" ", 2)
    if parts[0] == "open" and len(parts) == 3:
        ident, path = parts[1], parts[2]
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(path)
            os.chmod(path, 0o600)
            s.setblocking(False)
        except OSError as e:
            emit(b"err " + ident.encode() + b" " + str(e).encode())
            return
        socks[ident] = (s, path)
        sel.register(s, selectors.EVENT_READ, ident)
        emit(b"ok " + ident.encode())
    elif parts[0] == "close" and len(parts) >= 2 and parts[1] in socks:
        s, path = socks.pop(parts[1])
        sel.unregister(s)
        s.close()
        try:
            os.unlink(path)
        except OSError:
            pass

def main():
    os.set_blocking(0, False)
    sel.register(0, selectors.EVENT_READ, None)
    pending = b""
    while True:
        for key, _ in sel.select():
            if key.data is None:
                chunk = os.read(0, 65536)
                if not chunk:
                    for s, path in socks.values():
                        try:
                            os.unlink(path)
                        except OSError:
                            pass
                    return
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    command(line)
            else:
                for _ in range(64):
                    try:
                        data = key.fileobj.recv(4097)
                    except BlockingIOError:
                        break
                    emit(b"d " + key.data.encode() + b" " + base64.b64encode(data))

main()
