# shellcheck shell=sh
# t_compressonce.sh — compress once, frame twice (issue 17, src/zsink.h):
# with gzip, the data of every file of 32 KiB or more is compressed once
# into gzip members that the .deb's data.tar.gz and the .rpm's payload
# both carry, byte for byte; with xz, of every file of 144 KiB or more,
# into xz blocks of one stream.  Checked here: the members really are shared
# (the shared ones decompress to at least the large files' bytes); each
# reader takes the packages whole (dpkg-deb, tar, libarchive's bsdtar,
# gzip -t / xz -t, rpm -K, rpm2cpio + cpio, rpm -i) and both unpack to the same
# tree; sizes stay within 2% of packages built one format at a time (no
# sharing); zstd packages are one frame, xz packages one stream.  lintian and
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
# large files: 3.5 MiB half text half random, 200 KiB of text, 32 KiB
# exactly (gzip's threshold) and one byte less; many small ones around them
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
open(d + "/priv/edge.bin", "wb").write(text(32 << 10))
open(d + "/priv/under.bin", "wb").write(text((32 << 10) - 1))
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

# units RAW: "sha256 plain-size" of each unit of a payload: a gzip member,
# or an xz block (offsets from xz --robot -lvv)
units() {
	case $1 in
	*.gz) python3 - "$1" <<'EOF'
import hashlib, sys, zlib
data = open(sys.argv[1], "rb").read()
while data:
    d = zlib.decompressobj(31)
    plain = d.decompress(data)
    n = len(data) - len(d.unused_data)
    print(hashlib.sha256(data[:n]).hexdigest(), len(plain))
    data = d.unused_data
EOF
		;;
	*.xz) xz --robot -lvv "$1" | awk -F '\t' '$1 == "block" { print $5, $7, $8 }' |
		python3 -c '
import hashlib, sys
data = open(sys.argv[1], "rb").read()
for line in sys.stdin:
    off, size, plain = map(int, line.split())
    print(hashlib.sha256(data[off:off + size]).hexdigest(), plain)' "$1" ;;
	esac
}

# gzip: files of 32 KiB or more are shared (1 MiB members); xz: files of
# 144 KiB or more (1 MiB blocks, src/payload.h)
for c in gzip xz; do
	case $c in
	gzip) ext=gz large=$(((3584 + 200 + 32) * 1024)) ;;
	xz) ext=xz large=$(((3584 + 200) * 1024)) ;;
	esac
	if ! build "$T/$c" --compression "$c"; then
		fail "$c: deb+rpm build"
		continue
	fi
	deb=$(ls "$T/$c"/*.deb) rpm=$(ls "$T/$c"/*.rpm)
	mkdir -p "$T/$c/m"
	(cd "$T/$c/m" && ar x "$deb" "data.tar.$ext")
	# the rpm payload: after the lead (96 bytes), the signature header
	# (padded to 8) and the main header
	python3 - "$rpm" >"$T/$c/m/payload.$ext" <<'EOF' || fail "$c: rpm payload extracted"
import struct, sys
b = open(sys.argv[1], "rb").read()
il, dl = struct.unpack(">II", b[96 + 8:96 + 16])
h = 96 + (16 + il * 16 + dl + 7) // 8 * 8
il, dl = struct.unpack(">II", b[h + 8:h + 16])
sys.stdout.buffer.write(b[h + 16 + il * 16 + dl:])
EOF
	units "$T/$c/m/data.tar.$ext" | sort -u >"$T/$c/m/d.units"
	units "$T/$c/m/payload.$ext" | sort -u >"$T/$c/m/r.units"
	nd=$(wc -l <"$T/$c/m/d.units") nr=$(wc -l <"$T/$c/m/r.units")
	comm -12 "$T/$c/m/d.units" "$T/$c/m/r.units" >"$T/$c/m/shared"
	ns=$(wc -l <"$T/$c/m/shared")
	shared_bytes=$(awk '{ n += $2 } END { print n + 0 }' "$T/$c/m/shared")
	note "$c: data.tar.$ext $nd units, rpm payload $nr, shared $ns ($shared_bytes bytes compressed once)"
	if [ "$shared_bytes" -ge "$large" ] && [ "$ns" -ge 5 ]; then
		pass "$c: the large files' data is compressed once, the same units in both packages"
	else
		fail "$c: the large files' data is compressed once" \
			"shared units: $ns, $shared_bytes bytes; the files to share hold $large"
	fi
	expect_eq "$c: $c -t data.tar.$ext" "$($c -t "$T/$c/m/data.tar.$ext" 2>&1)" ""
	expect_eq "$c: $c -t the rpm payload" "$($c -t "$T/$c/m/payload.$ext" 2>&1)" ""
	expect_eq "$c: libarchive (bsdtar) lists data.tar.$ext whole" \
		"$(bsdtar -tf "$T/$c/m/data.tar.$ext" 2>&1 | grep -c 'priv/big.bin')" 1
	expect_eq "$c: rpm -K" "$(rpm -K "$rpm" 2>&1 | sed 's/.*: //')" "digests OK"
	mkdir -p "$T/$c/xd" "$T/$c/xr"
	dpkg-deb -x "$deb" "$T/$c/xd" || fail "$c: dpkg-deb -x"
	(cd "$T/$c/xr" && rpm2cpio "$rpm" | cpio -idm --quiet) || fail "$c: rpm2cpio | cpio"
	if cmp -s "$(find "$T/$c/xd" -name big.bin | head -n 1)" "$src/rel/lib/app-1.0.0/priv/big.bin"; then
		pass "$c: dpkg-deb unpacks the large file as it was"
	else
		fail "$c: dpkg-deb unpacks the large file as it was" "$(find "$T/$c/xd" -name big.bin)"
	fi
	expect_eq "$c: the .deb and the .rpm unpack to the same release tree" \
		"$(diff -r "$T/$c/xd/opt" "$T/$c/xr/opt" 2>&1 | head -n 5)" ""
	# rpm's installer (not only rpm2cpio): into a fresh root, then rpm -V
	if rpm --root "$T/$c/root" --initdb &&
		rpm -i --root "$T/$c/root" --nodeps --noscripts "$rpm" 2>"$T/$c/rpm-i.err"; then
		expect_eq "$c: rpm -i --root installs it, rpm -V finds every file as packaged" \
			"$(rpm -V --root "$T/$c/root" --nodeps app 2>&1 | head -n 5)" ""
	else
		fail "$c: rpm -i --root installs it" "$(tail -n 3 "$T/$c/rpm-i.err")"
	fi

	# the size cost: against each format built alone (nothing shared)
	if build "$T/$c-deb" --format deb --compression "$c" && build "$T/$c-rpm" --format rpm --compression "$c"; then
		for pair in "$deb:$(ls "$T/$c-deb"/*.deb)" "$rpm:$(ls "$T/$c-rpm"/*.rpm)"; do
			set -- "${pair%%:*}" "${pair#*:}"
			a=$(stat -c %s "$1") b=$(stat -c %s "$2")
			pct=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.2f", (a - b) * 100 / b }')
			note "$c: $(basename "$1"): $a bytes shared, $b alone ($pct%)"
			if awk -v a="$a" -v b="$b" 'BEGIN { exit !(a <= b * 1.02) }'; then
				pass "$c: $(basename "$1") within 2% of the unshared build"
			else
				fail "$c: $(basename "$1") within 2% of the unshared build" "$a vs $b bytes ($pct%)"
			fi
		done
	else
		fail "$c: one-format builds"
	fi
done

# zstd: nothing is split (dpkg 1.21 cannot read a data.tar.zst of many
# frames; see zsink.h): one frame.  xz: blocks, in one stream (rpm's and
# dpkg's readers stop after the first stream)
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
