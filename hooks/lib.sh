# relpkg maintainer-script library, embedded into every generated script.
# POSIX sh.  The tokens (a NAME between at-signs) are replaced at build time with shell-quoted
# values; nothing of relpkg is needed on the server.
# shellcheck shell=sh

# Some values are for the lifecycle steps and for diagnostics.
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
}

RP_BASE="/opt/$RP_NAME"
RP_STATE="/var/lib/$RP_NAME"
RP_LOGDIR="/var/log/$RP_NAME"
RP_META="/var/lib/relpkg/$RP_NAME"
RP_UNIT="$RP_NAME.service"

rp_log() {
	echo "relpkg($RP_NAME $RP_VERSION): $*" >&2
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

rp_journal() {
	# time from to result detail
	mkdir -p "$RP_META"
	printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" "$3" "${4:-}" \
		>>"$RP_META/journal"
}

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
	mkdir -p "$RP_META"
}

# Points current at this version: a new link renamed over the old one.
rp_switch() {
	ln -sfn "releases/$RP_VERSION" "$RP_BASE/current.relpkg-new"
	mv -Tf "$RP_BASE/current.relpkg-new" "$RP_BASE/current"
}

rp_run_as_user() {
	if command -v runuser >/dev/null 2>&1; then
		runuser -u "$RP_USER" -- /bin/sh -c "$1"
	else
		su -s /bin/sh -c "$1" "$RP_USER"
	fi
}

rp_start() {
	if rp_have_systemd; then
		systemctl daemon-reload || true
		systemctl enable "$RP_UNIT" >/dev/null 2>&1 || true
		rp_start_allowed || return 0
		systemctl restart "$RP_UNIT"
	else
		rp_start_allowed || return 0
		if [ -n "$RP_DAEMON_CMD" ]; then
			rp_log "systemd is not running (container or chroot): starting with '$RP_DAEMON_CMD'"
			(cd "$RP_STATE" && rp_run_as_user "set -a; [ -r /etc/$RP_NAME/$RP_NAME.env ] && . /etc/$RP_NAME/$RP_NAME.env; set +a; exec $RP_DAEMON_CMD") ||
				rp_log "could not start without systemd"
		else
			rp_log "systemd is not running and the release has no daemon command: not started"
		fi
	fi
}

rp_stop() {
	if rp_have_systemd; then
		systemctl stop "$RP_UNIT" 2>/dev/null || true
	elif [ -n "$RP_STOP_CMD" ] && [ -e "$RP_BASE/current" ]; then
		rp_log "systemd is not running: stopping with '$RP_STOP_CMD'"
		rp_run_as_user "$RP_STOP_CMD" >/dev/null 2>&1 || true
	fi
}

rp_disable() {
	if rp_have_systemd; then
		systemctl disable "$RP_UNIT" >/dev/null 2>&1 || true
	fi
}

# Fresh install or upgrade: the version this package carries becomes current.
rp_configure() {
	from="$1"
	rp_create_user
	rp_make_dirs
	if [ -n "$from" ]; then
		rp_stop
	fi
	rp_switch
	rp_start
	rp_journal "${from:--}" "$RP_VERSION" ok "${2:-install}"
}

# Package removal: stop and disable; configuration and state stay.
rp_remove_stop() {
	rp_stop
	rp_disable
}

rp_remove_cleanup() {
	if [ "$(readlink "$RP_BASE/current" 2>/dev/null)" = "releases/$RP_VERSION" ]; then
		rm -f "$RP_BASE/current"
	fi
	rmdir "$RP_BASE/releases" "$RP_BASE" 2>/dev/null || true
	if rp_have_systemd; then
		systemctl daemon-reload || true
	fi
	rp_journal "$RP_VERSION" - ok remove
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
