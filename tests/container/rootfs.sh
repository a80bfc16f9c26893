#!/bin/sh
# Builds the one Debian bookworm root file system the container tests boot
# (systemd-nspawn -b) or chroot into, and prints its path.
#
#   tests/container/rootfs.sh [--print-path | --force]
#
# Output: $RELPKG_ROOTFS_DIR/base (default: TOP/build/rootfs/base), plus
# base.stamp holding the hash of this script. The script is the whole recipe
# (package list included), so the root is rebuilt only when this file changes
# (or with --force). The build goes into a temporary directory next to it and
# is renamed into place at the very end: an interrupted build is never used.
# A lock serialises concurrent callers; the second one finds the fresh stamp.
#
# Needs network once (the Debian mirror the host's apt uses, or
# $RELPKG_DEBIAN_MIRROR); afterwards everything works offline. The .debs are
# kept in build/rootfs/cache, so a rebuild after an edit downloads nothing
# that is already there.
#
# The root: variant minbase plus systemd as init, apt, rpm, dnf, sqlite3,
# python3, python3-apt and openssh-server (for Ansible, sshd off), haproxy
# (blue-green), debsig-verify (signed packages; zypper cannot be: Debian's
# dnf-plugins-core breaks it, it is on the host), the libraries relpkg
# itself links (tests run build/relpkg inside: libarchive, libsolv,
# libdeflate, libisal) and a few tools; no apt sources (tests add their own file:// repo);
# an empty /etc/machine-id (each container gets its own, see lib.sh).
set -eu

SUITE=bookworm
# One package per word; changing it changes this file, hence the stamp.
PACKAGES="systemd systemd-sysv dbus apt adduser rpm dnf sqlite3 python3
iproute2 procps curl dnf-plugins-core libarchive13 libsolv1 libsolvext1
openssh-server python3-apt libdeflate0 libisal2
haproxy debsig-verify gnupg gpgv"

here=$(cd "$(dirname "$0")" && pwd)
[ -f "$here/rootfs.sh" ] || { echo "rootfs.sh: run it, do not source it" >&2; exit 2; }
TOP=${TOP:-$(cd "$here/../.." && pwd)}
dir=${RELPKG_ROOTFS_DIR:-$TOP/build/rootfs}
base=$dir/base
stamp=$dir/base.stamp

force=0
case ${1:-} in
--force) force=1 ;;
--print-path) echo "$base"; exit 0 ;;
"") ;;
*) echo "usage: $0 [--print-path | --force]" >&2; exit 2 ;;
esac

want=$(sha256sum <"$here/rootfs.sh")
want=${want%% *}

fresh() {
	[ -d "$base/usr/lib/systemd" ] && [ -f "$stamp" ] &&
		[ "$(cat "$stamp")" = "$want" ]
}

if [ "$force" = 0 ] && fresh; then
	echo "$base"
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "rootfs.sh: must run as root" >&2; exit 1; }
command -v debootstrap >/dev/null ||
	{ echo "rootfs.sh: debootstrap missing (run .ci/deps)" >&2; exit 1; }

mkdir -p "$dir" "$dir/cache"

# The mirror the host's apt already uses for the main suite (one-line and
# deb822 formats); security and other suites are left out.
host_mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v s="$SUITE" '
			$1 == "deb" {
				i = 2
				if ($2 ~ /^\[/) while (i <= NF && $i !~ /\]$/) i++
				if ($2 ~ /^\[/) i++
				if ($(i + 1) == s) { print $i; exit }
			}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v s="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
			{
				uri = ""; ok = 0; deb = 0
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^URIs:/) { uri = $i; sub(/^URIs:[ \t]*/, "", uri); sub(/[ \t].*/, "", uri) }
					if ($i ~ /^Suites:/) { n = split($i, w, /[ \t]+/); for (j = 2; j <= n; j++) if (w[j] == s) ok = 1 }
					if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb = 1
				}
				if (ok && deb && uri != "") { print uri; exit }
			}' "$f"
	done
}
mirror=${RELPKG_DEBIAN_MIRROR:-$(host_mirror | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}

# Serialise builders; whoever waited re-checks the stamp.
exec 9>"$dir/.lock"
flock 9
if [ "$force" = 0 ] && fresh; then
	echo "$base"
	exit 0
fi

tmp=$dir/base.tmp.$$

# Remove a half-built root: unmount what debootstrap may have left mounted
# (proc, sys, ...) first, and never cross into another file system.
scrub() {
	[ -d "$1" ] || return 0
	awk -v p="$1/" 'index($2 "/", p) == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r m; do umount -l "$m" || :; done
	rm -rf --one-file-system "$1"
}
trap 'scrub "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# Leftovers from earlier killed builds (their lock is gone with them).
for old in "$dir"/base.tmp.* "$dir"/base.old.*; do
	[ -e "$old" ] && scrub "$old"
done

start=$(date +%s)
echo "rootfs.sh: debootstrap $SUITE from $mirror into $tmp" >&2
# shellcheck disable=SC2086 # word splitting of the list is the point
incl=$(printf '%s,' $PACKAGES)
incl=${incl%,}
log=$dir/debootstrap.log
if ! debootstrap --variant=minbase --include="$incl" \
	--cache-dir="$dir/cache" \
	--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
	"$SUITE" "$tmp" "$mirror" >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	[ -f "$tmp/debootstrap/debootstrap.log" ] &&
		tail -n 30 "$tmp/debootstrap/debootstrap.log" >&2
	echo "rootfs.sh: debootstrap failed (full log: $log)" >&2
	exit 1
fi

# --- make it a quiet, offline, container-friendly system -------------------
echo relpkg-ct >"$tmp/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
	>"$tmp/etc/hosts"
# Offline: no Debian sources; tests add their own repo under sources.list.d.
printf '# relpkg test root: offline. Was: deb %s %s main\n' "$mirror" "$SUITE" \
	>"$tmp/etc/apt/sources.list"
rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/*.bin
rm -f "$tmp"/var/cache/apt/archives/*.deb
# Speed: the root is a throwaway, so dpkg need not fsync.
echo force-unsafe-io >"$tmp/etc/dpkg/dpkg.cfg.d/relpkg-unsafe-io"
# Each container writes its own machine-id at creation (lib.sh ct_create).
: >"$tmp/etc/machine-id"
rm -f "$tmp/var/lib/dbus/machine-id"
# Nothing to log into, first-boot prompts would wait on the console, and
# timers (apt-daily takes the dpkg lock) would race the tests.
for u in console-getty.service getty@.service systemd-firstboot.service \
	systemd-networkd-wait-online.service apt-daily.timer \
	apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
	dpkg-db-backup.timer e2scrub_all.timer fstrim.timer; do
	ln -sf /dev/null "$tmp/etc/systemd/system/$u"
done
rm -f "$tmp"/etc/systemd/system/timers.target.wants/*
# sshd (examples/ansible connects over ssh) is off: the containers share the
# host's network, so every one would bind port 22. Whoever wants it writes a
# Port to /etc/ssh/sshd_config.d/, runs ssh-keygen -A (no host keys in the
# base: each container makes its own) and starts ssh.service.
chroot "$tmp" systemctl disable ssh.service ssh.socket >>"$log" 2>&1
rm -f "$tmp"/etc/ssh/ssh_host_*
# haproxy is off too: the blue-green tests write its config and start it.
chroot "$tmp" systemctl disable haproxy.service >>"$log" 2>&1
# Journal in memory only: smaller copies, less I/O.
mkdir -p "$tmp/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' \
	>"$tmp/etc/systemd/journald.conf.d/relpkg.conf"
# rpm's database is empty on Debian, so every rpm would fail on its
# dependencies (rpmbuild adds `Requires: /bin/sh` to any package with
# scriptlets). One package tells rpm what the root really has: every command
# in /usr/bin and /usr/sbin (also under /bin, /sbin: merged /usr), every
# installed Debian package by name, and Fedora names of the same tools.
prov=$tmp/root/rpmprov
mkdir -p "$prov/SPECS"
{
	cat <<-EOF
	Name: relpkg-test-debian-provides
	Version: 1
	Release: 1
	Summary: What this Debian test root has, told to rpm
	License: MIT
	BuildArch: noarch
	AutoReqProv: no
	Provides: shadow-utils, util-linux-core, systemd-units, glibc
	EOF
	(cd "$tmp/usr" && find bin sbin -maxdepth 1 ! -type d -printf '%p\n') |
		grep -E '^[a-z]+/[A-Za-z0-9._+-]+$' | LC_ALL=C sort |
		sed 's|^\(.*\)$|Provides: /usr/\1\nProvides: /\1|'
	# shellcheck disable=SC2016 # a dpkg-query format
	chroot "$tmp" dpkg-query -W -f='${Package}\n' | sed 's/^/Provides: /'
	# The sonames and symbol versions of the root's shared libraries, as
	# rpm's own generator states them (what relpkg's automatic dependencies
	# require: libc.so.6()(64bit), libc.so.6(GLIBC_2.34)(64bit), ...), and
	# the GNU hash loader support glibc has.
	echo 'Provides: rtld(GNU_HASH)'
	chroot "$tmp" sh -c "find /usr/lib /usr/lib64 -type f -name '*.so*' 2>/dev/null |
		/usr/lib/rpm/elfdeps --provides" | LC_ALL=C sort -u |
		sed 's/^/Provides: /'
	printf '%%description\nThe Debian test root, as rpm dependencies.\n%%files\n'
} >"$prov/SPECS/provides.spec"
if ! chroot "$tmp" rpmbuild --quiet --define '_topdir /root/rpmprov' \
	-bb /root/rpmprov/SPECS/provides.spec >>"$log" 2>&1 ||
	! chroot "$tmp" rpm -i \
		/root/rpmprov/RPMS/noarch/relpkg-test-debian-provides-1-1.noarch.rpm \
		>>"$log" 2>&1; then
	tail -n 20 "$log" >&2
	echo "rootfs.sh: building the rpm provides package failed" >&2
	exit 1
fi
rm -rf "$prov"
# dnf-plugins-core (versionlock, for relpkg pin) also ships the "local"
# plugin, which copies every installed rpm into a repository of its own and
# then fails its GPG check: a server would not run it.
if [ -f "$tmp/etc/dnf/plugins/local.conf" ]; then
	sed -i 's/^enabled *=.*/enabled = 0/' "$tmp/etc/dnf/plugins/local.conf"
fi
# dnf cannot guess a release version on Debian.
mkdir -p "$tmp/etc/dnf/vars"
echo 12 >"$tmp/etc/dnf/vars/releasever"
# A hint for whoever looks inside.
echo "$want" >"$tmp/etc/relpkg-test-root"

# --- publish atomically -----------------------------------------------------
rm -f "$stamp"
if [ -d "$base" ]; then
	mv "$base" "$dir/base.old.$$"
fi
mv "$tmp" "$base"
echo "$want" >"$stamp.tmp.$$"
mv "$stamp.tmp.$$" "$stamp"
scrub "$dir/base.old.$$"
echo "rootfs.sh: built in $(($(date +%s) - start))s" >&2
echo "$base"
