# shellcheck shell=sh
# t_compressonce.sh — compress once, frame twice (issue 17, src/zsink.h):
# with gzip, the data of every file of 64 KiB or more is compressed once
# into gzip members that the .deb's data.tar.gz and the .rpm's payload
# both carry, byte for byte.  Checked here: the members really are shared
# (the shared ones decompress to at least the large files' bytes); each
# reader takes the packages whole (dpkg-deb, tar, libarchive's bsdtar,
# gzip -t, rpm -K, rpm2cpio + cpio) and both unpack to
# the same tree; sizes stay within 2% of packages built one format at a
# time (no sharing); zstd and xz packages are not split.  lintian and
# rpmlint judge gzip packages of releases with ERTS (files of MBs, so
# shared members) in t_deb and t_rpm; apt, dnf and zypper install such
# packages in t_otp_lifecycle, t_hot and t_sign.
need_cmd python3 dpkg-deb rpm rpm2cpio cpio bsdtar gzip zstd xz cmp ar
need_relpkg
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH

src=$T/src
mkdir -p "$src/rel/bin" "$src/rel/lib/app-1.0.0/priv" "$src/rel/lib/app-1.0.0/ebin"
printf '#!/bin/sh\nexec sleep 1000\n' >"$src/rel/bin/app"
chmod 755 "$src/rel/bin/app"
# large files: 3.5 MiB half text half random, 200 KiB of text, 64 KiB
# exactly (the threshold); many small ones around them
python3 - "$src/rel/lib/app-1.0.0" <<'EOF'
import os, random, sys
d = sys.argv[1]
r = random.Random(7)
def text(n):
    words = [b"handle_call", b"State", b"{ok,", b"end.", b"gen_server", b"Pid", b"->"]
    b = bytearray()
    while len(b) < n:
        b += b" ".join(r.choice(words) for _ in range(8)) + b"\n"
    return bytes(b[:n])
open(d + "/priv/big.bin", "wb").write(text(1792 << 10) + r.randbytes(1792 << 10))
open(d + "/priv/mid.txt", "wb").write(text(200 << 10))
open(d + "/priv/edge.bin", "wb").write(text(64 << 10))
for i in range(300):
    open(d + "/ebin/m%03d.beam" % i, "wb").write(text(r.randint(10, 9000)))
EOF
tar -C "$src/rel" -czf "$src/app-1.0.0.tar.gz" .

build() { # OUT [FLAGS...]
	_o=$1
	shift
	rm -rf "$_o"
	"$RELPKG" build "$src/app-1.0.0.tar.gz" --name app --version 1.0.0 --out "$_o" -q \
		--maintainer 'T <t@example.org>' "$@" </dev/null
}

if ! build "$T/both"; then
	fail "gzip: deb+rpm build"
else
	deb=$T/both/app_1.0.0-1_all.deb rpm=$T/both/app-1.0.0-1.noarch.rpm
	[ -f "$deb" ] || deb=$(ls "$T"/both/*.deb)
	[ -f "$rpm" ] || rpm=$(ls "$T"/both/*.rpm)
	(cd "$T" && ar x "$deb" data.tar.gz)
	# the rpm payload: after the lead (96 bytes), the signature header
	# (padded to 8) and the main header
	python3 - "$rpm" >"$T/payload.gz" <<'EOF' || fail "gzip: rpm payload extracted"
import struct, sys
b = open(sys.argv[1], "rb").read()
il, dl = struct.unpack(">II", b[96 + 8:96 + 16])
h = 96 + (16 + il * 16 + dl + 7) // 8 * 8
il, dl = struct.unpack(">II", b[h + 8:h + 16])
sys.stdout.buffer.write(b[h + 16 + il * 16 + dl:])
EOF
	# members: each gzip member's raw bytes, hashed; the shared ones are
	# in both; their decompressed size is what was compressed once
	python3 - "$T/data.tar.gz" "$T/payload.gz" >"$T/members" <<'EOF'
import hashlib, sys, zlib
def members(path):
    data = open(path, "rb").read()
    out = {}
    while data:
        d = zlib.decompressobj(31)
        plain = d.decompress(data)
        n = len(data) - len(d.unused_data)
        out[hashlib.sha256(data[:n]).hexdigest()] = len(plain)
        data = d.unused_data
    return out
a, b = members(sys.argv[1]), members(sys.argv[2])
shared = set(a) & set(b)
print(len(a), len(b), len(shared), sum(a[h] for h in shared))
EOF
	read -r nd nr ns shared_bytes <"$T/members"
	note "gzip: data.tar.gz $nd members, rpm payload $nr, shared $ns ($shared_bytes bytes compressed once)"
	large=$(((3584 + 200 + 64) * 1024))
	if [ "${shared_bytes:-0}" -ge "$large" ] && [ "$ns" -ge 5 ]; then
		pass "gzip: the large files' data is compressed once, the same members in both packages"
	else
		fail "gzip: the large files' data is compressed once" \
			"shared members: ${ns:-?}, ${shared_bytes:-?} bytes; the files of 64 KiB and more hold $large"
	fi
	expect_eq "gzip: gzip -t data.tar.gz" "$(gzip -t "$T/data.tar.gz" 2>&1)" ""
	expect_eq "gzip: gzip -t the rpm payload" "$(gzip -t "$T/payload.gz" 2>&1)" ""
	expect_eq "gzip: libarchive (bsdtar) lists data.tar.gz whole" \
		"$(bsdtar -tzf "$T/data.tar.gz" 2>&1 | grep -c 'priv/big.bin')" 1
	expect_eq "gzip: rpm -K" "$(rpm -K "$rpm" 2>&1 | sed 's/.*: //')" "digests OK"
	mkdir -p "$T/xd" "$T/xr"
	dpkg-deb -x "$deb" "$T/xd" || fail "gzip: dpkg-deb -x"
	(cd "$T/xr" && rpm2cpio "$rpm" | cpio -idm --quiet) || fail "gzip: rpm2cpio | cpio"
	if cmp -s "$T/xd/opt/app/releases/1.0.0/lib/app-1.0.0/priv/big.bin" "$src/rel/lib/app-1.0.0/priv/big.bin" 2>/dev/null ||
		cmp -s "$(find "$T/xd" -name big.bin | head -n 1)" "$src/rel/lib/app-1.0.0/priv/big.bin"; then
		pass "gzip: dpkg-deb unpacks the large file as it was"
	else
		fail "gzip: dpkg-deb unpacks the large file as it was" "$(find "$T/xd" -name big.bin)"
	fi
	expect_eq "gzip: the .deb and the .rpm unpack to the same release tree" \
		"$(diff -r "$T/xd/opt" "$T/xr/opt" 2>&1 | head -n 5)" ""

	# the size cost: against each format built alone (nothing shared)
	if build "$T/deb" --format deb && build "$T/rpm" --format rpm; then
		for pair in "$deb:$(ls "$T"/deb/*.deb)" "$rpm:$(ls "$T"/rpm/*.rpm)"; do
			set -- "${pair%%:*}" "${pair#*:}"
			a=$(stat -c %s "$1") b=$(stat -c %s "$2")
			pct=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.2f", (a - b) * 100 / b }')
			note "gzip: $(basename "$1"): $a bytes shared, $b alone ($pct%)"
			if awk -v a="$a" -v b="$b" 'BEGIN { exit !(a <= b * 1.02) }'; then
				pass "gzip: $(basename "$1") within 2% of the unshared build"
			else
				fail "gzip: $(basename "$1") within 2% of the unshared build" "$a vs $b bytes ($pct%)"
			fi
		done
	else
		fail "gzip: one-format builds"
	fi
fi

# zstd and xz: nothing is split (dpkg 1.21 cannot read a data.tar.zst of
# many frames; see zsink.h): one zstd frame, one xz stream
for c in zstd xz; do
	if build "$T/$c-both" --compression "$c"; then
		m=data.tar.$(case $c in zstd) echo zst ;; *) echo xz ;; esac)
		mkdir -p "$T/$c-both/x"
		(cd "$T/$c-both/x" && ar x "$(ls "$T/$c-both"/*.deb)" "$m")
		case $c in
		zstd) n=$(zstd -lv "$T/$c-both/x/$m" 2>&1 | sed -n 's/^# Zstandard Frames: //p') ;;
		xz) n=$(xz --robot -lv "$T/$c-both/x/$m" 2>&1 | awk -F '\t' '$1 == "totals" { print $2 }') ;;
		esac
		expect_eq "$c: $m is one $(case $c in zstd) echo frame ;; *) echo stream ;; esac)" "$n" 1
		(dpkg-deb --fsys-tarfile "$(ls "$T/$c-both"/*.deb)" | tar t >/dev/null) 2>"$T/$c.err"
		expect_eq "$c: dpkg-deb reads the data member whole" "$(cat "$T/$c.err")" ""
	else
		fail "$c: builds"
	fi
done
