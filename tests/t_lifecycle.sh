# t_lifecycle.sh: the whole package lifecycle in a Debian container booted
# with real systemd -- install, upgrade with migrate-up, downgrade with
# migrate-down, reinstall, remove, purge, and the failure cells (migration,
# start, health check fail; upgrade and downgrade) -- with .deb through real
# apt-get from a local flat repository and with .rpm through real `rpm -U`.
# A probe counts failed requests during upgrades and downgrades without
# migrations, for a small and a large release.
#
# The test app (tests/lifecycle/mkapp.sh) answers its version on a port,
# reading a file of its release tree per request; its bin/migrate keeps the
# schema version in a real SQLite database and logs what ran, in order, to
# /var/lib/NAME/migrations.log and events.log (with the app's start/stop).
#
# One container per format, both run at the same time (LC_PARALLEL=0: one
# after the other). Ports: LC_PORT_BASE (default 18400) +1..3 for the deb
# apps, +11..13 for the rpm apps. LC_BIG_MB: size of the large release (64).
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd systemd-nspawn nsenter debootstrap dpkg-scanpackages curl python3 sqlite3
need_relpkg
[ "$(id -u)" = 0 ] || skip_file "needs root (mounts, systemd-nspawn)"

. "$TOP/tests/container/lib.sh"
trap ct_cleanup_all EXIT

LC=$TOP/tests/lifecycle
PORT_BASE=${LC_PORT_BASE:-18400}
BIG_MB=${LC_BIG_MB:-64}
HEALTH_TIMEOUT_BAD=5
HEALTH_TIMEOUT_GOOD=90
export SOURCE_DATE_EPOCH=1700000000
t_start=$(date +%s)

now_ms() { date +%s%3N; }

for p in 1 2 3 11 12 13; do
	ct_port_free $((PORT_BASE + p)) || skip_file "127.0.0.1:$((PORT_BASE + p)) is in use on the host"
done

# --- building the packages -----------------------------------------------------

# The lifecycle flags are the contract this file tests; a relpkg without them
# still gets the packages built without them, so that the rest runs.
if "$RELPKG" build --help 2>&1 | grep -q -- '--migrate-up'; then
	pass "relpkg build has the lifecycle flags (--migrate-up, --health-url, ...)"
	LIFEFLAGS=yes
else
	fail "relpkg build has the lifecycle flags (--migrate-up, --health-url, ...)" \
		"$("$RELPKG" build --help 2>&1 | tail -n 20)"
	LIFEFLAGS=no
fi

# build FMT NAME USER PORT VERSION SCHEMA FAIL HEALTH [MB]
#   HEALTH: url | cmd | default (no flag) ; FAIL as mkapp.sh; MB: mkapp's MKAPP_MB.
#   MIGRATE=no in the environment: no migration flags (the probe apps).
build() {
	b_fmt=$1 b_name=$2 b_user=$3 b_port=$4 b_vsn=$5 b_schema=$6 b_fail=$7 b_health=$8 b_mb=${9:-0}
	b_tb=$(MKAPP_PORT=$b_port MKAPP_MB=$b_mb sh "$LC/mkapp.sh" "$T/rel/$b_fmt" \
		"$b_name" "$b_vsn" "$b_schema" "$b_fail") || return 1
	set -- "$b_tb" --format "$b_fmt" --out "$T/pkgs/$b_fmt" --quiet \
		--maintainer 'relpkg tests <tests@relpkg.invalid>' \
		--start-cmd "bin/$b_name" --user "$b_user"
	[ "$b_mb" -gt 0 ] && set -- "$@" --compression none
	if [ "$LIFEFLAGS" = yes ]; then
		if [ "${MIGRATE:-yes}" = yes ]; then
			set -- "$@" --migrate-up 'bin/migrate up' --migrate-down 'bin/migrate down' \
				--schema-version "$b_schema"
		fi
		case $b_health in
		url) set -- "$@" --health-url "http://127.0.0.1:$b_port/health" ;;
		cmd) set -- "$@" --health-cmd "curl -fsS -m 2 -o /dev/null http://127.0.0.1:$b_port/health" ;;
		# a check only this version passes: the version brought back after
		# its failure must be judged by its own check, not this one
		own) set -- "$@" --health-cmd "curl -fsS -m 2 -o /dev/null http://127.0.0.1:$b_port/health && curl -fsS -m 2 http://127.0.0.1:$b_port/ | grep -qx $b_vsn" ;;
		esac
		# a good version is healthy as soon as it answers: its long timeout
		# costs nothing, and a loaded host does not fail its bring-back
		if [ -n "$b_fail" ]; then
			set -- "$@" --health-timeout "$HEALTH_TIMEOUT_BAD"
		else
			set -- "$@" --health-timeout "$HEALTH_TIMEOUT_GOOD"
		fi
	fi
	"$RELPKG" build "$@"
}

# The main app, per format (VERSION SCHEMA FAIL HEALTH):
#   1.0 1 -            url      the base version
#   1.1 2 migrate-up   url      upgrade failures from 1.0 (lower than 2.0, so
#   1.2 2 start        url      that going on to 2.0 afterwards is an upgrade
#   1.3 2 health       own      in the package database too; its check
#                               passes only for 1.3 itself)
#   1.5 1 start        default  downgrade failures from 2.0
#   1.6 1 health       cmd
#   2.0 2 -            cmd      the good upgrade
#   2.9 2 migrate-down url      its migrate-down fails
#   3.0 3 -            default  the way on after 2.9
MAIN_VERSIONS="1.0:1::url 1.1:2:migrate-up:url 1.2:2:start:url 1.3:2:health:own
1.5:1:start:default 1.6:1:health:cmd 2.0:2::cmd 2.9:2:migrate-down:url 3.0:3::default"

build_all() {
	fmt=$1 off=$2
	for v in $MAIN_VERSIONS; do
		IFS=: read -r vsn schema bad health <<-EOF
		$v
		EOF
		build "$fmt" "lc$fmt" "lc${fmt}svc" $((PORT_BASE + off + 1)) "$vsn" "$schema" "$bad" "$health" ||
			return 1
	done
	for vsn in 1.0 2.0; do
		MIGRATE=no build "$fmt" "lc${fmt}p" "lc${fmt}p" $((PORT_BASE + off + 2)) "$vsn" 1 "" url || return 1
		MIGRATE=no build "$fmt" "lc${fmt}b" "lc${fmt}b" $((PORT_BASE + off + 3)) "$vsn" 1 "" url "$BIG_MB" ||
			return 1
	done
}

t0=$(date +%s)
check "build the test app's versions as .deb" build_all deb 0
check "build the test app's versions as .rpm" build_all rpm 10
n=0
for f in "$T"/pkgs/deb/*.deb "$T"/pkgs/rpm/*.rpm; do [ -f "$f" ] && n=$((n + 1)); done
note "building $n packages took $(($(date +%s) - t0)) s"
rm -rf "$T/rel"

mkrepo() { (cd "$T/pkgs/deb" && dpkg-scanpackages -m . /dev/null >Packages 2>"$T/scan.err") && [ -s "$T/pkgs/deb/Packages" ]; }
check "a flat apt repository of the .debs (dpkg-scanpackages)" mkrepo

ct_create "lc$PORT_BASE-deb" >/dev/null || skip_file "no container root"
ct_create "lc$PORT_BASE-rpm" >/dev/null || skip_file "no container root"

# --- one format's cells, in its own container -------------------------------------

# run_group FMT: everything for one format; runs in a subshell.
run_group() {
	FMT=$1
	CT=lc$PORT_BASE-$FMT
	T=$T/$FMT # check()'s scratch file, per group
	mkdir -p "$T"
	case $FMT in deb) off=0 ;; rpm) off=10 ;; esac
	NAME=lc$FMT SVC=lc${FMT}svc PORT=$((PORT_BASE + off + 1))
	P=[$FMT]

	if ! ct_boot "$CT" >"$T/boot.log" 2>&1; then
		fail "$P the container boots" "$(cat "$T/boot.log")"
		return 0
	fi
	ct_copy_in "$CT" "${RELPKG_IN_CT:-$TOP/build/relpkg}" /usr/local/bin/relpkg
	if [ "$FMT" = deb ]; then
		ct_copy_in "$CT" "$T/../pkgs/deb" /srv/repo
		echo 'deb [trusted=yes] file:/srv/repo ./' >"$T/lc.list"
		ct_copy_in "$CT" "$T/lc.list" /etc/apt/sources.list.d/lc.list
		check "$P apt-get update reads the local repository" ct_exec "$CT" apt-get -q update
	else
		ct_copy_in "$CT" "$T/../pkgs/rpm" /srv/rpms
	fi
	check "$P relpkg runs inside the container" ct_exec "$CT" relpkg --version

	main_cells
	probe_cells
	ct_stop "$CT" || :
}

# pm KIND APP VERSION: the package manager moves APP to VERSION.
#   KIND: install | upgrade | downgrade | reinstall | remove | purge
# Sets pm_rc, pm_ms; stdout in $T/pm.out, stderr in $T/pm.err.
pm() {
	k=$1 app=$2 vsn=$3
	pm_rc=0
	t=$(now_ms)
	if [ "$FMT" = deb ]; then
		set -- env DEBIAN_FRONTEND=noninteractive apt-get -y -q \
			-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
		case $k in
		install | upgrade) set -- "$@" install "$app=$vsn-1" ;;
		downgrade) set -- "$@" --allow-downgrades install "$app=$vsn-1" ;;
		reinstall) set -- "$@" --reinstall install "$app=$vsn-1" ;;
		remove) set -- "$@" remove "$app" ;;
		purge) set -- "$@" purge "$app" ;;
		esac
	else
		f=/srv/rpms/$app-$vsn-1.noarch.rpm
		case $k in
		install | upgrade) set -- rpm -U "$f" ;;
		downgrade) set -- rpm -U --oldpackage "$f" ;;
		reinstall) set -- rpm -U --replacepkgs "$f" ;;
		remove | purge) set -- rpm -e "$app" ;;
		esac
	fi
	ct_exec "$CT" "$@" >"$T/pm.out" 2>"$T/pm.err" || pm_rc=$?
	pm_ms=$(($(now_ms) - t))
	pm_cmd="$*"
}

pm_output() { printf '%s\n' "\$ $pm_cmd" "exit status $pm_rc" "--- stderr:"; tail -n 25 "$T/pm.err"; printf '%s\n' "--- stdout:"; tail -n 15 "$T/pm.out"; }

# pm_seen: what the user of the last pm sees of the scripts' messages. rpm:
# its stderr (the scriptlets' stderr is rpm's). apt-get runs dpkg on a pty
# and copies everything dpkg and the scripts print to its own stdout, so
# for apt: stdout and stderr.
pm_seen() {
	if [ "$FMT" = deb ]; then cat "$T/pm.out" "$T/pm.err"; else cat "$T/pm.err"; fi
}

# check_pm DESC: the last pm succeeded.
check_pm() {
	if [ "$pm_rc" -eq 0 ]; then
		pass "$1"
	else
		fail "$1" "$(pm_output)"
	fi
}

# body [APP_PORT] [PATH]: one GET from the host.
body() { curl -sS -m 2 "http://127.0.0.1:${1:-$PORT}${2:-/}" 2>&1; }

# answers VERSION [PORT] [SECS]: the app answers VERSION on / within SECS (15).
answers() {
	a_end=$(($(date +%s) + ${3:-15}))
	while :; do
		a_got=$(curl -sS -m 2 "http://127.0.0.1:${2:-$PORT}/" 2>&1) && [ "$a_got" = "$1" ] && return 0
		if [ "$(date +%s)" -ge "$a_end" ]; then
			echo "wanted '$1' on 127.0.0.1:${2:-$PORT}, last answer: $a_got"
			return 1
		fi
		sleep 0.2
	done
}

# port_closed [PORT]: nothing answers (for 1 s).
port_closed() {
	sleep 1
	! curl -s -m 1 -o /dev/null "http://127.0.0.1:${1:-$PORT}/"
}

cx() { ct_exec "$CT" "$@"; }
csh() { ct_sh "$CT" "$@"; }

unit_active() { csh 'systemctl is-active "$1"' "$1"; }
schema() { cx sqlite3 "/var/lib/$NAME/app.db" 'select version from schema' 2>&1; }
jlast() { cx tail -n 1 "/var/lib/relpkg/$1/journal" 2>&1; }
mainpid() { cx systemctl show -p MainPID --value "$NAME" 2>&1; }
events_mark() { ev_mark=$(cx sh -c "wc -l <\"\$1\" 2>/dev/null || echo 0" sh "/var/lib/$NAME/events.log"); }
events_new() { cx tail -n +"$((ev_mark + 1))" "/var/lib/$NAME/events.log" 2>&1; }
db_version() {
	if [ "$FMT" = deb ]; then
		cx dpkg-query -W -f='${Version} ${db:Status-Abbrev}' "$1" 2>&1
	else
		cx rpm -q --qf '%{VERSION}-%{RELEASE} ' "$1" 2>&1
	fi
}

# in_order DESC TEXT ERE...: the EREs match lines of TEXT in this order.
in_order() {
	io_d=$1 io_text=$2
	shift 2
	io_rest=$io_text
	for io_re do
		io_n=$(printf '%s\n' "$io_rest" | grep -n -E -m 1 -- "$io_re" | cut -d: -f1)
		if [ -z "$io_n" ]; then
			fail "$io_d" "no line matching /$io_re/ after the earlier ones in:" "$io_text"
			return 0
		fi
		io_rest=$(printf '%s\n' "$io_rest" | tail -n +"$((io_n + 1))")
	done
	pass "$io_d"
}

# journal_is DESC APP FROM TO RESULT MIGRATIONS_ERE [MESSAGE_ERE]: the last
# journal line of APP; notes its downtime.
journal_is() {
	j_d=$1 j_app=$2
	shift 2
	j_line=$(jlast "$j_app")
	j_got=$(printf '%s\n' "$j_line" | awk -F'\t' '{ print NF, $2, $3, $4 }')
	j_ok=yes
	[ "$j_got" = "7 $1 $2 $3" ] || j_ok=no
	printf '%s\n' "$j_line" | awk -F'\t' -v m="^($4)\$" -v msg="${5:-.}" \
		'$5 ~ /^[0-9]+$/ || $5 == "-" { d = 1 } $6 ~ m && $7 ~ msg && d { ok = 1 } END { exit !ok }' ||
		j_ok=no
	if [ $j_ok = yes ]; then
		pass "$j_d"
	else
		fail "$j_d" "want TIME<TAB>$1<TAB>$2<TAB>$3<TAB>DOWNTIME_MS<TAB>/$4/<TAB>/${5:-.}/ (7 fields), got:" \
			"$(printf '%s' "$j_line" | sed 's/\t/<TAB>/g')"
	fi
	j_down=$(printf '%s\n' "$j_line" | awk -F'\t' 'NF == 7 { print $5 }')
}

# status_is DESC RUNNING INSTALLED_ERE WARNING(yes|no): relpkg status NAME.
status_is() {
	s_rc=0
	s_out=$(cx relpkg status "$NAME" 2>&1) || s_rc=$?
	s_ok=yes
	printf '%s\n' "$s_out" | grep -Eq "^running: $2( |\$)" || s_ok=no
	printf '%s\n' "$s_out" | grep -Eq "^installed: ($3)([ ]|\$)" || s_ok=no
	printf '%s\n' "$s_out" | grep -Eq '^active: (yes|active)' || s_ok=no
	# a disagreement is a named problem and exit status 1 (relpkg-status(1))
	if [ "$4" = yes ]; then
		printf '%s\n' "$s_out" | grep -Eq '^problem \(.+\): .+' || s_ok=no
		[ "$s_rc" = 1 ] || s_ok=no
	else
		printf '%s\n' "$s_out" | grep -Eq '^problem' && s_ok=no
		[ "$s_rc" = 0 ] || s_ok=no
	fi
	if [ $s_ok = yes ]; then
		pass "$1"
	else
		fail "$1" "want running: $2, installed: /$3/, active: yes, a problem and exit 1: $4; got (exit $s_rc):" "$s_out"
	fi
}

# state_intact DESC SCHEMA: env-file edit, state file and DB schema unchanged.
state_intact() {
	si=$(csh 'grep -qx "LC_MARKER=edited" /etc/$1/$1.env && echo env-ok
		test "$(cat /var/lib/$1/keep 2>/dev/null)" = keep && echo state-ok
		test "$(stat -c %U /var/lib/$1)" = "$2" && echo owner-ok' "$NAME" "$SVC" 2>&1)
	si_schema=$(schema)
	expect_eq "$1" "$(printf '%s' "$si" | tr '\n' ' ') schema=$si_schema" \
		"env-ok state-ok owner-ok schema=$2"
}

# ------------------------------------------------------------------------------
main_cells() {
	# --- install 1.0
	events_mark
	pm install "$NAME" 1.0
	check_pm "$P install 1.0"
	note "$P install 1.0 took ${pm_ms} ms"
	check "$P 1.0 answers on 127.0.0.1:$PORT" answers 1.0
	check "$P the unit is active and enabled" csh 'systemctl is-active -q "$1" && systemctl is-enabled -q "$1"' "$NAME"
	check "$P the app runs as $SVC, not root" csh \
		'pid=$(systemctl show -p MainPID --value "$1"); test "$pid" -gt 0 && test "$(stat -c %U /proc/$pid)" = "$2"' \
		"$NAME" "$SVC"
	check "$P state dir /var/lib/$NAME belongs to $SVC" csh 'test "$(stat -c %U /var/lib/$1)" = "$2"' "$NAME" "$SVC"
	check "$P the release is in /opt/$NAME/releases/1.0, current serves it" csh \
		'test -x /opt/$1/releases/1.0/bin/$1 && test "$(cat /opt/$1/current/priv/static/version.txt)" = 1.0' "$NAME"
	check "$P migrate-up ran on install (schema 1, as $SVC, env loaded)" csh \
		'grep -Eq " up 1 by=1\.0 from=[^ ]* to=1\.0 user=$2 cwd_version=1\.0 .*result=ok" /var/lib/$1/migrations.log' \
		"$NAME" "$SVC"
	expect_eq "$P the database is at schema 1" "$(schema)" 1
	journal_is "$P journal: - -> 1.0 ok" "$NAME" - 1.0 ok 'up:1'
	status_is "$P relpkg status: running 1.0, installed 1.0, no warning" 1.0 '1\.0(-1)?' no

	# local edits the rest must keep
	csh 'echo LC_MARKER=edited >>/etc/$1/$1.env && echo keep >/var/lib/$1/keep && chown "$2" /var/lib/$1/keep' \
		"$NAME" "$SVC"

	# --- reinstall: nothing changed, not restarted
	pid0=$(mainpid)
	pm reinstall "$NAME" 1.0
	check_pm "$P reinstall 1.0"
	check "$P 1.0 answers after the reinstall" answers 1.0
	expect_eq "$P reinstall with unchanged files does not restart (MainPID)" "$(mainpid)" "$pid0"

	# --- upgrade 1.0 -> 2.0
	events_mark
	pm upgrade "$NAME" 2.0
	check_pm "$P upgrade 1.0 -> 2.0"
	note "$P upgrade 1.0 -> 2.0 took ${pm_ms} ms"
	check "$P 2.0 answers" answers 2.0
	check "$P migrate-up of 2.0 ran to schema 2 (as $SVC, in 2.0's tree, env file loaded)" csh \
		'tail -n 1 /var/lib/$1/migrations.log | grep -Eq " up 2 by=2\.0 from=1\.0 to=2\.0 user=$2 cwd_version=2\.0 root=/[^ ]+ marker=edited result=ok"' \
		"$NAME" "$SVC"
	expect_eq "$P the database is at schema 2" "$(schema)" 2
	in_order "$P upgrade order: 1.0 stopped, migrate up 2 (2.0), 2.0 started" "$(events_new)" \
		'stop 1\.0' 'migrate up 2 by=2\.0' 'start 2\.0'
	journal_is "$P journal: 1.0 -> 2.0 ok up:2" "$NAME" 1.0 2.0 ok 'up:2'
	note "$P downtime 1.0 -> 2.0 (journal): ${j_down:-?} ms"
	expect_eq "$P the app sees the edited env file" "$(body "$PORT" /env/LC_MARKER)" edited
	status_is "$P relpkg status: running 2.0, previous 1.0" 2.0 '2\.0(-1)?' no
	check "$P relpkg status names the previous version" csh 'relpkg status "$1" | grep -qx "previous: 1.0"' "$NAME"
	check "$P relpkg status --json is JSON" csh 'relpkg status "$1" --json | python3 -m json.tool >/dev/null' "$NAME"

	# --- downgrade 2.0 -> 1.0
	events_mark
	pm downgrade "$NAME" 1.0
	check_pm "$P downgrade 2.0 -> 1.0"
	note "$P downgrade 2.0 -> 1.0 took ${pm_ms} ms"
	check "$P 1.0 answers" answers 1.0
	check "$P 2.0's migrate-down ran with target schema 1" csh \
		'tail -n 1 /var/lib/$1/migrations.log | grep -Eq " down 1 by=2\.0 from=2\.0 to=1\.0 user=$2 cwd_version=2\.0 .*marker=edited result=ok"' \
		"$NAME" "$SVC"
	expect_eq "$P the database is at schema 1" "$(schema)" 1
	in_order "$P downgrade order: 2.0 stopped, its migrate-down, then 1.0 started" "$(events_new)" \
		'stop 2\.0' 'migrate down 1 by=2\.0' 'start 1\.0'
	ev=$(events_new)
	if printf '%s\n' "$ev" | grep -q 'migrate up'; then
		fail "$P no migrate-up on a downgrade with migrate-down" "$ev"
	else
		pass "$P no migrate-up on a downgrade with migrate-down"
	fi
	journal_is "$P journal: 2.0 -> 1.0 ok down:1" "$NAME" 2.0 1.0 ok 'down:1'
	note "$P downtime 2.0 -> 1.0 (journal): ${j_down:-?} ms"
	status_is "$P relpkg status: running 1.0, installed 1.0" 1.0 '1\.0(-1)?' no

	# --- upgrade failures from 1.0: each followed by going back to 1.0 with
	# the package manager (a downgrade in the package database)
	failure_cell upgrade 1.1 1.0 1 'migrat' 'migrate-up fails'
	failure_cell upgrade 1.2 1.0 1 'start|health|active|fail' 'new version does not start'
	failure_cell upgrade 1.3 1.0 1 'health' 'health check fails'

	# --- on to 2.0 (upgrade in the database: 1.0 -> 2.0)
	pm upgrade "$NAME" 2.0
	check_pm "$P upgrade 1.0 -> 2.0 again"
	check "$P 2.0 answers" answers 2.0

	# --- downgrade failures from 2.0: the older version does not start / is
	# not healthy; then 2.0 is installed again (an upgrade in the database)
	failure_cell downgrade 1.5 2.0 2 'start|health|active|fail' 'older version does not start'
	failure_cell downgrade 1.6 2.0 2 'health' 'health check of the older version fails'

	# --- the installed version's migrate-down fails
	pm upgrade "$NAME" 2.9
	check_pm "$P upgrade 2.0 -> 2.9 (a version whose migrate-down fails)"
	check "$P 2.9 answers" answers 2.9
	csh 'systemctl show -p MainPID --value "$1"' "$NAME" >"$T/pid29"
	events_mark
	pm downgrade "$NAME" 1.0
	# the migrate-down runs in 1.0's postinst / %post, after the unpack (the
	# service is not stopped across it): dpkg leaves 1.0 half-configured,
	# rpm warns; 2.9 is brought back either way
	expect_failed "$P downgrade 2.9 -> 1.0 with a failing migrate-down: the package manager reports the failure" no
	expect_match "$P the user sees the failing script's message" "$(pm_seen)" "relpkg\\($NAME [^)]+\\): .*migrat"
	check "$P 2.9 answers again" answers 2.9
	check "$P the unit is active" unit_active "$NAME"
	status_is "$P relpkg status: running 2.9, installed 1.0, with a warning" 2.9 '1\.0(-1)?' yes
	journal_is "$P journal: 2.9 -> 1.0 failed, down:1, says why" "$NAME" 2.9 1.0 failed 'down:1|-' 'migrat'
	in_order "$P 2.9 was stopped, its migrate-down failed, 2.9 started again" "$(events_new)" \
		'stop 2\.9' 'migrate-failed down 1 by=2\.9' 'start 2\.9'
	state_intact "$P env edit, state and schema 2 intact" 2
	pm upgrade "$NAME" 3.0
	check_pm "$P then upgrade 2.9 -> 3.0 succeeds (nothing wedged)"
	check "$P 3.0 answers" answers 3.0
	expect_eq "$P the database is at schema 3" "$(schema)" 3
	status_is "$P relpkg status: running 3.0, no warning" 3.0 '3\.0(-1)?' no
	pm downgrade "$NAME" 1.0
	check_pm "$P then downgrade 3.0 -> 1.0 (default health check) succeeds"
	check "$P 1.0 answers" answers 1.0
	expect_eq "$P the database is at schema 1" "$(schema)" 1
	journal_is "$P journal: 3.0 -> 1.0 ok down:1" "$NAME" 3.0 1.0 ok 'down:1'

	# --- remove, purge
	pm remove "$NAME" 1.0
	check_pm "$P remove"
	check "$P nothing answers after remove" port_closed
	check "$P the unit is not active after remove" csh '! systemctl is-active -q "$1"' "$NAME"
	check "$P no release tree left after remove" csh 'test ! -e /opt/$1/releases/1.0 && test ! -e /opt/$1/current' "$NAME"
	if [ "$FMT" = deb ]; then
		check "$P the env-file edit is kept after remove" csh 'grep -qx LC_MARKER=edited /etc/$1/$1.env' "$NAME"
	else
		check "$P the env-file edit is kept after erase (as .rpmsave)" csh \
			'grep -qx LC_MARKER=edited /etc/$1/$1.env || grep -qx LC_MARKER=edited /etc/$1/$1.env.rpmsave' "$NAME"
	fi
	check "$P state and database kept after remove" csh \
		'test "$(cat /var/lib/$1/keep)" = keep && test "$(sqlite3 /var/lib/$1/app.db "select version from schema")" = 1' "$NAME"
	if [ "$FMT" = deb ]; then
		pm purge "$NAME" 1.0
		check_pm "$P purge"
		check "$P purge removes config, state and the service user" csh \
			'test ! -e /etc/$1 && test ! -e /var/lib/$1 && ! getent passwd "$2" && ! dpkg-query -W "$1" 2>/dev/null' \
			"$NAME" "$SVC"
	fi
}

# expect_failed DESC FATAL: the last pm reported the failure. deb: a
# non-zero exit. rpm: FATAL=yes (%pre failed) a non-zero exit; FATAL=no
# (%post failed: rpm only warns) the scriptlet's message on stderr.
expect_failed() {
	if [ "$FMT" = deb ] || [ "$2" = yes ]; then
		if [ "$pm_rc" -ne 0 ]; then pass "$1"; else fail "$1" "$(pm_output)"; fi
	elif grep -Eq "relpkg\\($NAME [^)]+\\):" "$T/pm.err" && grep -Eq 'scriptlet|warning|error' "$T/pm.err"; then
		pass "$1"
	else
		fail "$1" "want rpm's scriptlet warning and a relpkg($NAME ...) message on stderr" "$(pm_output)"
	fi
}

# retry_cell: right after 1.0 -> 1.3 failed its health check (1.0 running,
# judged by its own check). deb: runs that only configure the half-configured
# 1.3 again (an unrelated apt-get run, dpkg --configure -a) with nothing
# changed fail at once and leave 1.0 alone; RELPKG_RETRY=1 retries on
# purpose. rpm never configures again by itself; installing 1.3 again on
# purpose (rpm -U --replacepkgs) is a retry.
retry_cell() {
	c="$P after the failed 1.3:"
	journal_is "$c 1.0 was judged by its own health check and runs again" "$NAME" 1.0 1.3 failed '.*' '1\.0 running again'
	r_pid=$(mainpid)
	r_fails=$(cx grep -c "	failed	" "/var/lib/relpkg/$NAME/journal")
	if [ "$FMT" = deb ]; then
		# an unrelated apt run makes dpkg configure the half-configured 1.3
		cx env DEBIAN_FRONTEND=noninteractive apt-get -y -q install "lc${FMT}p=1.0-1" >"$T/retry.out" 2>&1
		expect_match "$c an unrelated apt-get run says what to do instead of retrying" \
			"$(cat "$T/retry.out")" 'nothing has changed since.*relpkg rollback'
		cx env DEBIAN_FRONTEND=noninteractive apt-get -y -q remove "lc${FMT}p" >/dev/null 2>&1
		cx dpkg --configure -a >"$T/retry.out" 2>&1
		expect_match "$c 'dpkg --configure -a' is refused at once" "$(cat "$T/retry.out")" 'nothing has changed since'
		expect_eq "$c 1.0 was not stopped (same MainPID)" "$(mainpid)" "$r_pid"
		expect_eq "$c no new failed journal line" "$(cx grep -c "	failed	" "/var/lib/relpkg/$NAME/journal")" "$r_fails"
		journal_is "$c the journal says the retry was refused" "$NAME" 1.0 1.3 refused - 'refused'
		check "$c 1.0 still answers" answers 1.0
		cx env RELPKG_RETRY=1 dpkg --configure -a >"$T/retry.out" 2>&1
		expect_match "$c with RELPKG_RETRY=1 it is tried again (and fails again)" "$(cat "$T/retry.out")" 'health check'
	else
		cx rpm -U --replacepkgs "/srv/rpms/$NAME-1.3-1.noarch.rpm" >"$T/retry.out" 2>&1
		expect_match "$c installing 1.3 again on purpose tries again (and fails again)" "$(cat "$T/retry.out")" 'health check'
	fi
	check "$c 1.0 answers after the deliberate retry" answers 1.0
}

# failure_cell KIND BAD PREV PREV_SCHEMA WHY_ERE LABEL
#   KIND upgrade: PREV -> BAD is an upgrade, fails in postinst / %post.
#   KIND downgrade: PREV -> BAD is a downgrade, fails in postinst / %post.
#   Afterwards PREV must run; then PREV is installed again with the package
#   manager and must run cleanly.
failure_cell() {
	fk=$1 bad=$2 prev=$3 prev_schema=$4 why=$5 label=$6
	c="$P $fk $prev -> $bad, $label:"
	events_mark
	pm "$fk" "$NAME" "$bad"
	expect_failed "$c the package manager reports the failure" no
	note "$c took ${pm_ms} ms"
	expect_match "$c the user sees the script's message" "$(pm_seen)" "relpkg\\($NAME [^)]+\\): .+"
	check "$c $prev answers again" answers "$prev"
	check "$c the unit is active" unit_active "$NAME"
	db=$(db_version "$NAME" | cut -d' ' -f1 | sed 's/-1$//')
	note "$c the package database says: $(db_version "$NAME")"
	if [ "$db" = "$prev" ]; then
		status_is "$c relpkg status: running $prev" "$prev" "$prev(-1)?" no
	else
		status_is "$c relpkg status: running $prev, installed $db, with a warning" "$prev" "$db(-1)?" yes
	fi
	journal_is "$c journal: $prev -> $bad failed, says why" "$NAME" "$prev" "$bad" failed '.*' "$why"
	in_order "$c the last start is $prev's" "$(events_new | grep -E ' start ' | tail -n 1)" "start $prev"
	state_intact "$c env edit, state and schema $prev_schema intact" "$prev_schema"
	expect_eq "$c the app sees the edited env file" "$(body "$PORT" /env/LC_MARKER)" edited
	[ "$bad" != 1.3 ] || retry_cell
	# nothing wedged: the package manager installs PREV again
	case $fk in upgrade) back=downgrade ;; *) back=upgrade ;; esac
	pm "$back" "$NAME" "$prev"
	check_pm "$c then installing $prev again succeeds"
	check "$c $prev answers" answers "$prev"
	status_is "$c relpkg status agrees with the package database again" "$prev" "$prev(-1)?" no
	expect_eq "$c the database is at schema $prev_schema" "$(schema)" "$prev_schema"
}

# probe_run APP PORT KIND VERSION: transition APP to VERSION under the probe.
probe_run() {
	pr_app=$1 pr_port=$2 pr_kind=$3 pr_vsn=$4 pr_from=$5
	rm -f "$T/probe.pid"
	python3 "$LC/probe.py" "http://127.0.0.1:$pr_port/" "$T/probe.pid" >"$T/probe.json" 2>"$T/probe.err" &
	pr_bg=$!
	i=0
	while [ ! -s "$T/probe.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.3
	pm "$pr_kind" "$pr_app" "$pr_vsn"
	check_pm "$P $pr_app $pr_kind $pr_from -> $pr_vsn under the probe"
	answers "$pr_vsn" "$pr_port" 10 >/dev/null
	sleep 0.3
	kill -TERM "$(cat "$T/probe.pid")" 2>/dev/null
	wait "$pr_bg"
	sum=$(cat "$T/probe.json")
	pr_eval=$(printf '%s' "$sum" | python3 -c '
import json, sys
s = json.load(sys.stdin)
g = s["switch_gap_ms"]
print("%s %s %s %s %s %s" % (s["failed_http"], s["failed_outside_switch"], ",".join(s["versions"]),
      s["longest_gap_ms"], g[0]["gap_ms"] if g else -1, s["failed"]))' 2>&1)
	# shellcheck disable=SC2086
	set -- $pr_eval
	expect_eq "$P $pr_app $pr_from -> $pr_vsn: no failed request outside the stop->start switch, versions $pr_from then $pr_vsn" \
		"http_errors=${1:-?} outside_switch=${2:-?} versions=${3:-?}" "http_errors=0 outside_switch=0 versions=$pr_from,$pr_vsn"
	if [ "${1:-x}" != 0 ] || [ "${2:-x}" != 0 ]; then note "$P probe: $sum"; fi
	journal_is "$P $pr_app journal: $pr_from -> $pr_vsn ok" "$pr_app" "$pr_from" "$pr_vsn" ok -
	note "$P $pr_app $pr_from -> $pr_vsn: longest gap ${4:-?} ms, switch gap ${5:-?} ms, ${6:-?} failed requests (probe); downtime ${j_down:-?} ms (journal); $pm_cmd took $pm_ms ms"
	pr_gap=${5:--1}
}

probe_cells() {
	up_p=-1 up_b=-1 down_p=-1 down_b=-1 jup_p=- jup_b=- jdown_p=- jdown_b=-
	for kind in p b; do
		app=$NAME$kind
		case $kind in p) port=$((PORT + 1)) size=small ;; b) port=$((PORT + 2)) size="large (${BIG_MB} MB)" ;; esac
		pm install "$app" 1.0
		check_pm "$P install $app 1.0, a $size release without migrations"
		check "$P $app 1.0 answers" answers 1.0 "$port"
		probe_run "$app" "$port" upgrade 2.0 1.0
		case $kind in p) up_p=$pr_gap jup_p=$j_down ;; b) up_b=$pr_gap jup_b=$j_down ;; esac
		probe_run "$app" "$port" downgrade 1.0 2.0
		case $kind in p) down_p=$pr_gap jdown_p=$j_down ;; b) down_b=$pr_gap jdown_b=$j_down ;; esac
		pm purge "$app" 1.0
		check_pm "$P remove $app"
	done
	note "$P switch gap small vs large: upgrade $up_p vs $up_b ms, downgrade $down_p vs $down_b ms (probe); journal downtime $jup_p/$jdown_p vs $jup_b/$jdown_b ms"
	# the downtime must not grow with the size of the release
	gap_cmp upgrade "$up_p" "$up_b"
	gap_cmp downgrade "$down_p" "$down_b"
}

# gap_cmp KIND SMALL_MS LARGE_MS
gap_cmp() {
	d="$P $1 switch gap of the large release ($3 ms) is not much longer than the small one's ($2 ms)"
	if [ "$2" -ge 0 ] && [ "$3" -ge 0 ] && [ "$3" -le $((2 * $2 + 1000)) ]; then
		pass "$d"
	else
		fail "$d" "want 0 <= large <= 2 * small + 1000 ms (-1: no switch seen)"
	fi
}

# --- run ------------------------------------------------------------------------
if [ "${LC_PARALLEL:-1}" = 1 ]; then
	(run_group deb) >"$T/deb.log" 2>&1 &
	deb_bg=$!
	(run_group rpm) >"$T/rpm.log" 2>&1 &
	rpm_bg=$!
	wait "$deb_bg"
	wait "$rpm_bg"
	cat "$T/deb.log" "$T/rpm.log"
else
	(run_group deb)
	(run_group rpm)
fi
ct_stop "lc$PORT_BASE-deb" || :
ct_stop "lc$PORT_BASE-rpm" || :
for p in 1 2 3 11 12 13; do
	ct_port_free $((PORT_BASE + p)) || fail "no app is left listening on $((PORT_BASE + p))"
done
note "t_lifecycle.sh took $(($(date +%s) - t_start)) s"
