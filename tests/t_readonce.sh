# shellcheck shell=sh
# t_readonce.sh — `relpkg build` reads and decompresses its input once
# (issue 17): strace counts the bytes read from the input tarball's
# descriptor, for gzip, xz and zstd input (the scan keeps the decompressed
# stream in a spool in $TMPDIR, the data pass reads that); the packages do
# not depend on how the input was compressed; the spool leaves nothing in
# $TMPDIR, is bounded by what the entries declare, and a full $TMPDIR is
# a clear error with nothing written.
need_cmd strace python3 gzip xz zstd awk cmp
need_relpkg
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH

src=$T/src
mkdir -p "$src"
python3 "$TOP/bench/mkrelease.py" "$src/app-1.0.0.tar.gz" app 1.0.0 6 1500
gzip -dc "$src/app-1.0.0.tar.gz" >"$src/app-1.0.0.tar"
xz -1 -T1 -c "$src/app-1.0.0.tar" >"$src/app-1.0.0.tar.xz"
zstd -q -3 -c "$src/app-1.0.0.tar" >"$src/app-1.0.0.tar.zst"

# read_bytes FILE OUT: builds FILE under strace; prints the bytes read
# from FILE's descriptor (read and pread64 return values).
read_bytes() {
	rm -rf "$2"
	# (LeakSanitizer cannot run under ptrace: make asan's leak check is
	# left to the other builds of this file)
	strace -f -y -e trace=read,pread64,preadv,readv -o "$T/strace.txt" \
		env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$RELPKG" build "$1" --name app --version 1.0.0 --out "$2" -q </dev/null || return 1
	grep -F "<$1>" "$T/strace.txt" | awk '$NF ~ /^[0-9]+$/ { s += $NF } END { print s + 0 }'
}

for ext in tar.gz tar.xz tar.zst tar; do
	f=$src/app-1.0.0.$ext
	size=$(stat -c %s "$f")
	if ! n=$(read_bytes "$f" "$T/out-$ext"); then
		fail "$ext: builds under strace"
		continue
	fi
	note "$ext: $n bytes read from a $size-byte input ($(awk -v n="$n" -v s="$size" 'BEGIN { printf "%.2f", n / s }')x)"
	case $ext in
	tar)
		# a plain tar is not copied: the scan reads header blocks, the
		# data pass the data; never more than twice
		if [ "$n" -ge "$size" ] && [ "$n" -le $((2 * size)) ]; then
			pass "$ext: the input is read at most twice (headers, then data)"
		else
			fail "$ext: the input is read at most twice" "$n bytes for $size"
		fi
		;;
	*)
		# once: every byte (the last block may stop short of a trailer),
		# plus the few bytes of the compression magic
		if [ "$n" -ge $((size - 65536)) ] && [ "$n" -le $((size + 64)) ]; then
			pass "$ext: the input's bytes are read once ($n of $size)"
		else
			fail "$ext: the input's bytes are read once" "$n bytes read for a $size-byte file"
		fi
		;;
	esac
done
for ext in tar.xz tar.zst tar; do
	for p in app_1.0.0-1_all.deb app-1.0.0-1.noarch.rpm; do
		if cmp -s "$T/out-tar.gz/$p" "$T/out-$ext/$p"; then
			pass "$ext: $p is byte-identical to the one built from the .tar.gz"
		else
			fail "$ext: $p is byte-identical to the one built from the .tar.gz"
		fi
	done
done

# the spool is anonymous: nothing stays in TMPDIR, with or without O_TMPFILE
for mode in otmpfile named; do
	mkdir -p "$T/tmp-$mode"
	rm -rf "$T/out-$mode"
	nt=
	[ "$mode" = otmpfile ] || nt=1
	if env TMPDIR="$T/tmp-$mode" RELPKG_TEST_NO_O_TMPFILE="$nt" \
		"$RELPKG" build "$src/app-1.0.0.tar.xz" --name app --version 1.0.0 --out "$T/out-$mode" -q &&
		[ -z "$(ls -A "$T/tmp-$mode")" ]; then
		pass "spool ($mode): nothing left in TMPDIR"
	else
		fail "spool ($mode): nothing left in TMPDIR" "$(ls -A "$T/tmp-$mode")"
	fi
done

# a stream larger than its entries explain (40,000 archive-root entries:
# 20 MB of headers for no entry) is refused before it fills TMPDIR
python3 - "$T/roots.tar.gz" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz", format=tarfile.GNU_FORMAT) as t:
    for i in range(40000):
        d = tarfile.TarInfo("./")
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        t.addfile(d)
    f = tarfile.TarInfo("bin/app")
    f.size = 3
    f.mode = 0o755
    t.addfile(f, io.BytesIO(b"hi\n"))
EOF
mkdir -p "$T/tmp-roots"
rc=0
env TMPDIR="$T/tmp-roots" "$RELPKG" build "$T/roots.tar.gz" --name app --version 1.0.0 --out "$T/out-roots" \
	-q >"$T/roots.out" 2>&1 || rc=$?
if [ "$rc" -eq 1 ] && grep -q "larger than its entries explain" "$T/roots.out" &&
	[ -z "$(ls -A "$T/tmp-roots")" ] && [ -z "$(ls -A "$T/out-roots" 2>/dev/null)" ]; then
	pass "a decompressed stream larger than its entries explain is refused, nothing left"
else
	fail "a decompressed stream larger than its entries explain is refused" "exit $rc" "$(cat "$T/roots.out")"
fi

# a TMPDIR without room for the spool: a clear error naming it, nothing written
mkdir -p "$T/small"
if mount -t tmpfs -o size=1m tmpfs "$T/small" 2>/dev/null; then
	rc=0
	env TMPDIR="$T/small" "$RELPKG" build "$src/app-1.0.0.tar.gz" --name app --version 1.0.0 \
		--out "$T/out-small" -q >"$T/small.out" 2>&1 || rc=$?
	left=$(ls -A "$T/small")
	umount "$T/small"
	if [ "$rc" -eq 1 ] && grep -q "TMPDIR" "$T/small.out" && grep -q "$T/small" "$T/small.out" &&
		[ -z "$left" ] && [ -z "$(ls -A "$T/out-small" 2>/dev/null)" ]; then
		pass "a full TMPDIR: exit 1 naming TMPDIR, nothing written"
	else
		fail "a full TMPDIR: exit 1 naming TMPDIR, nothing written" "exit $rc" "$(cat "$T/small.out")" "$left"
	fi
else
	skip "a full TMPDIR is a clear error" "cannot mount a tmpfs here"
fi
