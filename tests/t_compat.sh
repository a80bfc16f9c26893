# t_compat.sh: packages built by an older relpkg (tests/fixtures/proto-v1,
# hook protocol and relpkg-meta format 1, kept as bytes) and packages built
# by this relpkg up/downgrade each other in both directions, with the newer
# version's migrate-down read from the other build's metadata.  The incoming
# package drives every transition, so this must hold for every later relpkg.
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd systemd-nspawn nsenter debootstrap python3 sqlite3
need_relpkg
[ "$(id -u)" = 0 ] || skip_file "needs root (mounts, systemd-nspawn)"
. "$TOP/tests/container/lib.sh"
trap ct_cleanup_all EXIT
export SOURCE_DATE_EPOCH=1700000000

old=$TOP/tests/fixtures/proto-v1
PORT=18470
MKAPP_PORT=$PORT sh "$TOP/tests/lifecycle/mkapp.sh" "$T" lcv 1.5 1.5 >/dev/null
check "build lcv 1.5 with this relpkg" "$RELPKG" build "$T/lcv-1.5.tar.gz" --out "$T/new" --quiet \
	--schema-version 1.5 --migrate-up 'bin/migrate up' --migrate-down 'bin/migrate down' \
	--health-url "http://127.0.0.1:$PORT/health"

for fmt in deb rpm; do
	CT=compat-$fmt
	ct_create "$CT" >/dev/null && ct_boot "$CT" >/dev/null || { fail "$fmt: container boots"; continue; }
	ct_copy_in "$CT" "$old" /srv/old/
	ct_copy_in "$CT" "$T/new" /srv/new/
	if [ "$fmt" = deb ]; then
		o10=/srv/old/proto-v1/lcv_1.0-1_all.deb o20=/srv/old/proto-v1/lcv_2.0-1_all.deb n15=/srv/new/new/lcv_1.5-1_all.deb
		inst() { ct_exec "$CT" dpkg -i "$2" >/dev/null 2>&1; }
	else
		o10=/srv/old/proto-v1/lcv-1.0-1.noarch.rpm o20=/srv/old/proto-v1/lcv-2.0-1.noarch.rpm n15=/srv/new/new/lcv-1.5-1.noarch.rpm
		inst() { ct_exec "$CT" rpm -U $1 "$2" >/dev/null 2>&1; }
	fi
	st() { # LABEL PKG FLAGS VERSION SCHEMA
		check "$fmt: $1" inst "$3" "$2"
		expect_eq "$fmt: after $1, $4 answers" "$(ct_http_get $PORT)" "$4"
		expect_eq "$fmt: after $1, the schema is $5" \
			"$(ct_exec "$CT" sqlite3 /var/lib/lcv/app.db 'select version from schema')" "$5"
	}
	st "install 1.0 (old build)" "$o10" "" 1.0 1
	st "upgrade to 1.5 (this build) over the old build" "$n15" "" 1.5 1.5
	st "downgrade to 1.0 (old build): 1.5's migrate-down runs" "$o10" --oldpackage 1.0 1
	st "upgrade to 2.0 (old build)" "$o20" "" 2.0 2
	st "downgrade to 1.5 (this build): the old 2.0's migrate-down runs" "$n15" --oldpackage 1.5 1.5
	note "$(ct_exec "$CT" cat /var/lib/lcv/migrations.log 2>/dev/null | awk '{ $1 = ""; print }')"
	ct_stop "$CT"
done
