#!/bin/sh
# Makes the sample release shipped with relpkg: OUTDIR/hello-1.0.0.tar.gz,
# built from examples/hello/ and byte-reproducible (same bytes on every
# machine and every run, whatever the checkout's umask or times).
#   sh examples/make-sample.sh OUTDIR
# Entries sit under one hello-1.0.0/ wrapper directory (relpkg strips it).
# Git keeps no hard links, so lib/hello/README.md is made here as a hard
# link to lib/hello/README.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
vsn=$(cat "$here/hello/lib/hello/VERSION")
top="hello-$vsn"
mkdir -p "$1"
out="$(cd "$1" && pwd)/$top.tar.gz"

stage=$(mktemp -d "${TMPDIR:-/tmp}/make-sample.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cp -R -P "$here/hello" "$stage/$top"
ln "$stage/$top/lib/hello/README" "$stage/$top/lib/hello/README.md"
# Normalise modes: directories and executables 0755, other files 0644.
find "$stage/$top" -type d -exec chmod 0755 {} +
find "$stage/$top" -type f -perm -u+x -exec chmod 0755 {} +
find "$stage/$top" -type f ! -perm -u+x -exec chmod 0644 {} +

(cd "$stage" && LC_ALL=C tar --format=gnu --sort=name --mtime=@1700000000 \
	--owner=0 --group=0 --numeric-owner -cf - "$top") | gzip -n -9 >"$out.tmp"
mv "$out.tmp" "$out"
