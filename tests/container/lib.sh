# shellcheck shell=sh
# Container helpers for the lifecycle tests: fresh Debian bookworm roots
# (tests/container/rootfs.sh builds the base once), booted with real systemd
# under systemd-nspawn, or used as a plain chroot / dpkg --root target.
#
#   . "$TOP/tests/container/lib.sh"
#   trap ct_cleanup_all EXIT          # (tests/lib.sh's skip_file exits too)
#   ct_create web || skip_file "..."  # fresh root for container "web"
#   ct_boot web                       # systemd up: running or degraded
#   ct_copy_in web "$T/app.deb" /root/app.deb
#   ct_exec web dpkg -i /root/app.deb # exit status and output of the command
#   ct_stop web                       # power off, unmount, delete
#
# Everything lives under $CT_DIR/NAME (default TOP/build/ct): root/ (the
# container's /, an overlayfs over the shared read-only base, or a full copy
# where overlayfs does not work), upper/ work/ (overlay layers), console.log
# (systemd's boot output), pid (of systemd-nspawn), leader (the container's
# PID 1 as seen from the host).
#
# Isolation: each container has its own file system, so its dpkg/rpm
# database is its own; the host's package database and (absent here) host
# systemd are never used: nspawn runs with --register=no --keep-unit, so no
# machined and no host scope unit. The network namespace is the host's:
# a service inside listening on 127.0.0.1:PORT is reachable from the host at
# the same address -- so tests running at the same time must use different
# ports, and a test must not leave a port open.
#
# NAME: lower-case letters, digits and '-', at most 32 characters; unique
# among containers alive at the same time (it is also the hostname).
#
# All functions return non-zero on failure with a message on stderr; none
# exits. Variables and helpers used here start with _ct_ / CT_.

CT_DIR=${CT_DIR:-${TOP:-$PWD}/build/ct}
CT_BOOT_TIMEOUT=${CT_BOOT_TIMEOUT:-90}    # seconds for ct_boot
CT_STOP_TIMEOUT=${CT_STOP_TIMEOUT:-30}    # seconds for a clean poweroff
CT_EXEC_TIMEOUT=${CT_EXEC_TIMEOUT:-900}   # seconds any ct_exec may run
CT_NO_OVERLAY=${CT_NO_OVERLAY:-}          # non-empty: always copy the base
CT_BASE=""                                # set by ct_base
_ct_names=""                              # containers this shell made
_ct_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

_ct_err() { echo "ct: $*" >&2; }

_ct_check_name() {
	case $1 in
	"" | -* | *[!a-z0-9-]*)
		_ct_err "bad container name '$1' (want [a-z0-9-]+)"
		return 1
		;;
	esac
	[ ${#1} -le 32 ] || { _ct_err "container name too long: $1"; return 1; }
	return 0
}

# _ct_nspawn_pid NAME: the systemd-nspawn pid of a running container.
_ct_nspawn_pid() {
	[ -f "$CT_DIR/$1/pid" ] || return 1
	_ct_p=$(cat "$CT_DIR/$1/pid") || return 1
	[ -n "$_ct_p" ] && [ "$(cat "/proc/$_ct_p/comm" 2>/dev/null)" = systemd-nspawn ] ||
		return 1
	echo "$_ct_p"
}

# _ct_cgroups NAME: the host cgroup directories NAME's nspawn starts in,
# one per hierarchy that holds processes' units (cgroup v2; or the hybrid
# layout's name=systemd and unified ones), keyed by CT_DIR and NAME so
# that containers of concurrent runs never share one.
_ct_cgroups() {
	_ct_k=$(printf '%s' "$CT_DIR" | cksum | cut -d' ' -f1)-$1
	if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
		echo "/sys/fs/cgroup/relpkg-ct/$_ct_k"
		return 0
	fi
	for _ct_h in systemd unified; do
		[ -f "/sys/fs/cgroup/$_ct_h/cgroup.procs" ] && echo "/sys/fs/cgroup/$_ct_h/relpkg-ct/$_ct_k"
	done
	return 0
}

# _ct_cg_clean DIR: remove the cgroup DIR and what a container left in it
# (deepest first; a group still emptying is waited for, up to 5 s).
_ct_cg_clean() {
	[ -d "$1" ] || return 0
	_ct_t=0
	while [ -d "$1" ] && [ $_ct_t -lt 50 ]; do
		find "$1" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$1" ] || break
		sleep 0.1
		_ct_t=$((_ct_t + 1))
	done
	return 0
}

# _ct_leader NAME: host pid of the container's PID 1 (nspawn's only child).
_ct_leader() {
	_ct_np=$(_ct_nspawn_pid "$1") || return 1
	_ct_l=$(cat "/proc/$_ct_np/task/$_ct_np/children" 2>/dev/null) || return 1
	_ct_l=${_ct_l%% *}
	[ -n "$_ct_l" ] || return 1
	echo "$_ct_l"
}

# _ct_umount_under DIR: unmount everything mounted at or below DIR, deepest
# first (paths here never hold white space, see ct_create).
_ct_umount_under() {
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r _ct_m; do
		umount "$_ct_m" 2>/dev/null || umount -l "$_ct_m" || :
	done
}

# ct_base: make sure the base root exists and is current (builds it the
# first time, ~1 minute with network; then instant). Sets CT_BASE.
ct_base() {
	[ -n "$CT_BASE" ] && return 0
	CT_BASE=$(sh "${TOP:?TOP is not set}/tests/container/rootfs.sh") || {
		CT_BASE=""
		_ct_err "building the base root failed"
		return 1
	}
}

# ct_usable: 0 if this machine can run the containers (root, nspawn, nsenter).
# Prints the reason otherwise, for skip_file.
ct_usable() {
	[ "$(id -u)" = 0 ] || { echo "needs root"; return 1; }
	for _ct_c in systemd-nspawn nsenter debootstrap mount; do
		command -v "$_ct_c" >/dev/null 2>&1 ||
			{ echo "needs $_ct_c (run .ci/deps)"; return 1; }
	done
	return 0
}

# ct_create NAME: a fresh root file system for NAME, from the base. A
# leftover container of the same name (from a killed run) is removed first.
ct_create() {
	_ct_check_name "$1" || return 1
	ct_base || return 1
	case $CT_DIR$CT_BASE in
	*[[:space:],:]*)
		_ct_err "CT_DIR and the base path must not hold spaces, ',' or ':'"
		return 1
		;;
	esac
	_ct_d=$CT_DIR/$1
	[ -e "$_ct_d" ] && { ct_stop "$1" || return 1; }
	mkdir -p "$_ct_d/root" "$_ct_d/upper" "$_ct_d/work" || return 1
	_ct_names="$_ct_names $1"
	if [ -z "$CT_NO_OVERLAY" ] && mount -t overlay overlay \
		-o "lowerdir=$CT_BASE,upperdir=$_ct_d/upper,workdir=$_ct_d/work" \
		"$_ct_d/root" 2>"$_ct_d/overlay.err"; then
		echo overlay >"$_ct_d/kind"
	else
		cp -a --reflink=auto "$CT_BASE/." "$_ct_d/root/" || {
			_ct_err "copying $CT_BASE failed"
			return 1
		}
		echo copy >"$_ct_d/kind"
	fi
	# Its own machine-id (the base has an empty one).
	od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$_ct_d/root/etc/machine-id" &&
		echo >>"$_ct_d/root/etc/machine-id"
	echo "$1" >"$_ct_d/root/etc/hostname"
}

# ct_root NAME: print the host path of NAME's root directory (for
# dpkg --root, rpm --root, or to look at files while it runs).
ct_root() { echo "$CT_DIR/$1/root"; }

# ct_boot NAME [TIMEOUT]: boot NAME with systemd as PID 1, in the
# background, and wait until `systemctl is-system-running` says running or
# degraded (degraded: the failed units are listed on stderr). On failure or
# timeout, the end of the console log is shown and the status is non-zero.
ct_boot() {
	_ct_d=$CT_DIR/$1
	[ -d "$_ct_d/root/etc" ] || { _ct_err "ct_boot $1: no such container (ct_create first)"; return 1; }
	if _ct_nspawn_pid "$1" >/dev/null; then
		_ct_err "ct_boot $1: already running"
		return 1
	fi
	# --register=no --keep-unit: do not involve systemd-machined or the
	# host's systemd; no --private-network: share the host's network.
	# nspawn starts in a cgroup of this container's own (_ct_cgroups):
	# it puts the container in a "payload" group beside its own, which
	# would otherwise be one group shared by every container on the host,
	# whose systemds then fight over the same unit groups (EXIT_CGROUP,
	# "Failed to kill control group: Input/output error").
	_ct_cgs=$(_ct_cgroups "$1")
	for _ct_g in $_ct_cgs; do
		_ct_cg_clean "$_ct_g"
		mkdir -p "$_ct_g" 2>/dev/null || :
	done
	# shellcheck disable=SC2016 # $CGS and $$ are the inner sh's
	CGS=$_ct_cgs sh -c 'for g in $CGS; do echo $$ >"$g/cgroup.procs" 2>/dev/null || :; done
		exec "$@"' sh systemd-nspawn --boot --directory="$_ct_d/root" --machine="$1" \
		--register=no --keep-unit --link-journal=no --settings=no \
		--console=read-only --resolv-conf=off --timezone=off \
		</dev/null >"$_ct_d/console.log" 2>&1 &
	echo $! >"$_ct_d/pid"
	# until the sh above has become systemd-nspawn
	_ct_i=0
	while [ "$(cat "/proc/$!/comm" 2>/dev/null)" = sh ] && [ $_ct_i -lt 100 ]; do
		sleep 0.02
		_ct_i=$((_ct_i + 1))
	done
	_ct_end=$(($(date +%s) + ${2:-$CT_BOOT_TIMEOUT}))
	_ct_state=""
	while :; do
		if ! _ct_nspawn_pid "$1" >/dev/null; then
			_ct_err "ct_boot $1: systemd-nspawn exited; console:"
			tail -n 25 "$_ct_d/console.log" >&2
			return 1
		fi
		if _ct_l=$(_ct_leader "$1"); then
			_ct_state=$(nsenter -t "$_ct_l" -a -r -w env -i PATH="$_ct_path" \
				systemctl is-system-running 2>/dev/null)
			case $_ct_state in
			running)
				echo "$_ct_l" >"$_ct_d/leader"
				return 0
				;;
			degraded)
				echo "$_ct_l" >"$_ct_d/leader"
				_ct_err "ct_boot $1: degraded; failed units:"
				nsenter -t "$_ct_l" -a -r -w env -i PATH="$_ct_path" \
					systemctl --failed --no-legend --plain >&2
				return 0
				;;
			esac
		fi
		if [ "$(date +%s)" -ge "$_ct_end" ]; then
			_ct_err "ct_boot $1: not up after ${2:-$CT_BOOT_TIMEOUT}s (state: ${_ct_state:-unknown}); console:"
			tail -n 25 "$_ct_d/console.log" >&2
			return 1
		fi
		sleep 0.2
	done
}

# ct_booted NAME: 0 if NAME is booted (nspawn and its PID 1 alive).
ct_booted() { _ct_leader "$1" >/dev/null; }

# ct_exec NAME CMD...: run CMD inside the booted NAME as a transient
# systemd service (systemd-run --wait --pipe): root, cwd /, a clean
# environment (use `env VAR=VAL CMD` to add to it), its own cgroup; stdin,
# stdout and stderr are the caller's. Returns CMD's exit status; a command
# that does not exist fails with a non-zero status as well. Processes CMD
# leaves behind are killed when it exits (start daemons with systemctl).
# Killed after CT_EXEC_TIMEOUT seconds.
ct_exec() {
	_ct_l=$(_ct_leader "$1") || { _ct_err "ct_exec $1: not booted"; return 125; }
	shift
	# systemd expands $VAR in a service's command line, and `$$` is a
	# literal `$`: double every `$` so CMD gets its arguments as given.
	for _ct_a do
		shift
		case $_ct_a in
		*'$'*) set -- "$@" "$(printf '%s\n' "$_ct_a" | sed 's/\$/$$/g')" ;;
		*) set -- "$@" "$_ct_a" ;;
		esac
	done
	# --- exit status 219 (issue 16: the t_lifecycle flake) ---
	# 219 is systemd's EXIT_CGROUP: the container's systemd could not move
	# the forked process into the transient unit's cgroup ("Failed at step
	# CGROUP spawning"), so CMD never ran.  It happens now and then on a
	# loaded host; the command is tried again (up to 3 times), never after
	# it ran.
	_ct_try=0
	while :; do
		_ct_rc=0
		nsenter -t "$_ct_l" -a -r -w env -i PATH="$_ct_path" \
			systemd-run --quiet --wait --pipe --collect --service-type=exec \
			-p RuntimeMaxSec="$CT_EXEC_TIMEOUT" -- "$@" || _ct_rc=$?
		[ "$_ct_rc" -eq 219 ] && [ "$_ct_try" -lt 3 ] || return "$_ct_rc"
		_ct_try=$((_ct_try + 1))
		_ct_err "ct_exec: systemd could not start '$1' (exit status 219, its cgroup); trying again"
		sleep 1
	done
}

# ct_sh NAME SCRIPT [ARG...]: ct_exec NAME sh -c SCRIPT sh ARG...
ct_sh() {
	_ct_n=$1 _ct_s=$2
	shift 2
	ct_exec "$_ct_n" sh -c "$_ct_s" sh "$@"
}

# ct_nsexec NAME CMD...: run CMD in NAME's namespaces directly (nsenter),
# not through its systemd: faster, works while systemd inside is busy or
# stuck, but CMD runs outside the container's cgroups with the host's
# capabilities, and its environment is PATH only. For reading state and
# copying files; use ct_exec for anything the test is about.
ct_nsexec() {
	_ct_l=$(_ct_leader "$1") || { _ct_err "ct_nsexec $1: not booted"; return 125; }
	shift
	nsenter -t "$_ct_l" -a -r -w env -i PATH="$_ct_path" HOME=/root "$@"
}

# ct_copy_in NAME HOSTPATH CTPATH: copy a file or a directory tree into
# NAME (booted or not). CTPATH names the copy; if it ends with '/', the copy
# keeps HOSTPATH's base name inside that directory. Parents are created,
# modes kept, the owner is root. A directory's contents are merged into
# CTPATH. Works for /tmp and /run too (tmpfs inside a booted container).
ct_copy_in() {
	_ct_n=$1 _ct_src=$2 _ct_dst=$3
	case $_ct_dst in
	/*) ;;
	*) _ct_err "ct_copy_in: CTPATH must be absolute: $_ct_dst"; return 1 ;;
	esac
	case $_ct_dst in */) _ct_dst=$_ct_dst$(basename "$_ct_src") ;; esac
	[ -e "$_ct_src" ] || { _ct_err "ct_copy_in: no such file: $_ct_src"; return 1; }
	if ct_booted "$_ct_n"; then
		# shellcheck disable=SC2016,SC2094 # $1 $2: the inner sh's
		if [ -d "$_ct_src" ]; then
			tar -C "$_ct_src" -cf - . | ct_nsexec "$_ct_n" sh -c \
				'mkdir -p "$1" && tar -C "$1" --no-same-owner -xpf -' sh "$_ct_dst"
		else
			ct_nsexec "$_ct_n" sh -c \
				'mkdir -p "$(dirname "$1")" && cat >"$1" && chmod "$2" "$1"' \
				sh "$_ct_dst" "$(stat -c %a "$_ct_src")" <"$_ct_src"
		fi
	else
		_ct_r=$(ct_root "$_ct_n")
		[ -d "$_ct_r/etc" ] || { _ct_err "ct_copy_in: no container $_ct_n"; return 1; }
		if [ -d "$_ct_src" ]; then
			mkdir -p "$_ct_r$_ct_dst" &&
				cp -R --preserve=mode,timestamps,links "$_ct_src/." "$_ct_r$_ct_dst/"
		else
			mkdir -p "$(dirname "$_ct_r$_ct_dst")" &&
				cp --preserve=mode,timestamps "$_ct_src" "$_ct_r$_ct_dst"
		fi
	fi
}

# ct_copy_out NAME CTPATH HOSTPATH: copy one file out of NAME (booted or not).
ct_copy_out() {
	if ct_booted "$1"; then
		ct_nsexec "$1" cat "$2" >"$3"
	else
		cp "$(ct_root "$1")$2" "$3"
	fi
}

# ct_chroot_root NAME: ct_create NAME and print its root path: a fresh copy
# of the base for tests that only need dpkg --root, rpm --root or chroot
# (nothing booted; ct_stop NAME or ct_cleanup_all removes it).
ct_chroot_root() {
	ct_create "$1" >&2 || return 1
	ct_root "$1"
}

# ct_chroot NAME CMD...: run CMD chrooted into NAME's root (not booted:
# systemd is not PID 1 there, the case where relpkg's scripts fall back to
# the release's own commands). /proc is mounted on first use; the process
# tree is the host's, so ct_stop kills whatever still runs in that root.
ct_chroot() {
	_ct_r=$(ct_root "$1")
	[ -d "$_ct_r/etc" ] || { _ct_err "ct_chroot: no container $1"; return 1; }
	shift
	mountpoint -q "$_ct_r/proc" || mount -t proc proc "$_ct_r/proc" || return 1
	chroot "$_ct_r" /usr/bin/env -i PATH="$_ct_path" HOME=/root "$@"
}

# ct_stop NAME: power NAME off (cleanly, else killed after CT_STOP_TIMEOUT
# seconds), kill anything still running in its root, unmount and delete it.
# Safe to call for a container that is not running or does not exist.
ct_stop() {
	_ct_check_name "$1" || return 1
	_ct_d=$CT_DIR/$1
	if _ct_np=$(_ct_nspawn_pid "$1"); then
		# nspawn turns SIGTERM into a clean poweroff of a booted container.
		kill -TERM "$_ct_np" 2>/dev/null
		_ct_end=$(($(date +%s) + CT_STOP_TIMEOUT))
		while _ct_nspawn_pid "$1" >/dev/null && [ "$(date +%s)" -lt "$_ct_end" ]; do
			sleep 0.1
		done
		if _ct_nspawn_pid "$1" >/dev/null; then
			_ct_err "ct_stop $1: no clean poweroff in ${CT_STOP_TIMEOUT}s, killing"
			kill -KILL "$_ct_np" 2>/dev/null
			_ct_l=$(cat "$_ct_d/leader" 2>/dev/null) && kill -KILL "$_ct_l" 2>/dev/null
			sleep 0.5
		fi
		wait "$_ct_np" 2>/dev/null
	fi
	rm -f "$_ct_d/pid" "$_ct_d/leader"
	for _ct_g in $(_ct_cgroups "$1"); do _ct_cg_clean "$_ct_g"; done
	# Processes left in the root (ct_chroot daemons).
	for _ct_p in /proc/[0-9]*; do
		case $(readlink "$_ct_p/root" 2>/dev/null) in
		"$_ct_d/root" | "$_ct_d/root/"*) kill -KILL "${_ct_p#/proc/}" 2>/dev/null ;;
		esac
	done
	_ct_umount_under "$_ct_d"
	[ -d "/run/systemd/nspawn/propagate/$1" ] &&
		rm -rf --one-file-system "/run/systemd/nspawn/propagate/$1"
	# --one-file-system: never reach through a mount that would not go away.
	if [ -e "$_ct_d" ] && ! rm -rf --one-file-system "$_ct_d"; then
		_ct_err "ct_stop $1: could not remove $_ct_d"
		return 1
	fi
	_ct_rest=""
	for _ct_x in $_ct_names; do
		[ "$_ct_x" = "$1" ] || _ct_rest="$_ct_rest $_ct_x"
	done
	_ct_names=$_ct_rest
	return 0
}

# ct_cleanup_all: ct_stop every container this shell created. Never fails,
# so it can be the EXIT trap (`trap ct_cleanup_all EXIT`).
ct_cleanup_all() {
	for _ct_y in $_ct_names; do
		ct_stop "$_ct_y" || :
	done
	return 0
}

# ct_cleanup_stale: ct_stop every container under CT_DIR, also those left by
# killed runs. Only when no other test run uses CT_DIR.
ct_cleanup_stale() {
	[ -d "$CT_DIR" ] || return 0
	for _ct_z in "$CT_DIR"/*; do
		[ -d "$_ct_z" ] && { ct_stop "${_ct_z##*/}" || :; }
	done
	return 0
}

# ct_port_free PORT: nothing listens on 127.0.0.1:PORT (the containers share
# the host's network, so this is the host's loopback too).
ct_port_free() {
	python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# ct_http_get PORT [TRIES]: the body of http://127.0.0.1:PORT/, retried every
# 0.1 s while refused (TRIES, default 100); empty output and status 1 if none.
ct_http_get() {
	python3 - "$1" "${2:-100}" <<'PY'
import sys, time, urllib.request
for i in range(int(sys.argv[2])):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=1) as r:
            print(r.read().decode().strip()); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# ct_tcp_line PORT: the first line a server on 127.0.0.1:PORT sends (a BEAM
# fixture's "NAME VSN"), retried every 0.1 s for 10 s; status 1 if none.
ct_tcp_line() {
	python3 - "$1" <<'PY'
import socket, sys, time
for i in range(100):
    try:
        with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
            data = s.recv(100).decode().strip()
            if data:
                print(data); sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
PY
}

# ---- faults: power-off, small file systems, named transient units ----------
# (tests/t_faults.sh; nothing above depends on these.)

# ct_exec_unit NAME UNIT CMD...: ct_exec, but as the transient service UNIT
# (so that the test can find and kill its processes: `systemctl kill UNIT`,
# or its MainPID) and with KillMode=process: when CMD itself dies, what it
# started lives on, as after a `kill -9` of a command in a login shell.
ct_exec_unit() {
	_ct_l=$(_ct_leader "$1") || { _ct_err "ct_exec_unit $1: not booted"; return 125; }
	_ct_u=$2
	shift 2
	for _ct_a do
		shift
		case $_ct_a in
		*'$'*) set -- "$@" "$(printf '%s\n' "$_ct_a" | sed 's/\$/$$/g')" ;;
		*) set -- "$@" "$_ct_a" ;;
		esac
	done
	nsenter -t "$_ct_l" -a -r -w env -i PATH="$_ct_path" \
		systemd-run --quiet --wait --pipe --collect --service-type=exec \
		--unit="$_ct_u" -p KillMode=process \
		-p RuntimeMaxSec="$CT_EXEC_TIMEOUT" -- "$@"
}

# ct_unit_procs NAME UNIT: print the pids (the container's) still in UNIT's
# cgroup, one a line; nothing when it is empty or gone. (cgroup v2, or the
# hybrid layout's unified / name=systemd hierarchy.)
ct_unit_procs() {
	# shellcheck disable=SC2016 # $1: the inner sh's
	ct_nsexec "$1" sh -c 'for h in "" /unified /systemd; do
		f=/sys/fs/cgroup$h/system.slice/$1.service/cgroup.procs
		[ -r "$f" ] && { cat "$f"; exit 0; }
	done; :' sh "$2"
}

# ct_poweroff NAME: pull the plug: SIGKILL to the container's PID 1 (every
# process inside dies with it, no unit stops, nothing is synced by it) and
# wait until systemd-nspawn has exited. The root, and mounts made by
# ct_loopfs / ct_bind, stay: ct_boot boots it again.
ct_poweroff() {
	_ct_d=$CT_DIR/$1
	_ct_np=$(_ct_nspawn_pid "$1") || { _ct_err "ct_poweroff $1: not running"; return 1; }
	_ct_l=$(_ct_leader "$1") || _ct_l=$(cat "$_ct_d/leader" 2>/dev/null) || _ct_l=
	[ -n "$_ct_l" ] && kill -KILL "$_ct_l" 2>/dev/null
	_ct_end=$(($(date +%s) + CT_STOP_TIMEOUT))
	# a zombie child of this shell still has comm systemd-nspawn: look at its state
	while [ -e "/proc/$_ct_np" ] && [ "$(cut -d' ' -f3 "/proc/$_ct_np/stat" 2>/dev/null)" != Z ]; do
		if [ "$(date +%s)" -ge "$_ct_end" ]; then
			_ct_err "ct_poweroff $1: systemd-nspawn still there after ${CT_STOP_TIMEOUT}s, killing it"
			kill -KILL "$_ct_np" 2>/dev/null
			sleep 0.5
			break
		fi
		sleep 0.05
	done
	wait "$_ct_np" 2>/dev/null
	rm -f "$_ct_d/pid" "$_ct_d/leader"
	return 0
}

# ct_reboot NAME [TIMEOUT]: ct_poweroff (if it runs), then ct_boot.
ct_reboot() {
	if ct_booted "$1"; then
		ct_poweroff "$1" || return 1
	fi
	ct_boot "$@"
}

# ct_bind NAME HOSTDIR CTDIR [ro]: before ct_boot, bind-mount HOSTDIR at
# CTDIR in NAME's root (on the host: it stays across ct_poweroff/ct_boot;
# ct_stop unmounts it). "ro": read-only inside.
ct_bind() {
	_ct_r=$(ct_root "$1")
	[ -d "$_ct_r/etc" ] || { _ct_err "ct_bind: no container $1"; return 1; }
	if ct_booted "$1"; then
		_ct_err "ct_bind $1: before ct_boot only"
		return 1
	fi
	mkdir -p "$_ct_r$3" || return 1
	mount --bind "$2" "$_ct_r$3" || return 1
	if [ "${4:-}" = ro ]; then
		mount -o remount,bind,ro "$_ct_r$3" || return 1
	fi
}

# ct_loopfs NAME SIZE_MB CTDIR...: before ct_boot, a small file system for
# NAME: a sparse file-backed ext4 ($CT_DIR/NAME/loopfs.img, no reserved
# blocks) loop-mounted on the host at $CT_DIR/NAME/loopfs, and each CTDIR
# (e.g. /opt) bind-mounted from a directory of it, so that they all share its
# SIZE_MB and fill up together. Survives ct_poweroff/ct_boot like the root
# does; ct_stop unmounts it (the loop device goes with the last unmount).
ct_loopfs() {
	_ct_n=$1 _ct_d=$CT_DIR/$1 _ct_sz=$2
	[ -d "$_ct_d/root/etc" ] || { _ct_err "ct_loopfs: no container $1"; return 1; }
	shift 2
	command -v mkfs.ext4 >/dev/null 2>&1 || { _ct_err "ct_loopfs: needs mkfs.ext4"; return 1; }
	rm -f "$_ct_d/loopfs.img"
	truncate -s "${_ct_sz}M" "$_ct_d/loopfs.img" &&
		mkfs.ext4 -q -F -m 0 -E lazy_itable_init=0,lazy_journal_init=0 "$_ct_d/loopfs.img" ||
		return 1
	mkdir -p "$_ct_d/loopfs" &&
		mount -o loop "$_ct_d/loopfs.img" "$_ct_d/loopfs" || return 1
	for _ct_c do
		_ct_s=$(printf '%s' "$_ct_c" | tr / _)
		mkdir -p "$_ct_d/loopfs/$_ct_s" && chmod 0755 "$_ct_d/loopfs/$_ct_s" &&
			ct_bind "$_ct_n" "$_ct_d/loopfs/$_ct_s" "$_ct_c" || return 1
	done
}

# ct_loopfs_fill NAME: fill NAME's loopfs up (the file .filler at its root):
# from now on writes there fail with ENOSPC. ct_loopfs_free NAME removes it.
ct_loopfs_fill() {
	_ct_f=$CT_DIR/$1/loopfs
	mountpoint -q "$_ct_f" || { _ct_err "ct_loopfs_fill $1: no loopfs"; return 1; }
	_ct_av=$(df -B1 --output=avail "$_ct_f" | tail -n 1)
	_ct_av=$((_ct_av - 1048576))
	[ "$_ct_av" -gt 0 ] && fallocate -l "$_ct_av" "$_ct_f/.filler" 2>/dev/null
	dd if=/dev/zero of="$_ct_f/.filler2" bs=4096 2>/dev/null
	return 0
}

ct_loopfs_free() {
	rm -f "$CT_DIR/$1/loopfs/.filler" "$CT_DIR/$1/loopfs/.filler2"
}

# ct_loopfs_avail NAME: free bytes on NAME's loopfs.
ct_loopfs_avail() { df -B1 --output=avail "$CT_DIR/$1/loopfs" | tail -n 1 | tr -d ' '; }

# ct_hostpath NAME CTPATH: the host path of CTPATH as the booted NAME sees
# it (through its PID 1's root: its own mounts, /run included), for polling
# a file from the host without entering the container.
ct_hostpath() {
	_ct_l=$(_ct_leader "$1") || { _ct_err "ct_hostpath $1: not booted"; return 1; }
	echo "/proc/$_ct_l/root$2"
}

# ---- the service's sandbox, seen from inside (t_sandbox.sh, t_userattack.sh)

# ct_unit_pid NAME UNIT: the MainPID of UNIT inside NAME (its pid namespace);
# status 1 and no output if the unit has no main process.
ct_unit_pid() {
	_ct_mp=$(ct_nsexec "$1" systemctl show -p MainPID --value "$2" 2>/dev/null) || return 1
	[ -n "$_ct_mp" ] && [ "$_ct_mp" != 0 ] || return 1
	echo "$_ct_mp"
}

# ct_as_unit_user NAME UNIT USER CMD...: run CMD as USER (its uid, its
# groups, no capabilities, no_new_privs) inside UNIT's mount namespace --
# where the service itself runs, with its ProtectSystem= view of the file
# system. If UNIT has no main process, CMD runs as USER in NAME's own
# namespaces instead (and ct_as_unit_user says so on stderr). Returns CMD's
# status.
ct_as_unit_user() {
	_ct_n=$1 _ct_u=$2 _ct_usr=$3
	shift 3
	if _ct_up=$(ct_unit_pid "$_ct_n" "$_ct_u"); then
		set -- nsenter -t "$_ct_up" -m -- setpriv --reuid="$_ct_usr" --regid="$_ct_usr" \
			--init-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
	else
		echo "ct: $_ct_u is not running: as $_ct_usr outside its sandbox" >&2
		set -- setpriv --reuid="$_ct_usr" --regid="$_ct_usr" \
			--init-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
	fi
	ct_nsexec "$_ct_n" "$@"
}

# ct_exposure NAME UNIT: the overall exposure `systemd-analyze security UNIT`
# gives inside NAME (a number, 0.0 .. 10.0); status 1 if there is none.
ct_exposure() {
	ct_nsexec "$1" systemd-analyze security --no-pager "$2" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' | grep .
}

# ct_fs_snapshot NAME DIR...: one line per file system object under the
# DIRs inside NAME (not crossing mounts), sorted:
#   PATH <TAB> UID:GID <TAB> MODE <TAB> TYPE <TAB> CONTENT
# CONTENT: the sha256 of a regular file under /etc, /opt or /var, a
# symlink's target ("-> TARGET"), else "-". For comparing a container
# before and after something ran as root.
ct_fs_snapshot() {
	_ct_n=$1
	shift
	# shellcheck disable=SC2016 # $1.. are the inner sh's
	ct_nsexec "$_ct_n" sh -c '
		{
			for d do
				case $d in /etc* | /opt* | /var*)
					find "$d" -xdev -type f -exec sha256sum {} + 2>/dev/null |
						sed "s/^\([0-9a-f]*\)  /S\t\1\t/" ;;
				esac
			done
			find "$@" -xdev -printf "M\t%p\t%U:%G\t%m\t%y\t%l\n" 2>/dev/null
		} | awk -F "\t" "
			\$1 == \"S\" { sha[\$3] = \$2; next }
			{ c = \$5 == \"l\" ? \"-> \" \$6 : (\$2 in sha ? sha[\$2] : \"-\")
			  print \$2 \"\t\" \$3 \"\t\" \$4 \"\t\" \$5 \"\t\" c }" | LC_ALL=C sort' sh "$@"
}
