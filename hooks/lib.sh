# relpkg maintainer-script library, embedded into every generated script.
# POSIX sh.  The tokens (a NAME between at-signs) are replaced at build time
# with shell-quoted values; nothing of relpkg is needed on the server.
#
# One principle: the INCOMING package drives every transition.  Its
# postinst/%post stops the running version, migrates, switches and starts;
# its preinst/%pre only prepares (user, checks) and changes nothing that
# runs, so the service stays up across the unpack whatever the size.
# The outgoing package's scripts act only on removal and in dpkg's abort
# paths.
#
# The running version never runs from the package's own files: before the
# switch, /opt/NAME/live/VERSION is made as a hard-linked copy of
# /opt/NAME/releases/VERSION, and /opt/NAME/current points there.  dpkg and
# rpm delete the outgoing package's files before the incoming postinst runs;
# the running version keeps reading its own (linked) files until it is
# stopped, and a failed transition brings it back from the same tree --
# including a downgrade's migrate-down, which runs with the newer version's
# code from its live tree.
#
# Every transition is a transaction (relpkg-state(5)): before the first step
# that cannot be taken back, /var/lib/relpkg/NAME/txn records it, durably,
# and is rewritten after each step.  Every entry point (any script of any
# version, and the unit's start guard) first settles an unfinished record,
# so that exactly one version runs, on its own schema.
#
# The service user is untrusted: root here never follows a path inside the
# directories that user owns, and never sources or executes what it can
# write.  Metadata files are parsed as data.
# shellcheck shell=sh

# Some values are for diagnostics and the other steps.
# shellcheck disable=SC2034
{
RP_NAME=@NAME@
RP_RELNAME=@RELNAME@
RP_VERSION=@VERSION@
RP_PKGVERSION=@PKGVERSION@
RP_USER=@USER@
RP_FORMAT=@FORMAT@
RP_START_CMD=@START_CMD@
RP_STOP_CMD=@STOP_CMD@
RP_DAEMON_CMD=@DAEMON_CMD@
RP_SCHEMA=@SCHEMA@
RP_MIGRATE_UP=@MIGRATE_UP@
RP_MIGRATE_DOWN=@MIGRATE_DOWN@
RP_HEALTH_CMD=@HEALTH_CMD@
RP_HEALTH_URL=@HEALTH_URL@
RP_HEALTH_TIMEOUT=@HEALTH_TIMEOUT@
RP_HOOK_BEFORE_STOP=@HOOK_BEFORE_STOP@
RP_HOOK_AFTER_STOP=@HOOK_AFTER_STOP@
RP_HOOK_BEFORE_START=@HOOK_BEFORE_START@
RP_HOOK_AFTER_START=@HOOK_AFTER_START@
RP_SANDBOX=@SANDBOX@
# every other setting with a token (src/settings.h): one RP_TOKEN=value line each
@SETTINGS@
}

# A script carries only the functions it reaches (src/hooks.c): some of
# these are unused in some scripts.
# shellcheck disable=SC2034
{
RP_BASE="/opt/$RP_NAME"
RP_STATE="/var/lib/$RP_NAME"
RP_LOGDIR="/var/log/$RP_NAME"
RP_META="/var/lib/relpkg/$RP_NAME"
RP_TXN="$RP_META/txn"
RP_FAILED="$RP_META/failed"
RP_ENVFILE="/etc/$RP_NAME/$RP_NAME.env"
RP_UNIT="$RP_NAME.service"
RP_NOT_STARTED=
}

rp_log() {
	echo "relpkg($RP_NAME $RP_VERSION): $*" >&2
}

rp_now_ms() {
	t=$(date +%s%3N 2>/dev/null)
	case $t in
	*N | '') echo $(($(date +%s) * 1000)) ;;
	*) echo "$t" ;;
	esac
}

rp_have_systemd() {
	[ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

# deb-systemd-invoke's rule: policy-rc.d exit 101 means "do not start".
rp_start_allowed() {
	policy=$(command -v policy-rc.d 2>/dev/null || true)
	if [ -n "$policy" ]; then
		rc=0
		"$policy" "$RP_UNIT" start >/dev/null 2>&1 || rc=$?
		if [ "$rc" -eq 101 ]; then
			rp_log "policy-rc.d forbids starting $RP_UNIT; not started"
			return 1
		fi
	fi
	return 0
}

# ---- files root writes and reads (relpkg-state(5)) --------------------------

# A value on one line, without tabs: what KEY=VALUE files and the journal hold.
rp_clean() {
	printf '%s' "$1" | tr '\n\t' '  '
}

# rp_write FILE: stdin to FILE, whole or not at all: a temporary name,
# fsync, rename, fsync of the directory.  Fails (and leaves FILE as it
# was) when the disk is full.
rp_write() {
	_w=$1.relpkg-new
	rm -f "$_w"
	# stdin is read once: kept in memory for a second try
	_wc=$(cat; echo .)
	_wc=${_wc%.}
	for _wt in 1 2; do
		if printf '%s' "$_wc" >"$_w" && sync "$_w" 2>/dev/null && mv -f "$_w" "$1"; then
			sync "${1%/*}" 2>/dev/null || true
			return 0
		fi
		rm -f "$_w"
		[ "$_wt" = 1 ] && rp_unreserve || return 1
	done
}

# The reserve: space set aside in $RP_META (the file system of the records)
# before a transition stops anything, given back when a record cannot be
# written there (a disk that filled up meanwhile), so that the transition
# can still record its end.  Gone when the transaction ends.
RP_RESERVE_KB=256
rp_reserve() {
	_r=$RP_META/reserve
	rm -f "$_r"
	fallocate -l "${RP_RESERVE_KB}KiB" "$_r" 2>/dev/null ||
		dd if=/dev/zero of="$_r" bs=1024 count="$RP_RESERVE_KB" 2>/dev/null ||
		rp_log "could not set $RP_RESERVE_KB KiB aside in $RP_META (disk nearly full?): going on without"
	return 0
}

rp_unreserve() {
	[ -f "$RP_META/reserve" ] && [ ! -L "$RP_META/reserve" ] || return 1
	rm -f "$RP_META/reserve"
	sync "$RP_META" 2>/dev/null || sync
	rp_log "the disk is full: using the space set aside for relpkg's records"
}

# rp_kv FILE KEY: the value of KEY in a KEY=VALUE file (data, never sourced).
rp_kv() {
	[ -f "$1" ] && [ ! -L "$1" ] || return 1
	sed -n "s/^$2=//p" "$1" | head -n 1
}

# rp_meta_get FILE KEY: KEY from a relpkg-meta(5) file, whose values are
# shell-quoted ('...', a quote as '\''; a value may span lines).  The
# quoting is undone here, as data: nothing in the file is executed.
rp_meta_get() {
	[ -f "$1" ] && [ ! -L "$1" ] || return 1
	awk -v key="$2" '
	BEGIN { RS = "\001" }
	{
		s = $0; n = length(s); i = 1
		while (i <= n) {
			c = substr(s, i, 1)
			if (c == "\n") { i++; continue }
			if (c == "#") {
				j = index(substr(s, i), "\n"); if (!j) exit
				i += j; continue
			}
			j = index(substr(s, i), "=")
			if (!j) exit
			k = substr(s, i, j - 1); i += j
			v = ""; q = 0
			while (i <= n) {
				c = substr(s, i, 1)
				if (q) { if (c == "\047") q = 0; else v = v c; i++; continue }
				if (c == "\047") { q = 1; i++; continue }
				if (c == "\\") { v = v substr(s, i + 1, 1); i += 2; continue }
				if (c == "\n") break
				v = v c; i++
			}
			if (k == key) { printf "%s", v; found = 1; exit }
		}
	}
	END { exit found ? 0 : 1 }' "$1"
}

# rp_meta VERSION KEY: from the package's file while it is on disk, else
# from the copy saved when that version was configured (both root's).
rp_meta() {
	for _f in "$RP_BASE/meta/$1.meta" "$RP_META/meta/$1.meta"; do
		if [ -f "$_f" ]; then
			rp_meta_get "$_f" "$2"
			return 0
		fi
	done
	return 1
}

rp_save_meta() {
	if [ -f "$RP_BASE/meta/$RP_VERSION.meta" ]; then
		mkdir -p "$RP_META/meta"
		rp_write "$RP_META/meta/$RP_VERSION.meta" <"$RP_BASE/meta/$RP_VERSION.meta"
	fi
}

# rp_journal FROM TO RESULT DOWNTIME_MS MIGRATIONS MESSAGE
rp_journal() {
	mkdir -p "$RP_META"
	_jl=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		"${1:--}" "${2:--}" "$3" "${4:--}" "${5:--}" "$(rp_clean "${6:-}")")
	printf '%s\n' "$_jl" >>"$RP_META/journal" 2>/dev/null ||
		{ rp_unreserve && printf '%s\n' "$_jl" >>"$RP_META/journal"; } ||
		return 0
	sync "$RP_META/journal" 2>/dev/null || true
}

rp_state_get() {
	rp_kv "$RP_META/state" "$1"
}

# rp_state RUNNING PREVIOUS RESULT MESSAGE [DB_SCHEMA]: what the scripts
# last left.  DB_SCHEMA defaults to the running version's schema.
rp_state() {
	mkdir -p "$RP_META"
	_db=${5-}
	if [ $# -lt 5 ]; then
		_db=
		[ -z "$1" ] || _db=$(rp_meta "$1" SCHEMA_VERSION) || _db=
	fi
	_lh=$(rp_state_get LAST_HEALTHY) || _lh=
	[ "$3" != ok ] || [ -z "$1" ] || _lh=$1
	{
		printf 'STATE_FORMAT=2\nRUNNING=%s\nPREVIOUS=%s\nRESULT=%s\n' "$1" "$2" "$3"
		printf 'MESSAGE=%s\nTIME=%s\n' "$(rp_clean "$4")" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		printf 'DB_SCHEMA=%s\nLAST_HEALTHY=%s\n' "$(rp_clean "$_db")" "$_lh"
	} | rp_write "$RP_META/state" || {
		rp_log "could not write $RP_META/state (disk full?)"
		return 1
	}
}

# The schema the database is at, as the scripts last left it ("" unknown).
rp_db_schema() {
	if [ "$(rp_state_get STATE_FORMAT)" = 2 ]; then
		rp_state_get DB_SCHEMA
	else
		# left by a relpkg 0.1.0 package: the running version's schema
		_r=$(rp_running_version)
		[ -z "$_r" ] || rp_meta "$_r" SCHEMA_VERSION || true
	fi
}

# ---- the transaction record --------------------------------------------------

# TX_* hold the record in memory; rp_txn_save writes it (before a step's
# effect, so that a crash finds at least what was begun).
rp_txn_save() {
	mkdir -p "$RP_META"
	{
		printf 'TXN_FORMAT=1\nID=%s\nFROM=%s\nTO=%s\n' "$TX_ID" "$TX_FROM" "$TX_TO"
		printf 'FROM_SCHEMA=%s\nTO_SCHEMA=%s\n' "$(rp_clean "$TX_FROM_SCHEMA")" "$(rp_clean "$TX_TO_SCHEMA")"
		printf 'MIGRATION=%s\nSTEP=%s\nDB_SCHEMA=%s\nT0=%s\n' "$TX_MIGRATION" "$TX_STEP" \
			"$(rp_clean "$TX_DB")" "$TX_T0"
		printf 'TIME=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	} | rp_write "$RP_TXN"
}

# rp_txn_step STEP [DB_SCHEMA]
rp_txn_step() {
	TX_STEP=$1
	[ $# -lt 2 ] || TX_DB=$2
	rp_txn_save || {
		rp_log "cannot write the transaction record $RP_TXN (disk full?)"
		return 1
	}
}

rp_txn_load() {
	[ -f "$RP_TXN" ] && [ ! -L "$RP_TXN" ] || return 1
	TX_ID=$(rp_kv "$RP_TXN" ID)
	TX_FROM=$(rp_kv "$RP_TXN" FROM)
	TX_TO=$(rp_kv "$RP_TXN" TO)
	TX_FROM_SCHEMA=$(rp_kv "$RP_TXN" FROM_SCHEMA)
	TX_TO_SCHEMA=$(rp_kv "$RP_TXN" TO_SCHEMA)
	TX_MIGRATION=$(rp_kv "$RP_TXN" MIGRATION)
	TX_STEP=$(rp_kv "$RP_TXN" STEP)
	TX_DB=$(rp_kv "$RP_TXN" DB_SCHEMA)
	TX_T0=$(rp_kv "$RP_TXN" T0)
	[ -n "$TX_TO" ] && [ -n "$TX_STEP" ]
}

# rp_txn_mark STEP: a step that changes nothing a reconciliation would
# decide differently on is only noted in memory (no fsync on the way from
# stop to healthy).
rp_txn_mark() {
	TX_STEP=$1
}

# The record goes only once what the transition did is on disk.
rp_txn_end() {
	sync "$RP_BASE" 2>/dev/null || true
	rm -f "$RP_TXN" "$RP_META/reserve"
	sync "$RP_META" 2>/dev/null || true
}

# ---- versions -----------------------------------------------------------------

# rp_older A B: upstream version A sorts before B, by the package manager's
# own rules (the SemVer pre-release '-' mapped to '~' as relpkg does).
rp_tilde() {
	case $1 in
	*-*) printf '%s' "${1%%-*}~${1#*-}" ;;
	*) printf '%s' "$1" ;;
	esac
}

rp_older() {
	a=$(rp_tilde "$1")
	b=$(rp_tilde "$2")
	if [ "$RP_FORMAT" = deb ] && command -v dpkg >/dev/null 2>&1; then
		dpkg --compare-versions "$a" lt "$b"
	elif command -v rpm >/dev/null 2>&1; then
		case $a$b in *\'*) return 1 ;; esac
		[ "$(rpm --eval "%{lua: print(rpm.vercmp('$a', '$b'))}")" = "-1" ]
	else
		[ "$(printf '%s\n%s\n' "$a" "$b" | sort -V | head -n 1)" = "$a" ] && [ "$a" != "$b" ]
	fi
}

# ---- users, directories, trees ---------------------------------------------

rp_create_user() {
	if ! getent group "$RP_USER" >/dev/null 2>&1; then
		groupadd --system "$RP_USER"
	fi
	if ! getent passwd "$RP_USER" >/dev/null 2>&1; then
		nologin=/usr/sbin/nologin
		[ -x "$nologin" ] || nologin=/sbin/nologin
		useradd --system --gid "$RP_USER" --home-dir "$RP_STATE" --no-create-home \
			--shell "$nologin" --comment "$RP_NAME service" "$RP_USER"
	fi
}

# rp_user_dir DIR: DIR (whose parent is root's) as a directory of the
# service user, mode 0750.  Only DIR itself is touched, never a path inside
# it (the user may have planted links there), and a DIR that is not a real
# directory is refused.
rp_user_dir() {
	if [ -L "$1" ] || { [ -e "$1" ] && [ ! -d "$1" ]; }; then
		rp_log "$1 is not a directory (a link or a file was put there): refusing to use it; remove it and run the package manager again"
		return 1
	fi
	[ -d "$1" ] || mkdir -m 0750 "$1"
	chown -h "$RP_USER:$RP_USER" "$1"
	chmod 0750 "$1"
}

rp_make_dirs() {
	rp_user_dir "$RP_STATE" || return 1
	rp_user_dir "$RP_LOGDIR" || return 1
	mkdir -p "$RP_META/meta"
	chmod 0755 /var/lib/relpkg "$RP_META" 2>/dev/null || true
}

# Secrets stay secret: the env file is root:USER 0640, also where an
# earlier package left it 0644 (an edited conffile keeps its old mode).
rp_fix_secrets() {
	_f=$RP_ENVFILE
	if [ -f "$_f" ] && [ ! -L "$_f" ]; then
		if ! chgrp "$RP_USER" "$_f" || ! chmod 0640 "$_f"; then
			rp_log "could not make $_f 0640 root:$RP_USER"
		fi
	fi
}

# The version current points at ("" if none).
rp_running_version() {
	l=$(readlink "$RP_BASE/current" 2>/dev/null) || return 0
	l=${l#live/}
	l=${l#releases/}
	printf '%s' "$l"
}

# rp_make_live VERSION: a hard-linked copy of the package's tree.
rp_make_live() {
	mkdir -p "$RP_BASE/live"
	tmp="$RP_BASE/live/.$1.relpkg-new"
	rm -rf "$tmp"
	if ! { cp -al "$RP_BASE/releases/$1" "$tmp" 2>/dev/null || cp -a "$RP_BASE/releases/$1" "$tmp"; }; then
		rm -rf "$tmp"
		rp_log "could not make the live tree of $1 (disk full?)"
		return 1
	fi
	rm -rf "${RP_BASE:?}/live/$1"
	mv "$tmp" "$RP_BASE/live/$1"
}

# The live tree of VERSION has the same content as the package's tree.
rp_live_matches() {
	[ -d "$RP_BASE/live/$1" ] && command -v diff >/dev/null 2>&1 &&
		diff -rq --no-dereference "$RP_BASE/releases/$1" "$RP_BASE/live/$1" >/dev/null 2>&1
}

# Live trees other than KEEP (and temporaries of killed runs) go.
rp_drop_stale_live() {
	for _d in "$RP_BASE"/live/* "$RP_BASE"/live/.*.relpkg-new; do
		[ -e "$_d" ] || continue
		# the tree a node booted from stays while it runs (hot upgrades)
		[ "${_d##*/}" = "$1" ] || [ "${_d##*/}" = "$(rp_hot_boot)" ] || rm -rf "$_d"
	done
}

# Points current at live/VERSION: a new link renamed over the old one.
rp_switch() {
	ln -sfn "live/$1" "$RP_BASE/current.relpkg-new" || return 1
	mv -Tf "$RP_BASE/current.relpkg-new" "$RP_BASE/current" || return 1
}

# ---- running things as the service user ------------------------------------

# rp_quote WORD: WORD as one single-quoted shell word.
rp_quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# rp_as_user DIR COMMAND [VAR=VALUE...]: runs COMMAND with sh as the service
# user in DIR, with the env file loaded.  Under systemd it runs in a
# transient unit with the same sandbox as the service (the SANDBOX token of the
# build); elsewhere with runuser/su and a private temporary directory.
rp_as_user() {
	dir=$1 cmd=$2
	shift 2
	if rp_have_systemd && [ -n "${RP_SANDBOX:-}" ]; then
		(
			set -- "$@" HOME="$RP_STATE" RELEASE_TMP=/tmp RELX_OUT_FILE_PATH=/tmp \
				RUNNER_LOG_DIR="$RP_LOGDIR" RELPKG_STATE_DIR="$RP_STATE"
			_n=$#
			while [ "$_n" -gt 0 ]; do
				set -- "$@" -E "$1"
				shift
				_n=$((_n - 1))
			done
			# one task at a time: a migration left running by a killed
			# package manager finishes before another starts
			_u="relpkg-$RP_NAME-task"
			_i=0
			while systemctl is-active -q "$_u.service" 2>/dev/null && [ "$_i" -lt 1800 ]; do
				[ "$_i" -gt 0 ] || rp_log "waiting for $_u.service (left by an interrupted run) to end"
				sleep 0.5
				_i=$((_i + 1))
			done
			systemctl reset-failed "$_u.service" >/dev/null 2>&1 || true
			set -- systemd-run --quiet --wait --pipe --collect --service-type=exec --unit="$_u" \
				-p "WorkingDirectory=$dir" "$@"
			_props=$RP_SANDBOX
			while [ -n "$_props" ]; do
				_p=${_props%%
*}
				[ "$_p" = "$_props" ] && _props= || _props=${_props#*
}
				[ -z "$_p" ] || set -- "$@" -p "$_p"
			done
			# systemd expands $VAR and ${VAR} in a command line: $$ keeps a $
			exec "$@" /bin/sh -c "$(printf '%s' "$cmd" | sed 's/\$/$$/g')" </dev/null
		)
		return
	fi
	(
		_tmp=$(mktemp -d) || exit 1
		chown "$RP_USER:$RP_USER" "$_tmp"
		trap 'rm -rf "$_tmp"' EXIT
		cd "$dir" || exit 1
		# shellcheck disable=SC2016 # expanded by the inner shell
		set -- env HOME="$RP_STATE" RELEASE_TMP="$_tmp" RELX_OUT_FILE_PATH="$_tmp" \
			RUNNER_LOG_DIR="$RP_LOGDIR" RELPKG_STATE_DIR="$RP_STATE" "$@" \
			/bin/sh -c 'set -a; [ -r "$1" ] && . "$1"; set +a; exec /bin/sh -c "$2"' sh "$RP_ENVFILE" "$cmd"
		if command -v runuser >/dev/null 2>&1; then
			runuser -u "$RP_USER" -- "$@" </dev/null
		else
			_q=
			for _a in "$@"; do _q="$_q $(rp_quote "$_a")"; done
			su -s /bin/sh "$RP_USER" -c "$_q" </dev/null
		fi
	)
}

# rp_hook POINT COMMANDS: the user's hooks (one command per line), as root.
rp_hook() {
	[ -n "$2" ] || return 0
	printf '%s\n' "$2" | while IFS= read -r c; do
		[ -n "$c" ] || continue
		if ! (cd "$RP_BASE" && RELPKG_HOOK=$1 RELPKG_VERSION=$RP_VERSION /bin/sh -c "$c"); then
			rp_log "hook $1 failed: $c"
			return 1
		fi
	done
}

# rp_migrate VERSION DIRECTION COMMAND TARGET_SCHEMA FROM TO: VERSION's
# command, with VERSION's code (its live tree, else its package tree).
rp_migrate() {
	_tree=$RP_BASE/live/$1
	[ -d "$_tree" ] || _tree=$RP_BASE/releases/$1
	if [ ! -d "$_tree" ]; then
		rp_log "migrate-$2 of $1: its files are gone (no $RP_BASE/live/$1)"
		return 1
	fi
	rp_log "migrate-$2 of $1 to schema '${4:-?}' ($5 -> $6)"
	rp_as_user "$_tree" "$3" RELPKG_SCHEMA_TARGET="$4" RELPKG_FROM_VERSION="$5" \
		RELPKG_TO_VERSION="$6" RELPKG_RELEASE_ROOT="$_tree" >&2
}

# ---- the service -------------------------------------------------------------

rp_svc_stop() {
	[ -z "${RP_BG_LEAVE:-}" ] || rp_bg_leave # from blue-green slots to cold
	if rp_have_systemd; then
		systemctl stop "$RP_UNIT" 2>/dev/null || true
	elif [ -n "$RP_STOP_CMD" ] && [ -e "$RP_BASE/current" ]; then
		rp_log "systemd is not running: stopping with '$RP_STOP_CMD'"
		rp_as_user "$RP_STATE" "$RP_STOP_CMD" >/dev/null 2>&1 || true
		# "stopped" means the old process is gone (a mix stop returns early)
		i=0
		while [ "$i" -lt 300 ] && pgrep -u "$RP_USER" >/dev/null 2>&1; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
}

# What systemd needs before a start, done while the old version still runs
# so that it does not count as downtime.
rp_svc_prepare() {
	if rp_have_systemd; then
		systemctl daemon-reload || true
		systemctl enable "$RP_UNIT" >/dev/null 2>&1 || true
		RP_PREPARED=1
	fi
}

rp_svc_start() {
	RP_NOT_STARTED=
	if rp_have_systemd; then
		[ -n "${RP_PREPARED:-}" ] || rp_svc_prepare
		if ! rp_start_allowed; then
			RP_NOT_STARTED="policy-rc.d"
			return 0
		fi
		systemctl reset-failed "$RP_UNIT" >/dev/null 2>&1 || true
		systemctl restart "$RP_UNIT"
	else
		if ! rp_start_allowed; then
			RP_NOT_STARTED="policy-rc.d"
			return 0
		fi
		_dc=$RP_DAEMON_CMD
		_rv=$(rp_running_version)
		if [ -n "$_rv" ] && [ "$_rv" != "$RP_VERSION" ]; then
			_dc=$(rp_meta "$_rv" DAEMON_CMD) || _dc=
			[ -n "$_dc" ] || _dc=$RP_DAEMON_CMD
		fi
		rp_log "systemd is not running (container or chroot): starting with '$_dc'"
		rp_as_user "$RP_STATE" "$_dc" >/dev/null 2>&1 </dev/null
	fi
}

rp_svc_active() {
	rp_have_systemd && systemctl is-active -q "$RP_UNIT"
}

rp_http_ok() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null
	elif command -v wget >/dev/null 2>&1; then
		wget -q -O /dev/null -T 2 "$1" 2>/dev/null
	elif command -v python3 >/dev/null 2>&1; then
		python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null
	else
		rp_log "--health-url needs curl, wget or python3 on the server"
		return 1
	fi
}

# rp_health [VERSION]: the started version is healthy within its timeout,
# judged by VERSION's own health check (default: this package's); under
# systemd the unit must also be active without restarts.
rp_health() {
	[ -z "$RP_NOT_STARTED" ] || return 0
	h_cmd=$RP_HEALTH_CMD h_url=$RP_HEALTH_URL h_to=$RP_HEALTH_TIMEOUT
	if [ -n "${1:-}" ] && [ "$1" != "$RP_VERSION" ]; then
		h_cmd=$(rp_meta "$1" HEALTH_CMD) || h_cmd=
		h_url=$(rp_meta "$1" HEALTH_URL) || h_url=
		h_to=$(rp_meta "$1" HEALTH_TIMEOUT) || h_to=
	fi
	rp_bg_adapt_health # a blue-green slot is checked on its own port
	case $h_to in '' | *[!0-9]*) h_to=30 ;; esac
	deadline=$(($(date +%s) + h_to))
	stable=0
	while :; do
		if rp_have_systemd; then
			st=$(systemctl show -p ActiveState --value "$RP_UNIT" 2>/dev/null)
			nr=$(systemctl show -p NRestarts --value "$RP_UNIT" 2>/dev/null)
			if [ "$st" = failed ] || [ "${nr:-0}" -gt 0 ]; then
				rp_log "$RP_UNIT failed to start (state $st, restarts ${nr:-0})"
				return 1
			fi
		else
			st=active
		fi
		if [ "$st" = active ]; then
			if [ -n "$h_cmd" ]; then
				rp_as_user "$RP_STATE" "$h_cmd" >/dev/null 2>&1 && return 0
			elif [ -n "$h_url" ]; then
				rp_http_ok "$h_url" && return 0
			else
				# no check configured: active for 2 s without a restart
				stable=$((stable + 1))
				[ "$stable" -ge 10 ] && return 0
			fi
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			rp_log "health check did not pass within $h_to s"
			return 1
		fi
		sleep 0.2
	done
}

# ---- migrations of a transaction -------------------------------------------

# rp_run_migration: the transaction's migration, forward (TX_MIGRATION up:
# TO's migrate-up; down: FROM's migrate-down, FROM's code).
rp_run_migration() {
	case $TX_MIGRATION in
	up)
		_c=$(rp_meta "$TX_TO" MIGRATE_UP) || _c=
		[ -n "$_c" ] || { [ "$TX_TO" = "$RP_VERSION" ] && _c=$RP_MIGRATE_UP; }
		rp_migrate "$TX_TO" up "$_c" "$TX_TO_SCHEMA" "${TX_FROM:--}" "$TX_TO"
		;;
	down)
		_c=$(rp_meta "$TX_FROM" MIGRATE_DOWN) || _c=
		[ -n "$_c" ] || return 1
		rp_migrate "$TX_FROM" down "$_c" "$TX_TO_SCHEMA" "$TX_FROM" "$TX_TO"
		;;
	*) return 0 ;;
	esac
}

# rp_undo_migration: back to FROM's schema (up undone by TO's migrate-down,
# down undone by FROM's migrate-up).  Fails when there is no way back.
rp_undo_migration() {
	case $TX_MIGRATION in
	up)
		_c=$(rp_meta "$TX_TO" MIGRATE_DOWN) || _c=
		[ -n "$_c" ] || { [ "$TX_TO" = "$RP_VERSION" ] && _c=$RP_MIGRATE_DOWN; }
		[ -n "$_c" ] || { rp_log "$TX_TO has no migrate-down: the database stays at schema '$TX_TO_SCHEMA'"; return 1; }
		rp_migrate "$TX_TO" down "$_c" "$TX_FROM_SCHEMA" "$TX_TO" "$TX_FROM"
		;;
	down)
		_c=$(rp_meta "$TX_FROM" MIGRATE_UP) || _c=
		[ -n "$_c" ] || { rp_log "$TX_FROM has no migrate-up: the database stays at schema '$TX_TO_SCHEMA'"; return 1; }
		rp_migrate "$TX_FROM" up "$_c" "$TX_FROM_SCHEMA" "$TX_TO" "$TX_FROM"
		;;
	*) return 0 ;;
	esac
}

rp_migr_label() {
	case $TX_MIGRATION in
	up | down) printf '%s:%s' "$TX_MIGRATION" "$TX_TO_SCHEMA" ;;
	*) printf '%s' - ;;
	esac
}

# ---- reconciliation ----------------------------------------------------------

# rp_settle: an unfinished transaction found by an entry point that is not
# its own continuation is settled on the version whose schema the database
# holds: an interrupted migration is run again (migrations must be safe to
# run twice), current points at that version, the record goes and the
# journal says so.  Nothing is started here; the caller goes on from the
# settled version.  Fails (the record stays) when it cannot be settled.
rp_settle() {
	x=
	case $TX_STEP in
	migrating)
		rp_log "a transition $TX_FROM -> $TX_TO was interrupted during its migration: running it again"
		if rp_run_migration; then
			TX_DB=$TX_TO_SCHEMA
			x=$TX_TO
		else
			rp_txn_step migration-failed "?" || true
			rp_log "the interrupted migration ($TX_FROM -> $TX_TO) fails again: the database schema is unknown; $RP_NAME stays stopped. Fix the database, then run the package manager again"
			return 1
		fi
		;;
	unmigrating | migration-failed)
		rp_log "a transition $TX_FROM -> $TX_TO was interrupted while its migration was undone: undoing it again"
		if rp_undo_migration; then
			TX_DB=$TX_FROM_SCHEMA
			x=$TX_FROM
		else
			rp_txn_step migration-failed "?" || true
			rp_log "undoing the migration of $TX_FROM -> $TX_TO fails: the database schema is unknown; $RP_NAME stays stopped. Fix the database, then run the package manager again"
			return 1
		fi
		;;
	esac
	if [ -z "$x" ]; then
		case $TX_STEP in
		begun | stopped) x=${TX_FROM:-$TX_TO} ;;
		migrated | switched | started | done) x=$TX_TO ;;
		*)
			x=${TX_FROM:-$TX_TO}
			[ "$TX_MIGRATION" = none ] || [ "$TX_DB" != "$TX_TO_SCHEMA" ] || x=$TX_TO
			;;
		esac
	fi
	if [ ! -d "$RP_BASE/live/$x" ] && [ -d "$RP_BASE/releases/$x" ]; then
		rp_make_live "$x" || return 1
	fi
	if [ ! -d "$RP_BASE/live/$x" ]; then
		rp_log "the transition $TX_FROM -> $TX_TO was interrupted and the files of $x, whose schema the database holds, are gone: install $x again"
		return 1
	fi
	rp_switch "$x"
	rp_journal "$TX_FROM" "$TX_TO" interrupted - "$(rp_migr_label)" \
		"interrupted at step $TX_STEP; settled on $x (schema ${TX_DB:-?})"
	if ! rp_state "" "$x" interrupted "transition $TX_FROM -> $TX_TO interrupted at $TX_STEP; settled on $x, not running" "$TX_DB"; then
		rp_log "cannot record the settled state (disk full?): free space and run the package manager again"
		return 1
	fi
	rp_txn_end
	rp_log "the interrupted transition $TX_FROM -> $TX_TO is settled on $x"
}

# rp_reconcile [pre|post]: every entry point calls this first.  In this
# version's preinst/%pre (pre) and postinst/%post (post), a record whose
# target is this version is left for rp_transition to continue; every
# other record is settled.  A record of step "prepared" (written by a
# preinst before its unpack) only says that an unpack was under way.
rp_reconcile() {
	rp_txn_load || return 0
	# a relpkg 0.1.0 package ran a whole transition since: the record is stale
	if [ "$(rp_state_get STATE_FORMAT)" != 2 ] &&
		[ -n "$(find "$RP_META/state" -newer "$RP_TXN" 2>/dev/null)" ]; then
		rp_journal "$TX_FROM" "$TX_TO" interrupted - - "interrupted at step $TX_STEP; superseded by a later transition"
		rp_txn_end
		return 0
	fi
	# written by a preinst/%pre: nothing was stopped yet
	if [ "$TX_STEP" = prepared ]; then
		if [ "${1:-}" = post ] && [ "$TX_TO" = "$RP_VERSION" ]; then
			rm -f "$RP_TXN" # this package's own unpack: the normal way on
			return 0
		fi
		rp_journal "$TX_FROM" "$TX_TO" interrupted - - "interrupted before the switch (during the unpack); nothing had been stopped"
		rp_txn_end
		return 0
	fi
	if [ -n "${1:-}" ] && [ "$TX_TO" = "$RP_VERSION" ]; then
		RP_RESUME=1
		return 0
	fi
	rp_settle
}

# ---- transitions -------------------------------------------------------------

# rp_bring_back REASON FAILED_STEP: the transaction's TO failed: stop it,
# undo the migration with the code that knows it, start FROM again judged by
# FROM's own health check.  Always returns 1 (the transition failed).
rp_bring_back() {
	reason=$1 fstep=$2
	rp_txn_step bringing-back || true
	rp_svc_stop
	from=$TX_FROM
	if [ -z "$from" ] || { [ ! -d "$RP_BASE/live/$from" ] && [ ! -d "$RP_BASE/releases/$from" ]; }; then
		rp_log "$reason; nothing to go back to: $RP_NAME is stopped"
		rp_journal "$from" "$TX_TO" failed - "$(rp_migr_label)" "$reason"
		rp_state "" "$from" failed "$reason" "$TX_DB" || true
		rp_mark_failed "$fstep" "$reason"
		[ "$TX_DB" = "?" ] || rp_txn_end
		return 1
	fi
	rp_log "$reason; bringing $from back"
	if [ "$TX_MIGRATION" != none ] && [ "$TX_DB" != "$TX_FROM_SCHEMA" ]; then
		rp_txn_step unmigrating "?" || true
		if rp_undo_migration; then
			rp_txn_step bringing-back "$TX_FROM_SCHEMA" || true
		else
			rp_txn_step migration-failed "?" || true
			rp_log "$reason, and undoing its migration failed too: the database schema is unknown, so neither version is started. Fix the database, then install $from or $TX_TO again"
			rp_journal "$from" "$TX_TO" failed - "$(rp_migr_label)" "$reason; undoing the migration failed: stopped"
			rp_state "" "$from" failed "$reason; undoing the migration failed: stopped" "?" || true
			rp_mark_failed "$fstep" "$reason"
			return 1
		fi
	fi
	[ -d "$RP_BASE/live/$from" ] || rp_make_live "$from" || true
	rp_switch "$from"
	if rp_svc_start && rp_health "$from"; then
		rp_log "$from is running again"
		rp_state "$from" "$TX_TO" failed "$reason; $from running again" "$TX_FROM_SCHEMA" || true
		rp_journal "$from" "$TX_TO" failed - "$(rp_migr_label)" "$reason; $from running again"
	else
		rp_log "$from did not come back up either"
		rp_state "" "$TX_TO" failed "$reason; $from did not come back up" "$TX_FROM_SCHEMA" || true
		rp_journal "$from" "$TX_TO" failed - "$(rp_migr_label)" "$reason; $from did not come back up"
	fi
	rp_mark_failed "$fstep" "$reason"
	rp_txn_end
	[ "$TX_TO" = "$from" ] || rm -rf "${RP_BASE:?}/live/$TX_TO"
	return 1
}

# The failure marker: which configuration failed, against what.
rp_fingerprint() {
	{
		cat "$RP_BASE/meta/$RP_VERSION.meta" 2>/dev/null
		printf '%s\n' "$1"
	} | cksum | cut -d' ' -f1
}

rp_mark_failed() {
	{
		printf 'FAILED_FORMAT=1\nVERSION=%s\nFROM=%s\nSTEP=%s\n' "$RP_VERSION" "$TX_FROM" "$1"
		printf 'FINGERPRINT=%s\nREASON=%s\nTIME=%s\n' "$(rp_fingerprint "$TX_FROM")" \
			"$(rp_clean "$2")" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	} | rp_write "$RP_FAILED" || true
}

# A configure of this version that failed, retried with nothing changed
# while the version it fell back to runs: refuse at once, touching nothing.
rp_refuse_retry() {
	[ -f "$RP_FAILED" ] || return 1
	[ -z "${RELPKG_RETRY:-}" ] || return 1
	[ "$(rp_kv "$RP_FAILED" VERSION)" = "$RP_VERSION" ] || return 1
	f_from=$(rp_kv "$RP_FAILED" FROM)
	[ "$f_from" = "$1" ] || return 1
	[ "$(rp_kv "$RP_FAILED" FINGERPRINT)" = "$(rp_fingerprint "$f_from")" ] || return 1
	if rp_have_systemd; then
		rp_svc_active || return 1
	fi
	why=$(rp_kv "$RP_FAILED" REASON)
	rp_log "the configuration of $RP_VERSION failed at $(rp_kv "$RP_FAILED" TIME) ($why) and nothing has changed since: not trying again, $f_from keeps running. Install a fixed version, or run 'relpkg rollback $RP_NAME' to make the package database agree with $f_from; to retry anyway, run the package manager with RELPKG_RETRY=1"
	rp_journal "$f_from" "$RP_VERSION" refused - - "retry of the failed configuration refused (nothing changed): $why"
	return 0
}

# rp_check_schemas FROM: a downgrade between two different declared
# schemas needs FROM's migrate-down; without one, TO would run on FROM's
# schema.  Checked before anything is unpacked.
rp_check_schemas() {
	from=$1
	[ -n "$from" ] && [ "$from" != "$RP_VERSION" ] || return 0
	rp_older "$RP_VERSION" "$from" || return 0
	fs=$(rp_meta "$from" SCHEMA_VERSION) || fs=
	[ -n "$fs" ] && [ -n "$RP_SCHEMA" ] && [ "$fs" != "$RP_SCHEMA" ] || return 0
	down=$(rp_meta "$from" MIGRATE_DOWN) || down=
	[ -z "$down" ] || return 0
	[ -z "${RELPKG_FORCE_SCHEMA:-}" ] || return 0
	rp_log "$from uses schema '$fs' and has no migrate-down; $RP_VERSION needs schema '$RP_SCHEMA': going back would run $RP_VERSION on another version's schema. Restore the database to schema '$RP_SCHEMA' and run again with RELPKG_FORCE_SCHEMA=1, or install a version with schema '$fs'"
	return 1
}

# Incoming preinst / %pre: prepares, and stops nothing.
rp_pre() {
	rp_create_user
	mkdir -p "$RP_META"
	RP_RESUME=
	rp_reconcile pre || return 1
	# a transition to this version left unfinished is continued by postinst
	[ -z "$RP_RESUME" ] || { [ -z "$RP_CONF_FILES" ] || rp_conf_pre; return; }
	from=$(rp_running_version)
	rp_check_schemas "$from" || return 1
	# installing this version on purpose is the operator's retry of an
	# earlier failed configuration of it (an apt or dpkg run that only
	# configures again has no preinst)
	[ "$(rp_kv "$RP_FAILED" VERSION)" != "$RP_VERSION" ] || rm -f "$RP_FAILED"
	# an unpack that is killed leaves this, for the journal
	TX_ID="$(date +%s)-$$" TX_FROM=$from TX_TO=$RP_VERSION TX_FROM_SCHEMA='' TX_TO_SCHEMA=$RP_SCHEMA
	TX_MIGRATION=none TX_STEP=prepared TX_DB='' TX_T0=''
	rp_txn_save || {
		rp_log "cannot write $RP_TXN (disk full?): nothing was changed; free space and run the package manager again"
		return 1
	}
	# issue 15: --config-file (last: nothing may refuse after it)
	[ -z "$RP_CONF_FILES" ] || rp_conf_pre
}

# rp_transition FROM: FROM -> this version, as a transaction (or its
# continuation when RP_RESUME is set and TX_* hold the record).
rp_transition() {
	if [ -z "${RP_RESUME:-}" ]; then
		TX_ID="$(date +%s)-$$" TX_FROM=$1 TX_TO=$RP_VERSION
		TX_FROM_SCHEMA='' TX_TO_SCHEMA=$RP_SCHEMA TX_T0='' TX_MIGRATION=none
		[ -z "$1" ] || TX_FROM_SCHEMA=$(rp_meta "$1" SCHEMA_VERSION) || TX_FROM_SCHEMA=
		if [ -n "$1" ] && rp_older "$RP_VERSION" "$1"; then
			down=$(rp_meta "$1" MIGRATE_DOWN) || down=
			if [ -n "$down" ] && [ "$TX_FROM_SCHEMA" != "$RP_SCHEMA" ]; then
				TX_MIGRATION=down
			elif [ -n "$RP_MIGRATE_UP" ] && { [ -z "$TX_FROM_SCHEMA" ] || [ "$TX_FROM_SCHEMA" = "$RP_SCHEMA" ]; }; then
				TX_MIGRATION=up
			fi
		elif [ -n "$RP_MIGRATE_UP" ]; then
			TX_MIGRATION=up
		fi
		TX_DB=$TX_FROM_SCHEMA
		[ -n "$1" ] || TX_DB=$(rp_db_schema)
		TX_STEP=begun
		# the new tree is linked, and systemd reloaded, before anything
		# stops: downtime excludes both
		rp_make_live "$RP_VERSION" || return 1
		rp_svc_prepare
		rp_reserve
		# a hot upgrade when the relup covers it (issue 13, end of file)
		RP_HOT_NOTE=
		! rp_hot_try "$1" || return 0
		TX_T0=$(rp_now_ms)
		rp_txn_save || {
			rp_log "cannot write the transaction record $RP_TXN (disk full?): nothing was stopped"
			return 1
		}
	else
		rp_log "continuing the interrupted transition ${TX_FROM:-(none)} -> $TX_TO from step $TX_STEP"
		rp_journal "$TX_FROM" "$TX_TO" interrupted - "$(rp_migr_label)" "interrupted at step $TX_STEP; continued"
		case $TX_STEP in
		"done")
			# it ran healthy; only its state could not be written
			rp_state "$RP_VERSION" "$TX_FROM" ok "switch (state written late)" "$RP_SCHEMA" || return 1
			rp_txn_end
			return 0
			;;
		bringing-back | unmigrating | migration-failed)
			[ "$TX_STEP" = bringing-back ] || TX_DB="?"
			rp_bring_back "the interrupted transition to $TX_TO was being rolled back" start
			return 1
			;;
		esac
		[ -d "$RP_BASE/live/$RP_VERSION" ] && rp_live_matches "$RP_VERSION" ||
			rp_make_live "$RP_VERSION" || return 1
		rp_svc_prepare
		rp_reserve
		[ -n "$TX_T0" ] || TX_T0=$(rp_now_ms)
	fi
	from=$TX_FROM
	if rp_bg_mode; then
		rp_bg_transition # blue-green (issue 14), at the end of this file
		return
	fi

	if [ "$TX_STEP" = begun ]; then
		if [ -n "$from" ]; then
			rp_hook before-stop "$RP_HOOK_BEFORE_STOP" || {
				rp_txn_end
				return 1
			}
			rp_svc_stop
			rp_hook after-stop "$RP_HOOK_AFTER_STOP" || true
		fi
		rp_txn_mark stopped
	fi
	if [ "$TX_STEP" = stopped ] || [ "$TX_STEP" = migrating ]; then
		[ "$TX_STEP" = stopped ] || rp_log "running the interrupted migration again"
		if [ "$TX_MIGRATION" != none ]; then
			rp_txn_step migrating "?" || { rp_bring_back "cannot write the transaction record" start; return 1; }
			if ! rp_run_migration; then
				# a failed migration is taken to have changed nothing
				TX_DB=$TX_FROM_SCHEMA
				rp_bring_back "migrate-$TX_MIGRATION of $RP_VERSION failed" "migrate-$TX_MIGRATION"
				return 1
			fi
		fi
		TX_DB=$TX_TO_SCHEMA
		[ "$TX_MIGRATION" != none ] || TX_DB=$TX_FROM_SCHEMA
		if [ "$TX_MIGRATION" != none ]; then
			rp_txn_step migrated || { rp_bring_back "cannot write the transaction record" start; return 1; }
		else
			rp_txn_mark migrated
		fi
	fi
	rp_txn_mark switched
	rp_switch "$RP_VERSION"
	rp_hook before-start "$RP_HOOK_BEFORE_START" || true
	rp_txn_mark started
	if ! rp_svc_start; then
		rp_bring_back "$RP_VERSION failed to start" start
		return 1
	fi
	if ! rp_health; then
		rp_bring_back "$RP_VERSION is not healthy" health
		return 1
	fi
	down_ms=$(($(rp_now_ms) - TX_T0))
	rp_hook after-start "$RP_HOOK_AFTER_START" || true
	msg=install
	[ -z "$from" ] || msg=switch
	[ -z "${RP_HOT_NOTE:-}" ] || msg="$msg; $RP_HOT_NOTE"
	[ -z "${RP_RESUME:-}" ] || msg="$msg (continued after an interruption)"
	[ -z "$RP_NOT_STARTED" ] || msg="$msg (not started: $RP_NOT_STARTED)"
	migr=$(rp_migr_label)
	rp_journal "$from" "$RP_VERSION" ok "$down_ms" "$migr" "$msg"
	rm -f "$RP_FAILED"
	# the record goes only when the state that replaces it is written: with
	# a full disk it stays, and says which schema the database has
	if rp_state "$RP_VERSION" "$from" ok "$msg" "$RP_SCHEMA"; then
		rp_txn_end
	else
		rp_txn_step "done" || true
		rp_log "$RP_VERSION runs, but its state could not be written: the transaction record stays until the next package-manager run"
	fi
	rp_drop_stale_live "$RP_VERSION"
	if [ -n "$RP_NOT_STARTED" ]; then
		rp_log "$RP_VERSION installed, not started ($RP_NOT_STARTED; ${from:-fresh install}; migrations $migr)"
	else
		rp_log "$RP_VERSION running (${from:-fresh install}; downtime ${down_ms} ms; migrations $migr)"
	fi
}

# Incoming postinst configure / %post: switch to this version.
rp_post() {
	rp_create_user
	rp_make_dirs || return 1
	rp_save_meta
	rp_fix_secrets
	[ -z "$RP_CONF_FILES" ] || rp_conf_restore || true # issue 15: --config-file, before anything starts
	RP_RESUME=
	rp_reconcile post || return 1
	if [ -n "$RP_RESUME" ]; then
		rp_transition
		return
	fi
	from=$(rp_running_version)
	if rp_refuse_retry "$from"; then
		return 1
	fi

	if [ -n "$from" ] && [ "$from" = "$RP_VERSION" ]; then
		# reinstall, another revision of the same version, or a version
		# settled on after an interruption
		if rp_live_matches "$RP_VERSION"; then
			if rp_have_systemd && ! rp_svc_active; then
				rp_svc_start || true
				if ! rp_health; then
					rp_journal "$from" "$RP_VERSION" failed - - "not running, and does not start"
					rp_state "" "$from" failed "$RP_VERSION does not start" || true
					return 1
				fi
				rp_journal "$from" "$RP_VERSION" ok - - "was stopped: started"
				rp_state "$RP_VERSION" "$(rp_state_get PREVIOUS)" ok "started" || true
			else
				rp_journal "$from" "$RP_VERSION" ok - - "reinstall: files unchanged, not restarted"
				rp_state "$RP_VERSION" "$(rp_state_get PREVIOUS)" ok "reinstalled (files unchanged)" || true
			fi
			rm -f "$RP_FAILED"
			rp_drop_stale_live "$RP_VERSION"
			return 0
		fi
		# files changed (another build of the same version): restart on
		# them; the schema is the same, so there is no migration
		t0=$(rp_now_ms)
		rp_hook before-stop "$RP_HOOK_BEFORE_STOP" || return 1
		rp_svc_stop
		rp_hook after-stop "$RP_HOOK_AFTER_STOP" || true
		rp_make_live "$RP_VERSION" || return 1
		rp_switch "$RP_VERSION"
		rp_hook before-start "$RP_HOOK_BEFORE_START" || true
		if ! rp_svc_start || ! rp_health; then
			rp_journal "$from" "$RP_VERSION" failed - - "reinstall: does not start"
			rp_state "" "$from" failed "reinstall of $RP_VERSION does not start" || true
			return 1
		fi
		rp_hook after-start "$RP_HOOK_AFTER_START" || true
		rp_journal "$from" "$RP_VERSION" ok $(($(rp_now_ms) - t0)) - "reinstall: files changed, restarted"
		rp_state "$RP_VERSION" "$(rp_state_get PREVIOUS)" ok "reinstalled" || true
		rm -f "$RP_FAILED"
		return 0
	fi
	rp_transition "$from"
}

# dpkg's abort paths: end with one consistent, running version.
rp_ensure_running() {
	rp_reconcile || return 0
	from=$(rp_running_version)
	[ -n "$from" ] || return 0
	if rp_have_systemd && ! rp_svc_active; then
		rp_log "bringing $from back up (dpkg abort path)"
		rp_svc_start || true
	fi
}

# Package removal: stop and disable; configuration and state stay.
rp_remove_stop() {
	rp_reconcile || true
	rp_svc_stop
	[ ! -f "$RP_SLOTFILE" ] || rp_bg_leave
	if rp_have_systemd; then
		systemctl disable "$RP_UNIT" >/dev/null 2>&1 || true
	fi
}

rp_remove_cleanup() {
	from=$(rp_running_version)
	rm -f "$RP_BASE/current"
	rm -rf "${RP_BASE:?}/live"
	rmdir "$RP_BASE/meta" "$RP_BASE/releases" "$RP_BASE" 2>/dev/null || true
	if rp_have_systemd; then
		systemctl daemon-reload || true
	fi
	rp_journal "$from" - ok - - remove
	rp_state "" "$from" ok removed "$(rp_db_schema)" || true
	rm -f "$RP_FAILED" "$RP_TXN"
}

rp_purge() {
	# a data volume mounted at /var/lib/NAME cannot go: say so, go on
	rm -rf "$RP_STATE" "$RP_LOGDIR" "$RP_META" "/etc/${RP_NAME:?}" ||
		rp_log "purge: could not remove everything of $RP_STATE, $RP_LOGDIR (a mount point?): remove what is left by hand"
	rmdir /var/lib/relpkg 2>/dev/null || true
	if getent passwd "$RP_USER" >/dev/null 2>&1; then
		userdel "$RP_USER" >/dev/null 2>&1 || true
	fi
	if getent group "$RP_USER" >/dev/null 2>&1; then
		groupdel "$RP_USER" >/dev/null 2>&1 || true
	fi
}

# ---- the unit's start guard (hooks/guard.sh, ExecStartPre=+) ---------------

# Refuses to start a version on a schema that is not its own.  An
# interrupted transition whose database schema is known is settled here
# without migrations: current is pointed at the version that matches (the
# record stays, for the package manager's recovery to finish and journal).
rp_guard() {
	if [ -n "${1:-}" ]; then
		rp_bg_guard "$1" # a blue-green slot
		return
	fi
	cur=$(rp_running_version)
	if [ -z "$cur" ]; then
		echo "relpkg guard: $RP_BASE/current points at no version: install $RP_NAME again" >&2
		return 1
	fi
	db=
	if rp_txn_load && [ "$TX_STEP" != prepared ]; then
		case $TX_STEP in
		migrating | unmigrating | migration-failed)
			echo "relpkg guard: the transition $TX_FROM -> $TX_TO was interrupted during a migration (step $TX_STEP): the database schema is unknown, so no version is started. Run 'dpkg --configure -a' (or install $TX_TO or $TX_FROM again with apt/dnf/rpm): the scripts run the migration again. 'relpkg status $RP_NAME' shows the record." >&2
			return 1
			;;
		esac
		if [ "$TX_MIGRATION" != none ]; then
			db=$TX_DB
			want=$TX_FROM
			[ "$db" != "$TX_TO_SCHEMA" ] || want=$TX_TO
			if [ "$want" != "$cur" ] && [ -d "$RP_BASE/live/$want" ]; then
				echo "relpkg guard: the transition $TX_FROM -> $TX_TO was interrupted; the database is at schema '$db': starting $want, not $cur" >&2
				rp_switch "$want"
				cur=$want
			fi
		fi
	else
		db=$(rp_db_schema) || db=
	fi
	cs=$(rp_meta "$cur" SCHEMA_VERSION) || cs=
	if [ -n "$db" ] && [ -n "$cs" ] && [ "$db" != "$cs" ]; then
		echo "relpkg guard: $cur expects database schema '$cs' but the database is at '$db': not starting it. Install the version whose schema is '$db', or migrate the database and run 'relpkg status $RP_NAME'." >&2
		return 1
	fi
	# for relpkg status; not worth an fsync on the way to the start
	printf 'RUNNING_FORMAT=1\nVERSION=%s\nSCHEMA=%s\nINVOCATION=%s\nTIME=%s\n' "$cur" "$cs" \
		"${INVOCATION_ID:-}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$RP_META/running.relpkg-new" 2>/dev/null ||
		return 0
	mv -f "$RP_META/running.relpkg-new" "$RP_META/running" 2>/dev/null || true
	return 0
}

# --- blue-green (issue 14) ---------------------------------------------------
#
# --switch blue-green: two slots, the instances NAME@blue and NAME@green of
# the template unit, each running the version its link
# /opt/NAME/slots/SLOT points at, on its own port (/opt/NAME/slot-env/SLOT).
# A router (haproxy's runtime API, or the user's --router-cmd) sends the
# traffic to the active slot.  A transition starts the idle slot on the new
# version, checks its health on its own port, flips the router in one
# command line, waits until the old slot has no sessions (at most
# --drain-timeout), then stops it.  Which slot is active is the file
# /var/lib/relpkg/NAME/slot (relpkg-state(5)); current follows it.  Any
# failure before the flip stops the new slot and leaves the old one
# serving: nothing was flipped.

RP_SLOTFILE="$RP_META/slot"
RP_BG_PORT=

rp_bg_mode() {
	[ "${RP_SWITCH:-cold}" = blue-green ] && rp_have_systemd
}

# The active slot ("" when none): from the slot file, as data.
rp_bg_active() {
	_s=$(rp_kv "$RP_SLOTFILE" ACTIVE) || _s=
	case $_s in blue | green) printf '%s' "$_s" ;; esac
}

rp_bg_other() {
	if [ "$1" = blue ]; then printf green; else printf blue; fi
}

# rp_bg_port SLOT: the slot's port, from this build's --slot-ports.
rp_bg_port() {
	if [ "$1" = blue ]; then printf '%s' "${RP_SLOT_PORTS%%,*}"; else printf '%s' "${RP_SLOT_PORTS#*,}"; fi
}

rp_bg_unit() {
	printf '%s@%s.service' "$RP_NAME" "$1"
}

# rp_bg_link SLOT VERSION: /opt/NAME/slots/SLOT -> ../live/VERSION (renamed
# over the old link).
rp_bg_link() {
	mkdir -p "$RP_BASE/slots"
	ln -sfn "../live/$2" "$RP_BASE/slots/$1.relpkg-new" &&
		mv -Tf "$RP_BASE/slots/$1.relpkg-new" "$RP_BASE/slots/$1"
}

rp_bg_slot_version() {
	_l=$(readlink "$RP_BASE/slots/$1" 2>/dev/null) || return 0
	printf '%s' "${_l#../live/}"
}

# rp_bg_record SLOT VERSION: SLOT is the active one.
rp_bg_record() {
	mkdir -p "$RP_META"
	printf 'SLOT_FORMAT=1\nACTIVE=%s\nVERSION=%s\nPORT=%s\nTIME=%s\n' "$1" "$2" "$(rp_bg_port "$1")" \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" | rp_write "$RP_SLOTFILE"
}

# The health check of a slot: a --health-url is asked on the slot's own
# port (same scheme and path), a --health-cmd gets the port variable set.
rp_bg_adapt_health() {
	[ -n "$RP_BG_PORT" ] || return 0
	if [ -n "$h_url" ]; then
		_rest=${h_url#*://}
		_path=/${_rest#*/}
		[ "$_rest" != "${_rest#*/}" ] || _path=/
		h_url="${h_url%%://*}://127.0.0.1:$RP_BG_PORT$_path"
	fi
	if [ -n "$h_cmd" ]; then
		h_cmd="$RP_PORT_ENV=$RP_BG_PORT; export $RP_PORT_ENV; RELPKG_SLOT_PORT=$RP_BG_PORT; export RELPKG_SLOT_PORT
$h_cmd"
	fi
}

# The haproxy runtime API client: python3, which connects to the admin
# socket only when no directory on its way (links resolved) belongs to the
# service user or is writable by anybody without the sticky bit, and the
# socket itself is root's or haproxy's, not the service user's.
# Arguments: SOCKET SERVICE_UID COMMAND_LINE; the answer on stdout.
RP_BG_PY='
import os, socket, stat, sys
path, uid, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3]
real = os.path.realpath(path)
parts = real.split("/")
for i in range(1, len(parts) + 1):
    p = "/".join(parts[:i]) or "/"
    try:
        st = os.lstat(p)
    except OSError as e:
        sys.exit("cannot use %s: %s" % (path, e.strerror))
    if st.st_uid == uid:
        sys.exit("%s: %s belongs to the service user: not using it" % (path, p))
    if stat.S_ISDIR(st.st_mode) and st.st_mode & 0o002 and not st.st_mode & 0o1000:
        sys.exit("%s: %s is writable by anybody: not using it" % (path, p))
if not stat.S_ISSOCK(os.lstat(real).st_mode):
    sys.exit("%s is not a socket" % path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(real)
    s.sendall(cmd.encode() + b"\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except OSError as e:
    sys.exit("%s: %s" % (path, e))
sys.stdout.write(out.decode(errors="replace"))
'

# rp_bg_haproxy COMMAND_LINE: the answer of haproxy's admin socket.
rp_bg_haproxy() {
	if ! command -v python3 >/dev/null 2>&1; then
		echo "python3 is needed to talk to haproxy's admin socket" >&2
		return 1
	fi
	python3 -c "$RP_BG_PY" "$RP_HAPROXY_SOCKET" "$(id -u "$RP_USER" 2>/dev/null || echo -1)" "$1"
}

# rp_bg_scur SLOT: the current sessions of the slot's server (haproxy), or
# of its established connections (other routers: ss).
rp_bg_scur() {
	if [ -z "$RP_ROUTER_CMD" ]; then
		rp_bg_haproxy "show stat -1 4 -1" | awk -F, -v b="$RP_BG_BACKEND" -v s="$1" '
			NR == 1 { for (i = 1; i <= NF; i++) if ($i == "scur") c = i; next }
			$1 == b && $2 == s { print $c; found = 1 }
			END { if (!found) exit 1 }'
	else
		ss -Htn state established "( sport = :$(rp_bg_port "$1") )" 2>/dev/null | wc -l
	fi
}

# rp_bg_flip NEW OLD: the router sends new connections to NEW (OLD: ""
# when none); nothing is changed when it fails.
rp_bg_flip() {
	if [ -n "$RP_ROUTER_CMD" ]; then
		(cd / && RELPKG_SLOT=$1 RELPKG_PORT=$(rp_bg_port "$1") RELPKG_OLD_SLOT=$2 \
			RELPKG_OLD_PORT=$([ -z "$2" ] || rp_bg_port "$2") RELPKG_NAME=$RP_NAME \
			RELPKG_VERSION=$RP_VERSION /bin/sh -c "$RP_ROUTER_CMD") >&2 || {
			RP_BG_WHY="the router command failed: $RP_ROUTER_CMD"
			return 1
		}
		return 0
	fi
	# both servers must exist before anything is changed
	if ! _st=$(rp_bg_haproxy "show stat -1 4 -1" 2>&1); then
		RP_BG_WHY="haproxy's admin socket $RP_HAPROXY_SOCKET: $_st"
		return 1
	fi
	for _s in blue green; do
		printf '%s\n' "$_st" | awk -F, -v b="$RP_BG_BACKEND" -v s="$_s" '$1 == b && $2 == s { f = 1 } END { exit !f }' || {
			RP_BG_WHY="haproxy has no server $RP_BG_BACKEND/$_s (put the backend of relpkg(1), BLUE-GREEN, in haproxy.cfg)"
			return 1
		}
	done
	_c="set server $RP_BG_BACKEND/$1 state ready; set server $RP_BG_BACKEND/$1 health up"
	_o=$(rp_bg_other "$1")
	if [ -n "$2" ]; then
		_c="$_c; set server $RP_BG_BACKEND/$2 state drain"
	else
		_c="$_c; set server $RP_BG_BACKEND/$_o state maint"
	fi
	if ! _ans=$(rp_bg_haproxy "$_c" 2>&1) || [ -n "$(printf '%s' "$_ans" | tr -d ' \n')" ]; then
		RP_BG_WHY="haproxy refused '$_c': $(rp_clean "$_ans")"
		return 1
	fi
}

# rp_bg_drain OLD: waits (at most the drain timeout) until OLD has no
# sessions left, then takes it out of the router.
rp_bg_drain() {
	_to=$RP_DRAIN_TIMEOUT
	case $_to in '' | *[!0-9]*) _to=30 ;; esac
	_end=$(($(date +%s) + _to))
	while :; do
		_n=$(rp_bg_scur "$1") || _n=0
		[ "${_n:-0}" -gt 0 ] 2>/dev/null || break
		if [ "$(date +%s)" -ge "$_end" ]; then
			rp_log "the drain timeout ($_to s) is over: $_n session(s) on the $1 slot are cut"
			break
		fi
		sleep 0.1
	done
	[ -n "$RP_ROUTER_CMD" ] || rp_bg_haproxy "set server $RP_BG_BACKEND/$1 state maint" >/dev/null 2>&1 || true
}

# rp_bg_fail REASON STEP [SLOT]: the new slot failed before the flip: stop
# it, undo the migration, the old slot keeps serving.  Returns 1.
rp_bg_fail() {
	rp_log "$1: nothing was flipped, $RP_VERSION is stopped${RP_BG_OLD:+, $TX_FROM keeps serving}"
	if [ -n "${3:-}" ]; then
		systemctl stop "$(rp_bg_unit "$3")" >/dev/null 2>&1 || true
		systemctl disable --no-reload "$(rp_bg_unit "$3")" >/dev/null 2>&1 || true
		systemctl reset-failed "$(rp_bg_unit "$3")" >/dev/null 2>&1 || true
	fi
	_why=$1
	if [ "$TX_MIGRATION" != none ] && [ "$TX_DB" != "$TX_FROM_SCHEMA" ]; then
		rp_txn_step unmigrating "?" || true
		if rp_undo_migration; then
			TX_DB=$TX_FROM_SCHEMA
		else
			_why="$_why; undoing its online migration failed: the database stays at schema '$TX_TO_SCHEMA'"
			rp_log "$_why"
		fi
	fi
	if [ -n "$RP_BG_OLD" ]; then
		rp_state "$TX_FROM" "$RP_VERSION" failed "$_why; nothing flipped, $TX_FROM keeps serving" "$TX_DB" || true
		rp_journal "$TX_FROM" "$RP_VERSION" failed 0 "$(rp_migr_label)" "$_why; nothing flipped, $TX_FROM keeps serving (slot $RP_BG_OLD)"
	else
		rp_state "" "$TX_FROM" failed "$_why" "$TX_DB" || true
		rp_journal "$TX_FROM" "$RP_VERSION" failed - "$(rp_migr_label)" "$_why"
	fi
	rp_mark_failed "$2" "$_why"
	rp_txn_end
	[ "$TX_FROM" = "$RP_VERSION" ] || [ "$(rp_bg_slot_version "$RP_BG_OLD")" = "$RP_VERSION" ] ||
		rm -rf "${RP_BASE:?}/live/$RP_VERSION"
	return 1
}

# rp_bg_transition: the transaction of rp_transition (TX_* set, the live
# tree made), as a blue-green switch.
rp_bg_transition() {
	RP_BG_BACKEND=${RP_HAPROXY_BACKEND:-$RP_NAME}
	RP_BG_OLD=$(rp_bg_active)
	from=$TX_FROM
	[ -z "$RP_BG_OLD" ] || systemctl is-active -q "$(rp_bg_unit "$RP_BG_OLD")" || RP_BG_OLD=
	if [ -n "$RP_BG_OLD" ] && [ "$(rp_bg_slot_version "$RP_BG_OLD")" != "$from" ]; then
		rp_log "the $RP_BG_OLD slot runs $(rp_bg_slot_version "$RP_BG_OLD"), not $from"
	fi
	if [ -z "$RP_BG_OLD" ] && [ -n "$from" ] && systemctl is-active -q "$RP_NAME.service"; then
		# the first blue-green switch after cold ones: a cold one
		rp_log "$RP_NAME.service (cold switches) runs $from: stopping it; from now on the slots switch"
		rp_hook before-stop "$RP_HOOK_BEFORE_STOP" || { rp_txn_end; return 1; }
		systemctl stop "$RP_NAME.service" || true
		systemctl disable --no-reload "$RP_NAME.service" >/dev/null 2>&1 || true
		rp_hook after-stop "$RP_HOOK_AFTER_STOP" || true
	fi
	new=blue
	[ -z "$RP_BG_OLD" ] || new=$(rp_bg_other "$RP_BG_OLD")
	# the idle slot may be left running by an interrupted switch
	systemctl stop "$(rp_bg_unit "$new")" >/dev/null 2>&1 || true
	case $TX_STEP in
	begun | stopped | migrating)
		if [ "$TX_MIGRATION" != none ]; then
			# online-compatible (relpkg build refuses blue-green otherwise):
			# it runs while the old version serves
			rp_txn_step migrating "?" || return 1
			if ! rp_run_migration; then
				TX_DB=$TX_FROM_SCHEMA
				rp_bg_fail "migrate-$TX_MIGRATION of $RP_VERSION failed" "migrate-$TX_MIGRATION"
				return 1
			fi
			TX_DB=$TX_TO_SCHEMA
			rp_txn_step migrated || return 1
		else
			TX_DB=$TX_FROM_SCHEMA
		fi
		;;
	esac
	rp_txn_mark started
	rp_bg_link "$new" "$RP_VERSION" || { rp_bg_fail "cannot link the $new slot" start; return 1; }
	RP_UNIT=$(rp_bg_unit "$new")
	rp_hook before-start "$RP_HOOK_BEFORE_START" || true
	if ! rp_start_allowed; then
		RP_NOT_STARTED="policy-rc.d"
		rp_bg_record "$new" "$RP_VERSION" || true
		systemctl enable --no-reload "$RP_UNIT" >/dev/null 2>&1 || true
		rp_switch "$RP_VERSION"
		rp_state "$RP_VERSION" "$from" ok "installed, not started (policy-rc.d)" "$TX_DB" || true
		rp_journal "$from" "$RP_VERSION" ok - "$(rp_migr_label)" "install (not started: policy-rc.d)"
		rp_txn_end
		return 0
	fi
	systemctl reset-failed "$RP_UNIT" >/dev/null 2>&1 || true
	t_sw=$(rp_now_ms)
	if ! systemctl start "$RP_UNIT"; then
		rp_bg_fail "$RP_VERSION failed to start in the $new slot" start "$new"
		return 1
	fi
	RP_BG_PORT=$(rp_bg_port "$new")
	if ! rp_health; then
		RP_BG_PORT=
		rp_bg_fail "$RP_VERSION is not healthy in the $new slot (port $(rp_bg_port "$new"))" health "$new"
		return 1
	fi
	RP_BG_PORT=
	RP_BG_WHY=
	t_ok=$(rp_now_ms)
	# before-stop: e.g. take the host out of an outer load balancer
	if [ -n "$RP_BG_OLD" ] && ! rp_hook before-stop "$RP_HOOK_BEFORE_STOP"; then
		rp_bg_fail "the before-stop hook failed" before-stop "$new"
		return 1
	fi
	if ! rp_bg_flip "$new" "$RP_BG_OLD"; then
		if [ -z "$RP_BG_OLD" ] && [ -z "$from" ]; then
			# a first install: the router serves nothing of this app yet
			rp_log "warning: $RP_BG_WHY; $RP_VERSION runs in the $new slot, but the router was not told"
		else
			rp_bg_fail "$RP_BG_WHY" router "$new"
			return 1
		fi
	fi
	# flipped: the new slot is the active one
	t_fl=$(rp_now_ms)
	rp_bg_record "$new" "$RP_VERSION" || rp_log "could not write $RP_SLOTFILE (disk full?)"
	[ ! -f "$RP_META/running.$new" ] || cp -f "$RP_META/running.$new" "$RP_META/running" 2>/dev/null || true
	rp_switch "$RP_VERSION"
	systemctl enable --no-reload "$RP_UNIT" >/dev/null 2>&1 || true
	if [ -n "$RP_BG_OLD" ]; then
		systemctl disable --no-reload "$(rp_bg_unit "$RP_BG_OLD")" >/dev/null 2>&1 || true
		rp_bg_drain "$RP_BG_OLD"
		t_dr=$(rp_now_ms)
		systemctl stop "$(rp_bg_unit "$RP_BG_OLD")" || true
		# stopped on purpose: a non-zero exit at SIGTERM is no failure
		systemctl reset-failed "$(rp_bg_unit "$RP_BG_OLD")" >/dev/null 2>&1 || true
		rp_hook after-stop "$RP_HOOK_AFTER_STOP" || true
	fi
	sw_ms=$(($(rp_now_ms) - t_sw))
	rp_hook after-start "$RP_HOOK_AFTER_START" || true
	msg="blue-green switch to the $new slot (${sw_ms} ms: healthy after $((t_ok - t_sw)) ms"
	[ -z "$RP_BG_OLD" ] || msg="$msg, flipped, drained in $((t_dr - t_fl)) ms, stopped in $(($(rp_now_ms) - t_dr)) ms"
	msg="$msg)"
	[ -n "$from" ] || msg="install in the $new slot"
	rp_journal "$from" "$RP_VERSION" ok 0 "$(rp_migr_label)" "$msg"
	rm -f "$RP_FAILED"
	if rp_state "$RP_VERSION" "$from" ok "$msg" "$RP_SCHEMA"; then
		rp_txn_end
	else
		rp_txn_step "done" || true
	fi
	rp_drop_stale_live "$RP_VERSION"
	rp_log "$RP_VERSION running in the $new slot (${from:-fresh install}; no downtime; switch ${sw_ms} ms; migrations $(rp_migr_label))"
}

# A cold package after blue-green ones: the slots stop, current's version
# starts as NAME.service.
rp_bg_leave() {
	for _s in blue green; do
		systemctl stop "$(rp_bg_unit "$_s")" >/dev/null 2>&1 || true
		systemctl disable --no-reload "$(rp_bg_unit "$_s")" >/dev/null 2>&1 || true
	done
	rm -f "$RP_SLOTFILE" "$RP_META/running.blue" "$RP_META/running.green"
	rm -rf "${RP_BASE:?}/slots"
}

# The unit's guard of a slot (relpkg-guard SLOT): the slot's version must
# exist, and a version that did not declare online migrations must find its
# own schema.  Writes running.SLOT, and running for the active slot.
rp_bg_guard() {
	case $1 in blue | green) ;; *)
		echo "relpkg guard: unknown slot '$1'" >&2
		return 1
		;;
	esac
	cur=$(rp_bg_slot_version "$1")
	if [ -z "$cur" ] || [ ! -d "$RP_BASE/live/$cur" ]; then
		echo "relpkg guard: $RP_BASE/slots/$1 points at no version: install $RP_NAME again" >&2
		return 1
	fi
	cs=$(rp_meta "$cur" SCHEMA_VERSION) || cs=
	if ! [ -f "$RP_TXN" ] && [ "$(rp_meta "$cur" MIGRATE_ONLINE)" != yes ]; then
		db=$(rp_db_schema) || db=
		if [ -n "$db" ] && [ -n "$cs" ] && [ "$db" != "$cs" ]; then
			echo "relpkg guard: $cur expects database schema '$cs' but the database is at '$db': not starting it." >&2
			return 1
		fi
	fi
	printf 'RUNNING_FORMAT=1\nVERSION=%s\nSCHEMA=%s\nINVOCATION=%s\nTIME=%s\n' "$cur" "$cs" \
		"${INVOCATION_ID:-}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$RP_META/running.$1.relpkg-new" 2>/dev/null ||
		return 0
	mv -f "$RP_META/running.$1.relpkg-new" "$RP_META/running.$1" 2>/dev/null || true
	if [ "$(rp_bg_active)" = "$1" ]; then
		cp -f "$RP_META/running.$1" "$RP_META/running" 2>/dev/null || true
	fi
	return 0
}

# The service of a blue-green package is its active slot; a cold package
# after blue-green ones leaves the slots first (rp_svc_stop).
if rp_bg_mode; then
	_s=$(rp_bg_active)
	[ -z "$_s" ] || RP_UNIT=$(rp_bg_unit "$_s")
elif [ -f "$RP_SLOTFILE" ] && rp_have_systemd; then
	RP_BG_LEAVE=1
fi

# --- hot upgrades (issue 13) ---
#
# A transition between two versions whose relup covers it replaces the
# code in the running node (OTP release_handler) instead of restarting it:
# no request fails, the OS pid stays.  relpkg(1), "HOT UPGRADES", says when;
# relpkg-meta(5) the HOT* keys the build records.  Any failure before
# release_handler:make_permanent/1 falls back to the cold path (the caller
# goes on with the ordinary stop/switch/start); release_handler's state is
# runtime only (/run/NAME/releases, rebuilt by rp_hot_reldir at each start),
# so the permanent version is always what current points at.

RP_HOT_RELDIR="/run/$RP_NAME/releases"

# rp_hot_in WORD LIST: WORD is one of the space-separated LIST.
rp_hot_in() {
	case " $2 " in *" $1 "*) return 0 ;; esac
	return 1
}

# The version the node was booted from, when a hot transition since left
# another one running in it ("" otherwise): its live tree holds the ERTS
# binaries the node runs, and stays until the next cold start.
rp_hot_boot() {
	rp_kv "$RP_META/running" BOOT 2>/dev/null || true
}

# rp_hot_reldir: the unit's start-up step (hooks/reldir.sh), as the service
# user: /run/NAME/releases from the version being booted -- its release
# files, start_erl.data, and a RELEASES term with the absolute library
# paths of its live tree (the root the node runs from).  Nothing under /opt
# is written.  Without the metadata it needs it only warns: the node runs,
# and the next transition is cold.
rp_hot_reldir() {
	_v=$(rp_running_version)
	[ -n "$_v" ] || return 0
	_root=$(cd "$RP_BASE/current" 2>/dev/null && pwd -P) || return 0
	rm -rf "$RP_HOT_RELDIR"
	mkdir -p "$RP_HOT_RELDIR/$_v" || return 1
	for _f in "$_root/releases/$_v"/*; do
		[ ! -f "$_f" ] || [ -L "$_f" ] || cp "$_f" "$RP_HOT_RELDIR/$_v/" || return 1
	done
	_libs=$(rp_meta "$_v" HOT_LIBS) || _libs=
	_erts=$(rp_meta "$_v" ERTS_VERSION) || _erts=
	_rel=$(rp_meta "$_v" HOT) || _rel=
	if [ "$_rel" != yes ] || [ -z "$_libs" ] || [ -z "$_erts" ]; then
		echo "relpkg reldir: $_v has no hot-upgrade metadata: transitions from it restart it" >&2
		return 0
	fi
	printf '%s %s\n' "$_erts" "$_v" >"$RP_HOT_RELDIR/start_erl.data" || return 1
	{
		printf '[{release,"%s","%s","%s",[' "$RP_RELNAME" "$_v" "$_erts"
		_sep=
		for _l in $_libs; do
			printf '%s{%s,"%s","%s/lib/%s-%s"}' "$_sep" "${_l%%:*}" "${_l#*:}" "$_root" "${_l%%:*}" "${_l#*:}"
			_sep=,
		done
		printf '],permanent}].\n'
	} >"$RP_HOT_RELDIR/RELEASES.new" && mv -f "$RP_HOT_RELDIR/RELEASES.new" "$RP_HOT_RELDIR/RELEASES"
}

# rp_hot_plan FROM: FROM -> this version can be hot.  Sets RP_HOT_DIR (up or
# down) and RP_HOT_RELUP (the version whose relup covers it); else returns
# 1 with the reason in RP_HOT_WHY ("" when not worth a word).
rp_hot_plan() {
	RP_HOT_WHY='' RP_HOT_DIR='' RP_HOT_RELUP=''
	[ -n "$1" ] && [ "$1" != "$RP_VERSION" ] && rp_have_systemd || return 1
	# releases that are never hot (generic, mix, no ERTS) say nothing
	if [ "${RP_HOT:-}" != yes ]; then
		[ "$(rp_meta "$RP_VERSION" HOT_WHY)" != --no-hot ] || RP_HOT_WHY="$RP_VERSION was built with --no-hot"
		return 1
	fi
	if [ "$(rp_meta "$1" HOT)" != yes ]; then
		[ "$(rp_meta "$1" HOT_WHY)" != --no-hot ] || RP_HOT_WHY="$1 was built with --no-hot"
		[ -n "$(rp_meta "$1" HOT_WHY)" ] || [ "$(rp_meta "$1" RELPKG_META_FORMAT)" = "" ] ||
			RP_HOT_WHY="$1 was packaged without hot upgrades"
		return 1
	fi
	if [ "$TX_MIGRATION" != none ]; then
		RP_HOT_WHY="a migration runs ($TX_MIGRATION)"
		return 1
	fi
	if rp_older "$RP_VERSION" "$1"; then
		RP_HOT_DIR=down RP_HOT_RELUP=$1
		rp_hot_in "$RP_VERSION" "$(rp_meta "$1" HOT_DOWN_TO)" || {
			RP_HOT_WHY="the relup of $1 does not go down to $RP_VERSION"
			return 1
		}
	else
		RP_HOT_DIR=up RP_HOT_RELUP=$RP_VERSION
		rp_hot_in "$1" "$RP_HOT_UP_FROM" || {
			RP_HOT_WHY="the relup of $RP_VERSION does not cover $1"
			return 1
		}
	fi
	_boot=$(rp_hot_boot)
	_be=$(rp_meta "${_boot:-$1}" ERTS_VERSION) || _be=
	if [ "$_be" != "$RP_ERTS_VERSION" ]; then
		RP_HOT_WHY="the node runs ERTS ${_be:-?}, $RP_VERSION needs $RP_ERTS_VERSION"
		return 1
	fi
	if ! rp_svc_active; then
		RP_HOT_WHY="$RP_UNIT is not running"
		return 1
	fi
	if [ ! -f "$RP_HOT_RELDIR/RELEASES" ]; then
		RP_HOT_WHY="the node was started without a runtime release directory"
		return 1
	fi
}

# rp_hot_eval FROM EXPRS: Erlang expressions evaluated in the running node
# with FROM's own release script (bin/NAME eval), as the service user.
# A task unit that just ended may still be loaded for a moment (systemd
# collects it asynchronously): systemd-run then refuses to start the next
# one, and nothing ran -- try again.
rp_hot_eval() {
	_i=0
	while :; do
		_o=$(rp_as_user "$RP_BASE/live/$1" "bin/$RP_RELNAME eval $(rp_quote "$2")" 2>&1) && _rc=0 || _rc=$?
		case $_o in
		*"already loaded"* | *"has a fragment file"*) ;;
		*)
			printf '%s\n' "$_o"
			return "$_rc"
			;;
		esac
		_i=$((_i + 1))
		if [ "$_i" -ge 50 ]; then
			printf '%s\n' "$_o"
			return 1
		fi
		sleep 0.2
	done
}

# The install step, in the node: V's release files into RELDIR/V (written by
# the node itself, as the service user), V registered with its libraries in
# its root-owned live tree (release_handler:set_unpacked/2: the node never
# unpacks anything), checked, installed.  Prints relpkg_hot_installed.
rp_hot_expr() {
	_t=$RP_BASE/live/$RP_VERSION
	cat <<EOE
V = "$RP_VERSION", Src = "$_t/releases/$RP_VERSION", RelFile = Src ++ "/$RP_RELNAME.rel",
R = try
  RelDir = case application:get_env(sasl, releases_dir) of {ok, D} -> D; _ -> os:getenv("RELDIR") end,
  true = is_list(RelDir) andalso lists:prefix("/run/", RelDir),
  Dst = filename:join(RelDir, V),
  ok = filelib:ensure_dir(filename:join(Dst, "x")),
  lists:foreach(fun(F) -> S = filename:join(Src, F), case filelib:is_regular(S) of true -> {ok, _} = file:copy(S, filename:join(Dst, F)); false -> ok end end, ["$RP_RELNAME.rel", "start.boot", "sys.config", "relup"]),
  case lists:keymember(V, 2, release_handler:which_releases()) of
    true -> ok;
    false -> {ok, [{release, _, _, Apps}]} = file:consult(RelFile),
             {ok, V} = release_handler:set_unpacked(RelFile, [{element(1, A), element(2, A), "$_t/lib"} || A <- Apps])
  end,
  {ok, _, _} = release_handler:check_install_release(V),
  {ok, _, _} = release_handler:install_release(V, [{update_paths, true}]),
  relpkg_hot_installed
catch C:E -> {relpkg_hot_failed, C, E}
end,
R.
EOE
}

# rp_hot_health PID: this version's health check passes within its timeout
# while the unit stays active on the same OS pid.
rp_hot_health() {
	_dl=$(($(date +%s) + ${RP_HEALTH_TIMEOUT:-30}))
	_n=0
	while :; do
		_pid=$(systemctl show -p MainPID --value "$RP_UNIT" 2>/dev/null)
		if [ "$_pid" != "$1" ] || ! rp_svc_active; then
			rp_log "the node did not survive the hot upgrade (pid ${_pid:-none}, was $1)"
			return 1
		fi
		if [ -n "$RP_HEALTH_CMD" ]; then
			rp_as_user "$RP_STATE" "$RP_HEALTH_CMD" >/dev/null 2>&1 && return 0
		elif [ -n "$RP_HEALTH_URL" ]; then
			rp_http_ok "$RP_HEALTH_URL" && return 0
		else
			_n=$((_n + 1))
			[ "$_n" -lt 10 ] || return 0
		fi
		[ "$(date +%s)" -lt "$_dl" ] || return 1
		sleep 0.2
	done
}

# rp_hot_try FROM: FROM -> this version hot when it can be.  0: done (state,
# journal, current switched).  1: the caller takes the cold path from step
# begun; what it should say about it is in RP_HOT_NOTE.  Nothing is left
# that the cold path does not redo: it stops the node, whatever code it runs.
rp_hot_try() {
	RP_HOT_NOTE=
	# blue-green packages switch slots instead (issue 14)
	! rp_bg_mode || return 1
	rp_hot_run "$1" && return 0
	TX_STEP=begun
	return 1
}

rp_hot_run() {
	if ! rp_hot_plan "$1"; then
		[ -z "$RP_HOT_WHY" ] || RP_HOT_NOTE="cold: $RP_HOT_WHY"
		return 1
	fi
	_from=$1
	_pid=$(systemctl show -p MainPID --value "$RP_UNIT" 2>/dev/null)
	_t0=$(rp_now_ms)
	TX_T0=$_t0
	rp_txn_step hot || return 1
	rp_log "hot $RP_HOT_DIR: $_from -> $RP_VERSION in the running node (pid $_pid; relup of $RP_HOT_RELUP)"
	_out=$(rp_hot_eval "$_from" "$(rp_hot_expr)")
	case $_out in
	*relpkg_hot_installed*) ;;
	*)
		RP_HOT_NOTE="hot $RP_HOT_DIR failed in install_release ($(printf '%s' "$_out" | tr '\n' ' ' | cut -c1-300)): cold restart"
		rp_log "$RP_HOT_NOTE"
		return 1
		;;
	esac
	if ! rp_hot_health "$_pid"; then
		RP_HOT_NOTE="hot $RP_HOT_DIR: $RP_VERSION not healthy after install_release: cold restart"
		rp_log "$RP_HOT_NOTE"
		return 1
	fi
	_out=$(rp_hot_eval "$_from" "release_handler:make_permanent(\"$RP_VERSION\").")
	case $_out in
	ok | *"
ok") ;;
	*)
		RP_HOT_NOTE="hot $RP_HOT_DIR: make_permanent failed ($(printf '%s' "$_out" | tr '\n' ' ' | cut -c1-300)): cold restart"
		rp_log "$RP_HOT_NOTE"
		return 1
		;;
	esac
	# the point of no return: the node runs this version for good
	_boot=$(rp_hot_boot)
	[ -n "$_boot" ] || _boot=$(rp_kv "$RP_META/running" VERSION 2>/dev/null) || _boot=
	[ -n "$_boot" ] || _boot=$_from
	if ! rp_switch "$RP_VERSION"; then
		rp_log "hot $RP_HOT_DIR done, but $RP_BASE/current cannot be switched: restarting $_from"
		systemctl restart "$RP_UNIT" || true
		rp_journal "$_from" "$RP_VERSION" failed - - "hot $RP_HOT_DIR done but current not switched: $_from restarted"
		rp_state "$_from" "$RP_VERSION" failed "hot $RP_HOT_DIR: current not switched" || true
		rp_txn_end
		return 0
	fi
	_ms=$(($(rp_now_ms) - _t0))
	{
		printf 'RUNNING_FORMAT=1\nVERSION=%s\nSCHEMA=%s\n' "$RP_VERSION" "$RP_SCHEMA"
		printf 'INVOCATION=%s\n' "$(rp_kv "$RP_META/running" INVOCATION 2>/dev/null)"
		printf 'TIME=%s\nBOOT=%s\nPID=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$_boot" "$_pid"
	} | rp_write "$RP_META/running" || true
	rp_hook after-start "$RP_HOOK_AFTER_START" || true
	msg="hot $RP_HOT_DIR (relup of $RP_HOT_RELUP; pid $_pid kept; $_ms ms)"
	rp_journal "$_from" "$RP_VERSION" ok 0 - "$msg"
	rm -f "$RP_FAILED"
	if rp_state "$RP_VERSION" "$_from" ok "$msg" "$RP_SCHEMA"; then
		rp_txn_end
	else
		rp_txn_step "done" || true
	fi
	for _d in "$RP_BASE"/live/* "$RP_BASE"/live/.*.relpkg-new; do
		[ -e "$_d" ] || continue
		case ${_d##*/} in "$RP_VERSION" | "$_boot") ;; *) rm -rf "$_d" ;; esac
	done
	rp_log "$RP_VERSION running, hot $RP_HOT_DIR from $_from (pid $_pid kept; no downtime)"
	return 0
}

# --- config files (issue 15: --config-file; src/conffiles.c) ----------------
# RP_CONF_FILES: one DEST a line; each is /etc/NAME/DEST, a dpkg conffile /
# rpm %config(noreplace) of this package, and its packaged text is also
# /opt/NAME/conf-default/DEST (root's).  Like the env file, a local edit
# survives upgrades and downgrades -- but its packaged text changes between
# versions, and dpkg would then ask (and fail without a terminal), rpm
# would write .rpmnew.  So the incoming preinst/%pre, when the file differs
# from the installed package's text (or exists though that package did not
# ship it), moves the admin's copy aside into root's $RP_META/conf-keep and
# puts the installed package's text back: dpkg and rpm then see an
# unchanged file and replace it quietly.  The incoming postinst/%post (and
# dpkg's abort paths) put the admin's copy back before anything starts.
# A package without --config-file files carries none of these functions
# (src/hooks.c) and calls none.
# Nothing here follows a path of the service user: /etc/NAME, /opt/NAME and
# $RP_META are root's.

rp_conf_pre() {
	[ -n "$RP_CONF_FILES" ] || return 0
	mkdir -p "$RP_META/conf-keep" && chmod 0700 "$RP_META/conf-keep" || return 1
	_ifs=$IFS
	IFS='
'
	for _c in $RP_CONF_FILES; do
		IFS=$_ifs
		_f=/etc/$RP_NAME/$_c _d=$RP_BASE/conf-default/$_c _k=$RP_META/conf-keep/$_c
		if [ ! -e "$_k" ] && [ -e "$_f" ] && ! { [ -f "$_d" ] && cmp -s "$_f" "$_d"; }; then
			if ! { mkdir -p "${_k%/*}" && cp -p "$_f" "$_k.relpkg-new" && mv -f "$_k.relpkg-new" "$_k"; }; then
				rm -f "$_k.relpkg-new"
				rp_log "cannot keep a copy of $_f (disk full?): nothing was changed; free space and run the package manager again"
				return 1
			fi
			rp_log "$_f was changed here: kept aside while the package replaces it, then put back"
		elif [ ! -e "$_k" ] && [ -e "$_f" ]; then
			continue
		fi
		# the installed package's text (dpkg and rpm see no local change),
		# or no file (a file that package did not ship is not dpkg's)
		if [ -f "$_d" ]; then
			cp -p "$_d" "$_f.relpkg-new" && mv -f "$_f.relpkg-new" "$_f" || return 1
		else
			rm -f "$_f"
		fi
	done
	IFS=$_ifs
}

# Puts every kept copy back (postinst/%post, dpkg's abort paths).
rp_conf_restore() {
	[ -d "$RP_META/conf-keep" ] || return 0
	_rc=0
	for _k in $(cd "$RP_META/conf-keep" && find . -type f ! -name '*.relpkg-new' | sed 's|^\./||'); do
		_f=/etc/$RP_NAME/$_k
		if mkdir -p "${_f%/*}" && cp -p "$RP_META/conf-keep/$_k" "$_f.relpkg-new" && mv -f "$_f.relpkg-new" "$_f"; then
			rm -f "$RP_META/conf-keep/$_k" "$_f.dpkg-dist" "$_f.rpmnew"
		else
			rp_log "could not put the local copy of $_f back: it is in $RP_META/conf-keep/$_k"
			_rc=1
		fi
	done
	find "$RP_META/conf-keep" -depth -mindepth 1 -type d -empty -delete 2>/dev/null || true
	return $_rc
}
