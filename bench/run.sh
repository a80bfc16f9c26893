#!/bin/sh
# make bench: build speed and memory of `relpkg build` (deb + rpm) against
# the pipeline users run today (tar -x, dpkg-deb -b, rpmbuild -bb with a
# generated spec) and against the standard tool's bound at equal
# compression (issue 17):
#   gzip -6   one `gzip -6` of the tar stream                (target <= 0.5x)
#   zstd -3   `gzip -dc` of the input, then one `zstd -3` of the tar, one
#             after the other                                (target <= 1.0x)
#   xz -6     one `xz -6 -T2` of the tar                     (target <= 1.1x)
# Contenders alternate within each round; medians of ROUNDS rounds and
# the ratios are printed.  The machine may be shared: wall times are noisy,
# the ratios (same run, alternated) are what to read.  Also printed: the
# bytes read from the input (strace: the input is read once).  Peak RSS
# at 100k tiny files and for a >= 1 GB / >= 100k-entry release is
# bench/memory.sh's (make bench runs both).  Not part of make check.
#
#   sh bench/run.sh [ROUNDS]       (default 3)
#   BENCH="large flat small xz" selects the parts (default: all)
#   RELPKG=path  another relpkg binary
#   RELPKG_BASE=path  also runs this (older) relpkg in the same rounds:
#                before/after figures, alternated
#   PIPELINE=0   leaves out tar+dpkg-deb+rpmbuild (the slowest contender)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
relpkg=${RELPKG:-$top/build/relpkg}
relpkg_base=${RELPKG_BASE:-}
pipeline=${PIPELINE:-1}
rounds=${1:-3}
parts=${BENCH:-large flat small xz}
work=$top/build/bench
mkdir -p "$work"
export SOURCE_DATE_EPOCH=1700000000

want() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }

# --- inputs (cached: deterministic generator) ---------------------------------
# large: 200 MB / 20k files, heavy-tailed sizes like a real OTP release
# (about 45% of the bytes in files of 64 KiB or more, which compress once);
# flat: the same size and count, nearly all small files (almost nothing to
# share: the many-small-files case).  The inputs are cached by name.
mk() { # NAME MB FILES SIZES
	[ -f "$work/$1-1.0.0.tar.gz" ] ||
		python3 "$top/bench/mkrelease.py" "$work/$1-1.0.0.tar.gz" "$1" 1.0.0 "$2" "$3" "$4"
	[ -f "$work/$1.tar" ] || gzip -dc "$work/$1-1.0.0.tar.gz" >"$work/$1.tar"
	tar -tvf "$work/$1.tar" | awk -v i="$1" '{ t += $3; if ($3 >= 65536) { b += $3; n++ } }
		END { printf "%-6s input: %d bytes in %d files; %d files of 64 KiB or more hold %.0f%% of the bytes\n", i, t, NR, n, b * 100 / t }'
}

# --- contenders -----------------------------------------------------------------
# Each prints nothing; timing and peak RSS come from /usr/bin/time.
run_relpkg() { # INPUT COMP LEVEL
	rm -rf "$work/out-relpkg"
	"$relpkg" build "$work/$1-1.0.0.tar.gz" --out "$work/out-relpkg" --compression "$2" --level "$3" \
		--maintainer 'bench <bench@example.org>' -q
}

run_base() { # INPUT COMP LEVEL
	rm -rf "$work/out-base"
	"$relpkg_base" build "$work/$1-1.0.0.tar.gz" --out "$work/out-base" --compression "$2" --level "$3" \
		--maintainer 'bench <bench@example.org>' -q
}

run_pipeline() { # INPUT COMP LEVEL
	p=$work/pipe
	rm -rf "$p"
	mkdir -p "$p/tree/opt/$1/releases/1.0.0" "$p/tree/DEBIAN" "$p/rpm/SPECS" "$p/rpm/RPMS" "$p/out"
	tar -xzf "$work/$1-1.0.0.tar.gz" -C "$p/tree/opt/$1/releases/1.0.0"
	cat >"$p/tree/DEBIAN/control" <<CTL
Package: $1
Version: 1.0.0-1
Architecture: all
Maintainer: bench <bench@example.org>
Description: bench release
 A generated release.
CTL
	dpkg-deb --root-owner-group -Z"$2" -z"$3" -b "$p/tree" "$p/out/$1.deb" >/dev/null
	rm -rf "$p/tree/DEBIAN"
	case $2 in gzip) payload="w$3.gzdio" ;; zstd) payload="w$3.zstdio" ;; xz) payload="w$3.xzdio" ;; esac
	cat >"$p/rpm/SPECS/$1.spec" <<SPEC
Name: $1
Version: 1.0.0
Release: 1
Summary: bench release
License: MIT
BuildArch: noarch
%description
A generated release.
%files
%defattr(-,root,root,-)
/opt/$1
SPEC
	rpmbuild -bb --quiet --define "_topdir $p/rpm" --define "_binary_payload $payload" \
		--define "_build_id_links none" --buildroot "$p/tree" "$p/rpm/SPECS/$1.spec" >/dev/null 2>&1
}

# The standard tool's bound (issue 17's definitions).
run_bound() { # INPUT COMP LEVEL
	case $2 in
	gzip) gzip -"$3" -c "$work/$1.tar" >/dev/null ;;
	zstd) gzip -dc "$work/$1-1.0.0.tar.gz" >"$work/bound.tar" && zstd -q -"$3" -c "$work/bound.tar" >/dev/null ;;
	xz) xz -"$3" -T2 -c "$work/$1.tar" >/dev/null ;;
	esac
}

measure() { # FUNC ARGS... -> "SECONDS PEAK_KB"
	# shellcheck disable=SC2016 # expanded by the child shell
	/usr/bin/time -f '%e %M' -o "$work/time.out" sh -c '. "$0"; "$@"' "$work/fns.sh" "$@" 2>/dev/null ||
		{ echo "bench: $1 failed" >&2; exit 1; }
	cat "$work/time.out"
}

# the functions, for measure's child shell
{
	echo "work='$work'; relpkg='$relpkg'; relpkg_base='$relpkg_base'; export SOURCE_DATE_EPOCH=1700000000"
	sed -n '/^run_relpkg()/,/^}/p; /^run_base()/,/^}/p; /^run_pipeline()/,/^}/p; /^run_bound()/,/^}/p' "$0"
} >"$work/fns.sh"

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
peak_mb() { cut -d' ' -f2 "$1" | sort -n | tail -n 1 | awk '{ printf "%.1f", $1 / 1024 }'; }

target_of() {
	case $1 in gzip) echo 0.5 ;; zstd) echo 1.0 ;; xz) echo 1.1 ;; esac
}
bound_name() {
	case $1 in
	gzip) echo "one gzip -$2 of the tar" ;;
	zstd) echo "gzip -dc; zstd -$2" ;;
	xz) echo "one xz -$2 -T2 of the tar" ;;
	esac
}

# compare INPUT COMP LEVEL CONTENDERS...: alternated rounds, medians, ratios
compare() {
	input=$1 comp=$2 level=$3
	shift 3
	for c in "$@"; do : >"$work/r.$c"; done
	i=0
	while [ $i -lt "$rounds" ]; do
		for c in "$@"; do
			measure "run_$c" "$input" "$comp" "$level" >>"$work/r.$c"
		done
		i=$((i + 1))
	done
	t_pipeline=0 t_base=0
	for c in "$@"; do
		t=$(cut -d' ' -f1 "$work/r.$c" | median)
		eval "t_$c=$t"
		printf '%-6s %-7s %-26s %9.2f %9s\n' "$input" "$comp-$level" \
			"$(case $c in relpkg) echo 'relpkg (deb+rpm)' ;; base) echo 'relpkg base (before)' ;; pipeline) echo 'tar+dpkg-deb+rpmbuild' ;; bound) bound_name "$comp" "$level" ;; esac)" \
			"$t" "$(peak_mb "$work/r.$c")"
	done
	# shellcheck disable=SC2154
	awk -v r="$t_relpkg" -v p="$t_pipeline" -v b="$t_bound" -v i="$input" -v c="$comp-$level" -v o="$t_base" \
		-v tg="$(target_of "$comp")" -v n="$rounds" 'BEGIN {
		printf "%-6s %-7s ratio: relpkg / bound = %.2fx (target <= %s)", i, c, r / b, tg
		if (o > 0) printf "   base / bound = %.2fx", o / b
		if (p > 0) printf "   pipeline / relpkg = %.2fx", p / r
		printf "   (medians of %d, alternated)\n", n }'
}

# read_once INPUT: the bytes relpkg reads from the input file (strace)
read_once() {
	command -v strace >/dev/null 2>&1 || { echo "$1: strace not installed, read count not measured"; return 0; }
	f=$work/$1-1.0.0.tar.gz
	rm -rf "$work/out-strace"
	strace -f -y -e trace=read,pread64,readv,preadv -o "$work/strace.txt" "$relpkg" build "$f" \
		--out "$work/out-strace" --maintainer 'bench <bench@example.org>' -q
	grep -F "<$f>" "$work/strace.txt" | awk -v s="$(stat -c %s "$f")" -v i="$1" \
		'$NF ~ /^[0-9]+$/ { n += $NF } END { printf "%-6s input read: %d bytes of a %d-byte .tar.gz = %.2fx (target 1.00x)\n", i, n, s, n / s }'
	rm -rf "$work/out-strace" "$work/strace.txt"
}

contenders="relpkg ${relpkg_base:+base} bound"
[ "$pipeline" = 0 ] || contenders="$contenders pipeline"
# share_size INPUT COMP LEVEL: compress once against each format built
# alone (nothing shared): the size the units cut at large files cost.
# Reads out-relpkg, which the last round of compare at COMP left.
share_size() {
	for f in deb rpm; do
		rm -rf "$work/out-alone"
		"$relpkg" build "$work/$1-1.0.0.tar.gz" --out "$work/out-alone" --format "$f" \
			--compression "$2" --level "$3" --maintainer 'bench <bench@example.org>' -q
		a=$(stat -c %s "$work"/out-relpkg/*."$f") b=$(stat -c %s "$work"/out-alone/*."$f")
		awk -v i="$1" -v c="$2-$3" -v f="$f" -v a="$a" -v b="$b" \
			'BEGIN { printf "%-6s %-7s size: .%s compressed once %d bytes, alone %d (%+.2f%%, target within 2%%)\n", i, c, f, a, b, (a - b) * 100 / b }'
	done
	rm -rf "$work/out-alone"
}

printf '%-6s %-7s %-26s %9s %9s\n' input comp contender "median s" "peak MB"
if want large || want xz; then
	mk large 200 20000 otp
	read_once large
fi
if want large; then
	# shellcheck disable=SC2086 # a list of words
	compare large gzip 6 $contenders
	share_size large gzip 6
	# shellcheck disable=SC2086 # a list of words
	compare large zstd 3 $contenders
	find "$work/out-relpkg" -type f -exec stat -c 'large  zstd-3  output: %n %s bytes' {} \;
fi
if want flat; then
	mk flat 200 20000 flat
	compare flat gzip 6 relpkg ${relpkg_base:+base} bound
	share_size flat gzip 6
	compare flat zstd 3 relpkg ${relpkg_base:+base} bound
fi
if want small; then
	mk small 1 100 flat
	# shellcheck disable=SC2086 # a list of words
	compare small gzip 6 $contenders
	share_size small gzip 6
	# shellcheck disable=SC2086 # a list of words
	compare small zstd 3 $contenders
fi
if want xz; then
	# xz -6: liblzma needs ~94 MiB per -6 encoder (lzma_easy_encoder_memusage),
	# and the .deb and the .rpm each have one: peak RSS is printed, not bounded
	compare large xz 6 relpkg ${relpkg_base:+base} bound
	share_size large xz 6
fi
rm -f "$work/bound.tar"
