# t_sign.sh: "signed packages and a signed store a real fleet accepts"
# (issue 15). With a throwaway key in a private GNUPGHOME: build
# --sign-key writes an rpm rpm -K accepts (header and header+payload
# signatures) and a .deb whose _gpgorigin debsig-verify accepts under a
# policy; rpmlint and lintian do not complain; relpkg verify --keyring
# accepts them and refuses another key or an unsigned package; two signed
# builds have the same unsigned bytes; a signed store publishes its key
# and refuses unsigned packages; in a container booted with systemd apt
# (signed-by, no trusted=yes), dnf (gpgcheck=1 repo_gpgcheck=1 gpgkey=)
# and zypper (--gpgcheck-strict, key imported from repomd.xml.key)
# install from it: the sample (gzip) and bigxz, an xz package whose large
# files are compressed once (shared xz blocks, issue 17).
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd gpg gpgv rpm rpmlint lintian debsig-verify ar cmp python3
need_relpkg
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
MAINT='relpkg tests <tests@example.org>'
RPMLINTRC="$TOP/tests/data/relpkg.rpmlintrc"

GNUPGHOME="$T/gnupg"
export GNUPGHOME
mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
trap 'gpgconf --kill gpg-agent 2>/dev/null; [ -z "${CT:-}" ] || ct_cleanup_all' EXIT
gpg --batch --passphrase '' --quick-gen-key 'relpkg sign test <sign-test@example.org>' rsa3072 sign never \
	>"$T/gpg.log" 2>&1 || skip_file "gpg --quick-gen-key failed: $(tail -3 "$T/gpg.log")"
FPR=$(gpg --batch --with-colons --list-secret-keys sign-test@example.org 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }')
KID=$(printf '%s' "$FPR" | cut -c25-40)
gpg --batch --armor --export "$FPR" >"$T/key.asc" 2>/dev/null
gpg --batch --export "$FPR" >"$T/key.gpg"
# a second key nobody trusts
gpg --batch --passphrase '' --quick-gen-key 'relpkg other <other@example.org>' ed25519 sign never \
	>>"$T/gpg.log" 2>&1
gpg --batch --armor --export other@example.org >"$T/other.asc"

sample=$(fixture sample) || skip_file "examples/make-sample.sh failed"
check "build --sign-key" "$RELPKG" build "$sample" --out "$T/a" --maintainer "$MAINT" --quiet --sign-key "$FPR"
check "build --sign-key again (reproducibility)" \
	"$RELPKG" build "$sample" --out "$T/b" --maintainer "$MAINT" --quiet --sign-key "$FPR"
check "build without a key" "$RELPKG" build "$sample" --out "$T/u" --maintainer "$MAINT" --quiet
rpmf=$(ls "$T"/a/*.rpm) debf=$(ls "$T"/a/*.deb)
# an xz package whose large files are compressed once (xz blocks both
# packages carry, issue 17): the clients below install it too
mkdir -p "$T/bigxz/bin" "$T/bigxz/lib/bigxz-1.0.0/priv"
printf '#!/bin/sh\nexec sleep 100000\n' >"$T/bigxz/bin/bigxz"
chmod 755 "$T/bigxz/bin/bigxz"
python3 - "$T/bigxz/lib/bigxz-1.0.0/priv" <<'PY'
import hashlib, sys
d = sys.argv[1]
def text(n, seed):
    out, i = bytearray(), 0
    while len(out) < n:
        out += b"%d %s handle_call(State) -> {ok, State}.\n" % (i, hashlib.sha1(seed + str(i // 7).encode()).hexdigest().encode())
        i += 1
    return bytes(out[:n])
open(d + "/big.txt", "wb").write(text(2500 << 10, b"big"))
open(d + "/mid.txt", "wb").write(text(300 << 10, b"mid"))
for i in range(40):
    open(d + "/small%02d.txt" % i, "wb").write(text(3000 + 97 * i, b"s%d" % i))
PY
tar -C "$T/bigxz" -czf "$T/bigxz-1.0.0.tar.gz" bin lib
BIGSUM=$(sha256sum "$T/bigxz/lib/bigxz-1.0.0/priv/big.txt" | cut -d' ' -f1)
check "build --compression xz --sign-key (shared xz blocks)" "$RELPKG" build "$T/bigxz-1.0.0.tar.gz" \
	--name bigxz --version 1.0.0 --out "$T/x" --maintainer "$MAINT" --quiet --compression xz --sign-key "$FPR"

# --- rpm --------------------------------------------------------------------------
R="$T/rpmroot"
mkdir -p "$R"
out=$(rpm --root "$R" -Kv "$rpmf" 2>&1)
expect_match "rpm -K without the key: signature present, key unknown (NOKEY)" "$out" 'NOKEY|key ID .*: NOKEY'
check "rpm --import the published key" rpm --root "$R" --import "$T/key.asc"
out=$(rpm --root "$R" -Kv "$rpmf" 2>&1)
note "$out"
expect_match "rpm -K: header signature OK" "$out" "Header V4 RSA/SHA256 Signature, key ID $(printf '%s' "$KID" | tr 'A-F' 'a-f' | cut -c9-16): OK"
expect_match "rpm -K: header+payload signature OK" "$out" "^ *V4 RSA/SHA256 Signature, key ID [0-9a-f]*: OK"
check "rpm -K exits 0" rpm --root "$R" -K "$rpmf"
# the shipped filter file hides no-signature (unsigned builds are allowed):
# judge with the same file minus that filter
grep -v '^addFilter("no-signature")' "$RPMLINTRC" >"$T/sign.rpmlintrc"
RPMLINTRC="$T/sign.rpmlintrc"
lint=$(rpmlint -r "$RPMLINTRC" "$rpmf" 2>&1)
case $lint in
*no-signature*) fail "rpmlint: no no-signature" "$lint" ;;
*) pass "rpmlint: no no-signature" ;;
esac
lint=$(rpmlint -r "$RPMLINTRC" "$T"/u/*.rpm 2>&1)
expect_match "rpmlint: the unsigned build does say no-signature (the check can fail)" "$lint" 'no-signature'

# --- deb --------------------------------------------------------------------------
expect_eq "deb: ar members, _gpgorigin last" "$(ar t "$debf" | tr '\n' ' ')" \
	"debian-binary control.tar.gz data.tar.gz _gpgorigin "
mkdir -p "$T/debsig/pol/$KID" "$T/debsig/kr/$KID"
cp "$T/key.gpg" "$T/debsig/kr/$KID/debsig.gpg"
cat >"$T/debsig/pol/$KID/relpkg.pol" <<EOF
<?xml version="1.0"?>
<!DOCTYPE Policy SYSTEM "https://www.debian.org/debsig/1.0/policy.dtd">
<Policy xmlns="https://www.debian.org/debsig/1.0/">
  <Origin Name="relpkg-test" id="$KID" Description="relpkg test key"/>
  <Selection><Required Type="origin" File="debsig.gpg" id="$KID"/></Selection>
  <Verification MinOptional="0"><Required Type="origin" File="debsig.gpg" id="$KID"/></Verification>
</Policy>
EOF
check "debsig-verify with the policy accepts the .deb" \
	debsig-verify --policies-dir "$T/debsig/pol" --keyrings-dir "$T/debsig/kr" "$debf"
check_fails "debsig-verify refuses the unsigned .deb" \
	debsig-verify --policies-dir "$T/debsig/pol" --keyrings-dir "$T/debsig/kr" "$T"/u/*.deb
lint=$(lintian --no-cfg "$debf" 2>&1 | grep -v 'running with root')
expect_eq "lintian: no error or warning on the signed .deb" "$(printf '%s\n' "$lint" | grep -c '^[EW]:')" 0
check "dpkg-deb reads the signed .deb" dpkg-deb -I "$debf"

# --- relpkg verify --keyring ------------------------------------------------------
check "verify --keyring (armored): both packages" "$RELPKG" verify --keyring "$T/key.asc" "$rpmf" "$debf"
check "verify --keyring=FILE (binary keyring)" "$RELPKG" verify --keyring="$T/key.gpg" "$rpmf" "$debf"
check_fails "verify: another key's keyring refuses the rpm" "$RELPKG" verify --keyring "$T/other.asc" "$rpmf"
check_fails "verify: another key's keyring refuses the deb" "$RELPKG" verify --keyring "$T/other.asc" "$debf"
out=$("$RELPKG" verify --keyring "$T/key.asc" "$T"/u/*.rpm 2>&1)
expect_match "verify: an unsigned rpm is refused, and says so" "$out" 'not signed'
# a changed payload byte: the header signature still holds, header+payload does not
cp "$rpmf" "$T/bad.rpm"
sz=$(stat -c %s "$T/bad.rpm")
printf 'X' | dd of="$T/bad.rpm" bs=1 seek=$((sz - 10)) conv=notrunc 2>/dev/null
check_fails "verify: a changed payload is refused" "$RELPKG" verify --keyring "$T/key.asc" "$T/bad.rpm"
check_status "build --sign-key with a key gpg does not have: exit 1" 1 \
	"$RELPKG" build "$sample" --out "$T/nokey" --maintainer "$MAINT" --quiet --sign-key nobody@nowhere.invalid
expect_eq "... and nothing is written" "$(ls "$T/nokey" 2>/dev/null | grep -c '\.\(deb\|rpm\)$')" 0
check_status "build --sign-key with an option-like key: usage (2)" 2 \
	"$RELPKG" build "$sample" --out "$T/nokey" --maintainer "$MAINT" --quiet --sign-key=-x

# --- reproducible: the same unsigned bytes ----------------------------------------
# rpm: everything after the signature header (main header + payload)
unsigned_rpm() {
	python3 - "$1" <<'EOF'
import sys, struct, hashlib
b = open(sys.argv[1], 'rb').read()
il, dl = struct.unpack('>II', b[96 + 8:96 + 16])
off = 96 + 16 + 16 * il + dl
off += (8 - off % 8) % 8
print(hashlib.sha256(b[off:]).hexdigest())
EOF
}
expect_eq "rpm: two signed builds have the same header and payload" \
	"$(unsigned_rpm "$T"/b/*.rpm)" "$(unsigned_rpm "$rpmf")"
same=yes
for m in debian-binary control.tar.gz data.tar.gz; do
	[ "$(ar p "$debf" $m | sha256sum)" = "$(ar p "$T"/b/*.deb $m | sha256sum)" ] || same=no
done
expect_eq "deb: two signed builds have the same members but _gpgorigin" "$same" yes

# --- smaller rpm headers (issue 15): each script carries only the lib.sh functions it reaches
hdr_size() {
	python3 - "$1" <<'EOF'
import sys, struct
b = open(sys.argv[1], 'rb').read()
il, dl = struct.unpack('>II', b[96 + 8:96 + 16])
off = 96 + 16 + 16 * il + dl
off += (8 - off % 8) % 8
il2, dl2 = struct.unpack('>II', b[off + 8:off + 16])
print(16 + 16 * il2 + dl2)
EOF
}
urpm=$(ls "$T"/u/*.rpm)
libsz=$(grep -v '^[[:space:]]*#' "$TOP/hooks/lib.sh" | wc -c)
total=0
for tag in PREIN POSTIN PREUN POSTUN; do
	n=$(rpm -qp --qf "%{$tag}" "$urpm" | wc -c)
	total=$((total + n))
	if [ "$n" -lt "$libsz" ]; then
		pass "rpm $tag ($n bytes) is smaller than the whole library ($libsz bytes)"
	else
		fail "rpm $tag is smaller than the whole library" "$n >= $libsz"
	fi
	rpm -qp --qf "%{$tag}" "$urpm" >"$T/script.$tag"
	check "rpm $tag is valid sh (sh -n)" sh -n "$T/script.$tag"
done
hs=$(hdr_size "$urpm")
note "rpm header of the sample: $hs bytes, scripts $total bytes; with the whole library in each of the 4 scripts ($libsz bytes each, as before issue 15) it would be about $((hs - total + 4 * libsz)) bytes; the .rpm is $(stat -c %s "$urpm") bytes, the .deb $(stat -c %s "$T"/u/*.deb)"

# --- the store ----------------------------------------------------------------------
S="$T/store"
out=$("$RELPKG" repo add -q "$S" --sign-key "$FPR" "$T"/u/*.rpm 2>&1)
expect_match "repo add --sign-key refuses an unsigned package, says how to fix it" "$out" \
	"not signed.*build it with relpkg build --sign-key"
check "repo add --sign-key the signed packages" "$RELPKG" repo add -q "$S" --sign-key "$FPR" "$rpmf" "$debf" \
	"$T"/x/*.rpm "$T"/x/*.deb
check "the store publishes the key at its root" cmp "$S/signing-key.asc" "$T/key.asc"
check "and as repodata/repomd.xml.key" cmp "$S/repodata/repomd.xml.key" "$T/key.asc"
check "gpgv repomd.xml.asc" gpgv --keyring "$T/key.gpg" "$S/repodata/repomd.xml.asc" "$S/repodata/repomd.xml"
check "gpgv InRelease" gpgv --keyring "$T/key.gpg" "$S/InRelease"
gpgconf --kill gpg-agent 2>/dev/null

# --- real clients in a container -------------------------------------------------------
if [ "$(id -u)" != 0 ] || ! command -v systemd-nspawn >/dev/null; then
	skip "apt, dnf, zypper install from the signed store" "needs root and systemd-nspawn"
	exit 0
fi
. "$TOP/tests/container/lib.sh"
CT=sign-clients
ct_create "$CT" >/dev/null && ct_boot "$CT" >/dev/null || skip_file "container did not boot"
ct_copy_in "$CT" "$S" /srv/
ct_copy_in "$CT" "$S/signing-key.asc" /etc/apt/keyrings/relpkg-store.asc

# apt: signed-by the published key, no trusted=yes
ct_sh "$CT" 'echo "deb [signed-by=/etc/apt/keyrings/relpkg-store.asc] file:/srv/store ./" >/etc/apt/sources.list.d/store.list'
check "apt-get update: the store's InRelease verifies with signed-by" ct_sh "$CT" \
	'apt-get -q update >/root/u.log 2>&1 && ! grep -Eq "^(W|E):" /root/u.log || { cat /root/u.log; exit 1; }'
check "apt-get install hello (no trusted=yes)" ct_sh "$CT" \
	'DEBIAN_FRONTEND=noninteractive apt-get -y -q install hello >/root/a.log 2>&1 || { tail -n 20 /root/a.log; exit 1; }'
check "apt: hello installed" ct_sh "$CT" 'dpkg-query -W -f="\${Status}" hello | grep -qx "install ok installed"'
check "apt-get purge hello" ct_sh "$CT" 'DEBIAN_FRONTEND=noninteractive apt-get -y -q purge hello >/dev/null 2>&1'
# bigxz: the xz package with shared blocks, its big file intact
bigxz_installed() { # TOOL
	check "$1 install bigxz (data.tar.xz / payload with shared xz blocks)" ct_sh "$CT" "$2"
	got=$(ct_sh "$CT" 'sha256sum /opt/bigxz/releases/1.0.0/lib/bigxz-1.0.0/priv/big.txt' | cut -d' ' -f1)
	expect_eq "$1: bigxz's big file has the bytes that went in" "$got" "$BIGSUM"
}
bigxz_installed apt 'DEBIAN_FRONTEND=noninteractive apt-get -y -q install bigxz >/root/x.log 2>&1 || { tail -n 20 /root/x.log; exit 1; }'
check "apt: dpkg --verify bigxz" ct_exec "$CT" dpkg --verify bigxz
check "apt-get purge bigxz" ct_sh "$CT" 'DEBIAN_FRONTEND=noninteractive apt-get -y -q purge bigxz >/dev/null 2>&1'
ct_sh "$CT" 'echo "deb [signed-by=/srv/store/repodata/repomd.xml] file:/srv/store ./" >/etc/apt/sources.list.d/store.list'
out=$(ct_sh "$CT" 'apt-get -q update 2>&1')
expect_match "apt refuses the store with the wrong signed-by" "$out" 'NO_PUBKEY|not signed|no valid|not available|Unknown error|could not be verified'
ct_sh "$CT" 'rm -f /etc/apt/sources.list.d/store.list'

# dnf: gpgcheck=1 repo_gpgcheck=1 gpgkey= the published key
ct_sh "$CT" 'mkdir -p /etc/yum.repos.d; printf "[store]\nname=store\nbaseurl=file:///srv/store\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=file:///srv/store/signing-key.asc\n" >/etc/yum.repos.d/store.repo'
check "dnf install hello with gpgcheck=1 repo_gpgcheck=1" ct_sh "$CT" \
	'dnf -y --setopt=install_weak_deps=0 install hello >/root/d.log 2>&1 || { tail -n 20 /root/d.log; exit 1; }'
check "dnf: hello installed (rpm -q)" ct_exec "$CT" rpm -q hello
check "dnf remove hello" ct_sh "$CT" 'dnf -y remove hello >/dev/null 2>&1'
bigxz_installed dnf 'dnf -y --setopt=install_weak_deps=0 install bigxz >/root/dx.log 2>&1 || { tail -n 20 /root/dx.log; exit 1; }'
check "dnf: rpm -V bigxz" ct_exec "$CT" rpm -V bigxz
check "dnf remove bigxz" ct_sh "$CT" 'dnf -y remove bigxz >/dev/null 2>&1'
ct_sh "$CT" 'rm -f /etc/yum.repos.d/store.repo; dnf clean all >/dev/null 2>&1'

ct_stop "$CT"

# zypper (on the host: Debian's zypper cannot live beside dnf-plugins-core in
# the container root) with a private --root: strict checking, the key
# imported from repodata/repomd.xml.key
if command -v zypper >/dev/null; then
	Z="$T/zroot"
	zy() { zypper --root "$Z" --non-interactive "$@"; }
	mkdir -p "$Z"
	check "zypper addrepo --gpgcheck-strict" zy addrepo --gpgcheck-strict "file://$S" store
	check "zypper --gpg-auto-import-keys refresh: repomd.xml.asc verifies" \
		zy --gpg-auto-import-keys refresh store
	expect_eq "zypper imported the published key into the root's rpm database" \
		"$(rpm --root "$Z" -qa 'gpg-pubkey*' | grep -c "^gpg-pubkey-$(printf '%s' "$KID" | tr 'A-F' 'a-f' | cut -c9-16)-")" 1
	check "zypper download hello (strict)" zy download hello
	zrpm=$(find "$Z/var/cache/zypp/packages" -name 'hello-*.rpm' | head -n 1)
	check "the downloaded rpm checks with the key zypper imported" rpm --root "$Z" -K "${zrpm:-/nonexistent}"
	check "zypper download bigxz (strict; xz payload with shared blocks)" zy download bigxz
	zrpm=$(find "$Z/var/cache/zypp/packages" -name 'bigxz-*.rpm' | head -n 1)
	check "bigxz: rpm -K with the key zypper imported" rpm --root "$Z" -K "${zrpm:-/nonexistent}"
	rm -rf "$T/zx" && mkdir -p "$T/zx"
	check "bigxz: rpm2cpio | cpio unpacks what zypper fetched" \
		sh -c 'cd "$1" && rpm2cpio "$2" | cpio -idm --quiet' sh "$T/zx" "${zrpm:-/nonexistent}"
	expect_eq "bigxz: the big file zypper fetched has the bytes that went in" \
		"$(sha256sum "$T/zx/opt/bigxz/releases/1.0.0/lib/bigxz-1.0.0/priv/big.txt" 2>/dev/null | cut -d' ' -f1)" "$BIGSUM"
	# a repomd.xml that its signature does not cover: strict checking refuses it
	cp -a "$S" "$T/badstore"
	printf '<!-- changed -->\n' >>"$T/badstore/repodata/repomd.xml"
	check "zypper addrepo (changed repomd.xml)" zy addrepo --gpgcheck-strict "file://$T/badstore" bad
	check_fails "zypper refuses a repomd.xml its signature does not cover" zy --gpg-auto-import-keys refresh bad
else
	skip "zypper installs from the signed store" "no zypper on the host"
fi
