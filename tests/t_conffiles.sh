# t_conffiles.sh: --config-file (issue 15) in a booted container, per format:
# a file of the release (priv/static/version.txt, which the test app reads
# on every request) and two files of the build host (SRC:DEST, one in a
# sub-directory) become conffiles / %config(noreplace) in /etc/NAME whose
# packaged text differs between the versions.  The admin edits two of them;
# an upgrade and a downgrade with the package manager's plain commands (no
# --force-confold, no terminal: a conffile prompt would fail them) keep
# both edits, the app answers the edited text, no .dpkg-dist / .rpmnew is
# left, and the file nobody edited follows the package's text; a file the
# admin placed before the first install is kept as well.
#
# Ports: CF_PORT_BASE (default 22000) +1 (deb), +11 (rpm).
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd systemd-nspawn nsenter dpkg-scanpackages curl python3
need_relpkg
[ "$(id -u)" = 0 ] || skip_file "needs root (mounts, systemd-nspawn)"

. "$TOP/tests/container/lib.sh"
trap ct_cleanup_all EXIT

PORT_BASE=${CF_PORT_BASE:-22000}
export SOURCE_DATE_EPOCH=1700000000
for p in 1 11; do
	ct_port_free $((PORT_BASE + p)) || skip_file "127.0.0.1:$((PORT_BASE + p)) is in use on the host"
done

# build FMT PORT VERSION
build() {
	b_tb=$(MKAPP_PORT=$2 sh "$TOP/tests/lifecycle/mkapp.sh" "$T/rel/$1" cfapp "$3") || return 1
	mkdir -p "$T/host/$3"
	printf 'extra=%s\n' "$3" >"$T/host/$3/app.conf"
	printf 'plain=%s\n' "$3" >"$T/host/$3/plain.conf"
	"$RELPKG" build "$b_tb" --format "$1" --out "$T/pkgs/$1" --quiet \
		--maintainer 'relpkg tests <tests@relpkg.invalid>' --start-cmd bin/cfapp \
		--health-url "http://127.0.0.1:$2/health" --health-timeout 90 \
		--config-file priv/static/version.txt --config-file "$T/host/$3/app.conf:extra/app.conf" \
		--config-file "$T/host/$3/plain.conf:plain.conf"
}
for v in 1.0 2.0; do
	check "build cfapp $v as .deb" build deb $((PORT_BASE + 1)) $v
	check "build cfapp $v as .rpm" build rpm $((PORT_BASE + 11)) $v
done
deb1=$T/pkgs/deb/cfapp_1.0-1_all.deb
expect_eq "deb: conffiles: the env file and the three" "$(dpkg-deb -I "$deb1" conffiles | sort)" \
	"/etc/cfapp/cfapp.env
/etc/cfapp/extra/app.conf
/etc/cfapp/plain.conf
/etc/cfapp/version.txt"
expect_match "deb: the release's file is a symlink to /etc/cfapp" "$(dpkg-deb -c "$deb1")" \
	'^lrwxrwxrwx root/root .* \./opt/cfapp/releases/1\.0/priv/static/version\.txt -> /etc/cfapp/version\.txt$'
expect_match "deb: the packaged text, 0640 root:SERVICE-USER" "$(dpkg-deb -c "$deb1")" \
	'^-rw-r----- root/cfapp .* \./opt/cfapp/conf-default/version\.txt$'
flags=$(rpm -qp --qf '[%{FILEFLAGS} %{FILENAMES}\n]' "$T/pkgs/rpm/cfapp-1.0-1.noarch.rpm")
# RPMFILE_CONFIG (1) | RPMFILE_NOREPLACE (16)
for f in version.txt extra/app.conf plain.conf; do
	expect_match "rpm: /etc/cfapp/$f is %config(noreplace)" "$flags" "^17 /etc/cfapp/$f\$"
done
expect_match "rpm: the default copy is not %config" "$flags" '^0 /opt/cfapp/conf-default/version\.txt$'
if command -v lintian >/dev/null; then
	expect_eq "lintian: no error or warning on the conffiles" \
		"$(lintian --no-cfg "$deb1" 2>&1 | grep -c '^[EW]:')" 0
fi
rm -rf "$T/rel"
(cd "$T/pkgs/deb" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null) || fail "dpkg-scanpackages"

# pm FMT CT KIND VERSION: the package manager's plain command, no terminal
pm() {
	if [ "$1" = deb ]; then
		case $3 in
		install) set -- "$2" env DEBIAN_FRONTEND=noninteractive apt-get -y -q install "cfapp=$4-1" ;;
		downgrade) set -- "$2" env DEBIAN_FRONTEND=noninteractive apt-get -y -q --allow-downgrades install "cfapp=$4-1" ;;
		esac
	else
		case $3 in
		install) set -- "$2" rpm -U "/srv/rpms/cfapp-$4-1.noarch.rpm" ;;
		downgrade) set -- "$2" rpm -U --oldpackage "/srv/rpms/cfapp-$4-1.noarch.rpm" ;;
		esac
	fi
	ct_exec "$@" </dev/null >"$T/pm.out" 2>&1 || { tail -n 30 "$T/pm.out"; return 1; }
}

whoami() { python3 -c 'import sys, urllib.request; print(urllib.request.urlopen("http://127.0.0.1:%s/whoami" % sys.argv[1], timeout=3).read().decode().split()[0])' "$1" 2>/dev/null; }

cells() {
	FMT=$1 PORT=$2 CT=cf$PORT_BASE-$1 P="[$1]"
	ct_create "$CT" >/dev/null || { fail "$P container root"; return 0; }
	if ! ct_boot "$CT" >"$T/boot.log" 2>&1; then
		fail "$P the container boots" "$(cat "$T/boot.log")"
		return 0
	fi
	if [ "$FMT" = deb ]; then
		ct_copy_in "$CT" "$T/pkgs/deb" /srv/repo
		echo 'deb [trusted=yes] file:/srv/repo ./' >"$T/cf.list"
		ct_copy_in "$CT" "$T/cf.list" /etc/apt/sources.list.d/cf.list
		check "$P apt-get update" ct_exec "$CT" apt-get -q update
	else
		ct_copy_in "$CT" "$T/pkgs/rpm" /srv/rpms
	fi
	check "$P install 1.0" pm "$FMT" "$CT" install 1.0
	expect_eq "$P the app reads /etc/cfapp/version.txt: the packaged text" "$(ct_http_get "$PORT")" 1.0
	expect_eq "$P /etc/cfapp/version.txt is 0640 root:cfapp" \
		"$(ct_nsexec "$CT" stat -c '%a %U:%G' /etc/cfapp/version.txt)" "640 root:cfapp"
	ct_sh "$CT" 'echo edited-by-admin >/etc/cfapp/version.txt && echo local=yes >>/etc/cfapp/extra/app.conf'
	expect_eq "$P the edit is what the app answers" "$(ct_http_get "$PORT")" edited-by-admin

	for step in "install 2.0" "downgrade 1.0" "install 2.0"; do
		# shellcheck disable=SC2086 # two words
		set -- $step
		check "$P $1 to $2 (no --force-confold, no terminal)" pm "$FMT" "$CT" "$1" "$2"
		expect_eq "$P after $1 to $2: $2 runs" "$(whoami "$PORT")" "$2"
		expect_eq "$P after $1 to $2: the app answers the edited text" "$(ct_http_get "$PORT")" edited-by-admin
		expect_eq "$P after $1 to $2: extra/app.conf keeps its edit" \
			"$(ct_nsexec "$CT" cat /etc/cfapp/extra/app.conf)" "extra=1.0
local=yes"
		expect_eq "$P after $1 to $2: the unedited plain.conf has $2's text" \
			"$(ct_nsexec "$CT" cat /etc/cfapp/plain.conf)" "plain=$2"
		expect_eq "$P after $1 to $2: the packaged text of $2 is in /opt/cfapp/conf-default" \
			"$(ct_nsexec "$CT" cat /opt/cfapp/conf-default/version.txt)" "$2"
		expect_eq "$P after $1 to $2: no second copy (.dpkg-dist, .dpkg-new, .rpmnew, ...)" \
			"$(ct_nsexec "$CT" find /etc/cfapp -name '*.*-*' -o -name '*.rpm*' -o -name '*.dpkg*')" ""
		expect_eq "$P after $1 to $2: nothing left aside" \
			"$(ct_nsexec "$CT" find /var/lib/relpkg/cfapp/conf-keep -type f)" ""
	done
	if [ "$FMT" = deb ]; then
		expect_match "$P dpkg knows the conffiles" "$(ct_nsexec "$CT" dpkg-query -W -f='${Conffiles}' cfapp)" \
			'/etc/cfapp/version.txt'
	else
		expect_eq "$P rpm -V: only the edited files differ (5 = digest)" \
			"$(ct_nsexec "$CT" rpm -V cfapp | awk '$1 ~ /5/ {print $NF}' | sort | tr '\n' ' ')" \
			"/etc/cfapp/extra/app.conf /etc/cfapp/version.txt "
	fi
	# an edit made while the service runs reaches it at the next request
	ct_sh "$CT" 'echo second-edit >/etc/cfapp/version.txt'
	expect_eq "$P a later edit: the app answers it" "$(ct_http_get "$PORT")" second-edit
	# a file the admin put there before the first install is kept too
	if [ "$FMT" = deb ]; then
		ct_exec "$CT" env DEBIAN_FRONTEND=noninteractive apt-get -y -q purge cfapp >"$T/pm.out" 2>&1
	else
		ct_exec "$CT" rpm -e cfapp >"$T/pm.out" 2>&1
	fi
	ct_sh "$CT" 'rm -rf /etc/cfapp && mkdir /etc/cfapp && echo placed-before >/etc/cfapp/version.txt'
	check "$P a fresh install over a file already there" pm "$FMT" "$CT" install 2.0
	expect_eq "$P fresh install: the file already there is kept and read" "$(ct_http_get "$PORT")" placed-before
	expect_eq "$P fresh install: no second copy" \
		"$(ct_nsexec "$CT" find /etc/cfapp -name '*.*-*' -o -name '*.rpm*' -o -name '*.dpkg*')" ""
	ct_stop "$CT" || :
}

cells deb $((PORT_BASE + 1))
cells rpm $((PORT_BASE + 11))
