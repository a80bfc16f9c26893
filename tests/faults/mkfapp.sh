#!/bin/sh
# Makes one release of the fault-matrix test app: OUTDIR/NAME-VERSION.tar,
# uncompressed (its payload is incompressible anyway).
#
#   sh tests/faults/mkfapp.sh OUTDIR NAME VERSION SCHEMA PORT [BLOBDIR]
#
# It is the lifecycle test app (tests/lifecycle/mkapp.sh: answers its version
# over HTTP, GET /whoami says "VERSION PID UID ROOT", bin/migrate keeps the
# schema in /var/lib/NAME/app.db) plus:
#   bin/faultpoint  tests/faults/faultpoint: blocks when the harness arms it
#   bin/health      tests/faults/health: the health command (fault point
#                   "health", then GET /health)
#   bin/migrate     calls `bin/faultpoint migrate-up|migrate-down` after the
#                   migration committed
#   priv/blob/      every file of BLOBDIR (hard-linked), to make the unpack
#                   take seconds; the same files can go into every version
set -eu

if [ $# -lt 5 ] || [ $# -gt 6 ]; then
	echo "usage: $0 OUTDIR NAME VERSION SCHEMA PORT [BLOBDIR]" >&2
	exit 2
fi
out=$1 name=$2 vsn=$3 schema=$4 port=$5 blob=${6:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

stage=$(mktemp -d "${TMPDIR:-/tmp}/mkfapp.XXXXXX")
trap 'rm -rf "$stage"' EXIT
tb=$(MKAPP_PORT=$port sh "$here/../lifecycle/mkapp.sh" "$stage/base" "$name" "$vsn" "$schema")
mkdir "$stage/x"
tar -C "$stage/x" -xzf "$tb"
r=$stage/x/$name-$vsn
[ -x "$r/bin/migrate" ] || { echo "mkfapp: no bin/migrate in $tb" >&2; exit 1; }
cp "$here/faultpoint" "$here/health" "$r/bin/"
# bin/migrate ends after its commit and log lines: the fault point follows.
# shellcheck disable=SC2016 # expanded by bin/migrate
printf '%s\n' '# fault matrix (tests/faults): stop here once the migration committed' \
	'"$root/bin/faultpoint" "migrate-$dir"' >>"$r/bin/migrate"
chmod 0755 "$r/bin/faultpoint" "$r/bin/health" "$r/bin/migrate"
if [ -n "$blob" ]; then
	mkdir -p "$r/priv/blob"
	ln "$blob"/* "$r/priv/blob/" 2>/dev/null || cp "$blob"/* "$r/priv/blob/"
fi
(cd "$stage/x" && LC_ALL=C tar --format=gnu --sort=name --mtime=@1700000000 \
	--owner=0 --group=0 --numeric-owner --hard-dereference -cf "$out/$name-$vsn.tar.tmp" "$name-$vsn")
mv "$out/$name-$vsn.tar.tmp" "$out/$name-$vsn.tar"
printf '%s\n' "$out/$name-$vsn.tar"
