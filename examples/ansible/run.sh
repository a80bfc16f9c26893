#!/bin/sh
# The Ansible fleet example, end to end, on this machine (as root):
#
#   sh examples/ansible/run.sh          (or: make ansible-example)
#
# 1. builds three versions of a small HTTP app (tests/lifecycle/mkapp.sh)
#    with relpkg: 1.0, 2.0 and 3.0, which is broken (/health answers 500);
# 2. makes a release store of them with `relpkg repo add`;
# 3. boots one container per host of inventory.ini (tests/container/lib.sh:
#    Debian 12, systemd, sharing this machine's network), each with sshd on
#    its own loopback port, and points apt (deb hosts) or dnf (rpm hosts) at
#    the store; the rpm hosts also get relpkg, so rollback.yml uses
#    `relpkg rollback` there and apt plus a templated pin on the deb hosts;
# 4. runs the playbooks and checks every host's answer after each step:
#      deploy.yml 1.0, deploy.yml 2.0 (one host after the other), 2.0 again
#      (changes nothing), deploy.yml 3.0 (the first host fails its health
#      check and goes back to 2.0; the rollout stops before the second),
#      rollback.yml 1.0 (pinned: apt/dnf upgrade keep it), deploy.yml 2.0
#      (lifts the pin).
#
# Prints "ok - CHECK" / "FAIL - CHECK" lines (tests/t_ansible.sh counts
# them), notes as "# ...", and a summary. Exit status: 0 all checks passed,
# 1 a check failed, 77 cannot run here ("skip - WHY"). The containers are
# always removed; the work directory (logs of every ansible-playbook run) is
# kept when a check failed.
#
# Environment: RELPKG (default TOP/build/relpkg), RELPKG_IN_CT (the binary
# copied into the rpm hosts, default the same), RELPKG_ANSIBLE_WORK (work
# directory, default a new one under TMPDIR).
set -u

here=$(cd "$(dirname "$0")" && pwd)
TOP=${TOP:-$(cd "$here/../.." && pwd)}
RELPKG=${RELPKG:-$TOP/build/relpkg}
RELPKG_IN_CT=${RELPKG_IN_CT:-$TOP/build/relpkg}
INV=$here/inventory.ini
start=$(date +%s)

nok=0 nfail=0
ok() { nok=$((nok + 1)); printf 'ok - %s\n' "$1"; }
bad() {
	nfail=$((nfail + 1))
	printf 'FAIL - %s\n' "$1"
	shift
	for _l in "$@"; do printf '%s\n' "$_l"; done | head -n 60 | sed 's/^/    /'
}
note() { for _l in "$@"; do printf '%s\n' "$_l" | sed 's/^/# /'; done; }
skip_all() {
	printf 'skip - %s\n' "$1"
	exit 77
}
# expect DESC GOT WANT
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got:  $2" "want: $3"; fi
}

# ---- can it run here? --------------------------------------------------------
[ "$(id -u)" = 0 ] || skip_all "needs root (containers)"
for c in ansible-playbook ansible-inventory ssh ssh-keygen python3; do
	command -v "$c" >/dev/null 2>&1 || skip_all "needs $c (sh .ci/deps installs ansible)"
done
[ -x "$RELPKG" ] || skip_all "no relpkg binary at $RELPKG (run make)"
# shellcheck disable=SC1091 # lib.sh is read at run time
. "$TOP/tests/container/lib.sh"
why=$(ct_usable) || skip_all "$why"

if [ -n "${RELPKG_ANSIBLE_WORK:-}" ]; then
	W=$RELPKG_ANSIBLE_WORK
	mkdir -p "$W" || exit 1
else
	W=$(mktemp -d "${TMPDIR:-/tmp}/relpkg-ansible.XXXXXX") || exit 1
fi
W=$(cd "$W" && pwd)
cleanup() {
	ct_cleanup_all
	if [ "$nfail" -gt 0 ]; then
		echo "# logs kept in $W"
	elif [ -z "${RELPKG_ANSIBLE_WORK:-}" ]; then
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- the fleet, from the inventory: HOST FORMAT SSH-PORT APP-PORT ------------
ansible-inventory -i "$INV" --list >"$W/inventory.json" 2>"$W/inventory.err" ||
	{ cat "$W/inventory.err"; exit 1; }
hosts=$(python3 - "$W/inventory.json" <<'PY'
import json, sys
inv = json.load(open(sys.argv[1]))
hv = inv["_meta"]["hostvars"]
def members(g):
    out = list(inv.get(g, {}).get("hosts", []))
    for c in inv.get(g, {}).get("children", []):
        out += [h for h in members(c) if h not in out]
    return out
for h in members("fleet"):
    v = hv[h]
    print(h, v["pkg_format"], v["ansible_port"], v["app_port"], v["app"])
PY
) || exit 1
[ -n "$hosts" ] || { echo "no hosts in $INV" >&2; exit 1; }
APP=$(printf '%s\n' "$hosts" | awk 'NR == 1 { print $5 }')
note "fleet ($INV): $(printf '%s\n' "$hosts" | awk '{ printf "%s%s (%s, ssh %s, app %s)", (NR > 1 ? ", " : ""), $1, $2, $3, $4 }')"
names=$(printf '%s\n' "$hosts" | awk '{ print $1 }')
# hv HOST N: field N of HOST's line (2 format, 3 ssh port, 4 app port)
hv() { printf '%s\n' "$hosts" | awk -v h="$1" -v n="$2" '$1 == h { print $n }'; }
# each host: container ans-HOST
ct() { echo "ans-$1"; }

# Nothing may listen on the ports yet (the containers share this network).
for p in $(printf '%s\n' "$hosts" | awk '{ print $3, $4 }'); do
	if python3 -c 'import socket, sys; s = socket.socket(); s.settimeout(0.5); sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$p"; then
		skip_all "port $p on 127.0.0.1 is already in use"
	fi
done

# all_answer STEP WANT: one check per host, and a line of the summary
all_answer() {
	_all=""
	for _h in $names; do
		_got=$(ct_http_get "$(hv "$_h" 4)" 30 || :)
		expect "$1: $_h answers $2" "$_got" "$2"
		_all="$_all $_h=${_got:-nothing}"
	done
	summary="$summary
$(printf '%-26s' "$1")$_all"
}
# events HOST: the app's events.log there
events() { cat "$(ct_root "$(ct "$1")")/var/lib/$APP/events.log" 2>/dev/null; }
# event_time HOST WHAT VERSION: time of the last "WHAT VERSION" event
event_time() { events "$1" | awk -v w="$2" -v v="$3" '$2 == w && $3 == v { t = $1 } END { print t }'; }
summary=""

# ---- 1. three versions, one store --------------------------------------------
t0=$(date +%s)
export SOURCE_DATE_EPOCH=1700000000
for spec in 1.0: 2.0: 3.0:health; do
	v=${spec%%:*} broken=${spec#*:}
	if MKAPP_PORT=18630 sh "$TOP/tests/lifecycle/mkapp.sh" "$W/src" "$APP" "$v" 1 "$broken" >/dev/null 2>"$W/mkapp.err" &&
		"$RELPKG" build "$W/src/$APP-$v.tar.gz" --out "$W/pk" --quiet \
			--maintainer 'Fleet example <ops@example.org>' >"$W/build.log" 2>&1; then
		ok "relpkg build $APP $v${broken:+ (broken: /health answers 500)}"
	else
		bad "relpkg build $APP $v" "$(cat "$W/mkapp.err" "$W/build.log")"
		exit 1
	fi
done
if "$RELPKG" repo add "$W/store" "$W/pk"/*.deb "$W/pk"/*.rpm >"$W/repo.log" 2>&1; then
	ok "relpkg repo add: one store, 3 versions, deb and rpm"
else
	bad "relpkg repo add" "$(cat "$W/repo.log")"
	exit 1
fi
note "built and stored in $(($(date +%s) - t0)) s"

# ---- 2. the hosts: containers with sshd, pointed at the store -------------------
t0=$(date +%s)
ssh-keygen -q -t ed25519 -N '' -C relpkg-ansible-example -f "$W/id_ed25519" || exit 1
cp "$W/id_ed25519.pub" "$W/authorized_keys" && chmod 600 "$W/authorized_keys"
echo 'deb [trusted=yes] file:/srv/store ./' >"$W/store.list"
printf '[store]\nname=release store\nbaseurl=file:///srv/store\ngpgcheck=0\nenabled=1\nmetadata_expire=0\n' >"$W/store.repo"
for h in $names; do
	c=$(ct "$h") fmt=$(hv "$h" 2) sp=$(hv "$h" 3)
	if ! ct_create "$c" >"$W/ct-$h.log" 2>&1; then
		bad "container $c" "$(cat "$W/ct-$h.log")"
		exit 1
	fi
	printf 'Port %s\nListenAddress 127.0.0.1\nPasswordAuthentication no\nPermitRootLogin prohibit-password\n' \
		"$sp" >"$W/sshd-$h.conf"
	ct_copy_in "$c" "$W/sshd-$h.conf" /etc/ssh/sshd_config.d/relpkg-example.conf &&
		ct_copy_in "$c" "$W/authorized_keys" /root/.ssh/authorized_keys &&
		ct_copy_in "$c" "$W/store" /srv/store || exit 1
	case $fmt in
	deb) ct_copy_in "$c" "$W/store.list" /etc/apt/sources.list.d/store.list ;;
	rpm)
		ct_copy_in "$c" "$W/store.repo" /etc/yum.repos.d/store.repo &&
			ct_copy_in "$c" "$RELPKG_IN_CT" /usr/local/bin/relpkg
		;;
	esac || exit 1
	if ! ct_boot "$c" >>"$W/ct-$h.log" 2>&1; then
		bad "container $c boots" "$(cat "$W/ct-$h.log")"
		exit 1
	fi
	if ct_sh "$c" 'ssh-keygen -A >/dev/null && systemctl enable --now ssh.service' >>"$W/ct-$h.log" 2>&1; then
		ok "$h: container $c booted, sshd on 127.0.0.1:$sp"
	else
		bad "$h: sshd starts in $c" "$(cat "$W/ct-$h.log")"
		exit 1
	fi
done
note "containers up in $(($(date +%s) - t0)) s"

# ---- 3. the playbooks ---------------------------------------------------------
export ANSIBLE_CONFIG="$here/ansible.cfg"
export ANSIBLE_PRIVATE_KEY_FILE="$W/id_ed25519"
export ANSIBLE_SSH_CONTROL_PATH_DIR="$W/cp"
export ANSIBLE_LOCAL_TEMP="$W/ansible-tmp"
export ANSIBLE_NOCOLOR=1
run=0
# play NAME ARGS...: ansible-playbook, output to $W/NN-NAME.log; sets $log, returns its status
play() {
	run=$((run + 1))
	log=$W/$(printf '%02d' "$run")-$1.log
	_t=$(date +%s)
	_rc=0
	_pb=$1
	shift
	ansible-playbook -i "$INV" "$here/$_pb" "$@" >"$log" 2>&1 || _rc=$?
	note "ansible-playbook $_pb $*: status $_rc, $(($(date +%s) - _t)) s (log: $log)"
	return "$_rc"
}
# recap HOST: "ok=N changed=N ..." of the last play's recap
recap() { sed -n "s/^$1 *: //p" "$log" | tr -s ' '; }

if ansible fleet -i "$INV" -m ansible.builtin.ping >"$W/ping.log" 2>&1; then
	ok "ansible reaches every host over ssh"
else
	bad "ansible reaches every host over ssh" "$(cat "$W/ping.log")"
	exit 1
fi

# deploy 1.0: a first install everywhere
if play deploy.yml -e version=1.0; then ok "deploy.yml 1.0"; else bad "deploy.yml 1.0" "$(tail -n 40 "$log")"; fi
all_answer "deploy 1.0" 1.0
# shellcheck disable=SC2086 # one word per host
set -- $names
first=$1 second=$2
for h in $names; do
	fmt=$(hv "$h" 2)
	# shellcheck disable=SC2016 # a dpkg-query format
	case $fmt in
	deb) v=$(ct_exec "$(ct "$h")" dpkg-query -W -f='${Version}' "$APP" 2>&1) ;;
	rpm) v=$(ct_exec "$(ct "$h")" rpm -q --qf '%{VERSION}-%{RELEASE}' "$APP" 2>&1) ;;
	esac
	expect "$h: $fmt package $APP 1.0-1 installed (by $([ "$fmt" = deb ] && echo apt || echo dnf))" "$v" 1.0-1
done

# deploy 2.0: one host after the other
if play deploy.yml -e version=2.0; then ok "deploy.yml 2.0"; else bad "deploy.yml 2.0" "$(tail -n 40 "$log")"; fi
all_answer "deploy 2.0" 2.0
up1=$(event_time "$first" start 2.0)
down2=$(event_time "$second" stop 1.0)
if [ -n "$up1" ] && [ -n "$down2" ] && python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$up1" "$down2"; then
	ok "one at a time: $second stopped 1.0 only after $first ran 2.0 ($up1 < $down2)"
else
	bad "one at a time: $second stopped 1.0 only after $first ran 2.0" \
		"$first:" "$(events "$first")" "$second:" "$(events "$second")"
fi
# the health checks ran on the first host before the second was touched
order=$(awk -v a="[$first]" -v b="[$second]" -v app="$APP" '
	/^TASK \[/ { task = $0; next }
	index(task, "[" app " is healthy]") && /^ok:/ && index($0, a) && !h1 { h1 = NR }
	(index(task, "[apt: ") || index(task, "[dnf: ")) && index($0, b) && !i2 { i2 = NR }
	END { print (h1 && i2 && h1 < i2) ? "yes" : "no" }' "$log")
expect "the playbook saw $first healthy before it touched $second" "$order" yes

# the same again: nothing to do
n1=$(events "$first" | wc -l) n2=$(events "$second" | wc -l)
if play deploy.yml -e version=2.0; then ok "deploy.yml 2.0 again"; else bad "deploy.yml 2.0 again" "$(tail -n 40 "$log")"; fi
changed=$(for h in $first $second; do recap "$h"; done | grep -o 'changed=[0-9]*' | tr '\n' ' ')
expect "deploying 2.0 again changes nothing" "$changed" "changed=0 changed=0 "
expect "deploying 2.0 again restarts nothing" "$(events "$first" | wc -l) $(events "$second" | wc -l)" "$n1 $n2"

# deploy 3.0 (unhealthy): the first host fails, goes back, the rollout stops
if play deploy.yml -e version=3.0 -e health_retries=5; then
	bad "deploy.yml 3.0 fails (its /health answers 500)" "$(tail -n 40 "$log")"
else
	ok "deploy.yml 3.0 fails (its /health answers 500)"
fi
all_answer "deploy 3.0 (broken)" 2.0
expect "$first ran 3.0 before going back" "$(events "$first" | awk '$2 == "start" && $3 == "3.0"' | wc -l | tr -d ' ')" 1
expect "$second never ran 3.0: the rollout stopped" "$(events "$second" | awk '$3 == "3.0"' | wc -l | tr -d ' ')" 0
if grep -q 'did not become healthy' "$log"; then ok "the failure names the host and the unhealthy version"; else bad "the failure names the host and the unhealthy version" "$(tail -n 30 "$log")"; fi

# rollback 1.0, pinned
if play rollback.yml -e version=1.0; then ok "rollback.yml 1.0"; else bad "rollback.yml 1.0" "$(tail -n 40 "$log")"; fi
all_answer "rollback 1.0" 1.0
for h in $names; do
	c=$(ct "$h") fmt=$(hv "$h" 2)
	case $fmt in
	deb)
		if grep -q 'TASK \[apt: pin' "$log" && ct_exec "$c" grep -qx "Pin: version 1.0-\*" "/etc/apt/preferences.d/relpkg-$APP.pref"; then
			ok "$h: apt and Ansible's pin (relpkg's format)"
		else
			bad "$h: apt and Ansible's pin" "$(ct_exec "$c" sh -c "cat /etc/apt/preferences.d/relpkg-$APP.pref" 2>&1)"
		fi
		ct_sh "$c" 'apt-get -q update && apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade' >"$W/upgrade-$h.log" 2>&1 ||
			bad "$h: apt-get upgrade runs" "$(cat "$W/upgrade-$h.log")"
		;;
	rpm)
		if ! ct_exec "$c" relpkg --version >"$W/relpkg-$h.log" 2>&1; then
			note "relpkg does not run in $c: rollback.yml used dnf there" "$(cat "$W/relpkg-$h.log")"
			if ct_exec "$c" grep -qx "$APP-0:1.0-\*.\*" /etc/dnf/plugins/versionlock.list; then
				ok "$h: dnf and Ansible's pin (relpkg's format)"
			else
				bad "$h: dnf and Ansible's pin" "$(ct_exec "$c" cat /etc/dnf/plugins/versionlock.list 2>&1)"
			fi
		elif ct_exec "$c" relpkg history "$APP" 2>&1 | grep -Eq '^.*2\.0 +1\.0 +ok' &&
			ct_exec "$c" grep -qx "# relpkg pin $APP" /etc/dnf/plugins/versionlock.list; then
			ok "$h: relpkg rollback (journal: 2.0 -> 1.0) and its pin"
		else
			bad "$h: relpkg rollback and its pin" "$(ct_exec "$c" relpkg history "$APP" 2>&1)" \
				"$(ct_exec "$c" cat /etc/dnf/plugins/versionlock.list 2>&1)"
		fi
		ct_exec "$c" dnf -y -q upgrade >"$W/upgrade-$h.log" 2>&1 ||
			bad "$h: dnf upgrade runs" "$(cat "$W/upgrade-$h.log")"
		;;
	esac
done
all_answer "apt/dnf upgrade (pinned)" 1.0

# deploy 2.0: an explicit deploy lifts the pin
if play deploy.yml -e version=2.0; then ok "deploy.yml 2.0 after the rollback"; else bad "deploy.yml 2.0 after the rollback" "$(tail -n 40 "$log")"; fi
all_answer "deploy 2.0 (pin lifted)" 2.0
pins=$(for h in $first $second; do
	r=$(ct_root "$(ct "$h")")
	cat "$r/etc/apt/preferences.d/relpkg-$APP.pref" 2>/dev/null
	grep "$APP" "$r/etc/dnf/plugins/versionlock.list" 2>/dev/null
done)
expect "no pin left" "$pins" ""

# ---- summary -----------------------------------------------------------------
echo "# ----"
echo "# step                         answers"
printf '%s\n' "$summary" | sed '/^$/d; s/^/# /'
echo "# $nok ok, $nfail failed, $(($(date +%s) - start)) s"
[ "$nfail" -eq 0 ]
