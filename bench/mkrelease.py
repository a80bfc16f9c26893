#!/usr/bin/env python3
"""Generates a synthetic OTP-like release tarball for `make bench`.

    mkrelease.py OUT.tar.gz NAME VERSION MEGABYTES FILES [SIZES]

Layout: bin/NAME, releases/VSN/{NAME.rel,start.boot,vm.args}, releases/start_erl.data,
erts-13.1.5/bin/*, lib/APP-VSN/{ebin,priv}/...  Content is a deterministic mix of
compressible text (code-like lines) and incompressible bytes (about one third),
so compression cost is realistic.  Same arguments, same bytes.

SIZES is how file sizes are drawn (the mean is MEGABYTES / FILES either way):
  flat  exponential (the default): nearly every file is small, almost no
        bytes are in files of 64 KiB or more (a release of many small files)
  otp   log-normal with a heavy tail, like a real OTP release: Debian's
        /usr/lib/erlang has 56% of its bytes in files of 64 KiB or more and
        a median file of 13 KB; sigma 1.8 gives about 45% at this mean
"""
import gzip, io, math, os, random, sys, tarfile

def main():
    out, name, vsn, mb, nfiles = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
    sizes = sys.argv[6] if len(sys.argv) > 6 else "flat"
    if sizes not in ("flat", "otp"):
        sys.exit("mkrelease.py: SIZES is flat or otp, not %r" % sizes)
    rnd = random.Random(42)
    total = int(mb * 1024 * 1024)
    words = [b"defmodule", b"def", b"end", b"case", b"when", b"receive", b"{ok,", b"State}",
             b"gen_server:call(", b"lists:map(", b"fun(X) ->", b"io_lib:format(", b"<<\"", b"\">>",
             b"handle_info", b"Pid", b"Ref", b"timeout", b"-spec", b"-export([", b"])."]
    def text(n):
        buf = bytearray()
        while len(buf) < n:
            line = b" ".join(rnd.choice(words) for _ in range(rnd.randint(3, 12)))
            buf += line + b"\n"
        return bytes(buf[:n])
    def blob(n):
        return rnd.randbytes(n)
    def generate():
        yield ("bin/" + name, b"#!/bin/sh\n# RELX start script\nexec erl \"$@\"\n", 0o755)
        yield ("releases/start_erl.data", b"13.1.5 " + vsn.encode() + b"\n", 0o644)
        yield ("releases/%s/%s.rel" % (vsn, name),
               ('{release,{"%s","%s"},{erts,"13.1.5"},[]}.\n' % (name, vsn)).encode(), 0o644)
        yield ("releases/%s/vm.args" % vsn, b"-name app@127.0.0.1\n", 0o644)
        napps = max(1, nfiles // 100)
        per = max(1, (total // max(1, nfiles)))
        made = 4
        i = 0
        while made < nfiles:
            app = "app%03d-1.%d.0" % (i % napps, i % 7)
            kind = rnd.random()
            if sizes == "otp":
                sigma = 1.8     # median = mean / exp(sigma^2 / 2)
                size = max(64, int(rnd.lognormvariate(math.log(per) - sigma * sigma / 2, sigma)))
            else:
                size = max(64, int(rnd.expovariate(1.0 / per)))
            if kind < 0.66:
                yield ("lib/%s/ebin/m%05d.beam" % (app, i), text(size), 0o644)
            else:
                yield ("lib/%s/priv/static/a%05d.bin" % (app, i), blob(size), 0o644)
            made += 1
            i += 1
    # streamed: one entry in memory at a time (the bench makes 1 GB releases)
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tf:
            for path, data, mode in generate():
                ti = tarfile.TarInfo(path)
                ti.size, ti.mode, ti.mtime, ti.uid, ti.gid = len(data), mode, 1700000000, 0, 0
                ti.uname = ti.gname = "root"
                tf.addfile(ti, io.BytesIO(data))

if __name__ == "__main__":
    main()
