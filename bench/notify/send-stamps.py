# Sends COUNT datagrams "T=<CLOCK_MONOTONIC ns>" to PATH, GAP_MS apart, for the latency figure: Node's
# process.hrtime.bigint() reads the same clock, so the receiver's now minus T is the datagram's latency.
import socket, sys, time

path, count, gap_ms = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for _ in range(count):
    s.sendto(b"T=%d" % time.monotonic_ns(), path)
    time.sleep(gap_ms / 1000)
