#!/bin/sh
# make bench, third part: --switch blue-green against the default cold
# switch, on the same app (tests/lifecycle/mkapp.sh, a small Python HTTP
# server; BGB_MIX=1 adds a mix release), in a Debian container booted with
# systemd, both behind Debian's haproxy inside it, probed from the host
# through haproxy every 10 ms with a new connection each time
# (tests/bluegreen/probe.py).  Each round upgrades 1.0 -> 2.0 and downgrades
# 2.0 -> 1.0 with `dpkg -i`, contenders alternating.  Printed per
# contender, medians over the switches:
#   failed      failed requests while the package manager ran
#   p50/p99     latency of the successful requests meanwhile (ms)
#   switch      what the journal says: cold = downtime (stop -> healthy),
#               blue-green = new slot started -> old slot stopped (ms)
#   pm          wall time of the package manager run (ms)
#   extra mem   peak RSS of the app's processes during the switch minus
#               their RSS before it (MB): the overlap's cost
# Not part of make check.  Needs root and systemd-nspawn; skipped (exit 0)
# otherwise.
#
#   sh bench/bluegreen.sh [ROUNDS]          (default 3)
#   BGB_PORT_BASE (18970: +1 cold app, +2 its haproxy front, +3 blue-green
#                  front, +4 +5 its slots; +11.. the same for mix)  BGB_MIX (0)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
relpkg=${RELPKG:-$top/build/relpkg}
rounds=${1:-3}
pb=${BGB_PORT_BASE:-18970}
with_mix=${BGB_MIX:-0}
work=$top/build/bench/bluegreen
export SOURCE_DATE_EPOCH=1700000000

skip() {
	echo "bench/bluegreen.sh: skipped: $*"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root"
command -v systemd-nspawn >/dev/null 2>&1 || skip "needs systemd-nspawn"
[ -x "$relpkg" ] || skip "no $relpkg (run make)"
TOP=$top
export TOP
. "$top/tests/container/lib.sh"
for p in 1 2 3 4 5 11 12 13 14 15; do
	ct_port_free $((pb + p)) || skip "127.0.0.1:$((pb + p)) is in use"
done

rm -rf "$work"
mkdir -p "$work/rel" "$work/pkgs"
M='bench <bench@example.org>'
for v in 1.0 2.0; do
	tb=$(MKAPP_PORT=$((pb + 1)) sh "$top/tests/lifecycle/mkapp.sh" "$work/rel" bcold "$v")
	"$relpkg" build "$tb" --format deb --out "$work/pkgs" -q --maintainer "$M" --start-cmd bin/bcold \
		--health-url "http://127.0.0.1:$((pb + 1))/health"
	tb=$(MKAPP_PORT=$((pb + 3)) sh "$top/tests/lifecycle/mkapp.sh" "$work/rel" bbg "$v")
	"$relpkg" build "$tb" --format deb --out "$work/pkgs" -q --maintainer "$M" --start-cmd bin/bbg \
		--switch blue-green --port-env PORT --slot-ports $((pb + 4)),$((pb + 5)) \
		--health-url "http://127.0.0.1:$((pb + 3))/health"
done
contenders="bcold:http:$((pb + 2)) bbg:http:$((pb + 3))"
if [ "$with_mix" = 1 ]; then
	mkf() { sh "$top/tests/fixtures/mix-release.sh" "$work/mix" "$1" "$2" >&2 && echo "$work/mix/$1-$2.tar.gz"; }
	# a mix release reads PORT; the cold one gets it from its env file
	for v in 1.0.0 2.0.0; do
		"$relpkg" build "$(mkf bmcold $v)" --format deb --out "$work/pkgs" -q --maintainer "$M" \
			--health-cmd "exec bash -c 'read -r -t 2 l </dev/tcp/127.0.0.1/$((pb + 11)) && test -n \"\$l\"'"
		"$relpkg" build "$(mkf bmbg $v)" --format deb --out "$work/pkgs" -q --maintainer "$M" \
			--switch blue-green --port-env PORT --slot-ports $((pb + 14)),$((pb + 15)) \
			--health-cmd "exec bash -c 'read -r -t 2 l </dev/tcp/127.0.0.1/\$PORT && test -n \"\$l\"'"
	done
	contenders="$contenders bmcold:tcp:$((pb + 12)) bmbg:tcp:$((pb + 13))"
fi

CT=bgbench$pb
trap 'ct_cleanup_all' EXIT
ct_create "$CT" >/dev/null || skip "no container root"
ct_boot "$CT" >"$work/boot.log" 2>&1 || { cat "$work/boot.log"; exit 1; }
ct_copy_in "$CT" "$work/pkgs" /srv/pkgs
cat >"$work/haproxy.cfg" <<EOF
global
	stats socket /run/haproxy/admin.sock mode 660 level admin
defaults
	timeout connect 1s
	timeout client 10s
	timeout server 10s
	retries 3
	option redispatch
listen bcold
	mode http
	bind 127.0.0.1:$((pb + 2))
	retry-on conn-failure empty-response response-timeout
	server app 127.0.0.1:$((pb + 1)) check inter 1s
listen bbg
	mode http
	bind 127.0.0.1:$((pb + 3))
	option httpchk GET /health
	retry-on conn-failure empty-response response-timeout
	server blue 127.0.0.1:$((pb + 4)) check inter 1s
	server green 127.0.0.1:$((pb + 5)) check inter 1s
listen bmcold
	mode tcp
	bind 127.0.0.1:$((pb + 12))
	server app 127.0.0.1:$((pb + 11)) check inter 1s
listen bmbg
	mode tcp
	bind 127.0.0.1:$((pb + 13))
	server blue 127.0.0.1:$((pb + 14)) check inter 1s
	server green 127.0.0.1:$((pb + 15)) check inter 1s
EOF
echo "PORT=$((pb + 11))" >"$work/bmcold.env"
ct_copy_in "$CT" "$work/haproxy.cfg" /etc/haproxy/haproxy.cfg
ct_exec "$CT" sh -c 'mkdir -p /run/haproxy && systemctl start haproxy'
# the cold mix release's port (its env file is a conffile: written before install)
ct_copy_in "$CT" "$work/bmcold.env" /etc/bmcold/bmcold.env

ver() { case $1 in bm*) echo "$2.0" ;; *) echo "$2" ;; esac; }
pkg() { ls "$work/pkgs/$1_$(ver "$1" "$2")-1_"*.deb | sed "s|$work/pkgs|/srv/pkgs|"; }
for c in $contenders; do
	app=${c%%:*}
	ct_exec "$CT" dpkg -i "$(pkg "$app" 1.0)" >/dev/null 2>&1 || { echo "installing $app 1.0 failed"; exit 1; }
done

rss() { # APP: RSS (kB) of the app's processes, sampled every 50 ms to FILE until killed
	ct_nsexec "$CT" sh -c 'while :; do ps -u "$1" -o rss= | awk "{s+=\$1} END {print s+0}"; sleep 0.05; done' sh "$1"
}

# switch APP MODE FRONTPORT TO: one dpkg -i under the probe; one result line
switch() {
	app=$1 mode=$2 front=$3 to=$4
	rm -f "$work/probe.pid"
	python3 "$top/tests/bluegreen/probe.py" "$mode" "127.0.0.1:$front" "$work/probe.pid" >"$work/probe.json" &
	probe=$!
	while [ ! -s "$work/probe.pid" ]; do sleep 0.05; done
	rss "$app" >"$work/rss" 2>/dev/null &
	sampler=$!
	sleep 0.5
	t0=$(date +%s%3N)
	ct_exec "$CT" dpkg -i "$(pkg "$app" "$to")" >"$work/pm.out" 2>&1 || echo "  ($app $to: dpkg failed)"
	t1=$(date +%s%3N)
	sleep 0.3
	kill "$sampler" 2>/dev/null || :
	kill -TERM "$(cat "$work/probe.pid")"
	wait "$probe" || :
	wait "$sampler" 2>/dev/null || :
	j=$(ct_exec "$CT" tail -n 1 "/var/lib/relpkg/$app/journal")
	case $app in
	*bg) sw=$(printf '%s' "$j" | sed -n 's/.*blue-green switch to the [a-z]* slot (\([0-9]*\) ms.*/\1/p') ;;
	*) sw=$(printf '%s' "$j" | cut -f5) ;;
	esac
	base=$(head -n 3 "$work/rss" | sort -n | tail -n 1)
	peak=$(sort -n "$work/rss" | tail -n 1)
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sys.argv[2], d["failed"], d["p50_ms"], d["p99_ms"], sys.argv[3], sys.argv[4], sys.argv[5])' \
		"$work/probe.json" "$app" "${sw:-?}" $((t1 - t0)) $(((${peak:-0} - ${base:-0}) / 1024)) >>"$work/results"
}

: >"$work/results"
r=1
while [ "$r" -le "$rounds" ]; do
	for to in 2.0 1.0; do
		for c in $contenders; do
			IFS=: read -r app mode front <<-EOF
			$c
			EOF
			switch "$app" "$mode" "$front" "$(ver "$app" "$to")"
		done
	done
	r=$((r + 1))
done

echo "blue-green vs cold restart, $rounds rounds x (upgrade + downgrade), dpkg -i, probe every 10 ms through haproxy"
python3 - "$work/results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    app, failed, p50, p99, sw, pm, mem = line.split()
    rows.setdefault(app, []).append((int(failed), float(p50) if p50 != "None" else float("nan"),
                                     float(p99) if p99 != "None" else float("nan"),
                                     float(sw) if sw not in ("?", "-") else float("nan"), int(pm), int(mem)))
def med(xs):
    return statistics.median(xs)
print("%-8s %-10s %8s %8s %8s %10s %8s %10s" % ("app", "switch", "failed", "p50 ms", "p99 ms", "switch ms", "pm ms", "extra MB"))
summary = {}
for app, rs in rows.items():
    kind = "blue-green" if app.endswith("bg") else "cold"
    f = [r[0] for r in rs]
    m = (med(f), med([r[1] for r in rs]), med([r[2] for r in rs]), med([r[3] for r in rs]), med([r[4] for r in rs]), med([r[5] for r in rs]))
    summary[app] = m
    print("%-8s %-10s %8s %8.2f %8.2f %10.0f %8.0f %10.0f   (failed per switch: %s)" % (app, kind, m[0], m[1], m[2], m[3], m[4], m[5], " ".join(map(str, f))))
for cold, bg in (("bcold", "bbg"), ("bmcold", "bmbg")):
    if cold in summary and bg in summary:
        c, b = summary[cold], summary[bg]
        print("%s vs %s: failed %s vs %s; p99 ratio %.2f; package-manager time ratio %.2f" %
              (bg, cold, b[0], c[0], b[2] / c[2] if c[2] else float("nan"), b[4] / c[4] if c[4] else float("nan")))
EOF
