# t_container_smoke.sh: the container harness itself (tests/container/).
# Builds (or reuses) the base root, boots a container with real systemd,
# installs a trivial .deb with a systemd service inside, reaches the service
# from the host, checks rpm/dnf inside, stops the container, and checks that
# the host's package database saw none of it; then the same .deb through the
# chroot helper (no systemd as PID 1).
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd dpkg-deb dpkg-query python3 systemd-nspawn nsenter debootstrap
[ "$(id -u)" = 0 ] || skip_file "needs root (mounts, systemd-nspawn)"

. "$TOP/tests/container/lib.sh"
trap ct_cleanup_all EXIT

PKG=relpkg-ct-smoke
PORT=18080
CT=smoke
CH=smoke-chroot

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fs", b - a }'; }

# http_get URL: print the body, retrying for up to 10 s while refused.
http_get() {
	python3 - "$1" <<'EOF'
import sys, time, urllib.request
for i in range(50):
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
            sys.stdout.write(r.read().decode())
            sys.exit(0)
    except OSError as e:
        err = e
        time.sleep(0.2)
print(err, file=sys.stderr)
sys.exit(1)
EOF
}

# --- a trivial package with a service ---------------------------------------
mkdeb() {
	d=$T/pkg
	mkdir -p "$d/DEBIAN" "$d/lib/systemd/system" "$d/usr/share/$PKG"
	cat >"$d/DEBIAN/control" <<EOF
Package: $PKG
Version: 1.0
Architecture: all
Maintainer: relpkg tests <tests@relpkg.invalid>
Depends: python3
Description: relpkg container harness smoke test
 Serves a marker file on 127.0.0.1:$PORT.
EOF
	cat >"$d/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable --now relpkg-ct-smoke.service
fi
EOF
	cat >"$d/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl disable --now relpkg-ct-smoke.service || :
fi
EOF
	chmod 0755 "$d/DEBIAN/postinst" "$d/DEBIAN/prerm"
	cat >"$d/lib/systemd/system/$PKG.service" <<EOF
[Unit]
Description=relpkg container smoke test server

[Service]
ExecStart=/usr/bin/python3 -m http.server $PORT --bind 127.0.0.1 --directory /usr/share/$PKG

[Install]
WantedBy=multi-user.target
EOF
	echo "relpkg-ct-smoke-marker" >"$d/usr/share/$PKG/index.html"
	dpkg-deb --root-owner-group -b "$d" "$T/$PKG.deb" >/dev/null
}

t_all=$(now)
t0=$(now)
if ct_base >"$T/base.log" 2>&1; then
	pass "base root is built or current ($(secs "$t0" "$(now)"))"
else
	fail "base root is built or current" "$(tail -n 40 "$T/base.log")"
	exit 0
fi

check "a trivial .deb with a service builds" mkdeb

ct_port_free $PORT || skip_file "127.0.0.1:$PORT is already in use on the host"

t0=$(now)
if ct_create $CT 2>"$T/create.log"; then
	pass "ct_create makes a fresh root ($(cat "$CT_DIR/$CT/kind"), $(secs "$t0" "$(now)"))"
else
	fail "ct_create makes a fresh root" "$(cat "$T/create.log")"
	exit 0
fi

t0=$(now)
if ct_boot $CT 2>"$T/boot.log"; then
	pass "ct_boot: systemd boots ($(secs "$t0" "$(now)"))"
	[ -s "$T/boot.log" ] && note "$(cat "$T/boot.log")"
else
	fail "ct_boot: systemd boots" "$(cat "$T/boot.log")"
	exit 0
fi

state=$(ct_exec $CT systemctl is-system-running 2>&1)
expect_match "systemctl is-system-running says running or degraded" \
	"$state" '^(running|degraded)$'

expect_eq "PID 1 inside is systemd" "$(ct_exec $CT cat /proc/1/comm 2>&1)" systemd

rc=0
out=$(ct_exec $CT sh -c 'echo to-stdout; echo to-stderr >&2; exit 7' 2>&1) || rc=$?
expect_eq "ct_exec returns the exit status and the output" \
	"$rc $(printf '%s' "$out" | LC_ALL=C sort | tr '\n' ' ')" "7 to-stderr to-stdout "

expect_eq "ct_exec passes arguments as given (\$, %, quotes)" \
	"$(ct_exec $CT printf '%s|' 'a $HOME ${X} $$ %n' '"q'"'" '' 2>&1)" \
	'a $HOME ${X} $$ %n|"q'"'"'||'

check "ct_copy_in copies the .deb in" ct_copy_in $CT "$T/$PKG.deb" /root/
check "dpkg -i installs it inside" ct_exec $CT dpkg -i /root/$PKG.deb

check "the service becomes active" ct_sh $CT \
	'for i in $(seq 50); do systemctl -q is-active '"$PKG"' && exit 0; sleep 0.2; done
	 systemctl status --no-pager '"$PKG"'; exit 1'

body=$(http_get "http://127.0.0.1:$PORT/index.html" 2>&1)
expect_eq "the host reaches the service on 127.0.0.1:$PORT" "$body" relpkg-ct-smoke-marker

check "rpm --version works inside" ct_exec $CT rpm --version
check "dnf --version works inside" ct_exec $CT dnf --version
check "sqlite3 and python3 are inside" ct_exec $CT sh -c \
	'sqlite3 --version && python3 --version'

# An rpm with a scriptlet requires /bin/sh; the root's provides package must
# satisfy that for rpm and for dnf.
cat >"$T/hello.spec" <<'EOF'
Name: relpkg-ct-hello
Version: 1.0
Release: 1
Summary: smoke
License: MIT
BuildArch: noarch
%description
smoke
%install
mkdir -p %{buildroot}/opt/relpkg-ct-hello
echo hi >%{buildroot}/opt/relpkg-ct-hello/f
%post
echo "post $1" >/opt/relpkg-ct-hello/post
%files
/opt/relpkg-ct-hello/f
EOF
ct_copy_in $CT "$T/hello.spec" /root/hello.spec
rpmout=/root/rpm/RPMS/noarch/relpkg-ct-hello-1.0-1.noarch.rpm
check "rpmbuild works inside" ct_exec $CT rpmbuild --quiet \
	--define '_topdir /root/rpm' -bb /root/hello.spec
check "rpm -i installs an rpm with a scriptlet inside" ct_sh $CT \
	'rpm -i "$1" && grep -qx "post 1" /opt/relpkg-ct-hello/post && rpm -e relpkg-ct-hello' \
	$rpmout
if command -v createrepo_c >/dev/null 2>&1; then
	mkdir -p "$T/repo"
	ct_copy_out $CT $rpmout "$T/repo/relpkg-ct-hello-1.0-1.noarch.rpm"
	createrepo_c -q "$T/repo"
	printf '[smoke]\nname=smoke\nbaseurl=file:///srv/repo\ngpgcheck=0\n' \
		>"$T/smoke.repo"
	ct_copy_in $CT "$T/repo" /srv/repo
	ct_copy_in $CT "$T/smoke.repo" /etc/yum.repos.d/smoke.repo
	check "dnf installs it from a file:// repo" ct_sh $CT \
		'dnf -y -q install relpkg-ct-hello && grep -qx "post 1" /opt/relpkg-ct-hello/post'
else
	skip "dnf installs it from a file:// repo" "no createrepo_c on the host"
fi

t0=$(now)
check "ct_stop powers off and removes the container" ct_stop $CT
note "ct_stop took $(secs "$t0" "$(now)")"
gone() {
	! awk -v d="$CT_DIR/$1" '$2 == d || index($2, d "/") == 1 { f = 1 } END { exit !f }' \
		/proc/mounts && [ ! -e "$CT_DIR/$1" ]
}
check "nothing of it is left mounted or on disk" gone $CT
check "the service is gone with it" ct_port_free $PORT

# --- without booting: chroot --------------------------------------------------
t0=$(now)
if root=$(ct_chroot_root $CH 2>"$T/chroot.log"); then
	pass "ct_chroot_root makes a fresh root ($(secs "$t0" "$(now)"))"
	check "the fresh root did not get the booted container's package" \
		sh -c "! grep -q '^Package: $PKG\$' '$root/var/lib/dpkg/status'"
	# A flat apt repository, used offline.
	mkdir -p "$T/aptrepo"
	cp "$T/$PKG.deb" "$T/aptrepo/"
	(cd "$T/aptrepo" && dpkg-scanpackages -m . /dev/null 2>/dev/null >Packages)
	echo 'deb [trusted=yes] file:/srv/aptrepo ./' >"$T/smoke.list"
	copy_repo() {
		ct_copy_in $CH "$T/aptrepo" /srv/aptrepo &&
			ct_copy_in $CH "$T/smoke.list" /etc/apt/sources.list.d/smoke.list &&
			[ -f "$root/srv/aptrepo/$PKG.deb" ]
	}
	check "ct_copy_in copies into an unbooted root" copy_repo
	check "apt-get installs it in the chroot from a file: repo, offline" \
		ct_chroot $CH sh -c 'apt-get -q update && apt-get -q -y install '$PKG
	check "dpkg --root sees it installed" \
		dpkg-query --admindir="$root/var/lib/dpkg" -W $PKG
	check "ct_stop removes the chroot root" ct_stop $CH
	check "nothing of the chroot root is left mounted or on disk" gone $CH
else
	fail "ct_chroot_root makes a fresh root" "$(cat "$T/chroot.log")"
fi

rc=0
dpkg-query -W $PKG >/dev/null 2>&1 || rc=$?
if [ "$rc" -ne 0 ] && ! grep -q "^Package: $PKG\$" /var/lib/dpkg/status; then
	pass "the host's dpkg database did not gain $PKG"
else
	fail "the host's dpkg database did not gain $PKG" "$(dpkg -l $PKG 2>&1)"
fi

if command -v rpm >/dev/null 2>&1; then
	check "the host's rpm database did not gain relpkg-ct-hello" \
		sh -c '! rpm -q relpkg-ct-hello >/dev/null 2>&1'
fi

note "t_container_smoke.sh took $(secs "$t_all" "$(now)")"
