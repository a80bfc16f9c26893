# t_bluegreen.sh: --switch blue-green (issue 14) in a Debian container
# booted with systemd, behind Debian's haproxy inside it.  A generic
# (Python) app and a mix release, each 1.0 -> 2.0 -> 1.0 -> 2.0 through
# apt-get (.deb) and rpm -U (.rpm), with a probe through haproxy every 10 ms
# (a new connection each time): 0 failed requests on every switch, the
# right version answers after each, only one slot runs, `current`, the slot
# file and `relpkg status` name it, the other slot is disabled.  Failure
# cells (generic app): the new version fails its health check; haproxy's
# admin socket is missing -- 0 failed requests, the old version keeps
# serving, the package manager fails, the journal says why.  After a
# reboot the active slot's version runs.
#
# One booted container per format, one after the other.  Ports:
# BG_PORT_BASE (default 18900): deb +1..3 (app: haproxy, blue, green),
# +11..13 (mix), +20 (epmd of the mix nodes); rpm the same +50.
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd systemd-nspawn nsenter dpkg-scanpackages curl python3
need_relpkg
[ "$(id -u)" = 0 ] || skip_file "needs root (mounts, systemd-nspawn)"

. "$TOP/tests/container/lib.sh"
trap ct_cleanup_all EXIT

PORT_BASE=${BG_PORT_BASE:-18900}
PROBE=$TOP/tests/bluegreen/probe.py
export SOURCE_DATE_EPOCH=1700000000
t_start=$(date +%s)

for p in 1 2 3 11 12 13 20 51 52 53 61 62 63 70; do
	ct_port_free $((PORT_BASE + p)) || skip_file "127.0.0.1:$((PORT_BASE + p)) is in use on the host"
done
"$RELPKG" build --help 2>&1 | grep -q -- '--switch' || skip_file "relpkg build has no --switch"

# --- packages -------------------------------------------------------------------

# the mix release: 1.0.0 and 2.0.0 (mix wants SemVer)
MIX1=$(fixture mix bgmix 1.0.0) && MIX2=$(fixture mix bgmix 2.0.0) || MIX1=
[ -n "$MIX1" ] || fail "the mix release fixtures build" "see above"

# build FMT OFF: every package of format FMT, ports PORT_BASE+OFF+...
build_fmt() {
	b_fmt=$1 b_off=$2
	front=$((PORT_BASE + b_off + 1))
	for v in 1.0: 2.0: 2.5:health 2.6:; do
		vsn=${v%%:*} bad=${v#*:}
		tb=$(MKAPP_PORT=$front sh "$TOP/tests/lifecycle/mkapp.sh" "$T/rel/$b_fmt" bgpy "$vsn" 1 "$bad") || return 1
		set -- --health-timeout 20
		[ -z "$bad" ] || set -- --health-timeout 4
		"$RELPKG" build "$tb" --format "$b_fmt" --out "$T/pkgs/$b_fmt" --quiet \
			--maintainer 'relpkg tests <tests@relpkg.invalid>' --start-cmd bin/bgpy \
			--switch blue-green --port-env PORT \
			--slot-ports $((PORT_BASE + b_off + 2)),$((PORT_BASE + b_off + 3)) \
			--health-url "http://127.0.0.1:$front/health" "$@" || return 1
	done
	[ -n "$MIX1" ] || return 0
	for tb in "$MIX1" "$MIX2"; do
		"$RELPKG" build "$tb" --format "$b_fmt" --out "$T/pkgs/$b_fmt" --quiet \
			--maintainer 'relpkg tests <tests@relpkg.invalid>' \
			--switch blue-green --port-env PORT \
			--slot-ports $((PORT_BASE + b_off + 12)),$((PORT_BASE + b_off + 13)) \
			--health-cmd "exec bash -c 'read -r -t 2 l </dev/tcp/127.0.0.1/\$PORT && test -n \"\$l\"'" || return 1
	done
}
check "build the blue-green packages (.deb)" build_fmt deb 0
check "build the blue-green packages (.rpm)" build_fmt rpm 50
(cd "$T/pkgs/deb" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null)

# the build refuses what it cannot do
check_status "blue-green without --port-env/--slot-ports: usage error" 2 \
	"$RELPKG" build "$(ls "$T"/rel/deb/bgpy-1.0.tar.gz)" --out "$T/x" --switch blue-green
bg_migr() {
	"$RELPKG" build "$T/rel/deb/bgpy-1.0.tar.gz" --out "$T/x" --switch blue-green --port-env PORT \
		--slot-ports 1,2 --migrate-up 'bin/migrate up' 2>&1
}
out=$(bg_migr) && rc=0 || rc=$?
if [ "$rc" = 2 ] && printf '%s' "$out" | grep -q 'expand/contract' && printf '%s' "$out" | grep -q -- '--migrate-online yes'; then
	pass "blue-green with a migration not declared online: refused, expand/contract explained"
else
	fail "blue-green with a migration not declared online: refused, expand/contract explained" "exit $rc" "$out"
fi
check "blue-green with --migrate-online yes builds" "$RELPKG" build "$T/rel/deb/bgpy-1.0.tar.gz" \
	--out "$T/x" --quiet --maintainer 'a <a@b.invalid>' --switch blue-green --port-env PORT \
	--slot-ports 1,2 --migrate-up 'bin/migrate up' --migrate-online yes

# --- in the container -------------------------------------------------------------

cx() { ct_exec "$CT" "$@"; }
csh() { ct_sh "$CT" "$@"; }

haproxy_cfg() {
	cat <<EOF
global
	stats socket /run/haproxy/admin.sock mode 660 level admin
	stats timeout 30s
defaults
	timeout connect 1s
	timeout client 10s
	timeout server 10s
	retries 3
	option redispatch
frontend bgpy
	mode http
	bind 127.0.0.1:$((PORT_BASE + OFF + 1))
	default_backend bgpy
backend bgpy
	mode http
	option httpchk GET /health
	retry-on conn-failure empty-response response-timeout
	server blue 127.0.0.1:$((PORT_BASE + OFF + 2)) check inter 1s
	server green 127.0.0.1:$((PORT_BASE + OFF + 3)) check inter 1s
listen bgmix
	mode tcp
	bind 127.0.0.1:$((PORT_BASE + OFF + 11))
	server blue 127.0.0.1:$((PORT_BASE + OFF + 12)) check inter 1s
	server green 127.0.0.1:$((PORT_BASE + OFF + 13)) check inter 1s
EOF
}

# pm KIND APP VERSION (install/upgrade/downgrade); pm_rc, $T/pm.out, pm.err
pm() {
	k=$1 app=$2 vsn=$3
	pm_rc=0
	if [ "$FMT" = deb ]; then
		set -- env DEBIAN_FRONTEND=noninteractive apt-get -y -q \
			-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
		[ "$k" != downgrade ] || set -- "$@" --allow-downgrades
		set -- "$@" install "$app=$vsn-1"
	else
		set -- rpm -U
		[ "$k" != downgrade ] || set -- "$@" --oldpackage
		set -- "$@" "$(cd "$PKGS/rpm" && ls "$app-$vsn-1."*.rpm | sed 's|^|/srv/rpms/|')"
	fi
	cx "$@" >"$T/pm.out" 2>"$T/pm.err" || pm_rc=$?
	pm_cmd="$*"
}
pm_output() { printf '%s\n' "\$ $pm_cmd" "exit status $pm_rc" "--- stderr:"; tail -n 25 "$T/pm.err"; printf '%s\n' "--- stdout:"; tail -n 15 "$T/pm.out"; }

probe_start() {
	rm -f "$T/probe.pid"
	python3 "$PROBE" "$1" "127.0.0.1:$2" "$T/probe.pid" >"$T/probe.json" 2>"$T/probe.err" &
	probe_job=$!
	i=0
	while [ ! -s "$T/probe.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.3
}
probe_stop() {
	sleep 0.3
	kill -TERM "$(cat "$T/probe.pid")" 2>/dev/null
	wait "$probe_job"
}
pj() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d[sys.argv[2]]; print(v[-1] if isinstance(v, list) and v else v)' "$T/probe.json" "$1"; }

# answers MODE PORT VERSION: the app answers VERSION through haproxy (15 s)
answers() {
	a_end=$(($(date +%s) + 15))
	while :; do
		if [ "$1" = http ]; then
			a_got=$(curl -sS -m 2 "http://127.0.0.1:$2/" 2>&1)
		else
			a_got=$(python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2); print(s.recv(200).decode().split()[-1])' "$2" 2>&1)
		fi
		[ "$a_got" = "$3" ] && return 0
		if [ "$(date +%s)" -ge "$a_end" ]; then
			echo "wanted '$3' on 127.0.0.1:$2, last answer: $a_got"
			return 1
		fi
		sleep 0.2
	done
}

# slots_are APP VERSION [STATUS_RC]: exactly one slot runs, the one the slot
# file names (enabled, the other disabled), current and relpkg status name
# VERSION; relpkg status exits STATUS_RC (default 0; 1 after a failed
# switch: the package database has the version that failed).
slots_are() {
	s_app=$1 s_v=$2 s_rc=${3:-0}
	act=$(cx sed -n 's/^ACTIVE=//p' "/var/lib/relpkg/$s_app/slot")
	case $act in blue | green) ;; *) echo "slot file: ACTIVE='$act'"; return 1 ;; esac
	st=$(csh 'systemctl is-active "$1@blue" "$1@green"; systemctl is-enabled "$1@blue" "$1@green"' "$s_app" | tr '\n' ' ')
	if [ "$act" = blue ]; then want="active inactive enabled disabled "; else want="inactive active disabled enabled "; fi
	[ "$st" = "$want" ] || { echo "slots (active blue green, enabled blue green): $st; want $want"; return 1; }
	sv=$(cx readlink "/opt/$s_app/slots/$act")
	[ "$sv" = "../live/$s_v" ] || { echo "slots/$act -> $sv, want ../live/$s_v"; return 1; }
	cur=$(cx readlink "/opt/$s_app/current")
	[ "$cur" = "live/$s_v" ] || { echo "current -> $cur, want live/$s_v"; return 1; }
	rs_rc=0
	rs=$(cx relpkg status "$s_app" 2>&1) || rs_rc=$?
	[ "$rs_rc" = "$s_rc" ] || { echo "relpkg status exits $rs_rc, want $s_rc:"; echo "$rs"; return 1; }
	printf '%s\n' "$rs" | grep -q "^running: $s_v (the unit's guard, same systemd invocation)" &&
		printf '%s\n' "$rs" | grep -q "^current: $s_v\$" &&
		printf '%s\n' "$rs" | grep -q "^slot: $act " || { echo "relpkg status:"; echo "$rs"; return 1; }
	echo "$act" >"$T/active.$s_app"
}

# switch APP MODE FRONT KIND VERSION EXPECT(ok|fail) SERVING: one switch under the probe
switch() {
	w_app=$1 w_mode=$2 w_front=$3 w_kind=$4 w_v=$5 w_exp=$6 w_serv=$7
	d="$P $w_app $w_kind to $w_v"
	probe_start "$w_mode" "$w_front"
	pm "$w_kind" "$w_app" "$w_v"
	probe_stop
	if [ "$w_exp" = ok ]; then
		[ "$pm_rc" = 0 ] && pass "$d: the package manager succeeds" || fail "$d: the package manager succeeds" "$(pm_output)"
	elif [ "$FMT" = deb ]; then
		[ "$pm_rc" != 0 ] && pass "$d: the package manager reports the failure" ||
			fail "$d: the package manager reports the failure" "$(pm_output)"
	elif grep -q "relpkg($w_app $w_v):" "$T/pm.err" && grep -Eq 'scriptlet.*failed' "$T/pm.err"; then
		# rpm only warns when %post fails (as for a cold switch)
		pass "$d: rpm reports the failed %post"
	else
		fail "$d: rpm reports the failed %post" "$(pm_output)"
	fi
	f=$(pj failed)
	expect_eq "$d: 0 failed requests through haproxy ($(pj requests) requests, p99 $(pj p99_ms) ms)" "$f" 0
	[ "$f" = 0 ] || note "$(cat "$T/probe.json")"
	expect_eq "$d: $w_serv answers at the end" "$(pj versions)" "$w_serv"
	w_rc=0
	[ "$w_exp" = ok ] || w_rc=1
	check "$d: one slot runs $w_serv; current, slot file, relpkg status name it; the other is disabled" \
		slots_are "$w_app" "$w_serv" "$w_rc"
}

# run_format FMT OFF: one format's cells in its own container (a subshell)
run_format() {
	FMT=$1 OFF=$2 CT=bg$PORT_BASE-$1 P=[$1]
	PY=$((PORT_BASE + OFF + 1)) MX=$((PORT_BASE + OFF + 11))
	T=$T/$FMT # the scratch files of check(), pm, the probe: per format
	mkdir -p "$T"
	if ! ct_boot "$CT" >"$T/boot.log" 2>&1; then
		fail "$P the container boots" "$(cat "$T/boot.log")"
		return 0
	fi
	ct_copy_in "$CT" "$TOP/build/relpkg" /usr/local/bin/relpkg
	if [ "$FMT" = deb ]; then
		ct_copy_in "$CT" "$PKGS/deb" /srv/repo
		echo 'deb [trusted=yes] file:/srv/repo ./' >"$T/bg.list"
		ct_copy_in "$CT" "$T/bg.list" /etc/apt/sources.list.d/bg.list
		check "$P apt-get update" cx apt-get -q update
	else
		ct_copy_in "$CT" "$PKGS/rpm" /srv/rpms
	fi
	haproxy_cfg >"$T/haproxy.cfg"
	ct_copy_in "$CT" "$T/haproxy.cfg" /etc/haproxy/haproxy.cfg
	check "$P Debian's haproxy starts with the documented backend" \
		csh 'mkdir -p /run/haproxy && systemctl start haproxy && systemctl is-active -q haproxy'

	# the generic app
	pm install bgpy 1.0
	[ "$pm_rc" = 0 ] && pass "$P bgpy 1.0 installs" || fail "$P bgpy 1.0 installs" "$(pm_output)"
	check "$P bgpy 1.0 answers through haproxy" answers http "$PY" 1.0
	check "$P bgpy 1.0 in one slot" slots_are bgpy 1.0
	switch bgpy http "$PY" upgrade 2.0 ok 2.0
	first=$(cat "$T/active.bgpy" 2>/dev/null)
	switch bgpy http "$PY" downgrade 1.0 ok 1.0
	second=$(cat "$T/active.bgpy" 2>/dev/null)
	switch bgpy http "$PY" upgrade 2.0 ok 2.0
	if [ -n "$first" ] && [ -n "$second" ] && [ "$first" != "$second" ]; then
		pass "$P the slots alternate ($first, $second, $(cat "$T/active.bgpy"))"
	else
		fail "$P the slots alternate" "after 2.0: $first, after 1.0: $second"
	fi
	expect_match "$P the journal records the blue-green switch" \
		"$(cx tail -n 1 /var/lib/relpkg/bgpy/journal)" 'blue-green switch to the (blue|green) slot'

	# failure: the new version is not healthy in its slot
	switch bgpy http "$PY" upgrade 2.5 fail 2.0
	expect_match "$P 2.5 unhealthy: the journal says why" "$(cx tail -n 1 /var/lib/relpkg/bgpy/journal)" \
		'not healthy in the (blue|green) slot.*nothing flipped, 2.0 keeps serving'
	expect_match "$P 2.5 unhealthy: the package manager's output says why" "$(cat "$T/pm.out" "$T/pm.err")" 'not healthy'

	# failure: haproxy's admin socket is not there
	cx mv /run/haproxy/admin.sock /run/haproxy/moved.sock
	switch bgpy http "$PY" upgrade 2.6 fail 2.0
	expect_match "$P no admin socket: the journal says why" "$(cx tail -n 1 /var/lib/relpkg/bgpy/journal)" \
		"haproxy's admin socket /run/haproxy/admin.sock.*nothing flipped, 2.0 keeps serving"
	cx mv /run/haproxy/moved.sock /run/haproxy/admin.sock
	# the package database back to what runs
	if [ "$FMT" = deb ]; then
		check "$P relpkg rollback: the package database agrees with 2.0 again" cx relpkg rollback --yes bgpy
	else
		pm downgrade bgpy 2.0
		[ "$pm_rc" = 0 ] && pass "$P rpm -U --oldpackage 2.0: the package database agrees with 2.0 again" ||
			fail "$P rpm -U --oldpackage 2.0: the package database agrees with 2.0 again" "$(pm_output)"
	fi
	check "$P bgpy 2.0 still in its slot, relpkg status consistent" slots_are bgpy 2.0

	# the mix release
	if [ -n "$MIX1" ]; then
		# the containers share the host's network, so epmd's port too: each
		# container's nodes get their own epmd (a drop-in, before the install)
		printf '[Service]\nEnvironment=ERL_EPMD_PORT=%s\n' $((PORT_BASE + OFF + 20)) >"$T/epmd.conf"
		ct_copy_in "$CT" "$T/epmd.conf" /etc/systemd/system/bgmix@.service.d/epmd.conf
		pm install bgmix 1.0.0
		[ "$pm_rc" = 0 ] && pass "$P bgmix 1.0.0 installs" || fail "$P bgmix 1.0.0 installs" "$(pm_output)"
		check "$P bgmix 1.0.0 answers through haproxy" answers tcp "$MX" 1.0.0
		switch bgmix tcp "$MX" upgrade 2.0.0 ok 2.0.0
		switch bgmix tcp "$MX" downgrade 1.0.0 ok 1.0.0
		switch bgmix tcp "$MX" upgrade 2.0.0 ok 2.0.0
	fi

	# a reboot: the active slots come back (haproxy is started by hand: it
	# is disabled at boot in the test root)
	if ct_reboot "$CT" >"$T/boot.log" 2>&1; then
		csh 'mkdir -p /run/haproxy && systemctl start haproxy' || :
		check "$P after a reboot bgpy 2.0 answers" answers http "$PY" 2.0
		check "$P after a reboot bgpy runs in its active slot only" slots_are bgpy 2.0
		if [ -n "$MIX1" ]; then
			check "$P after a reboot bgmix 2.0.0 answers" answers tcp "$MX" 2.0.0
			check "$P after a reboot bgmix runs in its active slot only" slots_are bgmix 2.0.0
		fi
	else
		fail "$P the container reboots" "$(cat "$T/boot.log")"
	fi
	ct_stop "$CT" || :
}

# both formats at the same time (BG_PARALLEL=0: one after the other)
PKGS=$T/pkgs
pids=
for f in ${BG_FORMATS:-deb rpm}; do
	case $f in deb) off=0 ;; rpm) off=50 ;; *) continue ;; esac
	ct_create "bg$PORT_BASE-$f" >/dev/null || { skip "[$f] cells" "no container root"; continue; }
	if [ "${BG_PARALLEL:-1}" = 1 ]; then
		(run_format "$f" "$off") >"$T/$f.log" 2>&1 &
		pids="$pids $!"
	else
		(run_format "$f" "$off")
	fi
done
for p in $pids; do wait "$p"; done
for f in deb rpm; do [ ! -f "$T/$f.log" ] || cat "$T/$f.log"; done
for f in deb rpm; do ct_stop "bg$PORT_BASE-$f" >/dev/null 2>&1 || :; done
for p in 1 2 3 11 12 13 51 52 53 61 62 63; do
	ct_port_free $((PORT_BASE + p)) || fail "no app is left listening on $((PORT_BASE + p))"
done
note "t_bluegreen took $(($(date +%s) - t_start)) s"
