#!/usr/bin/env python3
"""Makes N versions of one package from a .deb and an .rpm built once, for
bench/store.sh (a large store without N builds).

    mkstore.py BASE.deb BASE.rpm OLDVER FMT OUTDIR N

OLDVER is the upstream version the base packages were built with (e.g.
9.99999); version i (1..N) is OLDVER's length worth of "1." + i, zero
padded (1.00001 ..), so that every occurrence of OLDVER in the package's
metadata is replaced in place, lengths unchanged:

  .deb  control.tar.gz is inflated, rewritten, deflated again (control,
        md5sums, scripts); data.tar is the base's (its paths still name
        OLDVER: these packages are for indexing and solving, not installing)
  .rpm  the lead and the main header are rewritten in place; the
        signature header's SHA1 and SHA256 of the header are recomputed
        (the payload and its digest are the base's)

FMT: deb, rpm or both.
"""
import gzip, hashlib, io, os, struct, sys


def ar_members(data):
    assert data[:8] == b"!<arch>\n", "not an ar archive"
    off, out = 8, []
    while off < len(data):
        hdr = data[off:off + 60]
        name = hdr[:16].rstrip()
        size = int(hdr[48:58])
        out.append((name, hdr, data[off + 60:off + 60 + size]))
        off += 60 + size + (size & 1)
    return out


def ar_join(members):
    b = bytearray(b"!<arch>\n")
    for name, hdr, body in members:
        b += hdr[:48] + b"%-10d" % len(body) + hdr[58:60] + body
        if len(body) & 1:
            b += b"\n"
    return bytes(b)


def deb_variant(members, old, new):
    out = []
    for name, hdr, body in members:
        if name.startswith(b"control.tar"):
            assert name == b"control.tar.gz", "base .deb must have control.tar.gz"
            raw = gzip.decompress(body).replace(old, new)
            body = gzip.compress(raw, 6, mtime=0)
        out.append((name, hdr, body))
    return ar_join(out)


def rpm_layout(data):
    """Offsets of the signature header and the main header."""
    def hsize(off):
        assert data[off:off + 3] == b"\x8e\xad\xe8", "bad rpm header magic"
        il, dl = struct.unpack(">II", data[off + 8:off + 16])
        return 16 + 16 * il + dl
    sig = 96
    ssz = hsize(sig)
    main = sig + ssz + (-ssz % 8)
    return sig, main, hsize(main)


def rpm_variant(data, layout, old, new):
    sig, main, msz = layout
    b = bytearray(data)
    b[:96] = b[:96].replace(old, new)
    hdr = bytes(b[main:main + msz]).replace(old, new)
    b[main:main + msz] = hdr
    # signature tags 269 (SHA1) and 273 (SHA256): hex strings of the header
    il = struct.unpack(">I", b[sig + 8:sig + 12])[0]
    store = sig + 16 + 16 * il
    for i in range(il):
        tag, typ, off, cnt = struct.unpack(">IIiI", b[sig + 16 + 16 * i:sig + 32 + 16 * i])
        if tag in (269, 273):
            h = (hashlib.sha1 if tag == 269 else hashlib.sha256)(hdr).hexdigest().encode()
            b[store + off:store + off + len(h)] = h
    return bytes(b)


def main():
    base_deb, base_rpm, oldver, fmt, outdir, n = sys.argv[1:7]
    n = int(n)
    old = oldver.encode()
    width = len(oldver) - 2
    assert n < 10 ** width, "N too large for OLDVER's length"
    os.makedirs(outdir, exist_ok=True)
    debm = ar_members(open(base_deb, "rb").read()) if fmt in ("deb", "both") else None
    rpmd = open(base_rpm, "rb").read() if fmt in ("rpm", "both") else None
    layout = rpm_layout(rpmd) if rpmd else None
    debname, rpmname = os.path.basename(base_deb), os.path.basename(base_rpm)
    for i in range(1, n + 1):
        new = b"1.%0*d" % (width, i)
        assert len(new) == len(old)
        if debm:
            with open(os.path.join(outdir, debname.replace(oldver, new.decode())), "wb") as f:
                f.write(deb_variant(debm, old, new))
        if rpmd:
            with open(os.path.join(outdir, rpmname.replace(oldver, new.decode())), "wb") as f:
                f.write(rpm_variant(rpmd, layout, old, new))


if __name__ == "__main__":
    main()
