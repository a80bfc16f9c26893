# shellcheck shell=sh
# t_memory.sh — `relpkg build` memory is flat in entries (issue 17): the
# peak RSS of a deb+rpm build grows by less than MAX_KB_PER_ENTRY per
# entry between a 2,000-file and a 22,000-file release of 8 MB,
# with gzip and with zstd.  At that slope (and the fixed part measured
# here) a 100k-entry release stays under 64 MB; `make bench`
# (bench/memory.sh) measures 100k entries and a 1 GB release directly.
# Measured here before the fix: 0.59 (gzip) and 0.71 (zstd) KB per entry
# (the rpm header was built in memory three times over, md5sums whole,
# every name copied twice); after: 0.23 and 0.27.  The bound sits between
# with room for allocator noise (about 0.03 KB per entry) on both sides.
need_cmd python3 /usr/bin/time awk
need_relpkg
if ldd "$RELPKG" 2>/dev/null | grep -q 'libasan\|libtsan'; then
	skip_file "RSS of a sanitizer build measures the sanitizer (its shadow memory), not relpkg"
fi
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
MAX_KB_PER_ENTRY=${MAX_KB_PER_ENTRY:-0.40}

src=$T/src
mkdir -p "$src"
# the same bytes (8 MB: every compression buffer is filled in both), only
# the number of entries differs
python3 "$TOP/bench/mkrelease.py" "$src/small-1.0.0.tar.gz" mem 1.0.0 8 2000
python3 "$TOP/bench/mkrelease.py" "$src/large-1.0.0.tar.gz" mem 1.0.0 8 22000

# peak_kb TARBALL COMP: the build's peak RSS in KB (empty on failure)
peak_kb() {
	rm -rf "$T/out"
	/usr/bin/time -f '%M' -o "$T/time.out" "$RELPKG" build "$1" --name mem --compression "$2" \
		--maintainer 'mem <mem@example.org>' --out "$T/out" -q >"$T/build.out" 2>&1 || return 1
	[ -f "$T/out/mem_1.0.0-1_all.deb" ] && [ -f "$T/out/mem-1.0.0-1.noarch.rpm" ] || return 1
	tail -n 1 "$T/time.out"
}

for comp in gzip zstd; do
	if ! a=$(peak_kb "$src/small-1.0.0.tar.gz" "$comp") || ! b=$(peak_kb "$src/large-1.0.0.tar.gz" "$comp"); then
		fail "$comp: builds" "$(cat "$T/build.out")"
		continue
	fi
	slope=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (b - a) / 20000 }')
	note "$comp: peak RSS ${a} KB at 2,000 files, ${b} KB at 22,000: $slope KB per entry"
	if awk -v s="$slope" -v m="$MAX_KB_PER_ENTRY" 'BEGIN { exit !(s <= m) }'; then
		pass "$comp: peak RSS grows $slope KB per entry (bound $MAX_KB_PER_ENTRY)"
	else
		fail "$comp: peak RSS grows $slope KB per entry (bound $MAX_KB_PER_ENTRY)" \
			"2,000 files: $a KB; 22,000 files: $b KB"
	fi
done
