# t_store.sh: the release store and rollback in a container booted with
# systemd (design 5): a store made by `relpkg repo add` holding 1.0, 2.0,
# 3.0 serves apt (file: and a static HTTP server on 127.0.0.1) and dnf;
# `relpkg rollback` goes 3.0 -> 2.0, then --to 1.0 with the newer versions'
# down-migrations; the pin keeps apt/dnf upgrade from undoing it until
# `relpkg pin --release`; a target libsolv finds uninstallable is refused
# and nothing changes.
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd systemd-nspawn nsenter debootstrap python3 curl
need_relpkg
[ "$(id -u)" = 0 ] || skip_file "needs root (mounts, systemd-nspawn)"
. "$TOP/tests/container/lib.sh"
trap 'ct_cleanup_all; [ -z "${httpd:-}" ] || kill "$httpd" 2>/dev/null' EXIT
export SOURCE_DATE_EPOCH=1700000000
# Ports: STORE_PORT_BASE (default 18520) for the app, +9 for the HTTP
# server; container names store<BASE>-deb, -rpm.
PORT=${STORE_PORT_BASE:-18520}
HTTP=$((PORT + 9))
ct_port_free $PORT || skip_file "127.0.0.1:$PORT is already in use on the host"
ct_port_free $HTTP || skip_file "127.0.0.1:$HTTP is already in use on the host"
# the binary copied into the container: the plain build (a sanitizer build
# needs runtime libraries the container root does not have)
RELPKG_IN_CT=${RELPKG_IN_CT:-$TOP/build/relpkg}

pk=$T/pk
for v in 1.0.0 2.0.0 3.0.0; do
	s=${v%%.*}
	MKAPP_PORT=$PORT sh "$TOP/tests/lifecycle/mkapp.sh" "$T" lcs "$v" "$s" >/dev/null
	check "build lcs $v" "$RELPKG" build "$T/lcs-$v.tar.gz" --out "$pk" --quiet --schema-version "$s" \
		--migrate-up 'bin/migrate up' --migrate-down 'bin/migrate down'
done
# 0.9.0 depends on a package nobody has: libsolv must refuse it
MKAPP_PORT=$PORT sh "$TOP/tests/lifecycle/mkapp.sh" "$T" lcs 0.9.0 0 >/dev/null
check "build lcs 0.9.0 (unmet dependency)" "$RELPKG" build "$T/lcs-0.9.0.tar.gz" --out "$pk" --quiet \
	--schema-version 0 --depends 'no-such-package-relpkg (>= 1)'
store=$T/store
check "repo add" "$RELPKG" repo add "$store" "$pk"/*.deb "$pk"/*.rpm

schema() { ct_exec "$CT" sqlite3 /var/lib/lcs/app.db 'select version from schema'; }

# ---- deb: apt from file: and from http://127.0.0.1 ----------------------------
CT=store$PORT-deb
ct_create "$CT" >/dev/null && ct_boot "$CT" >/dev/null || skip_file "container did not boot"
ct_copy_in "$CT" "$RELPKG_IN_CT" /usr/local/bin/relpkg
ct_copy_in "$CT" "$store" /srv/
check "relpkg runs in the container" ct_exec "$CT" relpkg --version
ct_sh "$CT" 'echo "deb [trusted=yes] file:/srv/store ./" >/etc/apt/sources.list.d/store.list'
check "apt-get update reads the store (file:)" ct_sh "$CT" 'apt-get -q update >/dev/null 2>&1'
expect_eq "apt's candidate is 3.0.0-1" \
	"$(ct_sh "$CT" 'apt-cache policy lcs | sed -n "s/ *Candidate: //p"')" 3.0.0-1
# the same store over HTTP: a static server on the host's loopback
(cd "$store" && exec python3 -m http.server "$HTTP" --bind 127.0.0.1 >/dev/null 2>&1) &
httpd=$!
# under load python takes a while to listen: wait for it (15 s at most)
i=0
while [ $i -lt 150 ] && ! curl -fs -o /dev/null "http://127.0.0.1:$HTTP/Release"; do
	sleep 0.1
	i=$((i + 1))
done
ct_sh "$CT" "echo 'deb [trusted=yes] http://127.0.0.1:$HTTP/ ./' >/etc/apt/sources.list.d/store.list"
check "apt-get update reads the store over HTTP" ct_sh "$CT" \
	'apt-get -q update >/root/update.log 2>&1; grep -q "127.0.0.1" /root/update.log && ! grep -Eq "^(Err|W|E):" /root/update.log || { cat /root/update.log; exit 1; }'
# 2.0.0 first, so that it is a version that ran healthy here: rollback goes
# to the newest lower version that did (relpkg-rollback(1))
check "apt-get install lcs=2.0.0-1" ct_sh "$CT" \
	'apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install lcs=2.0.0-1 >/root/apt.log 2>&1 || { tail -n 30 /root/apt.log; exit 1; }'
expect_eq "2.0.0 answers" "$(ct_http_get $PORT)" 2.0.0
check "apt-get install gets 3.0.0" ct_sh "$CT" \
	'apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install lcs >/root/apt.log 2>&1 || { tail -n 30 /root/apt.log; exit 1; }'
expect_eq "3.0.0 answers" "$(ct_http_get $PORT)" 3.0.0

out=$(ct_exec "$CT" relpkg rollback lcs --dry-run 2>&1)
expect_match "rollback --dry-run names 3.0.0-1 -> 2.0.0-1" "$out" '3\.0\.0-1 -> 2\.0\.0-1'
expect_eq "dry run changed nothing" "$(ct_http_get $PORT)" 3.0.0
check "rollback without --yes and no terminal refuses" sh -c "! ct_exec $CT relpkg rollback lcs >/dev/null 2>&1"
check "relpkg rollback lcs --yes" ct_exec "$CT" relpkg rollback lcs --yes
expect_eq "2.0.0 answers after rollback" "$(ct_http_get $PORT)" 2.0.0
expect_eq "schema 2 after rollback (3.0's migrate-down ran)" "$(schema)" 2
check "relpkg rollback lcs --to 1.0.0 --yes" ct_exec "$CT" relpkg rollback lcs --to 1.0.0 --yes
expect_eq "1.0.0 answers" "$(ct_http_get $PORT)" 1.0.0
expect_eq "schema 1 (2.0's migrate-down ran)" "$(schema)" 1
check "apt-get upgrade runs" ct_sh "$CT" 'apt-get -y -q upgrade >/dev/null 2>&1'
expect_eq "apt-get upgrade leaves the pinned 1.0.0" "$(ct_http_get $PORT)" 1.0.0
out=$(ct_exec "$CT" relpkg rollback lcs --to 0.9.0 --yes 2>&1)
rc=$?
expect_eq "an uninstallable target: exit 1" "$rc" 1
expect_match "the refusal names libsolv's problem" "$out" 'no-such-package-relpkg'
expect_eq "nothing changed: 1.0.0 still answers" "$(ct_http_get $PORT)" 1.0.0
expect_eq "nothing changed: the database still has 1.0.0-1" \
	"$(ct_exec "$CT" dpkg-query -W -f='${Version}' lcs)" 1.0.0-1
check "relpkg pin --release lcs" ct_exec "$CT" relpkg pin --release lcs
check "apt-get upgrade after the release" ct_sh "$CT" \
	'apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade >/dev/null 2>&1'
expect_eq "3.0.0 answers again" "$(ct_http_get $PORT)" 3.0.0
hist=$(ct_exec "$CT" relpkg history lcs)
note "$hist"
expect_match "history shows the rollback to 1.0.0" "$hist" '2\.0\.0 +1\.0\.0 +ok'
ct_exec "$CT" relpkg history lcs --json >"$T/history.json"
check "history --json is JSON" python3 -m json.tool "$T/history.json"
ct_exec "$CT" relpkg status lcs --json >"$T/status.json"
check "status --json is JSON" python3 -m json.tool "$T/status.json"
expect_eq "status --json: running 3.0.0" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["running"])' "$T/status.json")" 3.0.0
ct_stop "$CT"

# ---- rpm: dnf from the rpm-md side -----------------------------------------------
CT=store$PORT-rpm
ct_create "$CT" >/dev/null && ct_boot "$CT" >/dev/null || skip_file "container did not boot"
ct_copy_in "$CT" "$RELPKG_IN_CT" /usr/local/bin/relpkg
ct_copy_in "$CT" "$store" /srv/
ct_sh "$CT" 'mkdir -p /etc/yum.repos.d; printf "[store]\nname=store\nbaseurl=file:///srv/store\ngpgcheck=0\nenabled=1\n" >/etc/yum.repos.d/store.repo'
DNF='dnf -y -q --setopt=install_weak_deps=0'
check "dnf install lcs-2.0.0" ct_sh "$CT" "$DNF install lcs-2.0.0 >/dev/null 2>&1"
expect_eq "2.0.0 answers (rpm)" "$(ct_http_get $PORT)" 2.0.0
check "dnf upgrade gets 3.0.0" ct_sh "$CT" "$DNF upgrade lcs >/dev/null 2>&1"
expect_eq "3.0.0 answers (rpm)" "$(ct_http_get $PORT)" 3.0.0
check "relpkg rollback lcs --yes (dnf)" ct_exec "$CT" relpkg rollback lcs --yes --rpm
expect_eq "2.0.0 answers after the dnf rollback" "$(ct_http_get $PORT)" 2.0.0
check "relpkg rollback --to 1.0.0 --store (rpm -U --oldpackage)" ct_exec "$CT" relpkg rollback lcs --to 1.0.0 --yes --rpm --store /srv/store
expect_eq "1.0.0 answers (rpm)" "$(ct_http_get $PORT)" 1.0.0
expect_eq "schema 1 (rpm)" "$(schema)" 1
check "dnf upgrade runs" ct_sh "$CT" "$DNF upgrade >/dev/null 2>&1"
expect_eq "dnf upgrade leaves the pinned 1.0.0" "$(ct_http_get $PORT)" 1.0.0
check "relpkg pin --release lcs (dnf)" ct_exec "$CT" relpkg pin --release lcs --rpm
check "dnf upgrade after the release" ct_sh "$CT" "$DNF upgrade >/dev/null 2>&1"
expect_eq "3.0.0 answers again (rpm)" "$(ct_http_get $PORT)" 3.0.0
ct_stop "$CT"
