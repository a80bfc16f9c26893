# t_status.sh: relpkg status's exit codes for each state, and issue 10's
# scenarios 1, 2 and 9, in a container booted with systemd (relpkg status
# and rollback read the real dpkg database, systemd and /var/lib/relpkg;
# they have no --root).  States the scripts leave after a fault (an
# unfinished transaction record, a schema mismatch, a stale running file)
# are written into /var/lib/relpkg/lcs by hand, next to a real install.
#   scenario 1: store 1.0/2.0/3.0, 2.0 runs, 3.0's migrate-up fails ->
#               rollback --dry-run plans 2.0 (no migration), not 1.0
#   scenario 2: rolling back twice goes further down or stops, never up
#   scenario 9: pin of a version that does not exist exits 1; pin and
#               rollback on dnf without the versionlock plugin exit 1
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd systemd-nspawn nsenter debootstrap python3
need_relpkg
[ "$(id -u)" = 0 ] || skip_file "needs root (mounts, systemd-nspawn)"
. "$TOP/tests/container/lib.sh"
trap 'ct_cleanup_all' EXIT
export SOURCE_DATE_EPOCH=1700000000
PORT=18540
RELPKG_IN_CT=${RELPKG_IN_CT:-$(dirname "$RELPKG")/relpkg}

pk=$T/pk
MKAPP_PORT=$PORT sh "$TOP/tests/lifecycle/mkapp.sh" "$T" lcs 1.0.0 1 >/dev/null
MKAPP_PORT=$PORT sh "$TOP/tests/lifecycle/mkapp.sh" "$T" lcs 2.0.0 2 >/dev/null
MKAPP_PORT=$PORT sh "$TOP/tests/lifecycle/mkapp.sh" "$T" lcs 3.0.0 3 migrate-up >/dev/null
for v in 1.0.0 2.0.0 3.0.0; do
	check "build lcs $v" "$RELPKG" build "$T/lcs-$v.tar.gz" --out "$pk" --quiet --schema-version "${v%%.*}" \
		--migrate-up 'bin/migrate up' --migrate-down 'bin/migrate down'
done
check "repo add" "$RELPKG" repo add "$T/store" "$pk"/*.deb "$pk"/*.rpm

# st ARGS: relpkg status in the container; sets rc and out
st() {
	out=$(ct_exec "$CT" relpkg status lcs "$@" 2>"$T/st.err")
	rc=$?
	err=$(cat "$T/st.err")
}
field() { printf '%s' "$out" | python3 -c "import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print(json.dumps(v) if isinstance(v,(list,dict,bool)) or v is None else v)" "$1"; }
DPKG='dpkg --force-confdef --force-confold -i'

CT=h4-status
ct_create "$CT" >/dev/null && ct_boot "$CT" >/dev/null || skip_file "container did not boot"
ct_copy_in "$CT" "$RELPKG_IN_CT" /usr/local/bin/relpkg
ct_copy_in "$CT" "$T/store" /srv/

# ---- unknown package ------------------------------------------------------------
st
expect_eq "status of an unknown package: exit 1" "$rc" 1
expect_match "... says it is unknown" "$err" 'unknown package'
out=$(ct_exec "$CT" relpkg history lcs 2>&1)
expect_eq "history of an unknown package: exit 1" "$?" 1

# ---- consistent -----------------------------------------------------------------
check "install 1.0.0" ct_sh "$CT" "$DPKG /srv/store/pool/lcs_1.0.0-1_all.deb >/dev/null 2>&1"
check "upgrade to 2.0.0" ct_sh "$CT" "$DPKG /srv/store/pool/lcs_2.0.0-1_all.deb >/dev/null 2>&1"
expect_eq "2.0.0 answers" "$(ct_http_get $PORT)" 2.0.0
st
note "$out"
expect_eq "status after a clean upgrade: exit 0" "$rc" 0
expect_match "running 2.0.0" "$out" 'running: 2\.0\.0'
st --json
expect_eq "status --json: exit 0" "$rc" 0
expect_eq "status --json: consistent" "$(field consistent)" true
expect_eq "status --json: no problems" "$(field problems)" '[]'
if ct_exec "$CT" test -f /var/lib/relpkg/lcs/running; then
	expect_eq "running verified against systemd's invocation id" "$(field running_verified)" true
else
	skip "running verified against systemd's invocation id" "no running file: the guard of this lib.sh does not write it yet"
fi

# ---- a running file from another start: not verified ------------------------------
ct_sh "$CT" 'f=/var/lib/relpkg/lcs/running; [ -f $f ] && cp $f /root/running.keep
	printf "VERSION=2.0.0\nSCHEMA=2\nINVOCATION=00000000000000000000000000000000\n" >$f'
st --json
expect_eq "a running file of another invocation: running_verified false" "$(field running_verified)" false
ct_sh "$CT" 'rm -f /var/lib/relpkg/lcs/running; [ -f /root/running.keep ] && mv /root/running.keep /var/lib/relpkg/lcs/running; :'

# ---- each problem, written by hand next to the real install -----------------------
ct_sh "$CT" 'printf "TXN_FORMAT=1\nFROM=2.0.0\nTO=3.0.0\nSTEP=migrating\nDB_SCHEMA=?\nMIGRATION=up\n" >/var/lib/relpkg/lcs/txn'
st
expect_eq "an unfinished transaction: exit 1" "$rc" 1
expect_match "... named" "$out" 'problem \(transaction\): a transition 2\.0\.0 -> 3\.0\.0 is unfinished \(step migrating'
st --json
expect_eq "--json: unfinished_transaction" "$(field unfinished_transaction)" true
expect_eq "--json: exit 1 too" "$rc" 1
ct_sh "$CT" 'rm -f /var/lib/relpkg/lcs/txn'

ct_sh "$CT" 'cp /var/lib/relpkg/lcs/state /root/state.keep; sed -i "/^DB_SCHEMA=/d" /var/lib/relpkg/lcs/state; echo DB_SCHEMA=3 >>/var/lib/relpkg/lcs/state'
st
expect_eq "a schema mismatch: exit 1" "$rc" 1
expect_match "... named" "$out" 'problem \(schema\): 2\.0\.0 runs but the database is at schema 3'
ct_sh "$CT" 'mv /root/state.keep /var/lib/relpkg/lcs/state'

ct_sh "$CT" 'printf "FAILED_FORMAT=1\nVERSION=3.0.0\nFROM=2.0.0\nSTEP=migrate-up\nREASON=migrate-up failed\n" >/var/lib/relpkg/lcs/failed'
st --json
expect_eq "a failure marker: exit 1" "$rc" 1
expect_eq "--json: last_failed" "$(field last_failed)" true
ct_sh "$CT" 'rm -f /var/lib/relpkg/lcs/failed'

ct_sh "$CT" 'mkdir -p /opt/lcs/live/0.9.0'
st --json
expect_match "a stale live tree is reported" "$(field stale_live)" '/opt/lcs/live/0\.9\.0'
ct_sh "$CT" 'rmdir /opt/lcs/live/0.9.0'

check "systemctl stop lcs" ct_exec "$CT" systemctl stop lcs
st
expect_eq "installed, nothing runs: exit 1" "$rc" 1
expect_match "... not-running" "$out" 'problem \(not-running\)'
check "systemctl start lcs" ct_exec "$CT" systemctl start lcs
st
expect_eq "started again: exit 0" "$rc" 0

# ---- scenario 1: 3.0's migrate-up fails, 2.0 is brought back -----------------------
if ct_sh "$CT" "$DPKG /srv/store/pool/lcs_3.0.0-1_all.deb >/dev/null 2>&1"; then
	fail "installing 3.0.0 (migrate-up fails) fails" "dpkg -i succeeded"
else
	pass "installing 3.0.0 (migrate-up fails) fails"
fi
expect_eq "2.0.0 answers after the failed upgrade" "$(ct_http_get $PORT)" 2.0.0
st
note "$out"
expect_eq "status after the failed upgrade: exit 1" "$rc" 1
expect_match "... the database disagrees" "$out" 'problem \(disagreement\)'
expect_match "... the last transition failed" "$out" 'problem \(failed\)'
out=$(ct_exec "$CT" relpkg rollback lcs --store /srv/store --dry-run 2>&1)
note "$out"
expect_match "scenario 1: rollback --dry-run plans 3.0.0-1 -> 2.0.0-1" "$out" '3\.0\.0-1 \(half-configured\) -> 2\.0\.0-1'
expect_match "... because 2.0.0 runs, no migration" "$out" 'no migration runs'
check "scenario 1: rollback --yes" ct_exec "$CT" relpkg rollback lcs --store /srv/store --yes --no-pin
expect_eq "2.0.0 answers" "$(ct_http_get $PORT)" 2.0.0
expect_eq "the database has 2.0.0-1 installed" \
	"$(ct_exec "$CT" dpkg-query -W -f='${Version} ${Status}' lcs)" '2.0.0-1 install ok installed'
expect_eq "schema 2: no migration ran" "$(ct_exec "$CT" sqlite3 /var/lib/lcs/app.db 'select version from schema')" 2
st
note "$out"
expect_eq "status after the rollback: exit 0" "$rc" 0

# ---- scenario 2: rolling back twice -----------------------------------------------
out=$(ct_exec "$CT" relpkg rollback lcs --store /srv/store --dry-run 2>&1)
expect_match "first rollback plans 2.0.0-1 -> 1.0.0-1 (ran healthy)" "$out" '2\.0\.0-1 -> 1\.0\.0-1'
check "rollback to 1.0.0" ct_exec "$CT" relpkg rollback lcs --store /srv/store --yes --no-pin
expect_eq "1.0.0 answers" "$(ct_http_get $PORT)" 1.0.0
out=$(ct_exec "$CT" relpkg rollback lcs --store /srv/store --dry-run 2>&1)
rc=$?
note "$out"
expect_eq "scenario 2: a second rollback has nowhere lower to go: exit 1" "$rc" 1
case $out in
*"-> 2.0.0"*) fail "... and does not plan 1.0.0 -> 2.0.0" "$out" ;;
*) pass "... and does not plan 1.0.0 -> 2.0.0" ;;
esac

# ---- scenario 9: pins that protect nothing are refused -----------------------------
out=$(ct_exec "$CT" relpkg pin lcs 9.9.9 --store /srv/store 2>&1)
rc=$?
expect_eq "scenario 9: pin of a version that does not exist: exit 1" "$rc" 1
expect_match "... says neither installed nor available" "$out" 'neither installed .* nor available'
check "pin of an available version works" ct_exec "$CT" relpkg pin lcs 2.0.0 --store /srv/store
check "pin --release" ct_exec "$CT" relpkg pin --release lcs
ct_sh "$CT" 'for f in $(dpkg -L dnf-plugins-core 2>/dev/null | grep -E "versionlock\.(py|conf)$"); do mv "$f" "$f.off"; done'
out=$(ct_exec "$CT" relpkg pin lcs 1.0.0 --rpm --store /srv/store 2>&1)
rc=$?
expect_eq "scenario 9: pin on dnf without versionlock: exit 1" "$rc" 1
expect_match "... says how to get the plugin" "$out" 'python3-dnf-plugin-versionlock'
out=$(ct_exec "$CT" relpkg rollback lcs --rpm --store /srv/store --to 1.0.0 --yes 2>&1)
rc=$?
expect_eq "scenario 9: rollback on dnf without versionlock: exit 1" "$rc" 1
expect_match "... says how to get the plugin" "$out" 'dnf-plugins-core'
ct_sh "$CT" 'for f in $(dpkg -L dnf-plugins-core 2>/dev/null | grep -E "versionlock\.(py|conf)$"); do mv "$f.off" "$f"; done'
check "with the plugin back, dnf versionlock list works" ct_sh "$CT" 'dnf -q versionlock list >/dev/null 2>&1'
ct_stop "$CT"
