#!/bin/sh
# make bench: peak RSS of `relpkg build` (deb + rpm) as the number of
# entries grows (issue 17: memory flat in entries, target <= 64 MB with
# gzip and zstd), on two generated releases (bench/mkrelease.py):
#   tiny   100,000 tiny files, 10 MB
#   huge   110,000 entries, 1.1 GB (1.2 GB unpacked)
# next to the standard tools on the same tree (extracted once, not
# measured), at the same compression:
#   dpkg-deb -b       the .deb alone, from the tree
#   tar -c            one tar stream of the tree, gzip or zstd
# Contenders alternate within each round; medians of ROUNDS rounds (the
# huge release: HUGE_ROUNDS, default 1, a build takes minutes) of peak RSS
# (/usr/bin/time %M: the largest process of each contender's tree) and
# wall time, and relpkg's ratios to each tool.  Not part of make check
# (tests/t_memory.sh checks the growth per entry at a small scale).
#
#   sh bench/memory.sh [ROUNDS]      (default 3)
#   BENCH_MEM="tiny huge"  selects the inputs (default: both)
#   RELPKG=path        another relpkg binary
#   RELPKG_BASE=path   also runs this (older) relpkg in the same rounds
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
relpkg=${RELPKG:-$top/build/relpkg}
relpkg_base=${RELPKG_BASE:-}
rounds=${1:-3}
huge_rounds=${HUGE_ROUNDS:-1}
parts=${BENCH_MEM:-tiny huge}
work=$top/build/bench
mkdir -p "$work"
export SOURCE_DATE_EPOCH=1700000000

mk() { # NAME MB FILES: the tarball and its extracted tree (cached: deterministic)
	[ -f "$work/$1-1.0.0.tar.gz" ] || python3 "$top/bench/mkrelease.py" "$work/$1-1.0.0.tar.gz" "$1" 1.0.0 "$2" "$3"
	if [ ! -f "$work/$1.tree/.done" ]; then
		rm -rf "$work/$1.tree"
		mkdir -p "$work/$1.tree/opt/$1/releases/1.0.0" "$work/$1.tree/DEBIAN"
		tar -xzf "$work/$1-1.0.0.tar.gz" -C "$work/$1.tree/opt/$1/releases/1.0.0"
		printf 'Package: %s\nVersion: 1.0.0-1\nArchitecture: all\nMaintainer: bench <bench@example.org>\nDescription: bench release\n A generated release.\n' \
			"$1" >"$work/$1.tree/DEBIAN/control"
		: >"$work/$1.tree/.done"
	fi
}

# --- contenders (each prints nothing) ---------------------------------------------
run_relpkg() { # INPUT COMP LEVEL
	rm -rf "$work/mem-out"
	"$relpkg" build "$work/$1-1.0.0.tar.gz" --out "$work/mem-out" --compression "$2" --level "$3" \
		--maintainer 'bench <bench@example.org>' -q
}
run_base() { # INPUT COMP LEVEL
	rm -rf "$work/mem-out"
	"$relpkg_base" build "$work/$1-1.0.0.tar.gz" --out "$work/mem-out" --compression "$2" --level "$3" \
		--maintainer 'bench <bench@example.org>' -q
}
run_dpkgdeb() { # INPUT COMP LEVEL
	rm -rf "$work/mem-out" && mkdir -p "$work/mem-out"
	dpkg-deb --root-owner-group -Z"$2" -z"$3" -b "$work/$1.tree" "$work/mem-out/$1.deb" >/dev/null
}
run_tar() { # INPUT COMP LEVEL
	case $2 in
	gzip) tar -C "$work/$1.tree" --exclude=./DEBIAN -cf - . | gzip -"$3" >/dev/null ;;
	zstd) tar -C "$work/$1.tree" --exclude=./DEBIAN -cf - . | zstd -q -"$3" >/dev/null ;;
	esac
}

measure() { # FUNC ARGS... -> "SECONDS PEAK_KB"
	# shellcheck disable=SC2016 # expanded by the child shell
	/usr/bin/time -f '%e %M' -o "$work/mem-time.out" sh -c '. "$0"; "$@"' "$work/mem-fns.sh" "$@" 2>/dev/null ||
		{ echo "bench: $1 failed" >&2; exit 1; }
	cat "$work/mem-time.out"
}
{
	echo "work='$work'; relpkg='$relpkg'; relpkg_base='$relpkg_base'; export SOURCE_DATE_EPOCH=1700000000"
	sed -n '/^run_relpkg()/,/^}/p; /^run_base()/,/^}/p; /^run_dpkgdeb()/,/^}/p; /^run_tar()/,/^}/p' "$0"
} >"$work/mem-fns.sh"

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

label() {
	case $1 in
	relpkg) echo 'relpkg (deb+rpm)' ;;
	base) echo 'relpkg base (before)' ;;
	dpkgdeb) echo 'dpkg-deb -b (deb only)' ;;
	tar) echo 'tar -c | compressor' ;;
	esac
}

# compare INPUT COMP LEVEL N CONTENDERS...: N alternated rounds, medians, ratios
compare() {
	input=$1 comp=$2 level=$3 n=$4
	shift 4
	for c in "$@"; do : >"$work/mem.$c"; done
	i=0
	while [ $i -lt "$n" ]; do
		for c in "$@"; do
			measure "run_$c" "$input" "$comp" "$level" >>"$work/mem.$c"
		done
		i=$((i + 1))
	done
	entries=$(tar -tzf "$work/$input-1.0.0.tar.gz" | grep -c .)
	for c in "$@"; do
		t=$(cut -d' ' -f1 "$work/mem.$c" | median)
		kb=$(cut -d' ' -f2 "$work/mem.$c" | median)
		eval "kb_$c=$kb"
		printf '%-5s %-7s %-24s %9.1f MB %8.2f s\n' "$input" "$comp-$level" "$(label "$c")" \
			"$(awk -v k="$kb" 'BEGIN { print k / 1024 }')" "$t"
	done
	# shellcheck disable=SC2154 # set by eval above
	awk -v r="$kb_relpkg" -v d="$kb_dpkgdeb" -v t="$kb_tar" -v o="${kb_base:-0}" -v i="$input" -v c="$comp-$level" \
		-v e="$entries" -v n="$n" 'BEGIN {
		printf "%-5s %-7s %d entries: relpkg peak RSS %.1f MB (target <= 64 MB); relpkg / dpkg-deb = %.2fx, relpkg / tar = %.2fx",
			i, c, e, r / 1024, r / d, r / t
		if (o > 0) printf ", base %.1f MB (after / before = %.2fx)", o / 1024, r / o
		printf "   (medians of %d, alternated)\n", n }'
}

contenders="relpkg ${relpkg_base:+base} dpkgdeb tar"
printf '%-5s %-7s %-24s %12s %10s\n' input comp contender "peak RSS" "wall"
for part in $parts; do
	case $part in
	tiny) mk tiny 10 100000; n=$rounds ;;
	huge) mk huge 1100 110000; n=$huge_rounds ;;
	*) echo "bench/memory.sh: unknown input '$part' (tiny, huge)" >&2; exit 2 ;;
	esac
	# shellcheck disable=SC2086 # a list of words
	compare "$part" gzip 6 "$n" $contenders
	# shellcheck disable=SC2086 # a list of words
	compare "$part" zstd 3 "$n" $contenders
done
rm -rf "$work/mem-out"
