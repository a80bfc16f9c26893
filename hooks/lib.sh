# relpkg maintainer-script library, embedded into every generated script.
# POSIX sh.  The tokens (a NAME between at-signs) are replaced at build time
# with shell-quoted values; nothing of relpkg is needed on the server.
#
# One principle: the INCOMING package drives every transition.  Its
# preinst/%pre is the last moment the outgoing version's files are all on
# disk (so a down-migration runs there, with the outgoing version's code);
# its postinst/%post switches and starts.  The outgoing package's scripts
# act only on removal and in dpkg's abort paths.
#
# The running version never runs from the package's own files: before the
# switch, /opt/NAME/live/VERSION is made as a hard-linked copy of
# /opt/NAME/releases/VERSION, and /opt/NAME/current points there.  dpkg and
# rpm delete the outgoing package's files before the incoming postinst runs;
# the running version keeps reading its own (linked) files until it is
# stopped, and a failed transition brings it back from the same tree.
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
}

RP_BASE="/opt/$RP_NAME"
RP_STATE="/var/lib/$RP_NAME"
RP_LOGDIR="/var/log/$RP_NAME"
RP_META="/var/lib/relpkg/$RP_NAME"
RP_ENVFILE="/etc/$RP_NAME/$RP_NAME.env"
RP_UNIT="$RP_NAME.service"
RP_NOT_STARTED=

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

# ---- journal and state ----------------------------------------------------

# rp_journal FROM TO RESULT DOWNTIME_MS MIGRATIONS MESSAGE
rp_journal() {
	mkdir -p "$RP_META"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		"${1:--}" "${2:--}" "$3" "${4:--}" "${5:--}" "${6:-}" >>"$RP_META/journal"
}

# rp_state RUNNING PREVIOUS RESULT MESSAGE: what the scripts last left running.
rp_state() {
	mkdir -p "$RP_META"
	{
		printf 'RUNNING=%s\nPREVIOUS=%s\nRESULT=%s\n' "$1" "$2" "$3"
		printf 'MESSAGE=%s\nTIME=%s\n' "$4" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	} >"$RP_META/state.new"
	mv -f "$RP_META/state.new" "$RP_META/state"
}

rp_state_get() {
	[ -r "$RP_META/state" ] && sed -n "s/^$1=//p" "$RP_META/state" | head -n 1
}

# ---- metadata of other versions (relpkg-meta(5)) ---------------------------

# rp_meta VERSION KEY: from the package's file while it is on disk, else
# from the copy saved when that version was configured.
rp_meta() {
	for f in "$RP_BASE/meta/$1.meta" "$RP_META/meta/$1.meta"; do
		if [ -r "$f" ]; then
			# shellcheck disable=SC1090
			(. "$f" && eval "printf '%s' \"\${$2:-}\"")
			return 0
		fi
	done
	return 1
}

rp_save_meta() {
	if [ -r "$RP_BASE/meta/$RP_VERSION.meta" ]; then
		mkdir -p "$RP_META/meta"
		cp -f "$RP_BASE/meta/$RP_VERSION.meta" "$RP_META/meta/$RP_VERSION.meta"
	fi
}

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

rp_make_dirs() {
	for d in "$RP_STATE" "$RP_LOGDIR"; do
		mkdir -p "$d"
		chown "$RP_USER:$RP_USER" "$d"
		chmod 0750 "$d"
	done
	mkdir -p "$RP_STATE/tmp"
	chown "$RP_USER:$RP_USER" "$RP_STATE/tmp"
	mkdir -p "$RP_META/meta"
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
	cp -al "$RP_BASE/releases/$1" "$tmp" 2>/dev/null || cp -a "$RP_BASE/releases/$1" "$tmp"
	rm -rf "${RP_BASE:?}/live/$1"
	mv "$tmp" "$RP_BASE/live/$1"
}

# The live tree of VERSION has the same content as the package's tree.
rp_live_matches() {
	[ -d "$RP_BASE/live/$1" ] && command -v diff >/dev/null 2>&1 &&
		diff -rq --no-dereference "$RP_BASE/releases/$1" "$RP_BASE/live/$1" >/dev/null 2>&1
}

# Points current at live/VERSION: a new link renamed over the old one.
rp_switch() {
	ln -sfn "live/$1" "$RP_BASE/current.relpkg-new"
	mv -Tf "$RP_BASE/current.relpkg-new" "$RP_BASE/current"
}

# ---- running things as the service user ------------------------------------

# rp_as_user DIR COMMAND [VAR=VALUE...]: runs COMMAND with sh as the service
# user in DIR, with the env file loaded and the release's writable paths
# pointed at the state directory (the tree is read-only).
rp_as_user() {
	dir=$1 cmd=$2
	shift 2
	(
		cd "$dir" || exit 1
		# shellcheck disable=SC2016 # expanded by the inner shell
		set -- env HOME="$RP_STATE" RELEASE_TMP="$RP_STATE/tmp" RELX_OUT_FILE_PATH="$RP_STATE/tmp" \
			RUNNER_LOG_DIR="$RP_LOGDIR" RELPKG_STATE_DIR="$RP_STATE" "$@" \
			/bin/sh -c 'set -a; [ -r "$1" ] && . "$1"; set +a; exec /bin/sh -c "$2"' sh "$RP_ENVFILE" "$cmd"
		if command -v runuser >/dev/null 2>&1; then
			runuser -u "$RP_USER" -- "$@"
		else
			su -s /bin/sh "$RP_USER" -c "$(printf "'%s' " "$@")"
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

# rp_migrate VERSION DIRECTION COMMAND TARGET_SCHEMA FROM TO
rp_migrate() {
	rp_log "migrate-$2 of $1 to schema '${4:-?}' ($5 -> $6)"
	rp_as_user "$RP_BASE/live/$1" "$3" RELPKG_SCHEMA_TARGET="$4" RELPKG_FROM_VERSION="$5" \
		RELPKG_TO_VERSION="$6" RELPKG_RELEASE_ROOT="$RP_BASE/live/$1" >&2
}

# ---- the service -------------------------------------------------------------

rp_svc_stop() {
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
		rp_log "systemd is not running (container or chroot): starting with '$RP_DAEMON_CMD'"
		rp_as_user "$RP_STATE" "$RP_DAEMON_CMD" >/dev/null 2>&1 </dev/null
	fi
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

# The started version is healthy within the timeout: the health command or
# URL answers, and (under systemd) the unit is active and did not restart.
rp_health() {
	[ -z "$RP_NOT_STARTED" ] || return 0
	deadline=$(($(date +%s) + ${RP_HEALTH_TIMEOUT:-30}))
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
			if [ -n "$RP_HEALTH_CMD" ]; then
				rp_as_user "$RP_STATE" "$RP_HEALTH_CMD" >/dev/null 2>&1 && return 0
			elif [ -n "$RP_HEALTH_URL" ]; then
				rp_http_ok "$RP_HEALTH_URL" && return 0
			else
				# no check configured: active for 2 s without a restart
				stable=$((stable + 1))
				[ "$stable" -ge 10 ] && return 0
			fi
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			rp_log "health check did not pass within ${RP_HEALTH_TIMEOUT:-30} s"
			return 1
		fi
		sleep 0.2
	done
}

# Stops the started version and brings FROM back from its live tree.
# rp_bring_back FROM MIGRATED(up|down|-) REASON
rp_bring_back() {
	from=$1 migrated=$2 reason=$3
	rp_svc_stop
	if [ -z "$from" ] || [ ! -d "$RP_BASE/live/$from" ]; then
		rp_log "$reason; nothing to go back to: $RP_NAME is stopped"
		rp_state "" "$from" failed "$reason"
		return 0
	fi
	rp_log "$reason; bringing $from back"
	# undo this transition's migration with the code that knows it
	if [ "$migrated" = up ] && [ -n "$RP_MIGRATE_DOWN" ]; then
		rp_migrate "$RP_VERSION" down "$RP_MIGRATE_DOWN" "$(rp_meta "$from" SCHEMA_VERSION)" \
			"$RP_VERSION" "$from" || rp_log "migrate-down back to $from failed"
	elif [ "$migrated" = down ]; then
		up=$(rp_meta "$from" MIGRATE_UP)
		if [ -n "$up" ]; then
			rp_migrate "$from" up "$up" "$(rp_meta "$from" SCHEMA_VERSION)" "$RP_VERSION" "$from" ||
				rp_log "migrate-up back to $from failed"
		fi
	fi
	rp_switch "$from"
	if rp_svc_start && rp_health; then
		rp_log "$from is running again"
		rp_state "$from" "$RP_VERSION" failed "$reason; $from running again"
	else
		rp_log "$from did not come back up either"
		rp_state "" "$RP_VERSION" failed "$reason; $from did not come back up"
	fi
}

# ---- transitions -------------------------------------------------------------

# Incoming preinst / %pre.  A downgrade from a version that has a
# migrate-down: stop it and run ITS migrate-down to this version's schema,
# while its code is still on disk.  On failure it is started again and this
# script fails, so nothing is unpacked.
rp_pre() {
	rp_create_user
	mkdir -p "$RP_META"
	rm -f "$RP_META/pending"
	from=$(rp_running_version)
	[ -n "$from" ] && [ "$from" != "$RP_VERSION" ] || return 0
	rp_older "$RP_VERSION" "$from" || return 0
	down=$(rp_meta "$from" MIGRATE_DOWN) || down=
	from_schema=$(rp_meta "$from" SCHEMA_VERSION) || from_schema=
	[ -n "$down" ] && [ "$from_schema" != "$RP_SCHEMA" ] || return 0
	t0=$(rp_now_ms)
	rp_hook before-stop "$RP_HOOK_BEFORE_STOP" || return 1
	rp_svc_stop
	rp_hook after-stop "$RP_HOOK_AFTER_STOP" || true
	if ! rp_migrate "$from" down "$down" "$RP_SCHEMA" "$from" "$RP_VERSION"; then
		rp_log "migrate-down of $from to schema '$RP_SCHEMA' failed: $from stays installed and is started again"
		rp_svc_start || true
		rp_health || rp_log "$from is not healthy after the failed migration"
		rp_journal "$from" "$RP_VERSION" failed - "down:$RP_SCHEMA" "migrate-down failed"
		rp_state "$from" "$(rp_state_get PREVIOUS)" failed "migrate-down to $RP_VERSION failed"
		return 1
	fi
	printf '%s %s %s\n' "$from" "$RP_VERSION" "$t0" >"$RP_META/pending"
}

# Incoming postinst configure / %post: switch to this version.
rp_post() {
	rp_create_user
	rp_make_dirs
	rp_save_meta
	from=$(rp_running_version)
	migrated=- migr=- t0=
	if [ -r "$RP_META/pending" ]; then
		p=$(cat "$RP_META/pending")
		p_from=${p%% *} p=${p#* }
		p_to=${p%% *} p_t0=${p#* }
		if [ "$p_to" = "$RP_VERSION" ] && [ "$p_from" = "$from" ]; then
			migrated=down migr="down:$RP_SCHEMA" t0=$p_t0
		fi
		rm -f "$RP_META/pending"
	fi

	if [ -n "$from" ] && [ "$from" = "$RP_VERSION" ]; then
		# reinstall, or another revision of the same version
		if rp_live_matches "$RP_VERSION"; then
			if rp_have_systemd && ! systemctl is-active -q "$RP_UNIT"; then
				rp_svc_start
			fi
			rp_journal "$from" "$RP_VERSION" ok - - "reinstall: files unchanged, not restarted"
			rp_state "$RP_VERSION" "$(rp_state_get PREVIOUS)" ok "reinstalled (files unchanged)"
			return 0
		fi
		t0=$(rp_now_ms)
		rp_hook before-stop "$RP_HOOK_BEFORE_STOP" || return 1
		rp_svc_stop
		rp_hook after-stop "$RP_HOOK_AFTER_STOP" || true
		rp_make_live "$RP_VERSION"
		rp_switch "$RP_VERSION"
		rp_hook before-start "$RP_HOOK_BEFORE_START" || true
		if ! rp_svc_start || ! rp_health; then
			rp_journal "$from" "$RP_VERSION" failed - - "reinstall: does not start"
			rp_state "" "$from" failed "reinstall of $RP_VERSION does not start"
			return 1
		fi
		rp_hook after-start "$RP_HOOK_AFTER_START" || true
		rp_journal "$from" "$RP_VERSION" ok $(($(rp_now_ms) - t0)) - "reinstall: files changed, restarted"
		rp_state "$RP_VERSION" "$(rp_state_get PREVIOUS)" ok "reinstalled"
		return 0
	fi

	# the new tree is linked, and systemd reloaded, before anything stops:
	# downtime excludes both
	rp_make_live "$RP_VERSION"
	rp_svc_prepare
	if [ -z "$t0" ]; then
		t0=$(rp_now_ms)
		if [ -n "$from" ]; then
			rp_hook before-stop "$RP_HOOK_BEFORE_STOP" || return 1
			rp_svc_stop
			rp_hook after-stop "$RP_HOOK_AFTER_STOP" || true
		fi
		if [ -n "$RP_MIGRATE_UP" ]; then
			if ! rp_migrate "$RP_VERSION" up "$RP_MIGRATE_UP" "$RP_SCHEMA" "${from:--}" "$RP_VERSION"; then
				rp_bring_back "$from" up "migrate-up of $RP_VERSION failed"
				rp_journal "$from" "$RP_VERSION" failed - "up:$RP_SCHEMA" "migrate-up failed"
				return 1
			fi
			migrated=up migr="up:$RP_SCHEMA"
		fi
	fi
	rp_switch "$RP_VERSION"
	rp_hook before-start "$RP_HOOK_BEFORE_START" || true
	if ! rp_svc_start; then
		rp_bring_back "$from" "$migrated" "$RP_VERSION failed to start"
		rp_journal "$from" "$RP_VERSION" failed - "$migr" "start failed"
		return 1
	fi
	if ! rp_health; then
		rp_bring_back "$from" "$migrated" "$RP_VERSION is not healthy"
		rp_journal "$from" "$RP_VERSION" failed - "$migr" "health check failed"
		return 1
	fi
	down_ms=$(($(rp_now_ms) - t0))
	rp_hook after-start "$RP_HOOK_AFTER_START" || true
	if [ -n "$from" ] && [ "$from" != "$RP_VERSION" ]; then
		rm -rf "${RP_BASE:?}/live/$from"
	fi
	msg=install
	[ -z "$from" ] || msg=switch
	[ -z "$RP_NOT_STARTED" ] || msg="$msg (not started: $RP_NOT_STARTED)"
	rp_journal "$from" "$RP_VERSION" ok "$down_ms" "$migr" "$msg"
	rp_state "$RP_VERSION" "$from" ok "$msg"
	rp_log "$RP_VERSION running (${from:-fresh install}; downtime ${down_ms} ms; migrations $migr)"
}

# dpkg's abort paths: end with one consistent, running version.
rp_ensure_running() {
	from=$(rp_running_version)
	[ -n "$from" ] || return 0
	if rp_have_systemd && ! systemctl is-active -q "$RP_UNIT"; then
		rp_log "bringing $from back up (dpkg abort path)"
		rp_svc_start || true
	fi
}

# Package removal: stop and disable; configuration and state stay.
rp_remove_stop() {
	rp_svc_stop
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
	rp_state "" "$from" ok removed
}

rp_purge() {
	rm -rf "$RP_STATE" "$RP_LOGDIR" "$RP_META" "/etc/${RP_NAME:?}"
	rmdir /var/lib/relpkg 2>/dev/null || true
	if getent passwd "$RP_USER" >/dev/null 2>&1; then
		userdel "$RP_USER" >/dev/null 2>&1 || true
	fi
	if getent group "$RP_USER" >/dev/null 2>&1; then
		groupdel "$RP_USER" >/dev/null 2>&1 || true
	fi
}

# The unit's start guard (hooks/guard.sh); filled in by the transaction work.
rp_guard() {
	return 0
}
