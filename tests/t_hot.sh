# t_hot.sh: hot upgrades and downgrades of OTP releases through the package
# (issue 13; relpkg(1), HOT UPGRADES).  A real rebar3 release built by the
# suite (tests/fixtures/relup-release.sh: 0.2.0 has a relup up from / down
# to 0.1.0, 0.3.0 from / to 0.2.0 only, 0.4.0's appup crashes in
# install_release), packaged as .deb and .rpm, driven by package version
# with apt-get and with rpm -U in a container booted with systemd, a probe
# polling every 10 ms inside the container:
#   0.1.0 -> 0.2.0 hot -> 0.1.0 hot down -> 0.3.0 cold (not covered, said
#   in the journal) -> 0.2.0 hot down -> systemctl restart -> 0.3.0 hot ->
#   reboot (the permanent version is current's) -> 0.4.0 (bad appup: cold,
#   the failure in the journal, one version running).
# Each hot step: 0 failed requests, the same OS pid, the node answers the
# new version and its application env value, current points at it, dpkg
# --verify / rpm -V clean, nothing under /opt writable by the service user.
# The deb and the rpm sequences run at the same time, in two containers.
# Ports: HOT_PORT_BASE (default 18800): the app's HTTP port for the deb,
# +1 for the rpm; +50 and +51 the nodes' epmd (the containers share the
# host's network).  Without a container root or rebar3 the container part
# skips itself.
# shellcheck shell=sh disable=SC2016,SC2015,SC1091 # single-quoted scripts run inside
need_relpkg
need_cmd python3 dpkg-deb
export SOURCE_DATE_EPOCH=1700000000
PORT=${HOT_PORT_BASE:-18800}
EPMD=$((PORT + 50))
APP=hot-app
U="http://127.0.0.1:$PORT/"

command -v rebar3 >/dev/null 2>&1 && command -v erl >/dev/null 2>&1 || skip_file "needs rebar3 and erl"
fs=$TOP/tests/fixtures/relup-release.sh
fd=$FIXTURES/relup-$(cksum <"$fs" | cut -d' ' -f1)-$PORT
sh "$fs" "$fd" hot_app "$PORT" >"$T/fixture.log" 2>&1 || {
	note "$(tail -n 30 "$T/fixture.log")"
	skip_file "the relup fixture did not build"
}

# --- build time: what the metadata says, without a container -------------
P=$T/pkgs
mkdir -p "$P"
for v in 0.1.0 0.2.0 0.3.0 0.4.0; do
	check "build $v (deb)" "$RELPKG" build "$fd/hot_app-$v.tar.gz" --out "$P" --quiet --format deb \
		--health-url "$U" --health-timeout 120
	check "build $v (rpm)" "$RELPKG" build "$fd/hot_app-$v.tar.gz" --out "$P" --quiet --format rpm \
		--health-url "http://127.0.0.1:$((PORT + 1))/" --health-timeout 120
done
meta() { # VERSION: its metadata file from the .deb
	dpkg-deb --fsys-tarfile "$P/${APP}_$1-1_amd64.deb" | tar -xOf - "./opt/$APP/meta/$1.meta"
}
m=$(meta 0.1.0)
expect_match "0.1.0 (no relup) is hot-capable" "$m" "^HOT='yes'\$"
expect_match "0.1.0: its ERTS version" "$m" "^ERTS_VERSION='[0-9.]*'\$"
expect_match "0.1.0: its libraries for the runtime RELEASES" "$m" "^HOT_LIBS='kernel:.* sasl:.* hot_app:0.1.0'\$"
m=$(meta 0.2.0)
expect_match "0.2.0: up from 0.1.0" "$m" "^HOT_UP_FROM='0.1.0'\$"
expect_match "0.2.0: down to 0.1.0" "$m" "^HOT_DOWN_TO='0.1.0'\$"
expect_match "0.2.0: no emulator restart" "$m" "^HOT_RESTART=''\$"
m=$(meta 0.3.0)
expect_match "0.3.0: up from 0.2.0 only" "$m" "^HOT_UP_FROM='0.2.0'\$"
unit=$(dpkg-deb --fsys-tarfile "$P/${APP}_0.2.0-1_amd64.deb" | tar -xOf - "./lib/systemd/system/$APP.service")
expect_match "the unit sets the runtime RELDIR" "$unit" "^Environment=RELDIR=/run/$APP/releases\$"
expect_match "the unit rebuilds it at each start, as the service user" "$unit" "^ExecStartPre=/opt/$APP/relpkg-reldir\$"
expect_match "a hot-capable unit restarts always" "$unit" '^Restart=always$'
ins=$("$RELPKG" inspect "$P/${APP}_0.3.0-1_amd64.deb")
expect_match "inspect shows the relup coverage" "$ins" '^hot: +yes \(relup: up from 0\.2\.0; down to 0\.2\.0\)$'
# --no-hot, and the config key
check "build 0.2.0 --no-hot" "$RELPKG" build "$fd/hot_app-0.2.0.tar.gz" --out "$T/nohot" --quiet --format deb --no-hot
m=$(dpkg-deb --fsys-tarfile "$T/nohot/${APP}_0.2.0-1_amd64.deb" | tar -xOf - "./opt/$APP/meta/0.2.0.meta")
expect_match "--no-hot: not hot-capable, and says why" "$m" "^HOT_WHY='--no-hot'\$"
unit=$(dpkg-deb --fsys-tarfile "$T/nohot/${APP}_0.2.0-1_amd64.deb" | tar -xOf - "./lib/systemd/system/$APP.service")
expect_match "--no-hot: the unit is the ordinary one" "$unit" '^Restart=on-failure$'
mkdir -p "$T/cfg"
printf 'no-hot = yes\nformat = deb\n' >"$T/cfg/relpkg.conf"
(cd "$T/cfg" && "$RELPKG" build "$fd/hot_app-0.2.0.tar.gz" --out o --quiet) >/dev/null 2>&1
m=$(dpkg-deb --fsys-tarfile "$T/cfg/o/${APP}_0.2.0-1_amd64.deb" 2>/dev/null | tar -xOf - "./opt/$APP/meta/0.2.0.meta" 2>/dev/null)
expect_match "relpkg.conf no-hot = yes" "$m" "^HOT='no'\$"
check_fails "relpkg.conf no-hot = maybe is refused" sh -c \
	'cd "$1" && printf "no-hot = maybe\n" >relpkg.conf && "$2" build "$3" --out o2 --quiet' sh "$T/cfg" "$RELPKG" "$fd/hot_app-0.2.0.tar.gz"

# --- in a container ---------------------------------------------------------
need_cmd systemd-nspawn nsenter dpkg-scanpackages
[ "$(id -u)" = 0 ] || skip_file "needs root (mounts, systemd-nspawn)"
. "$TOP/tests/container/lib.sh"
trap ct_cleanup_all EXIT
for p in "$PORT" $((PORT + 1)) "$EPMD" $((EPMD + 1)); do
	ct_port_free "$p" || skip_file "127.0.0.1:$p is in use on the host"
done
(cd "$P" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null)

APT='apt-get -y -q --allow-downgrades -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install'

answer() { ct_sh "$CT" 'curl -fsS --max-time 2 "$1"' "$U" 2>/dev/null; }
main_pid() { ct_exec "$CT" systemctl show -p MainPID --value "$APP"; }
current() { ct_exec "$CT" readlink "/opt/$APP/current"; }
last_journal() { ct_exec "$CT" tail -n 1 "/var/lib/relpkg/$APP/journal"; }

install() { # VERSION
	if [ "$FMT" = deb ]; then
		ct_sh "$CT" "$APT $APP=$1-1 >/dev/null 2>&1"
	else
		ct_sh "$CT" "rpm -U --oldpackage /srv/pkgs/$APP-$1-1.x86_64.rpm >/dev/null 2>&1"
	fi
}

# The package files are as shipped, and the service user can write nothing
# under /opt.
intact() { # LABEL
	# (the env file is a conffile this test edited: the user's to change)
	if [ "$FMT" = deb ]; then
		v=$(ct_exec "$CT" dpkg --verify "$APP" 2>&1 | grep -v " c /etc/$APP/$APP.env\$")
		expect_eq "$FMT: $1: dpkg --verify is clean" "$v" ""
	else
		v=$(ct_exec "$CT" rpm -V "$APP" 2>&1 | grep -v " c /etc/$APP/$APP.env\$")
		expect_eq "$FMT: $1: rpm -V is clean" "$v" ""
	fi
	w=$(ct_exec "$CT" runuser -u "$APP" -- find "/opt/$APP" -writable 2>/dev/null | head -n 5)
	expect_eq "$FMT: $1: nothing under /opt/$APP writable by $APP" "$w" ""
}

# step KIND VERSION TICK: install VERSION under the probe; KIND hot or cold.
step() {
	kind=$1 v=$2 tick=$3 why=${4:-cold: }
	pid0=$(main_pid)
	ct_exec "$CT" rm -f /run/probe.pid
	ct_exec "$CT" python3 /srv/probe.py "$U" /run/probe.pid >"$T/probe.json" 2>"$T/probe.err" &
	bg=$!
	i=0
	while ! ct_exec "$CT" test -s /run/probe.pid && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.3
	t0=$(date +%s)
	check "$FMT: $kind to $v" install "$v"
	t1=$(date +%s)
	sleep 0.3
	ct_sh "$CT" 'kill -TERM "$(cat /run/probe.pid)"'
	wait "$bg"
	sum=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print("%s %s %s" % (s["failed"], s["longest_gap_ms"], s["requests"]))' "$T/probe.json" 2>/dev/null)
	# shellcheck disable=SC2086
	set -- $sum
	failed=${1:-?} gap=${2:-?} reqs=${3:-?}
	note "$FMT: $kind -> $v: $reqs requests, $failed failed, longest gap $gap ms; the package manager took $((t1 - t0)) s"
	expect_eq "$FMT: after $kind to $v the node answers its version and env" "$(answer)" "$v $tick"
	expect_eq "$FMT: current points at $v" "$(current)" "live/$v"
	j=$(last_journal)
	if [ "$kind" = hot ]; then
		expect_eq "$FMT: hot to $v: no failed request" "$failed" 0
		expect_eq "$FMT: hot to $v: the same OS pid" "$(main_pid)" "$pid0"
		expect_match "$FMT: hot to $v: journal ok, downtime 0, marked hot" "$j" \
			"^[^	]*	[^	]*	$v	ok	0	-	hot (up|down) "
		intact "hot to $v"
	else
		expect_match "$FMT: cold to $v: journal ok, says why it was cold" "$j" "^[^	]*	[^	]*	$v	ok	[0-9]+	-	switch; $why"
		check "$FMT: cold to $v: a new OS pid" test "$(main_pid)" != "$pid0"
	fi
}

# run_format FMT PORT EPMD: the whole sequence in container hotPORT-FMT (made
# by the caller), in a subshell of its own (its own scratch directory).
run_format() {
	FMT=$1 U="http://127.0.0.1:$2/"
	CT=hot$PORT-$FMT
	T=$T/$FMT
	mkdir -p "$T"
	ct_boot "$CT" >/dev/null || { skip "$FMT: hot upgrades" "container did not boot"; return 0; }
	ct_copy_in "$CT" "$P" /srv/
	ct_copy_in "$CT" "$TOP/tests/lifecycle/probe.py" /srv/probe.py
	if [ "$FMT" = deb ]; then
		ct_sh "$CT" 'echo "deb [trusted=yes] file:/srv/pkgs ./" >/etc/apt/sources.list.d/hot.list; apt-get -q update >/dev/null 2>&1'
	fi
	# its own ports, in the env file (the package keeps it: a conffile),
	# since the two containers and other tests' nodes share the network
	ct_sh "$CT" 'mkdir -p "/etc/$1" && printf "PORT=%s\nERL_EPMD_PORT=%s\n" "$2" "$3" >"/etc/$1/$1.env"' \
		"$APP" "$2" "$3"
	check "$FMT: install 0.1.0" install 0.1.0
	i=0
	while [ "$(answer)" != "0.1.0 one" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	expect_eq "$FMT: 0.1.0 answers" "$(answer)" "0.1.0 one"
	check "$FMT: release_handler's directory is runtime state, the service user's" ct_sh "$CT" \
		'test "$(stat -c %U "/run/$1/releases/RELEASES")" = "$1"' "$APP"

	step hot 0.2.0 two
	step hot 0.1.0 one
	step cold 0.3.0 three "cold: the relup of 0.3.0 does not cover 0.1.0"
	step hot 0.2.0 two
	check "$FMT: systemctl restart between two steps" ct_exec "$CT" systemctl restart "$APP"
	i=0
	while [ "$(answer)" != "0.2.0 two" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	step hot 0.3.0 three
	check "$FMT: after the hot steps the boot tree is all that stays besides current" ct_sh "$CT" \
		'test "$(ls "/opt/$1/live" | wc -l)" -le 2' "$APP"
	ct_reboot "$CT" >/dev/null || fail "$FMT: reboot"
	i=0
	while [ "$(answer)" != "0.3.0 three" ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
	expect_eq "$FMT: after a reboot the node runs the permanent version, current's" "$(answer)" "0.3.0 three"
	check "$FMT: status agrees after the reboot" ct_exec "$CT" sh -c 'test "$(sed -n "s/^VERSION=//p" /var/lib/relpkg/hot-app/running)" = 0.3.0'

	# a relup that crashes in install_release: cold, one version, journalled
	step cold 0.4.0 four "hot up failed in install_release"
	expect_eq "$FMT: after the bad appup, one version runs: 0.4.0" "$(current):$(answer)" "live/0.4.0:0.4.0 four"
	intact "bad appup"
	if [ "$FMT" = deb ]; then
		check "$FMT: remove" ct_sh "$CT" "apt-get -y -q purge $APP >/dev/null 2>&1"
	else
		check "$FMT: erase" ct_sh "$CT" "rpm -e $APP >/dev/null 2>&1"
	fi
	ct_stop "$CT" || :
}

ct_create "hot$PORT-deb" >/dev/null || skip_file "no container root"
ct_create "hot$PORT-rpm" >/dev/null || skip_file "no container root"
(run_format deb "$PORT" "$EPMD") &
deb_job=$!
(run_format rpm $((PORT + 1)) $((EPMD + 1))) &
rpm_job=$!
wait "$deb_job" || fail "deb: the sequence ended early"
wait "$rpm_job" || fail "rpm: the sequence ended early"
for p in "$PORT" $((PORT + 1)); do
	ct_port_free "$p" || fail "nothing is left listening on $p"
done
