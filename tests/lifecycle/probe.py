#!/usr/bin/env python3
"""Availability probe for the lifecycle tests (python3 stdlib only).

    probe.py URL SECONDS        poll for SECONDS, then print the summary
    probe.py URL PIDFILE        write own pid to PIDFILE, poll until SIGTERM
                                or SIGINT, then print the summary

Polls URL every 10 ms (1 s timeout per request). A request succeeds when it
gets HTTP 200; its body (stripped) is the version that answered. Prints one
JSON object on stdout:

  requests, ok, failed           counts
  failed_refused                 failures before an HTTP answer (connection
                                 refused/reset, timeout): the app was not up
  failed_http                    HTTP answers other than 200 (the app was up
                                 but failing, e.g. its files were deleted)
  failed_at_switch               failures inside a run bounded by answers of
                                 two different versions (the stop->start)
  failed_outside_switch          every other failure (before the first or
                                 after the last answer, or between two
                                 answers of the same version)
  longest_gap_ms                 longest time between two successive 200s
  switch_gap_ms                  for each version change: last answer of the
                                 old version -> first answer of the new one
  versions                       versions seen, in order, repeats collapsed
  errors                         up to 5 distinct error texts
  duration_s
"""
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request

url, arg = sys.argv[1], sys.argv[2]
stop = False


def on_signal(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
deadline = None
try:
    deadline = time.monotonic() + float(arg)
except ValueError:
    with open(arg + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(arg + ".tmp", arg)

samples = []  # (t, ok, version_or_kind)
errors = []
start = time.monotonic()
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
while not stop and (deadline is None or time.monotonic() < deadline):
    t = time.monotonic()
    try:
        with opener.open(url, timeout=1) as r:
            body = r.read().decode(errors="replace").strip()
            samples.append((t, True, body))
    except urllib.error.HTTPError as e:
        samples.append((t, False, "http"))
        msg = "HTTP %d: %s" % (e.code, e.read().decode(errors="replace")[:200])
        if msg not in errors and len(errors) < 5:
            errors.append(msg)
    except Exception as e:  # refused, reset, timeout, bad status line
        samples.append((t, False, "refused"))
        msg = "%s: %s" % (type(e).__name__, e)
        if msg not in errors and len(errors) < 5:
            errors.append(msg)
    time.sleep(0.01)
end = time.monotonic()

ok = [s for s in samples if s[1]]
versions = []
for s in ok:
    if not versions or versions[-1] != s[2]:
        versions.append(s[2])
longest = 0.0
switch_gaps = []
at_switch = 0
outside = 0
prev_ok = None  # index of the last success
for i, s in enumerate(samples):
    if not s[1]:
        continue
    if prev_ok is not None:
        gap = s[0] - samples[prev_ok][0]
        longest = max(longest, gap)
        nfail = i - prev_ok - 1
        if samples[prev_ok][2] != s[2]:
            switch_gaps.append({"from": samples[prev_ok][2], "to": s[2],
                                "gap_ms": round(gap * 1000), "failed": nfail})
            at_switch += nfail
        else:
            outside += nfail
    else:
        outside += i  # failures before the first answer
    prev_ok = i
outside += len(samples) - 1 - prev_ok if prev_ok is not None else len(samples)

print(json.dumps({
    "url": url,
    "requests": len(samples),
    "ok": len(ok),
    "failed": len(samples) - len(ok),
    "failed_refused": sum(1 for s in samples if not s[1] and s[2] == "refused"),
    "failed_http": sum(1 for s in samples if not s[1] and s[2] == "http"),
    "failed_at_switch": at_switch,
    "failed_outside_switch": outside,
    "longest_gap_ms": round(longest * 1000),
    "switch_gap_ms": switch_gaps,
    "versions": versions,
    "errors": errors,
    "duration_s": round(end - start, 3),
}, indent=None))
