#!/usr/bin/env python3
"""mk.py OUTDIR — write the hostile/broken tarballs of tests/t_hostile.sh.

Every archive looks like a generic release (app-1.0.0/bin/app,
app-1.0.0/lib/x, ...) built with `--name app --version 1.0.0`, plus one
fault.  Output is byte-for-byte deterministic (fixed mtimes and owners,
gzip mtime 0, "random" bytes from sha256 of a fixed seed):

  OUTDIR/CASE.tar.gz   one archive per case
  OUTDIR/cases.txt     CASE<TAB>EXPECTED   relpkg must refuse (exit 1, nothing
                                           left in --out), stderr must contain
                                           EXPECTED
  OUTDIR/accepted.txt  CASE<TAB>EXPECTED   relpkg must build it (exit 0);
                                           EXPECTED is "-" or a substring of
                                           the warning on stderr

EXPECTED is one or more alternatives separated by "|", matched as fixed
strings, case-insensitively.  Where there is a culprit entry it is the
entry's path below the top directory (so it matches whether relpkg prints
"app-1.0.0/lib/x" or "lib/x"); culprit names are chosen to be unique.
Only faults without an entry (compression, not an archive, empty) use words.
"""

import gzip
import hashlib
import io
import os
import sys
import tarfile
import zlib

TOP = "app-1.0.0"
MTIME = 1700000000
APP = b"#!/bin/sh\necho app 1.0.0\n"


def prng(n, seed):
    """n deterministic pseudo-random bytes (sha256 in counter mode)."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%s:%d" % (seed, i)).digest()
        i += 1
    return bytes(out[:n])


def info(name, typ=tarfile.REGTYPE, mode=0o644, size=0, linkname=""):
    ti = tarfile.TarInfo(name)
    ti.type = typ
    ti.mode = mode
    ti.size = size
    ti.linkname = linkname
    ti.mtime = MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    return ti


def d(name):
    return (info(name, tarfile.DIRTYPE, 0o755), None)


def f(name, data=b"x\n", mode=0o644):
    return (info(name, size=len(data), mode=mode), data)


def link(name, target, typ=tarfile.SYMTYPE):
    return (info(name, typ, 0o777 if typ == tarfile.SYMTYPE else 0o644,
                 linkname=target), None)


def base():
    """The entries of a well-formed generic release."""
    return [
        d(TOP + "/"),
        d(TOP + "/bin/"),
        f(TOP + "/bin/app", APP, 0o755),
        d(TOP + "/lib/"),
        f(TOP + "/lib/x", b"library\n"),
        d(TOP + "/share/"),
        f(TOP + "/share/readme.txt", b"readme\n"),
    ]


def tar_bytes(entries, fmt=tarfile.GNU_FORMAT):
    """A tar archive (bytes) of (TarInfo, data) pairs, in order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, encoding="utf-8",
                      errors="surrogateescape") as tf:
        for ti, data in entries:
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def huge_size_tar():
    """A header declaring 1 TiB followed by a few bytes and end-of-archive."""
    pre = tar_bytes(base())[:-2 * 512]          # drop the end-of-archive blocks
    pre = pre.rstrip(b"\0")                     # and the record padding ...
    pre += b"\0" * (-len(pre) % 512)            # ... back to a block boundary
    # tarfile's GNU format writes sizes >= 8 GiB in base-256.
    ti = info(TOP + "/lib/huge-declared", size=1 << 40)
    hdr = ti.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
    body = b"only a few bytes follow\n".ljust(512, b"\0")
    return pre + hdr + body + b"\0" * 1024


def gzip_bytes_flipped():
    """A .tar.gz whose deflate stream is broken in the middle.  The tar is
    compressed in two halves with a full flush between them, so the second
    half starts on a byte boundary with a fresh block header; that byte is
    changed to declare the reserved block type 3, which every inflater
    rejects ("invalid block type") -- a deterministic data error."""
    tar = tar_bytes(base() + [f(TOP + "/lib/blob", prng(64 * 1024, b"flip"))])
    half = len(tar) // 2
    co = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = co.compress(tar[:half]) + co.flush(zlib.Z_FULL_FLUSH)
    rest = co.compress(tar[half:]) + co.flush()
    bad = first + bytes([0x06]) + rest[1:]       # BFINAL=0, BTYPE=11
    try:
        gzip.decompress(bad)
    except zlib.error:
        return bad
    raise SystemExit("mk.py: could not make a broken deflate stream")


def gzip_bad_crc():
    """A .tar.gz whose deflate stream is well formed (stored blocks of
    incompressible data) but one data byte is changed: only the gzip CRC-32
    in the trailer tells.  libarchive does not check it; gzip -t does."""
    good = gz(tar_bytes(base() + [f(TOP + "/lib/blob", prng(64 * 1024, b"crc"))]))
    bad = bytearray(good)
    bad[len(bad) // 2] ^= 0x01
    bad = bytes(bad)
    zlib.decompressobj(-zlib.MAX_WBITS).decompress(bad[10:-8])   # still inflates
    try:
        gzip.decompress(bad)
    except gzip.BadGzipFile:
        return bad
    raise SystemExit("mk.py: CRC change not detected")


def truncated_gz():
    """A valid .tar.gz cut in half; the cut lands inside a file's data."""
    payload = prng(64 * 1024, b"truncated")
    good = gz(tar_bytes(base() + [f(TOP + "/lib/blob", payload)]))
    return good[:len(good) // 2]


def not_a_tarball():
    data = prng(4096, b"not-a-tarball")
    assert data[:2] not in (b"\x1f\x8b", b"BZ", b"\xfd7", b"\x28\xb5", b"PK")
    return data


def empty_tar():
    return tar_bytes([])


def tgz(entries, fmt=tarfile.GNU_FORMAT):
    return gz(tar_bytes(entries, fmt))


def cases():
    """(case, expected, bytes of CASE.tar.gz) for the archives to refuse."""
    B = base
    T = TOP
    yield ("dotdot", "../../etc/passwd",
           tgz(B() + [f(T + "/../../etc/passwd", b"root::0:0::/:/bin/sh\n")]))
    yield ("dotdot-inner", "lib/../../escape-inner",
           tgz(B() + [f(T + "/lib/../../escape-inner")]))
    yield ("absolute", "/etc/passwd",
           tgz(B() + [f("/etc/passwd", b"root::0:0::/:/bin/sh\n")]))
    yield ("symlink-out-rel", "lib/shadow-rel",
           tgz(B() + [link(T + "/lib/shadow-rel", "../../../etc/shadow")]))
    yield ("symlink-out-abs", "lib/shadow-abs",
           tgz(B() + [link(T + "/lib/shadow-abs", "/etc/shadow")]))
    yield ("hardlink-missing", "lib/hardlink-missing",
           tgz(B() + [link(T + "/lib/hardlink-missing",
                           T + "/lib/not-in-archive", tarfile.LNKTYPE)]))
    yield ("hardlink-out-rel", "lib/hardlink-out-rel",
           tgz(B() + [link(T + "/lib/hardlink-out-rel", "../x",
                           tarfile.LNKTYPE)]))
    yield ("hardlink-out-abs", "lib/hardlink-out-abs",
           tgz(B() + [link(T + "/lib/hardlink-out-abs", "/etc/passwd",
                           tarfile.LNKTYPE)]))
    chrdev = info(T + "/lib/chardev-null", tarfile.CHRTYPE, 0o666)
    chrdev.devmajor, chrdev.devminor = 1, 3
    yield ("chardev", "lib/chardev-null", tgz(B() + [(chrdev, None)]))
    blkdev = info(T + "/lib/blockdev-sda", tarfile.BLKTYPE, 0o660)
    blkdev.devmajor, blkdev.devminor = 8, 0
    yield ("blockdev", "lib/blockdev-sda", tgz(B() + [(blkdev, None)]))
    fifo = info(T + "/lib/fifo-pipe", tarfile.FIFOTYPE, 0o644)
    yield ("fifo", "lib/fifo-pipe", tgz(B() + [(fifo, None)]))
    yield ("setuid", "bin/setuid-tool",
           tgz(B() + [f(T + "/bin/setuid-tool", APP, 0o4755)]))
    yield ("setgid", "bin/setgid-tool",
           tgz(B() + [f(T + "/bin/setgid-tool", APP, 0o2755)]))
    yield ("duplicate", "lib/dup-entry",
           tgz(B() + [f(T + "/lib/dup-entry", b"first\n"),
                      f(T + "/lib/dup-entry", b"second\n")]))
    yield ("file-then-dir", "lib/file-or-dir",
           tgz(B() + [f(T + "/lib/file-or-dir"),
                      f(T + "/lib/file-or-dir/y")]))
    yield ("symlink-parent-out", "sbin-evil",
           tgz(B() + [link(T + "/sbin-evil", "/tmp"),
                      f(T + "/sbin-evil/planted", APP, 0o755)]))
    yield ("symlink-parent-in", "lib/alias",
           tgz(B() + [link(T + "/lib/alias", "../share"),
                      f(T + "/lib/alias/planted")]))
    # One 300-byte path component; PAX carries the long name.
    yield ("overlong-name", "lib/long" + "x" * 40,
           tgz(B() + [f(T + "/lib/long" + "x" * 296)], tarfile.PAX_FORMAT))
    # Raw bytes 0xff 0xfe in a ustar name field (surrogateescape).
    yield ("non-utf8-name", "lib/bad-bytes",
           tgz(B() + [f(T + "/lib/bad-bytes\udcff\udcfe")],
               tarfile.USTAR_FORMAT))
    yield ("newline-name", "lib/new",
           tgz(B() + [f(T + "/lib/new\nline")]))
    yield ("huge-size", "lib/huge-declared", gz(huge_size_tar()))
    # No culprit entry: words, none of which is in the case's file name.
    yield ("gzip-cut-in-half", "truncat|unexpected end|premature|ended before",
           truncated_gz())
    yield ("gzip-bytes-flipped", "corrupt|damaged|invalid|crc|checksum"
           "|decompress|inflate|zlib", gzip_bytes_flipped())
    yield ("gzip-bad-crc", "corrupt|crc|checksum|mismatch",
           gzip_bad_crc())
    yield ("random-bytes", "format|not a tar|not a gzip|unrecogni",
           not_a_tarball())
    yield ("zero-entries", "empty|no entries|no files", gz(empty_tar()))


def accepted():
    """(case, expected warning or "-", bytes) for archives to build."""
    yield ("control", "-", tgz(base()))
    yield ("world-writable", "lib/world-writable",
           tgz(base() + [f(TOP + "/lib/world-writable", b"ww\n", 0o666)]))


def write_all(outdir, manifest, items):
    with open(os.path.join(outdir, manifest), "w") as man:
        for name, expected, data in items:
            with open(os.path.join(outdir, name + ".tar.gz"), "wb") as fh:
                fh.write(data)
            man.write("%s\t%s\n" % (name, expected))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mk.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write_all(out, "cases.txt", cases())
    write_all(out, "accepted.txt", accepted())


if __name__ == "__main__":
    main()
