# t_sandbox.sh: the unit's sandbox (issue 11), with the generic test app
# (tests/lifecycle/mkapp.sh), a real rebar3 release and a real mix release,
# installed in one container booted with systemd (.deb for the first two,
# .rpm for the mix release): each answers; `systemd-analyze security` rates
# its unit <= 4.0; from inside the running unit's sandbox the service user
# can write nothing under /opt/NAME, /etc/NAME, /var/lib/relpkg; the env
# file and the cookie files are not world-readable; the migration and the
# health command the scripts run are confined like the service.  Then the
# env file after upgrading from packages built by the previous relpkg
# (tests/fixtures/proto-v1), with a local edit, for .deb and .rpm.
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd systemd-nspawn nsenter debootstrap python3
need_relpkg
[ "$(id -u)" = 0 ] || skip_file "needs root (mounts, systemd-nspawn)"
. "$TOP/tests/container/lib.sh"
trap ct_cleanup_all EXIT
export SOURCE_DATE_EPOCH=1700000000

# free_port FROM: the first port >= FROM nothing listens on
free_port() {
	_p=$1
	while ! ct_port_free "$_p"; do _p=$((_p + 1)); done
	echo "$_p"
}
P1=$(free_port 18540)
P2=$(free_port $((P1 + 1)))
P3=$(free_port $((P2 + 1)))

# --- the packages -------------------------------------------------------------
# The generic app's migration and health command record how they ran; no '${'
# in the migration: what it checks is the sandbox, not the quoting (the health
# command checks that a ${VAR} reaches the shell as written).
MPROBE='bin/migrate up && { id -un; grep -E "^(NoNewPrivs|Seccomp|CapBnd):" /proc/self/status; grep -qE "^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / ro[, ]" /proc/self/mountinfo && echo "/ is read-only" || echo "/ is writable"; for d in /opt/sbx /etc/sbx /var/lib/relpkg; do (: >"$d/sbx-probe") 2>/dev/null && echo "wrote $d" || echo "cannot write $d"; done; } >/var/lib/sbx/migrate-probe.txt 2>&1'
HPROBE="h=ok; { echo \"braces=\${h}\"; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status; } >/var/lib/sbx/health-probe.txt 2>&1; curl -fsS -o /dev/null http://127.0.0.1:$P1/health"
mkdir -p "$T/pkgs"
MKAPP_PORT=$P1 sh "$TOP/tests/lifecycle/mkapp.sh" "$T" sbx 1.0 1 >/dev/null
check "build the generic app (migration and health command probe their sandbox)" \
	"$RELPKG" build "$T/sbx-1.0.tar.gz" --out "$T/pkgs" --quiet --format deb \
	--schema-version 1 --migrate-up "$MPROBE" --health-cmd "$HPROBE"
tb=$(fixture rebar3 sbx_rebar 0.1.0) || skip_file "rebar3 fixture did not build"
check "build the rebar3 release sbx_rebar" "$RELPKG" build "$tb" --out "$T/pkgs" --quiet --format deb
tb=$(fixture mix sbx_mix 0.1.0) || skip_file "mix fixture did not build"
check "build the mix release sbx_mix" "$RELPKG" build "$tb" --out "$T/pkgs" --quiet --format rpm
sh "$TOP/tests/lifecycle/mkapp.sh" "$T" lcv 1.5 1 >/dev/null
check "build lcv 1.5 (the upgrade of the proto-v1 packages)" \
	"$RELPKG" build "$T/lcv-1.5.tar.gz" --out "$T/pkgs" --quiet --schema-version 1

CT=h3-sandbox
ct_create "$CT" >/dev/null && ct_boot "$CT" >/dev/null || skip_file "container did not boot"
ct_copy_in "$CT" "$T/pkgs" /srv/pkgs
ct_copy_in "$CT" "$TOP/tests/fixtures/proto-v1" /srv/old
# the BEAM fixtures read PORT; a drop-in gives each its own
for np in sbx-rebar:$P2 sbx-mix:$P3; do
	ct_sh "$CT" 'mkdir -p "/etc/systemd/system/$1.service.d" &&
		printf "[Service]\nEnvironment=PORT=%s\n" "$2" >"/etc/systemd/system/$1.service.d/port.conf"' \
		"${np%%:*}" "${np#*:}"
done

check "install the generic app (deb)" ct_sh "$CT" 'dpkg -i /srv/pkgs/sbx_1.0-1_all.deb'
check "install the rebar3 release (deb)" ct_sh "$CT" 'dpkg -i /srv/pkgs/sbx-rebar_0.1.0-1_*.deb'
check "install the mix release (rpm)" ct_sh "$CT" 'rpm -i /srv/pkgs/sbx-mix-0.1.0-1.*.rpm'
expect_eq "generic: answers" "$(ct_http_get "$P1")" "1.0"
expect_eq "rebar3: answers" "$(ct_tcp_line "$P2")" "sbx_rebar 0.1.0"
expect_eq "mix: answers" "$(ct_tcp_line "$P3")" "sbx_mix 0.1.0"

# --- per app -----------------------------------------------------------------
for app in generic:sbx rebar3:sbx-rebar mix:sbx-mix; do
	kind=${app%%:*} n=${app#*:}
	x=$(ct_exposure "$CT" "$n.service")
	note "$kind: systemd-analyze security $n.service: overall exposure ${x:-?}"
	if [ -n "$x" ] && awk -v x="$x" 'BEGIN { exit !(x <= 4.0) }'; then
		pass "$kind: exposure $x <= 4.0"
	else
		fail "$kind: exposure ${x:-?} <= 4.0" \
			"$(ct_nsexec "$CT" systemd-analyze security --no-pager "$n.service" 2>&1 | grep -F '✗')"
	fi
	check "$kind: the service runs as $n" ct_sh "$CT" \
		'pid=$(systemctl show -p MainPID --value "$1"); test "$(stat -c %U "/proc/$pid")" = "$1"' "$n"

	# what the service user could write: inside the unit's sandbox (its
	# mount namespace) and outside it (permissions alone): a file created in
	# every directory, and access(2) for every file (which sees read-only
	# mounts too)
	probe='for d in $(find "$@" -type d 2>/dev/null); do
		(: >"$d/.h3-probe") 2>/dev/null && { echo "created $d/.h3-probe"; rm -f "$d/.h3-probe"; }
	done; find "$@" -writable 2>/dev/null | sed "s/^/access(W_OK): /"'
	w=$(ct_as_unit_user "$CT" "$n.service" "$n" sh -c "$probe" sh "/opt/$n" "/etc/$n" /var/lib/relpkg 2>&1)
	expect_eq "$kind: inside the sandbox, $n can write nothing under /opt/$n /etc/$n /var/lib/relpkg" "$w" ""
	w=$(ct_nsexec "$CT" setpriv --reuid="$n" --regid="$n" --init-groups -- \
		sh -c "$probe" sh "/opt/$n" "/etc/$n" /var/lib/relpkg 2>&1)
	expect_eq "$kind: outside the sandbox too, $n can write nothing there" "$w" ""
	check "$kind: inside the sandbox, $n can write its state, log and runtime directories" \
		ct_as_unit_user "$CT" "$n.service" "$n" sh -c \
		'for d in "$@"; do : >"$d/.h3-probe" && rm "$d/.h3-probe" || exit 1; done' sh \
		"/var/lib/$n" "/var/log/$n" "/run/$n"

	expect_eq "$kind: the env file is 0640 root:$n" \
		"$(ct_nsexec "$CT" stat -c '%a %U:%G' "/etc/$n/$n.env")" "640 root:$n"
	cookies=$(ct_sh "$CT" 'for f in $(find "/opt/$1/live" -name COOKIE -o -name vm.args); do
		[ "${f##*/}" = COOKIE ] || grep -q "^[[:space:]]*-setcookie" "$f" && echo "$f"; done' "$n")
	if [ "$kind" = generic ]; then
		expect_eq "$kind: no cookie file" "$cookies" ""
	elif [ -z "$cookies" ]; then
		fail "$kind: the release has a cookie file (COOKIE, or vm.args with -setcookie)"
	else
		# shellcheck disable=SC2086 # one path per word
		bad=$(ct_sh "$CT" 'n=$1; shift; for f do s=$(stat -c "%a %U:%G" "$f");
			[ "$s" = "640 root:$n" ] || echo "$f: $s"; done' "$n" $cookies)
		expect_eq "$kind: the cookie files are 0640 root:$n" "$bad" ""
		# shellcheck disable=SC2086 # one path per word
		check_fails "$kind: user nobody cannot read them" ct_nsexec "$CT" \
			setpriv --reuid=nobody --regid=nogroup --clear-groups -- cat $cookies
		# The BEAM takes the cookie as -setcookie on its command line (mix
		# and relx both): /proc/PID/cmdline is world-readable unless /proc
		# is mounted hidepid=invisible (README: "Secrets").
		seen=$(ct_sh "$CT" 'for p in $(pgrep -u "$1"); do
			setpriv --reuid=nobody --regid=nogroup --clear-groups -- cat "/proc/$p/cmdline" 2>/dev/null |
			tr "\0" " " | grep -o -- "-setcookie [^ ]*"; done | sort -u' "$n")
		[ -z "$seen" ] || note "$kind: without hidepid, user nobody reads from the command line: $seen"
	fi
done

# --- the scripts' own commands run in the same sandbox --------------------------
probe=$(ct_nsexec "$CT" cat /var/lib/sbx/migrate-probe.txt 2>&1)
note "the migration's record:" "$probe"
for want in '^sbx$' '^NoNewPrivs:[[:space:]]+1$' '^Seccomp:[[:space:]]+2$' '^CapBnd:[[:space:]]+0+$' \
	'^/ is read-only$' '^cannot write /opt/sbx$' '^cannot write /etc/sbx$' '^cannot write /var/lib/relpkg$'; do
	expect_match "the migration ran in the sandbox: /$want/" "$probe" "$want"
done
hprobe=$(ct_nsexec "$CT" cat /var/lib/sbx/health-probe.txt 2>&1)
note "the health command's record:" "$hprobe"
expect_match "the health command ran in the sandbox (NoNewPrivs)" "$hprobe" '^NoNewPrivs:[[:space:]]+1$'
expect_match "the health command ran in the sandbox (seccomp filter)" "$hprobe" '^Seccomp:[[:space:]]+2$'
# (systemd expands ${VAR} in a command line itself: hooks/lib.sh's
# rp_as_user must hand the command to systemd-run with each '$' doubled)
expect_match "the health command gets \${VAR} as written (not expanded by systemd)" "$hprobe" '^braces=ok$'

# The documented remedy for the command line: /proc with hidepid=invisible.
if ct_nsexec "$CT" mount -o remount,hidepid=invisible /proc 2>/dev/null; then
	seen=$(ct_sh "$CT" 'for p in $(pgrep -u sbx-mix); do
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- cat "/proc/$p/cmdline" 2>/dev/null |
		tr "\0" " " | grep -o -- "-setcookie [^ ]*"; done')
	expect_eq "with /proc hidepid=invisible, user nobody cannot see the cookie on the command line" "$seen" ""
	expect_eq "mix: answers with /proc hidepid=invisible" "$(ct_tcp_line "$P3")" "sbx_mix 0.1.0"
	ct_nsexec "$CT" mount -o remount,hidepid=off /proc
else
	skip "the cookie on the command line with hidepid=invisible" "cannot remount /proc here"
fi

for n in sbx sbx-rebar; do ct_exec "$CT" dpkg -P "$n" >/dev/null 2>&1; done
ct_exec "$CT" rpm -e sbx-mix >/dev/null 2>&1

# --- the env file after an upgrade from the previous relpkg's packages --------------
# A local edit is kept (conffile, %config(noreplace)) without a question:
# the packaged text is the same bytes as before; the kept file must become
# 0640 root:lcv all the same.  (The scripts fix it: issue 11; the
# policy-rc.d keeps the service down, the port does not matter here.)
ct_sh "$CT" 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
for fmt in deb rpm; do
	if [ "$fmt" = deb ]; then
		old=/srv/old/lcv_1.0-1_all.deb new=/srv/pkgs/lcv_1.5-1_all.deb
		inst='dpkg -i' erase='dpkg -P lcv'
	else
		old=/srv/old/lcv-1.0-1.noarch.rpm new=/srv/pkgs/lcv-1.5-1.noarch.rpm
		inst='rpm -U' erase='rpm -e lcv'
	fi
	check "$fmt: install lcv 1.0 (built by the previous relpkg)" ct_sh "$CT" "$inst $old"
	expect_eq "$fmt: its env file was world-readable" \
		"$(ct_nsexec "$CT" stat -c '%a %U:%G' /etc/lcv/lcv.env)" "644 root:root"
	ct_sh "$CT" 'echo "RELEASE_COOKIE=fleet-secret" >>/etc/lcv/lcv.env'
	# no terminal: a conffile prompt would fail the upgrade
	check "$fmt: upgrade to lcv 1.5 (this relpkg), no conffile prompt" ct_sh "$CT" "$inst $new </dev/null"
	expect_eq "$fmt: after the upgrade, the edited env file is 0640 root:lcv (the scripts' part of issue 11)" \
		"$(ct_nsexec "$CT" stat -c '%a %U:%G' /etc/lcv/lcv.env)" "640 root:lcv"
	check "$fmt: the local edit is kept" ct_nsexec "$CT" grep -qx RELEASE_COOKIE=fleet-secret /etc/lcv/lcv.env
	expect_eq "$fmt: and no second copy (.dpkg-new, .dpkg-dist, .rpmnew): the packaged text did not change" \
		"$(ct_nsexec "$CT" ls /etc/lcv)" "lcv.env"
	ct_sh "$CT" "$erase" >/dev/null 2>&1
	ct_sh "$CT" 'rm -rf /etc/lcv /var/lib/lcv /var/log/lcv' >/dev/null 2>&1
done
ct_stop "$CT"
