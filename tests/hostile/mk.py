#!/usr/bin/env python3
"""mk.py OUTDIR — write the hostile/broken tarballs of tests/t_hostile.sh.

Every archive looks like a generic release (app-1.0.0/bin/app,
app-1.0.0/lib/x, ...) or an OTP one (otp(): releases/start_erl.data,
releases/1.0.0/NAME.rel) built with `--name app --version 1.0.0`, plus one
fault.  Output is byte-for-byte deterministic (fixed mtimes and owners,
gzip mtime 0, "random" bytes from sha256 of a fixed seed):

  OUTDIR/CASE.tar.gz   one archive per case
  OUTDIR/cases.txt     CASE<TAB>EXPECTED   relpkg must refuse (exit 1, nothing
                                           left in --out), stderr must contain
                                           EXPECTED
  OUTDIR/accepted.txt  CASE<TAB>EXPECTED   relpkg must build it (exit 0);
                                           EXPECTED is "-" or a substring of
                                           the warning on stderr
  OUTDIR/secret.txt    CASE<TAB>PATH       relpkg must build it and package
                                           PATH (below the release) 0640,
                                           group = the service user (cookie)
  OUTDIR/rss.txt       CASE<TAB>MAX_KB     relpkg must build it with a peak
                                           RSS below MAX_KB (deep trees)

cases.txt may have a third column: extra flags for that case (words
separated by spaces, no quoting).

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


def octal_or_256(n, width):
    """A tar number field: octal when it fits, else GNU base-256."""
    if n < 8 ** (width - 1):
        return b"%0*o\0" % (width - 1, n)
    return bytes([0x80]) + n.to_bytes(width - 1, "big")


def gnu_sparse(name, realsize, regions, fill=b"s"):
    """An old-GNU sparse member (typeflag 'S', up to 4 map entries in the
    header) of realsize bytes whose data regions are (offset, length) in
    the given order -- which may be out of order or overlapping, as no
    tar writer would make them."""
    assert len(regions) <= 4
    data = b"".join(fill * n for _, n in regions)
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = octal_or_256(len(data), 12)
    h[136:148] = octal_or_256(MTIME, 12)
    h[156:157] = b"S"
    h[257:265] = b"ustar  \0"
    h[265:269] = b"root"
    h[297:301] = b"root"
    for i, (off, n) in enumerate(regions):
        at = 386 + 24 * i
        h[at:at + 12] = octal_or_256(off, 12)
        h[at + 12:at + 24] = octal_or_256(n, 12)
    h[482] = 0
    h[483:495] = octal_or_256(realsize, 12)
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h) + data + b"\0" * (-len(data) % 512)


def with_raw_member(member, entries=None):
    """The base release, then a raw member (header + data), then the end."""
    pre = tar_bytes(entries if entries is not None else base())[:-2 * 512]
    pre = pre.rstrip(b"\0")
    pre += b"\0" * (-len(pre) % 512)
    return pre + member + b"\0" * 1024


def otp(rel_name="app", rel_vsn="1.0.0", sed=b"14.0 1.0.0\n", rel=None, extra=()):
    """An OTP release layout (releases/start_erl.data, releases/VSN/N.rel,
    bin/N) in the usual wrapper directory."""
    T = TOP
    if rel is None:
        rel = ('{release, {"%s", "%s"}, {erts, "14.0"}, []}.\n'
               % (rel_name, rel_vsn)).encode()
    return [
        d(T + "/"),
        d(T + "/bin/"),
        f(T + "/bin/" + rel_name, b"#!/bin/sh\n# relx\necho $1\n", 0o755),
        d(T + "/lib/"),
        f(T + "/lib/x", b"library\n"),
        d(T + "/releases/"),
        f(T + "/releases/start_erl.data", sed),
        d(T + "/releases/1.0.0/"),
        f(T + "/releases/1.0.0/" + rel_name + ".rel", rel),
    ] + list(extra)


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

    # --- issue 11, items 6-12 ---------------------------------------------
    # 6: names from release metadata pass the rule of --name even with
    # --name; a bin/ script of that name exists (it would be in commands).
    yield ("relname-subst", "$(touch x)",
           tgz(otp(rel_name="$(touch x)")))
    yield ("relname-quote", "a'b c", tgz(otp(rel_name="a'b c")))
    yield ("relname-newline", "evil\\x0arelpkg",
           tgz(otp(rel=b'{release, {"evil\nrelpkg: forged", "1.0.0"}, '
                   b'{erts, "14.0"}, []}.\n')))
    # 7: links resolved through the archive's other links, and loops.
    yield ("symlink-via-symlink", "lib/t-escape",
           tgz(B() + [d(T + "/d/"), link(T + "/d/u", ".."),
                      link(T + "/lib/t-escape",
                           "../d/u/d/u/../../../../etc/shadow")]))
    yield ("symlink-via-abs", "lib/via-abs",
           tgz(B() + [d(T + "/d/"),
                      link(T + "/lib/via-abs", "../d/hop/x"),
                      link(T + "/d/hop", "../lib/up-one"),
                      link(T + "/lib/up-one", "../..")]))
    yield ("symlink-loop", "lib/loop-a|lib/loop-b",
           tgz(B() + [link(T + "/lib/loop-a", "loop-b"),
                      link(T + "/lib/loop-b", "loop-a")]))
    yield ("symlink-self-loop", "lib/self-loop",
           tgz(B() + [link(T + "/lib/self-loop", "./self-loop")]))
    # 8: hard links to themselves, or to a later entry.
    yield ("hardlink-self", "lib/self-hl",
           tgz(B() + [link(T + "/lib/self-hl", T + "/lib/self-hl",
                           tarfile.LNKTYPE)]))
    yield ("hardlink-forward", "lib/fwd-hl",
           tgz(B() + [link(T + "/lib/fwd-hl", T + "/lib/later-file",
                           tarfile.LNKTYPE),
                      f(T + "/lib/later-file", b"later\n")]))
    # 9: link targets checked like names.
    yield ("link-target-newline", "lib/nl-link",
           tgz(B() + [link(T + "/lib/nl-link", "x\nrelpkg: forged")]))
    yield ("link-target-esc", "lib/esc-link",
           tgz(B() + [link(T + "/lib/esc-link", "\x1b[31mred")]))
    yield ("link-target-non-utf8", "lib/bad-utf8-link",
           tgz(B() + [link(T + "/lib/bad-utf8-link", "x\udcff\udcfe")]))
    yield ("link-target-8k", "lib/long-link",
           tgz(B() + [link(T + "/lib/long-link", "a/" * 4096 + "x")]))
    # 11: expanded size bounded (a 1 TiB hole, default 16G; a low flag),
    # sparse maps out of order or overlapping.
    yield ("sparse-1t-default", "lib/sparse-1t",
           gz(with_raw_member(gnu_sparse(T + "/lib/sparse-1t", 1 << 40,
                                         [(0, 512)]))))
    yield ("sparse-64m-max-1m", "lib/sparse-64m",
           gz(with_raw_member(gnu_sparse(T + "/lib/sparse-64m", 64 << 20,
                                         [(0, 512)]))),
           "--max-size 1M")
    yield ("files-sum-over-max", "lib/third-400k",
           tgz(B() + [f(T + "/lib/first-400k", b"1" * (400 << 10)),
                      f(T + "/lib/second-400k", b"2" * (400 << 10)),
                      f(T + "/lib/third-400k", b"3" * (400 << 10))]),
           "--max-size 1M")
    yield ("sparse-overlap", "lib/sparse-overlap",
           gz(with_raw_member(gnu_sparse(T + "/lib/sparse-overlap", 8192,
                                         [(0, 1024), (512, 1024)]))))
    yield ("sparse-unordered", "lib/sparse-unordered",
           gz(with_raw_member(gnu_sparse(T + "/lib/sparse-unordered", 8192,
                                         [(4096, 512), (0, 512)]))))
    # 12: OTP metadata too large or inconsistent: refused, never generic.
    yield ("start-erl-too-large", "start_erl.data",
           tgz(otp(sed=b"14.0 1.0.0\n" + b"%" * (2 << 20))))
    yield ("rel-too-large", "releases/1.0.0/app.rel",
           tgz(otp(rel=b'{release, {"app", "1.0.0"}, {erts, "14.0"}, []}.\n'
                   + b"%" * (100 << 10))))
    yield ("rel-version-mismatch", "9.9.9",
           tgz(otp(rel_vsn="9.9.9")))


def secret():
    """(case, path of the cookie file below the release, bytes): item 3."""
    big = b"## padding\n" * 7000                   # > 64 KiB before the line
    yield ("cookie-after-64k", "releases/1.0.0/vm.args",
           tgz(otp(extra=[f(TOP + "/releases/1.0.0/vm.args",
                            b"-name app@127.0.0.1\n" + big
                            + b"  -setcookie secret-cookie\n")])))
    huge = b"+K true\n" * (300 << 10)               # 2.4 MiB, over 1 MiB
    yield ("cookie-in-2mib-vmargs", "releases/1.0.0/vm.args",
           tgz(otp(extra=[f(TOP + "/releases/1.0.0/vm.args",
                            huge + b"-setcookie c\n" + huge)])))


def rss():
    """(case, peak RSS bound in KiB, bytes): item 10, deep trees."""
    nested = [d(TOP + "/")] + [d(TOP + "/" + "a/" * k) for k in range(1, 1891)]
    yield ("deep-1890-dirs", "65536", tgz(base() + nested[1:]))
    deep = TOP + "/" + "d/" * 1800
    yield ("deep-300-files", "65536",
           tgz(base() + [f(deep + "f%03d" % i, b"%d\n" % i) for i in range(300)]))


def accepted():
    """(case, expected warning or "-", bytes) for archives to build."""
    yield ("control", "-", tgz(base()))
    yield ("world-writable", "lib/world-writable",
           tgz(base() + [f(TOP + "/lib/world-writable", b"ww\n", 0o666)]))


def write_all(outdir, manifest, items):
    with open(os.path.join(outdir, manifest), "w") as man:
        for item in items:
            name, expected, data = item[:3]
            with open(os.path.join(outdir, name + ".tar.gz"), "wb") as fh:
                fh.write(data)
            extra = "\t" + item[3] if len(item) > 3 else ""
            man.write("%s\t%s%s\n" % (name, expected, extra))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mk.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write_all(out, "cases.txt", cases())
    write_all(out, "accepted.txt", accepted())
    write_all(out, "secret.txt", secret())
    write_all(out, "rss.txt", rss())


if __name__ == "__main__":
    main()
