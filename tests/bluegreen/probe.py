#!/usr/bin/env python3
"""Availability and latency probe for the blue-green tests and bench.

    probe.py MODE HOST:PORT PIDFILE   poll until SIGTERM/SIGINT, then print

MODE: http (GET /, the body is the version) or tcp (connect, read one
line: "NAME VERSION", the version is its last word).  A new connection
every 10 ms, 1 s timeout.  Prints one JSON object:

  requests, ok, failed, versions (in order, repeats collapsed),
  p50_ms, p99_ms, max_ms (latency of the successful requests),
  errors (up to 5 distinct texts), duration_s
"""
import json
import os
import signal
import socket
import sys
import time

mode, addr, pidfile = sys.argv[1], sys.argv[2], sys.argv[3]
host, port = addr.rsplit(":", 1)
port = int(port)
stop = False


def on_signal(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)


def one():
    s = socket.create_connection((host, port), timeout=1)
    try:
        s.settimeout(1)
        if mode == "http":
            s.sendall(b"GET / HTTP/1.0\r\nHost: probe\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
            if mode == "tcp" and b"\n" in data:
                break
    finally:
        s.close()
    text = data.decode(errors="replace")
    if mode == "http":
        head, _, body = text.partition("\r\n\r\n")
        status = head.split(" ", 2)[1] if " " in head else "?"
        if status != "200":
            raise RuntimeError("HTTP %s: %s" % (status, body.strip()[:100]))
        return body.strip()
    line = text.strip()
    if not line:
        raise RuntimeError("empty answer")
    return line.split()[-1]


with open(pidfile + ".tmp", "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(pidfile + ".tmp", pidfile)

lat, versions, errors = [], [], []
n = failed = 0
start = time.monotonic()
while not stop:
    t = time.monotonic()
    n += 1
    try:
        v = one()
        lat.append((time.monotonic() - t) * 1000)
        if not versions or versions[-1] != v:
            versions.append(v)
    except Exception as e:
        failed += 1
        msg = "%s: %s" % (type(e).__name__, e)
        if msg not in errors and len(errors) < 5:
            errors.append(msg)
    time.sleep(0.01)
lat.sort()


def pct(p):
    if not lat:
        return None
    return round(lat[min(len(lat) - 1, int(len(lat) * p))], 2)


print(json.dumps({"requests": n, "ok": n - failed, "failed": failed, "versions": versions,
                  "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": pct(1.0),
                  "errors": errors, "duration_s": round(time.monotonic() - start, 2)}))
