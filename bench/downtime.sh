#!/bin/sh
# make bench, second part: how long the service is down while the package
# manager upgrades 1.0 -> 2.0 and downgrades 2.0 -> 1.0 (no migrations), for
# a small (~1 MB) and a large (~200 MB of random files) release, in a Debian
# container booted with systemd (tests/container/lib.sh), measured from the
# host by tests/lifecycle/probe.py (a GET every 10 ms; the longest time
# between two successful answers, and the failed requests).
#
# Contenders, both installed with `dpkg -i`, both with the same payload
# compression (DT_COMP, default none: random bytes do not compress):
#   relpkg    `relpkg build` of the release tarball (versioned tree, the
#             switch happens in the incoming postinst)
#   in-place  the package people hand-roll with dpkg-deb or fpm: the release
#             unpacked over the running version in /opt/NAME-inplace, a
#             systemd unit, prerm (upgrade) / preinst stopping the service
#             and postinst starting it -- down for the whole unpack
#   relpkg-mig  relpkg's .deb with --migrate-up/--migrate-down (1.0 at
#             schema 1, 2.0 at schema 2): the downgrade runs 2.0's
#             migrate-down (SQLite) after the unpack, like an upgrade
#   relpkg-rpm  (DT_RPM=1) relpkg's .rpm with `rpm -U [--oldpackage]`
# Contenders alternate inside each round; medians and the large/small
# ratios are printed.  Not part of make check.  Needs root and
# systemd-nspawn; skipped (exit 0) otherwise.
#
#   sh bench/downtime.sh [ROUNDS]      (default 3)
#   DT_PORT_BASE (18600: +1 small, +2 large)  DT_BIG_MB (200)  DT_COMP (none)
#   DT_RPM (0)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
relpkg=${RELPKG:-$top/build/relpkg}
rounds=${1:-3}
port_base=${DT_PORT_BASE:-18600}
big_mb=${DT_BIG_MB:-200}
comp=${DT_COMP:-none}
with_rpm=${DT_RPM:-0}
work=$top/build/bench/downtime
lc=$top/tests/lifecycle
export SOURCE_DATE_EPOCH=1700000000

skip() {
	echo "downtime: skipped: $*"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn)"
export TOP="$top" # for lib.sh
# shellcheck source=tests/container/lib.sh
. "$top/tests/container/lib.sh"
why=$(ct_usable) || skip "$why"
for c in python3 curl dpkg-deb tar gzip; do
	command -v "$c" >/dev/null 2>&1 || skip "needs $c"
done
[ -x "$relpkg" ] || { echo "downtime: no $relpkg (make first)" >&2; exit 1; }
case $comp in none | gzip | xz | zstd) ;; *) echo "downtime: DT_COMP: none, gzip, xz or zstd" >&2; exit 2 ;; esac

CT=dt$port_base
probe_pid=""
cleanup() {
	[ -z "$probe_pid" ] || kill "$probe_pid" 2>/dev/null || :
	ct_cleanup_all
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

for p in 1 2; do
	ct_port_free $((port_base + p)) || { echo "downtime: 127.0.0.1:$((port_base + p)) is in use" >&2; exit 1; }
done

now_ms() { date +%s%3N; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; else print "-" }'; }

# size -> app name, port, MKAPP_MB
app_of() { echo "dt$1"; }
port_of() { case $1 in small) echo $((port_base + 1)) ;; large) echo $((port_base + 2)) ;; esac; }

# --- releases (cached in build/bench/downtime/rel) ----------------------------
# mkrel SIZE VERSION: rel/APP-VERSION.tar.gz. small: mkapp's app plus one
# 1 MB random file; large: MKAPP_MB=$big_mb (4 MB random files).
mkrel() {
	a=$(app_of "$1") tb=$work/rel/$(app_of "$1")-$2.tar.gz
	[ -f "$tb" ] && [ "$(cat "$work/rel/$a.mb" 2>/dev/null)" = "$1:$big_mb" ] && return 0
	mb=0
	[ "$1" = large ] && mb=$big_mb
	rm -rf "$work/mk"
	MKAPP_PORT=$(port_of "$1") MKAPP_MB=$mb sh "$lc/mkapp.sh" "$work/mk" "$a" "$2" >/dev/null
	if [ "$1" = small ]; then
		tar -xzf "$work/mk/$a-$2.tar.gz" -C "$work/mk"
		mkdir -p "$work/mk/$a-$2/priv/blob"
		head -c 1048576 /dev/urandom >"$work/mk/$a-$2/priv/blob/blob-0.bin"
		chmod 0755 "$work/mk/$a-$2/priv/blob"
		chmod 0644 "$work/mk/$a-$2/priv/blob/blob-0.bin"
		(cd "$work/mk" && LC_ALL=C tar --format=gnu --sort=name --mtime=@1700000000 \
			--owner=0 --group=0 --numeric-owner -cf - "$a-$2") | gzip -n -1 >"$work/mk/$a-$2.tar.gz"
	fi
	mkdir -p "$work/rel"
	mv "$work/mk/$a-$2.tar.gz" "$tb"
	rm -rf "$work/mk"
}

# --- the in-place package -------------------------------------------------------
# mkinplace SIZE VERSION: pkgs/APP-inplace_VERSION-1_all.deb, built with
# dpkg-deb -b from the extracted tarball.
mkinplace() {
	a=$(app_of "$1") v=$2
	n=$a-inplace
	d=$work/ip/$n-$v
	rm -rf "$d"
	mkdir -p "$d/opt/$n" "$d/lib/systemd/system" "$d/DEBIAN"
	tar -xzf "$work/rel/$a-$v.tar.gz" --strip-components=1 -C "$d/opt/$n"
	cat >"$d/lib/systemd/system/$n.service" <<EOF
[Unit]
Description=$a (in-place package)
After=network.target

[Service]
Type=simple
ExecStart=/opt/$n/bin/$a foreground
WorkingDirectory=/opt/$n
StateDirectory=$a
Restart=on-failure

[Install]
WantedBy=multi-user.target
EOF
	cat >"$d/DEBIAN/control" <<EOF
Package: $n
Version: $v-1
Architecture: all
Maintainer: bench <bench@example.org>
Depends: python3
Description: $a, unpacked in place
 The release in /opt/$n, replaced in place on upgrade.
EOF
	# stop before the unpack (outgoing prerm; incoming preinst in case the
	# outgoing one did not), start after it
	cat >"$d/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
case "\$1" in
remove | upgrade | deconfigure)
	if [ -d /run/systemd/system ]; then systemctl stop $n.service || true; fi ;;
esac
if [ "\$1" = remove ] && [ -d /run/systemd/system ]; then systemctl disable $n.service || true; fi
exit 0
EOF
	cat >"$d/DEBIAN/preinst" <<EOF
#!/bin/sh
set -e
if [ "\$1" = upgrade ] && [ -d /run/systemd/system ]; then systemctl stop $n.service || true; fi
exit 0
EOF
	cat >"$d/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
if [ "\$1" = configure ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable $n.service
	systemctl restart $n.service
fi
exit 0
EOF
	cat >"$d/DEBIAN/postrm" <<EOF
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
if [ "\$1" = purge ]; then rm -rf /var/lib/$a; fi
exit 0
EOF
	chmod 0755 "$d/DEBIAN/prerm" "$d/DEBIAN/preinst" "$d/DEBIAN/postinst" "$d/DEBIAN/postrm"
	dpkg-deb --root-owner-group -Z"$comp" -b "$d" "$work/pkgs/${n}_$v-1_all.deb" >/dev/null
	rm -rf "$d"
}

# --- build ----------------------------------------------------------------------
# relpkg-mig: relpkg's .deb with migrations (1.0 at schema 1, 2.0 at schema
# 2): the downgrade runs 2.0's migrate-down after the unpack, so its
# downtime must not grow with the size either
contenders="relpkg relpkg-mig inplace"
fmts=deb
[ "$with_rpm" = 1 ] && contenders="$contenders relpkg-rpm" fmts=deb,rpm
mkdir -p "$work"
rm -rf "$work/pkgs" "$work/ip"
mkdir -p "$work/pkgs"
t=$(now_ms)
for s in small large; do
	for v in 1.0 2.0; do mkrel "$s" "$v"; done
	echo "$s:$big_mb" >"$work/rel/$(app_of "$s").mb"
done
echo "downtime: releases ready ($(du -sh "$work/rel" | cut -f1) of tarballs, $(($(now_ms) - t)) ms)"
b_relpkg=0 b_inplace=0
for s in small large; do
	a=$(app_of "$s")
	for v in 1.0 2.0; do
		t=$(now_ms)
		"$relpkg" build "$work/rel/$a-$v.tar.gz" --format "$fmts" --out "$work/pkgs" --quiet \
			--maintainer 'bench <bench@example.org>' --start-cmd "bin/$a" --compression "$comp" \
			--health-url "http://127.0.0.1:$(port_of "$s")/health"
		b_relpkg=$((b_relpkg + $(now_ms) - t))
		"$relpkg" build "$work/rel/$a-$v.tar.gz" --format deb --out "$work/pkgs" --quiet \
			--name "${a}m" --maintainer 'bench <bench@example.org>' --start-cmd "bin/$a" \
			--compression "$comp" --health-url "http://127.0.0.1:$(port_of "$s")/health" \
			--migrate-up 'bin/migrate up' --migrate-down 'bin/migrate down' --schema-version "${v%%.*}"
		t=$(now_ms)
		mkinplace "$s" "$v"
		b_inplace=$((b_inplace + $(now_ms) - t))
	done
done
echo "downtime: packages built (compression $comp): relpkg build ($fmts) $b_relpkg ms, tar -x + dpkg-deb -b $b_inplace ms in all"

# pkg CONTENDER SIZE VERSION: the package's path inside the container
pkg() {
	a=$(app_of "$2")
	case $1 in
	relpkg) f=$(cd "$work/pkgs" && ls "${a}_$3-1_"*.deb) ;;
	relpkg-mig) f=$(cd "$work/pkgs" && ls "${a}m_$3-1_"*.deb) ;;
	inplace) f=${a}-inplace_$3-1_all.deb ;;
	relpkg-rpm) f=$(cd "$work/pkgs" && ls "$a-$3-1."*.rpm) ;;
	esac
	[ -f "$work/pkgs/$f" ] || { echo "downtime: no package $f" >&2; return 1; }
	echo "/root/pkgs/$f"
}
for c in $contenders; do for s in small large; do for v in 1.0 2.0; do pkg "$c" "$s" "$v" >/dev/null; done; done; done

# --- container ------------------------------------------------------------------
ct_create "$CT" >/dev/null
ct_copy_in "$CT" "$work/pkgs" /root/pkgs
ct_boot "$CT" >"$work/boot.log" 2>&1 || { cat "$work/boot.log" >&2; exit 1; }

# pm CONTENDER SIZE KIND VERSION: install | upgrade | downgrade | purge
pm() {
	case $1:$3 in
	relpkg:purge) set -- dpkg --purge "$(app_of "$2")" ;;
	relpkg-mig:purge) set -- dpkg --purge "$(app_of "$2")m" ;;
	inplace:purge) set -- dpkg --purge "$(app_of "$2")-inplace" ;;
	relpkg-rpm:purge) set -- rpm -e "$(app_of "$2")" ;;
	relpkg-rpm:downgrade) set -- rpm -U --oldpackage "$(pkg "$1" "$2" "$4")" ;;
	relpkg-rpm:*) set -- rpm -U "$(pkg "$1" "$2" "$4")" ;;
	*) set -- dpkg -i "$(pkg "$1" "$2" "$4")" ;;
	esac
	ct_exec "$CT" "$@" >"$work/pm.out" 2>&1 || {
		echo "downtime: '$*' failed:" >&2
		tail -n 20 "$work/pm.out" >&2
		return 1
	}
}

# answers VERSION PORT: within 30 s
answers() {
	a_end=$(($(date +%s) + 30))
	until [ "$(curl -s -m 2 "http://127.0.0.1:$2/" 2>/dev/null)" = "$1" ]; do
		[ "$(date +%s)" -lt "$a_end" ] || { echo "downtime: $1 does not answer on $2" >&2; return 1; }
		sleep 0.1
	done
}

# measure CONTENDER SIZE KIND FROM TO: one transition under the probe; a
# line "CONTENDER SIZE KIND LONGEST_MS FAILED SWITCH_MS PM_MS" to results.
measure() {
	m_port=$(port_of "$2")
	rm -f "$work/probe.pid"
	python3 "$lc/probe.py" "http://127.0.0.1:$m_port/" "$work/probe.pid" >"$work/probe.json" 2>"$work/probe.err" &
	probe_pid=$!
	i=0
	while [ ! -s "$work/probe.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.3
	m_t=$(now_ms)
	pm "$1" "$2" "$3" "$5"
	pm_ms=$(($(now_ms) - m_t))
	answers "$5" "$m_port"
	sleep 0.3
	kill -TERM "$probe_pid"
	wait "$probe_pid" || :
	probe_pid=""
	m_r=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
g = s["switch_gap_ms"]
ok = s["versions"] == [sys.argv[2], sys.argv[3]]
print("%d %d %d %s" % (s["longest_gap_ms"], s["failed"], g[0]["gap_ms"] if g else -1,
      "" if ok else "versions=" + ",".join(s["versions"])))' "$work/probe.json" "$4" "$5")
	# shellcheck disable=SC2086 # split into fields
	set -- "$1" "$2" "$3" $m_r
	[ -z "${7:-}" ] || echo "downtime: $1 $2 $3: unexpected $7: $(cat "$work/probe.json")" >&2
	echo "$1 $2 $3 $4 $5 $6 $pm_ms" >>"$work/results"
	printf '  %-10s %-5s %-9s longest gap %6s ms  failed %4s  (dpkg/rpm %s ms)\n' "$1" "$2" "$3" "$4" "$5" "$pm_ms"
}

: >"$work/results"
echo "downtime: $rounds rounds, probe every 10 ms on 127.0.0.1:$((port_base + 1)) (small) / $((port_base + 2)) (large, $big_mb MB)"
r=1
while [ $r -le "$rounds" ]; do
	echo "round $r"
	for s in small large; do
		for c in $contenders; do
			pm "$c" "$s" install 1.0
			answers 1.0 "$(port_of "$s")"
			measure "$c" "$s" upgrade 1.0 2.0
			measure "$c" "$s" downgrade 2.0 1.0
			pm "$c" "$s" purge 1.0
		done
	done
	r=$((r + 1))
done
ct_stop "$CT"

# --- summary ------------------------------------------------------------------------
# col CONTENDER SIZE KIND FIELD(4..7) -> median
col() { awk -v c="$1" -v s="$2" -v k="$3" -v f="$4" '$1 == c && $2 == s && $3 == k { print $f }' "$work/results" | median; }
echo
printf '%-10s %-6s %-9s %15s %8s %12s %10s\n' contender size direction "longest gap ms" failed "switch gap" "dpkg ms"
for c in $contenders; do
	for s in small large; do
		for k in upgrade downgrade; do
			printf '%-10s %-6s %-9s %15s %8s %12s %10s\n' "$c" "$s" "$k" \
				"$(col "$c" "$s" "$k" 4)" "$(col "$c" "$s" "$k" 5)" "$(col "$c" "$s" "$k" 6)" "$(col "$c" "$s" "$k" 7)"
		done
	done
done
echo "(medians of $rounds; longest gap: between two successful answers; dpkg ms: the dpkg -i / rpm -U call)"
for k in upgrade downgrade; do
	line=""
	for c in $contenders; do
		q=$(awk -v a="$(col "$c" large "$k" 4)" -v b="$(col "$c" small "$k" 4)" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
		case $c:$k in
		relpkg:*) q="$q (target <= 1.1)" ;;
		relpkg-mig:downgrade) q="$q (with migrate-down; target <= 1.25)" ;;
		esac
		line="$line   $c $q"
	done
	printf 'ratio large/small, %-9s longest gap:%s\n' "$k" "$line"
done
