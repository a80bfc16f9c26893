#!/usr/bin/env python3
"""Freezes the package manager in the middle of an unpack (tests/t_faults.sh).

    unpackwatch.py DIR COMMS OUT SECONDS

Run inside the container (as root, in its PID namespace) before the
transition starts. Polls DIR every 2 ms; once it holds at least 2 entries
(the incoming version's files being written: dpkg's NAME.dpkg-new, rpm's
NAME;XXXXXXXX, or final names) it sends SIGSTOP to every process whose
comm is one of COMMS (comma-separated, e.g. "dpkg,dpkg-deb" or "rpm"), so
the harness can inject its fault at a known point of the unpack, and writes
OUT: "PID,PID... ENTRIES" (ENTRIES: what DIR held once they were stopped).
Writes "timeout" to OUT and exits 1 if that does not happen in SECONDS.
The harness sends SIGCONT (or SIGKILL) to the pids afterwards.
"""
import os
import signal
import sys
import time

d, comms, out, secs = sys.argv[1], sys.argv[2].split(","), sys.argv[3], float(sys.argv[4])


def entries():
    try:
        return len(os.listdir(d))
    except OSError:
        return 0


def procs():
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % p) as f:
                if f.read().strip() in comms:
                    found.append(int(p))
        except OSError:
            pass
    return found


def write(text):
    with open(out + ".tmp", "w") as f:
        f.write(text + "\n")
    os.rename(out + ".tmp", out)


end = time.monotonic() + secs
while time.monotonic() < end:
    if entries() >= 2:
        stopped = []
        for p in procs():
            try:
                os.kill(p, signal.SIGSTOP)
                stopped.append(p)
            except OSError:
                pass
        if stopped:
            time.sleep(0.05)
            write("%s %d" % (",".join(map(str, stopped)), entries()))
            sys.exit(0)
    time.sleep(0.002)
write("timeout")
sys.exit(1)
