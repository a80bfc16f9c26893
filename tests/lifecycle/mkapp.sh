#!/bin/sh
# Makes one release of the lifecycle test app: OUTDIR/NAME-VERSION.tar.gz, a
# generic bin/ + lib/ release wrapped in NAME-VERSION/ (relpkg strips it).
#
#   sh tests/lifecycle/mkapp.sh OUTDIR NAME VERSION [SCHEMA] [FAIL]
#
#   SCHEMA  the schema version this release expects (default 1); recorded in
#           lib/lcapp/app.conf (the package gets it from --schema-version)
#   FAIL    "" (default) or how this release fails deliberately:
#             start         the server exits 1 at once
#             health        the server runs, GET /health answers 500
#             migrate-up    bin/migrate up exits 1
#             migrate-down  bin/migrate down exits 1
#   MKAPP_PORT  default port baked into the release (default 18400); PORT
#               in the environment (the env file) wins
#   MKAPP_MB    add N MB of random files under priv/blob/ (default 0)
#
# The release:
#   bin/NAME       `bin/NAME [foreground]`: the HTTP server (app/lib/server.py)
#   bin/migrate    `bin/migrate up|down`: SQLite schema -> $RELPKG_SCHEMA_TARGET
#   lib/lcapp/     server.py, app.conf (LC_NAME LC_VERSION LC_SCHEMA LC_FAIL LC_PORT)
#   priv/static/version.txt   VERSION; read by the server on every request
set -eu

if [ $# -lt 3 ] || [ $# -gt 5 ]; then
	echo "usage: $0 OUTDIR NAME VERSION [SCHEMA] [FAIL]" >&2
	exit 2
fi
out=$1 name=$2 vsn=$3 schema=${4:-1} fail=${5:-}
port=${MKAPP_PORT:-18400} mb=${MKAPP_MB:-0}
case $fail in
"" | start | health | migrate-up | migrate-down) ;;
*) echo "mkapp: unknown FAIL '$fail'" >&2; exit 2 ;;
esac
case $name$vsn$schema$port$mb in
*[!A-Za-z0-9._+~-]*) echo "mkapp: odd characters in the arguments" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
top=$name-$vsn
mkdir -p "$out"
tarball=$(cd "$out" && pwd)/$top.tar.gz

stage=$(mktemp -d "${TMPDIR:-/tmp}/mkapp.XXXXXX")
trap 'rm -rf "$stage"' EXIT
r=$stage/$top
mkdir -p "$r/bin" "$r/lib/lcapp" "$r/priv/static"
cp "$here/app/bin/app" "$r/bin/$name"
cp "$here/app/bin/migrate" "$r/bin/migrate"
cp "$here/app/lib/server.py" "$r/lib/lcapp/server.py"
printf "LC_NAME='%s'\nLC_VERSION='%s'\nLC_SCHEMA='%s'\nLC_FAIL='%s'\nLC_PORT='%s'\n" \
	"$name" "$vsn" "$schema" "$fail" "$port" >"$r/lib/lcapp/app.conf"
printf '%s\n' "$vsn" >"$r/priv/static/version.txt"
if [ "$mb" -gt 0 ]; then
	mkdir -p "$r/priv/blob"
	i=0
	while [ $((i * 4)) -lt "$mb" ]; do
		head -c $((4 * 1024 * 1024)) /dev/urandom >"$r/priv/blob/blob-$i.bin"
		i=$((i + 1))
	done
fi
find "$r" -type d -exec chmod 0755 {} +
find "$r" -type f -exec chmod 0644 {} +
chmod 0755 "$r/bin/$name" "$r/bin/migrate"
(cd "$stage" && LC_ALL=C tar --format=gnu --sort=name --mtime=@1700000000 \
	--owner=0 --group=0 --numeric-owner -cf - "$top") | gzip -n -1 >"$tarball.tmp"
mv "$tarball.tmp" "$tarball"
printf '%s\n' "$tarball"
