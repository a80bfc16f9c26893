# t_otp_lifecycle.sh: the seed scenario with real OTP releases built by the
# suite (Debian's erlang + rebar3): ex1_relup 0.1.0, 0.2.0, 0.3.0 packaged by
# relpkg, installed with apt-get from a local repository in a container
# booted with systemd: install 0.1.0, upgrade to 0.2.0, downgrade to 0.1.0
# by package version, then up to 0.3.0 — the running node answering each
# version on its port.  The same with a mix release and rpm -U.
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd systemd-nspawn nsenter debootstrap dpkg-scanpackages python3
need_relpkg
[ "$(id -u)" = 0 ] || skip_file "needs root (mounts, systemd-nspawn)"
. "$TOP/tests/container/lib.sh"
trap ct_cleanup_all EXIT
export SOURCE_DATE_EPOCH=1700000000

repo=$T/repo
mkdir -p "$repo"
for v in 0.1.0 0.2.0 0.3.0; do
	tb=$(fixture rebar3 ex1_relup "$v") || skip_file "rebar3 fixture did not build"
	check "build ex1_relup $v" "$RELPKG" build "$tb" --out "$repo" --quiet --format deb
	tb=$(fixture mix mix_app "$v") || skip_file "mix fixture did not build"
	check "build mix_app $v" "$RELPKG" build "$tb" --out "$T/rpms" --quiet --format rpm
done
(cd "$repo" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null)

CT=otp
ct_create "$CT" >/dev/null && ct_boot "$CT" >/dev/null || skip_file "container did not boot"
ct_copy_in "$CT" "$repo" /srv/
ct_copy_in "$CT" "$T/rpms" /srv/
ct_sh "$CT" 'echo "deb [trusted=yes] file:/srv/repo ./" >/etc/apt/sources.list.d/otp.list; apt-get -q update >/dev/null 2>&1'
APT='apt-get -y -q --allow-downgrades -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install'

step() { # LABEL VERSION
	check "deb: $1" ct_sh "$CT" "$APT ex1-relup=$2-1"
	expect_eq "deb: after $1 the node answers $2" "$(ct_tcp_line 4000)" "ex1_relup $2"
	expect_eq "deb: after $1 the package database says $2" \
		"$(ct_exec "$CT" dpkg-query -W -f='${Version}' ex1-relup)" "$2-1"
}
step "install 0.1.0" 0.1.0
check "deb: the node runs as ex1-relup, not root" ct_sh "$CT" \
	'pid=$(systemctl show -p MainPID --value ex1-relup); test "$(stat -c %U /proc/$pid)" = ex1-relup'
check "deb: the cookie file is not world-readable" ct_sh "$CT" \
	'test "$(stat -c %a:%G /opt/ex1-relup/current/releases/0.1.0/vm.args)" = 640:ex1-relup'
step "upgrade to 0.2.0" 0.2.0
step "downgrade to 0.1.0" 0.1.0
step "upgrade to 0.3.0" 0.3.0
journal=$(ct_exec "$CT" cat /var/lib/relpkg/ex1-relup/journal)
note "$journal"
expect_eq "deb: the journal has the four transitions, all ok" \
	"$(printf '%s\n' "$journal" | awk -F'\t' '{ print $2 ">" $3 ":" $4 }' | tr '\n' ' ')" \
	"->0.1.0:ok 0.1.0>0.2.0:ok 0.2.0>0.1.0:ok 0.1.0>0.3.0:ok "
check "deb: remove" ct_sh "$CT" 'apt-get -y -q remove ex1-relup >/dev/null'
check "deb: nothing answers after remove" sh -c '! python3 -c "import socket; socket.create_connection((\"127.0.0.1\", 4000), timeout=1)" 2>/dev/null'

# mix release, rpm -U
rstep() { # LABEL VERSION FLAGS
	check "rpm: $1" ct_sh "$CT" "rpm -U $3 /srv/rpms/mix-app-$2-1.x86_64.rpm 2>/dev/null"
	expect_eq "rpm: after $1 the node answers $2" "$(ct_tcp_line 4000)" "mix_app $2"
}
rstep "install 0.1.0" 0.1.0 ""
rstep "upgrade to 0.2.0" 0.2.0 ""
rstep "downgrade to 0.1.0" 0.1.0 --oldpackage
rstep "upgrade to 0.3.0" 0.3.0 ""
check "rpm: erase" ct_sh "$CT" 'rpm -e mix-app 2>/dev/null'
ct_stop "$CT"
