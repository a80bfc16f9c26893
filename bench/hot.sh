#!/bin/sh
# shellcheck disable=SC1091,SC2015,SC2016 # lib.sh by path; scripts run inside
# make bench, hot upgrades (issue 13): failed requests and the longest gap
# between two answers while the package manager upgrades 0.1.0 -> 0.2.0
# and downgrades 0.2.0 -> 0.1.0 the same OTP release (the relup fixture,
# tests/fixtures/relup-release.sh), in a Debian container booted with
# systemd, measured by tests/lifecycle/probe.py (a GET every 10 ms) inside
# the container.  Contenders, alternating in each round:
#   hot    relpkg's .debs as built: the relup covers both steps, the code
#          is replaced in the running node
#   cold   the same release built with --no-hot (package revision 2): stop,
#          switch, start
# Medians per contender and direction are printed.  Not part of make check;
# needs root, systemd-nspawn, rebar3 and erl: skipped (exit 0) otherwise.
#
#   sh bench/hot.sh [ROUNDS]      (default 2)
#   HB_PORT_BASE (18820: the app's port; +50 its epmd)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
relpkg=${RELPKG:-$top/build/relpkg}
rounds=${1:-2}
port=${HB_PORT_BASE:-18820}
epmd=$((port + 50))
work=$top/build/bench/hot
app=hot-app
url="http://127.0.0.1:$port/"
export SOURCE_DATE_EPOCH=1700000000

skip() {
	echo "hot: skipped: $*"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn)"
export TOP="$top"
# shellcheck source=tests/container/lib.sh
. "$top/tests/container/lib.sh"
why=$(ct_usable) || skip "$why"
for c in python3 rebar3 erl dpkg-deb; do
	command -v "$c" >/dev/null 2>&1 || skip "needs $c"
done
[ -x "$relpkg" ] || { echo "hot: no $relpkg (make first)" >&2; exit 1; }
ct_port_free "$port" || skip "127.0.0.1:$port is in use"
ct_port_free "$epmd" || skip "127.0.0.1:$epmd is in use"

CT=hb$port
trap ct_cleanup_all EXIT
mkdir -p "$work"
fs=$top/tests/fixtures/relup-release.sh
fd=$work/fixture-$(cksum <"$fs" | cut -d' ' -f1)-$port
sh "$fs" "$fd" hot_app "$port" >"$work/fixture.log" 2>&1 || { tail "$work/fixture.log" >&2; exit 1; }
rm -rf "$work/pkgs"
for v in 0.1.0 0.2.0; do
	"$relpkg" build "$fd/hot_app-$v.tar.gz" --out "$work/pkgs" --format deb --quiet --health-url "$url" >/dev/null
	"$relpkg" build "$fd/hot_app-$v.tar.gz" --out "$work/pkgs" --format deb --quiet --health-url "$url" \
		--release 2 --no-hot >/dev/null
done

ct_create "$CT" >/dev/null && ct_boot "$CT" >/dev/null || skip "the container did not boot"
ct_copy_in "$CT" "$work/pkgs" /srv/pkgs
ct_copy_in "$CT" "$top/tests/lifecycle/probe.py" /srv/probe.py

answers() { # TEXT: wait until the app answers TEXT
	ct_sh "$CT" 'i=0; while [ "$(curl -fsS --max-time 1 "$1" 2>/dev/null)" != "$2" ] && [ $i -lt 300 ]; do
		sleep 0.2; i=$((i + 1)); done' "$url" "$1"
}

# install REV VERSION: the fresh 0.1.0 with its own epmd port
fresh() {
	ct_exec "$CT" dpkg -i "/srv/pkgs/${app}_0.1.0-$1_amd64.deb" >/dev/null 2>&1
	ct_sh "$CT" 'printf "ERL_EPMD_PORT=%s\n" "$1" >>/etc/hot-app/hot-app.env; systemctl restart hot-app' "$epmd"
	answers "0.1.0 one"
}

# measure CONTENDER REV VERSION TICK: one transition under the probe
measure() {
	ct_exec "$CT" rm -f /run/probe.pid
	ct_exec "$CT" python3 /srv/probe.py "$url" /run/probe.pid >"$work/probe.json" 2>/dev/null &
	bg=$!
	i=0
	while ! ct_exec "$CT" test -s /run/probe.pid && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.3
	ct_exec "$CT" dpkg -i "/srv/pkgs/${app}_$3-$2_amd64.deb" >/dev/null 2>&1 || echo "hot: $1 -> $3 failed" >&2
	answers "$3 $4"
	sleep 0.3
	ct_sh "$CT" 'kill -TERM "$(cat /run/probe.pid)"'
	wait "$bg" || :
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print("%s %s %s %d %d" % (sys.argv[2], sys.argv[3], sys.argv[4], s["failed"], s["longest_gap_ms"]))' \
		"$work/probe.json" "$1" "$3" "$5" >>"$work/results"
}

: >"$work/results"
r=1
while [ "$r" -le "$rounds" ]; do
	for c in hot cold; do
		rev=1
		[ "$c" = hot ] || rev=2
		fresh "$rev"
		measure "$c" "$rev" 0.2.0 two "$r"
		measure "$c" "$rev" 0.1.0 one "$r"
		ct_exec "$CT" dpkg --purge "$app" >/dev/null 2>&1
	done
	r=$((r + 1))
done
ct_stop "$CT" >/dev/null 2>&1 || :

echo "hot upgrades: $rounds round(s), the same release, probe every 10 ms inside the container"
printf '%-6s %-10s %8s %16s %16s\n' kind step rounds "failed (median)" "longest gap ms"
for c in hot cold; do
	for v in 0.2.0 0.1.0; do
		step="up"
		[ "$v" = 0.2.0 ] || step="down"
		awk -v c="$c" -v v="$v" -v s="$step" '
		$1 == c && $2 == v { f[n + 0] = $4; g[n + 0] = $5; n++ }
		function med(a, n,   i, j, t) {
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2
		}
		END { if (n) printf "%-6s %-10s %8d %16s %16s\n", c, s, n, med(f, n), med(g, n) }' "$work/results"
	done
done
