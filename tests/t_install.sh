# t_install.sh: the .deb of the sample release installs with the real dpkg
# inside a container booted with systemd, runs as its service user, and is
# removed and purged cleanly.  The host's package database is never touched.
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd systemd-nspawn nsenter debootstrap
need_relpkg
[ "$(id -u)" = 0 ] || skip_file "needs root (mounts, systemd-nspawn)"

. "$TOP/tests/container/lib.sh"
trap ct_cleanup_all EXIT

export SOURCE_DATE_EPOCH=1700000000
tarball=$(fixture sample) || skip_file "no sample tarball"
out=$T/out
check "build the sample .deb" "$RELPKG" build "$tarball" --out "$out" --format deb --quiet
deb=$(ls "$out"/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || skip_file "no .deb built"
host_before=$(dpkg-query -W -f='${Package}\n' 2>/dev/null | sort | md5sum)

CT=install
ct_create "$CT" >/dev/null && ct_boot "$CT" >/dev/null || skip_file "container did not boot"
ct_copy_in "$CT" "$deb" /tmp/hello.deb

check "dpkg -i installs" ct_exec "$CT" dpkg -i /tmp/hello.deb
check "dpkg says installed" ct_sh "$CT" 'dpkg-query -W -f="\${Status}" hello | grep -qx "install ok installed"'
check "current is a linked copy of the version's tree" ct_sh "$CT" 'test "$(readlink /opt/hello/current)" = live/1.0.0 && test "$(stat -c %i /opt/hello/current/bin/hello)" = "$(stat -c %i /opt/hello/releases/1.0.0/bin/hello)"'
check "unit is active" ct_sh "$CT" 'for i in $(seq 50); do systemctl is-active -q hello && exit 0; sleep 0.1; done; exit 1'
check "service runs as user hello, not root" ct_sh "$CT" \
	'pid=$(systemctl show -p MainPID --value hello); test "$pid" -gt 0 && test "$(stat -c %U /proc/$pid)" = hello'
check "system user hello exists" ct_sh "$CT" 'getent passwd hello | grep -q nologin'
check "state dir owned by the service user" ct_sh "$CT" 'test "$(stat -c %U:%a /var/lib/hello)" = hello:750'
check "journal records the install" ct_sh "$CT" 'grep -q "	1.0.0	ok	" /var/lib/relpkg/hello/journal'

ct_sh "$CT" 'echo "PORT=4242 # local edit" >>/etc/hello/hello.env; echo keep >/var/lib/hello/state'
check "dpkg -r removes" ct_exec "$CT" dpkg -r hello
check "unit stopped after remove" ct_sh "$CT" '! systemctl is-active -q hello'
check "release tree gone after remove" ct_sh "$CT" 'test ! -e /opt/hello/releases/1.0.0 && test ! -e /opt/hello/current'
check "edited conffile kept after remove" ct_sh "$CT" 'grep -q "local edit" /etc/hello/hello.env'
check "state kept after remove" ct_sh "$CT" 'test "$(cat /var/lib/hello/state)" = keep'
check "dpkg -P purges" ct_exec "$CT" dpkg -P hello
check "purge removes config, state and user" ct_sh "$CT" \
	'test ! -e /etc/hello && test ! -e /var/lib/hello && ! getent passwd hello && ! dpkg-query -W hello 2>/dev/null'
ct_stop "$CT"

host_after=$(dpkg-query -W -f='${Package}\n' 2>/dev/null | sort | md5sum)
expect_eq "the host's dpkg database is unchanged" "$host_after" "$host_before"

# policy-rc.d exit 101 (image builds): installed, enabled, not started
CT=install-policy
ct_create "$CT" >/dev/null && ct_boot "$CT" >/dev/null || skip_file "container did not boot"
ct_copy_in "$CT" "$deb" /tmp/hello.deb
ct_sh "$CT" 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d'
out=$(ct_exec "$CT" dpkg -i /tmp/hello.deb 2>&1)
check "policy-rc.d 101: dpkg -i still succeeds" ct_exec "$CT" dpkg -s hello
check "policy-rc.d 101: the unit is not started" ct_sh "$CT" '! systemctl is-active -q hello'
expect_match "policy-rc.d 101: the scripts say why" "$out" 'policy-rc.d forbids starting hello.service'
check "policy-rc.d 101: the journal says not started" ct_sh "$CT" 'grep -q "not started: policy-rc.d" /var/lib/relpkg/hello/journal'
ct_stop "$CT"

# no systemd as PID 1 (a chroot): the release's own commands, and say so
CT=install-chroot
ct_chroot_root "$CT" >/dev/null || skip_file "no chroot root"
cp "$deb" "$(ct_root "$CT")/tmp/hello.deb"
out=$(ct_chroot "$CT" dpkg -i /tmp/hello.deb 2>&1)
expect_match "chroot: the scripts say systemd is not running" "$out" 'systemd is not running'
check "chroot: installed" ct_chroot "$CT" dpkg -s hello
check "chroot: the release runs as hello without systemd" \
	sh -c "pgrep -u \"\$(stat -c %u '$(ct_root "$CT")/var/lib/hello')\" -f 'bin/hello' >/dev/null"
ct_stop "$CT"
