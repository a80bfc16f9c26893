# shellcheck shell=sh
# t_verify.sh — `relpkg verify` and `relpkg inspect` on packages built by
# relpkg, by dpkg-deb -b and by rpmbuild -bb, judged by the real tools:
# inspect's name, version and file count against dpkg-deb -f/-c and
# rpm -qp/-qpl, its --json through python3 -m json.tool; verify on good
# packages (every compression), on packages with a flipped byte, a wrong or
# missing md5sums entry, truncated files, random bytes and hand-damaged rpm
# headers: exit status 1 with a message, never a crash.
need_cmd dpkg-deb rpm rpmbuild python3 md5sum od dd stat cmp
need_relpkg
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH

# --- helpers ---

# flip IN OUT OFFSET: OUT is IN with the byte at OFFSET inverted.
flip() {
	cp "$1" "$2"
	_b=$(od -An -tu1 -j "$3" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the format is the octal escape itself
	printf "$(printf '\\%03o' $((_b ^ 255)))" | dd of="$2" bs=1 seek="$3" conv=notrunc 2>/dev/null
}

# json PKG EXPR: EXPR evaluated by python3 on inspect --json's object `j`.
json() {
	"$RELPKG" inspect "$1" --json >"$T/j.json" || return 1
	python3 -c 'import json,sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/j.json" "$2"
}

# verify_fails DESC PKG ERE: verify exits 1 and says "relpkg: PKG: ..." matching ERE.
verify_fails() {
	_rc=0
	"$RELPKG" verify "$2" >"$T/v.out" 2>"$T/v.err" || _rc=$?
	if [ "$_rc" -eq 1 ] && grep -Eq -- "^relpkg: $2: .*$3" "$T/v.err"; then
		pass "$1"
	else
		fail "$1" "exit status $_rc, want 1 and /relpkg: $2: .*$3/" "$(cat "$T/v.out" "$T/v.err")"
	fi
}

# verify_ok DESC PKG: exit 0, "PKG: OK" on stdout.
verify_ok() {
	_rc=0
	_out=$("$RELPKG" verify "$2" 2>"$T/v.err") || _rc=$?
	if [ "$_rc" -eq 0 ] && [ "$_out" = "$2: OK" ]; then
		pass "$1"
	else
		fail "$1" "exit status $_rc, stdout: $_out" "$(cat "$T/v.err")"
	fi
}

# deb_agrees NAME DEB: inspect and dpkg-deb agree on name, version, file count.
deb_agrees() {
	if ! python3 -m json.tool <"$(
		"$RELPKG" inspect "$2" --json >"$T/a.json"
		echo "$T/a.json"
	)" >/dev/null 2>"$T/json.err"; then
		fail "$1: inspect --json is JSON" "$(cat "$T/json.err")"
		return
	fi
	pass "$1: inspect --json is JSON"
	expect_eq "$1: name, version, files as dpkg-deb says" \
		"$(json "$2" 'j["name"], j["version"], len(j["files"])')" \
		"('$(dpkg-deb -f "$2" Package)', '$(dpkg-deb -f "$2" Version)', $(dpkg-deb -c "$2" | wc -l))"
}

# rpm_agrees NAME RPM: the same against rpm -qp / -qpl.
rpm_agrees() {
	if ! "$RELPKG" inspect "$2" --json | python3 -m json.tool >/dev/null 2>"$T/json.err"; then
		fail "$1: inspect --json is JSON" "$(cat "$T/json.err")"
		return
	fi
	pass "$1: inspect --json is JSON"
	expect_eq "$1: name, version, files as rpm says" \
		"$(json "$2" 'j["name"], j["version"], len(j["files"])')" \
		"$(rpm -qp --qf "('%{NAME}', '%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}', " "$2")$(rpm -qpl "$2" | wc -l))"
}

# --- relpkg's own packages ---
tb=$(fixture sample) || skip_file "the sample tarball could not be made"
mkdir -p "$T/dist"
"$RELPKG" build "$tb" --out "$T/dist" --maintainer 'relpkg tests <tests@example.org>' --quiet \
	>"$T/build.log" 2>&1 || {
	fail "relpkg build of the sample" "$(cat "$T/build.log")"
	exit 0
}
DEB=$(ls "$T"/dist/*.deb)
RPM=$(ls "$T"/dist/*.rpm)
verify_ok "relpkg's .deb verifies" "$DEB"
verify_ok "relpkg's .rpm verifies" "$RPM"
deb_agrees "relpkg's .deb" "$DEB"
rpm_agrees "relpkg's .rpm" "$RPM"
expect_eq "inspect: the deb's scripts" "$(json "$DEB" '[s["name"] for s in j["scripts"]]')" \
	"['preinst', 'postinst', 'prerm', 'postrm']"
expect_eq "inspect: the rpm's scripts" "$(json "$RPM" '[s["name"] for s in j["scripts"]]')" \
	"['%pre', '%post', '%preun', '%postun']"
expect_eq "inspect: the sample's hard link (deb)" \
	"$(json "$DEB" '[(f["type"], f["target"]) for f in j["files"] if f["path"].endswith("README.md")]')" \
	"[('hardlink', '/opt/hello/releases/1.0.0/lib/hello/README')]"
expect_match "inspect (text): symlinks show their target" "$("$RELPKG" inspect "$RPM")" \
	'^  lrwxrwxrwx root/root +[0-9]+ /opt/hello/releases/1.0.0/bin/hello-cli -> hello$'
"$RELPKG" build "$tb" --out "$T/dist-xz" --compression xz --maintainer 'T <t@example.org>' --quiet
"$RELPKG" build "$tb" --out "$T/dist-zstd" --compression zstd --maintainer 'T <t@example.org>' --quiet
for p in "$T"/dist-xz/* "$T"/dist-zstd/*; do
	verify_ok "relpkg's $(basename "$p") verifies" "$p"
done

# --- dpkg-deb -b ---
R="$T/debroot"
mkdir -p "$R/DEBIAN" "$R/usr/bin" "$R/usr/share/doc/tiny" "$R/etc"
printf '#!/bin/sh\necho tiny\n' >"$R/usr/bin/tiny"
chmod 0755 "$R/usr/bin/tiny"
ln -s tiny "$R/usr/bin/tiny-link"
echo 'a "quoted" \ file' >"$R/usr/share/doc/tiny/README"
echo conf=1 >"$R/etc/tiny.conf"
cat >"$R/DEBIAN/control" <<'EOF'
Package: tiny
Version: 2:1.2~rc1-3
Architecture: all
Maintainer: Tiny "Quoted" Tester <tiny@example.org>
Depends: libc6 (>= 2.17),
 dash | bash
Installed-Size: 12
Description: a tiny "test" package\with a backslash
 Long description line.
EOF
echo /etc/tiny.conf >"$R/DEBIAN/conffiles"
printf '#!/bin/sh\nexit 0\n' >"$R/DEBIAN/postinst"
chmod 0755 "$R/DEBIAN/postinst"
(cd "$R" && md5sum usr/bin/tiny usr/share/doc/tiny/README >DEBIAN/md5sums)
for z in gzip xz zstd none; do
	if dpkg-deb --root-owner-group -Z"$z" -b "$R" "$T/tiny-$z.deb" >/dev/null 2>"$T/dd.err"; then
		verify_ok "dpkg-deb -Z$z package verifies" "$T/tiny-$z.deb"
	else
		fail "dpkg-deb -Z$z -b" "$(cat "$T/dd.err")"
	fi
done
TINY="$T/tiny-xz.deb"
deb_agrees "dpkg-deb's .deb" "$TINY"
expect_eq "inspect: dpkg-deb's metadata" \
	"$(json "$TINY" 'j["arch"], j["maintainer"], j["depends"], j["summary"], j["installed_size"], j["scripts"]')" \
	"('all', 'Tiny \"Quoted\" Tester <tiny@example.org>', 'libc6 (>= 2.17), dash | bash', 'a tiny \"test\" package\\\\with a backslash', 12288, [{'name': 'postinst', 'size': 17}])"

# md5sums problems, each in its own package
cp -R "$R" "$T/bad1"
sed -i 's/^\([0-9a-f]\)/0/' "$T/bad1/DEBIAN/md5sums"
dpkg-deb --root-owner-group -b "$T/bad1" "$T/bad-md5.deb" >/dev/null 2>&1
verify_fails "a wrong md5sums entry is named" "$T/bad-md5.deb" 'md5sum mismatch'
cp -R "$R" "$T/bad2"
echo extra >"$T/bad2/usr/bin/extra"
dpkg-deb --root-owner-group -b "$T/bad2" "$T/unlisted.deb" >/dev/null 2>&1
verify_fails "a file missing from md5sums is named" "$T/unlisted.deb" '/usr/bin/extra: regular file not listed in md5sums'
cp -R "$R" "$T/bad3"
echo "d41d8cd98f00b204e9800998ecf8427e  usr/bin/gone" >>"$T/bad3/DEBIAN/md5sums"
dpkg-deb --root-owner-group -b "$T/bad3" "$T/gone.deb" >/dev/null 2>&1
verify_fails "an md5sums entry without a file is named" "$T/gone.deb" 'md5sums lists /usr/bin/gone'
cp -R "$R" "$T/nomd5"
rm "$T/nomd5/DEBIAN/md5sums"
dpkg-deb --root-owner-group -b "$T/nomd5" "$T/nomd5.deb" >/dev/null 2>&1
verify_ok "no md5sums (plain dpkg-deb -b): OK" "$T/nomd5.deb"
expect_match "no md5sums: a warning says so" "$(cat "$T/v.err")" '^relpkg: warning: no md5sums'

# --- rpmbuild -bb ---
cat >"$T/tiny.spec" <<'EOF'
Name: tiny
Version: 1.2~rc1
Release: 3
Epoch: 2
Summary: a tiny "test" package
License: MIT
BuildArch: noarch
Requires: bash >= 4
%description
Long description.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc %{buildroot}/usr/share/tiny
printf '#!/bin/sh\necho tiny\n' > %{buildroot}/usr/bin/tiny
chmod 0755 %{buildroot}/usr/bin/tiny
ln -s tiny %{buildroot}/usr/bin/tiny-link
echo conf=1 > %{buildroot}/etc/tiny.conf
echo data > %{buildroot}/usr/share/tiny/a
ln %{buildroot}/usr/share/tiny/a %{buildroot}/usr/share/tiny/b
: > %{buildroot}/usr/share/tiny/empty
%post
exit 0
%files
/usr/bin/tiny
/usr/bin/tiny-link
%config(noreplace) /etc/tiny.conf
/usr/share/tiny
%ghost /var/log/tiny.log
EOF
for c in w9.gzdio w6.xzdio w19.zstdio; do
	rm -rf "$T/rpmbuild"
	if rpmbuild -bb --define "_topdir $T/rpmbuild" --define "_binary_payload $c" \
		"$T/tiny.spec" >"$T/rb.log" 2>&1; then
		cp "$T"/rpmbuild/RPMS/noarch/*.rpm "$T/tiny-$c.rpm"
		verify_ok "rpmbuild ($c) package verifies" "$T/tiny-$c.rpm"
	else
		fail "rpmbuild -bb ($c)" "$(tail -20 "$T/rb.log")"
	fi
done
TRPM="$T/tiny-w9.gzdio.rpm"
rpm_agrees "rpmbuild's .rpm" "$TRPM"
expect_eq "inspect: rpmbuild's metadata" \
	"$(json "$TRPM" 'j["arch"], j["depends"], j["summary"], j["scripts"]')" \
	"('noarch', '/bin/sh, bash >= 4, config(tiny) = 2:1.2~rc1-3', 'a tiny \"test\" package', [{'name': '%post', 'size': 6}])"

# --- damage ---
# a flipped byte in the middle of the data member (the last ar member)
# the middle of the data member: ar headers are 60 bytes, members 2-aligned
mid_of_data() {
	python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
o = 8
while o < len(b):
    name, size = b[o:o + 16].strip(), int(b[o + 48:o + 58])
    if name.startswith(b"data.tar"):
        print(o + 60 + size // 2)
    o += 60 + size + size % 2' "$1"
}
flip "$DEB" "$T/flip.deb" "$(mid_of_data "$DEB")"
verify_fails "a flipped byte in data.tar.gz (relpkg's deb) is found" "$T/flip.deb" 'data\.tar\.gz: '
flip "$TINY" "$T/flip-tiny.deb" "$(mid_of_data "$TINY")"
verify_fails "a flipped byte in data.tar.xz (dpkg-deb's) is found" "$T/flip-tiny.deb" 'data\.tar\.xz: '
flip "$RPM" "$T/flip.rpm" $(($(stat -c %s "$RPM") - 300))
verify_fails "a flipped byte in the payload (relpkg's rpm) is found" "$T/flip.rpm" 'payload digest mismatch'
flip "$TRPM" "$T/flip-tiny.rpm" $(($(stat -c %s "$TRPM") - 40))
verify_fails "a flipped byte in the payload (rpmbuild's) is found" "$T/flip-tiny.rpm" 'digest mismatch'
flip "$RPM" "$T/flip-hdr.rpm" 1000
verify_fails "a flipped byte in the rpm header is found" "$T/flip-hdr.rpm" 'header SHA(256|1) digest mismatch'

# truncated packages, random bytes, not a package at all
for pkg in "$DEB" "$RPM" "$TINY" "$TRPM"; do
	size=$(stat -c %s "$pkg")
	for n in 0 7 60 100 $((size / 3)) $((size - 1)); do
		head -c "$n" "$pkg" >"$T/trunc"
		check_status "verify $(basename "$pkg") cut to $n bytes: exit 1" 1 "$RELPKG" verify "$T/trunc"
	done
	head -c $((size / 2)) "$pkg" >"$T/trunc"
	check_status "inspect $(basename "$pkg") cut in half: exit 1" 1 "$RELPKG" inspect "$T/trunc"
done
head -c 20000 /dev/urandom >"$T/random"
check_status "random bytes: verify exit 1" 1 "$RELPKG" verify "$T/random"
check_status "random bytes: inspect exit 1" 1 "$RELPKG" inspect "$T/random"
{ printf '!<arch>\n'; head -c 5000 /dev/urandom; } >"$T/random-ar"
check_status "ar magic then random bytes: exit 1" 1 "$RELPKG" verify "$T/random-ar"
{ head -c 96 "$RPM"; head -c 5000 /dev/urandom; } >"$T/random-rpm"
check_status "an rpm lead then random bytes: exit 1" 1 "$RELPKG" verify "$T/random-rpm"
check_status "a tarball is not a package: exit 1" 1 "$RELPKG" verify "$tb"
check_status "a directory: exit 1" 1 "$RELPKG" inspect "$T"
check_status "a missing file: exit 1" 1 "$RELPKG" verify "$T/nothing.deb"

# hand-damaged rpm headers (main header: il, dl, an entry's offset, count, type)
python3 - "$RPM" "$T/hdr" <<'EOF'
import struct, sys
src, out = sys.argv[1], sys.argv[2]
b = bytearray(open(src, 'rb').read())
sil, sdl = struct.unpack('>II', b[96 + 8:96 + 16])
h = 96 + 16 + sil * 16 + sdl
h += (8 - h % 8) % 8            # the main header
il, dl = struct.unpack('>II', b[h + 8:h + 16])
def entry(i):                   # offset of index entry i
    return h + 16 + 16 * i
def save(name, data):
    open(out + '-' + name, 'wb').write(data)
def put(name, off, val):
    d = bytearray(b); d[off:off + 4] = struct.pack('>I', val); save(name, d)
tags = {struct.unpack('>I', b[entry(i):entry(i) + 4])[0]: i for i in range(il)}
put('il-huge', h + 8, 0xffffffff)
put('il-past-end', h + 8, il + 1000)
put('dl-huge', h + 12, 0x7fffffff)
put('offset-out', entry(tags[1117]) + 8, dl + 5)          # BASENAMES
put('count-huge', entry(tags[1117]) + 12, 0x40000000)
put('type-bad', entry(tags[1000]) + 4, 77)                # NAME
put('string-count', entry(tags[1000]) + 12, 3)
put('int-misaligned', entry(tags[1028]) + 8, 1)           # FILESIZES
put('region-neg', entry(0) + 8, 0xfffffff0)
# a string array whose last string runs past the data: point it at the
# last byte of the store (the region trailer ends in non-zero bytes)
put('string-past-end', entry(tags[1118]) + 8, dl - 1)     # DIRNAMES
# DIRINDEXES: every index past the DIRNAMES array
d = bytearray(b); i = tags[1116]
off, cnt = struct.unpack('>II', b[entry(i) + 8:entry(i) + 16])
base = h + 16 + il * 16 + off
for k in range(cnt):
    d[base + 4 * k:base + 4 * k + 4] = struct.pack('>I', 0x7fffffff)
save('dirindex-out', d)
EOF
for f in "$T"/hdr-*; do
	check_status "damaged rpm header ${f##*/hdr-}: inspect exit 1" 1 "$RELPKG" inspect "$f"
done

# a sweep of flipped bytes: verify may pass or fail, never crash (verify
# parses everything inspect shows before it checks digests)
#   sweep PKG STEP END DESC: offsets 0, STEP, ... below END
sweep() {
	_size=$3
	_off=0
	_bad=
	while [ "$_off" -lt "$_size" ]; do
		flip "$1" "$T/sweep" "$_off"
		_rc=0
		"$RELPKG" verify "$T/sweep" >/dev/null 2>&1 || _rc=$?
		[ "$_rc" -le 1 ] || _bad="$_bad @$_off=$_rc"
		_off=$((_off + $2))
	done
	if [ -z "$_bad" ]; then pass "$4"; else fail "$4" "crashes:$_bad"; fi
}
# (about 250 offsets per package; every 3rd byte of the first 1.5 KiB of
# the rpms: lead, signature header, the main header's index)
for pkg in "$RPM" "$TRPM"; do
	sweep "$pkg" 3 1536 "flipped bytes in the first 1.5 KiB of $(basename "$pkg"): exit 0 or 1, no crash"
done
for pkg in "$RPM" "$TRPM" "$DEB" "$TINY"; do
	size=$(stat -c %s "$pkg")
	sweep "$pkg" $((size / 250 + 1)) "$size" "flipped bytes across $(basename "$pkg"): exit 0 or 1, no crash"
done

# --- usage ---
check_status "verify without a package: usage error" 2 "$RELPKG" verify
check_status "inspect without a package: usage error" 2 "$RELPKG" inspect
check_status "inspect with two packages: usage error" 2 "$RELPKG" inspect "$DEB" "$RPM"
check_status "verify --bogus: usage error" 2 "$RELPKG" verify --bogus "$DEB"
check_status "inspect --help exits 0" 0 "$RELPKG" inspect --help
check_status "verify --help exits 0" 0 "$RELPKG" verify --help
expect_eq "verify several packages: one OK line each" \
	"$("$RELPKG" verify "$DEB" "$RPM" | wc -l)" 2
