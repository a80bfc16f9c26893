#!/bin/sh
# make bench: build speed and memory of `relpkg build` (deb + rpm) against
# the pipeline users run today (tar -x, dpkg-deb -b, rpmbuild -bb with a
# generated spec) and against the bound (compressing the tar stream once),
# at equal compression, on a large (~200 MB, ~20,000 files) and a small
# (~1 MB) generated release.  Contenders alternate; medians and ratios are
# printed.  Not part of make check.
#
#   sh bench/run.sh [ROUNDS]       (default 3)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
relpkg=${RELPKG:-$top/build/relpkg}
rounds=${1:-3}
work=$top/build/bench
mkdir -p "$work"
export SOURCE_DATE_EPOCH=1700000000

# --- inputs (cached: deterministic generator) ---------------------------------
mk() { # NAME MB FILES
	[ -f "$work/$1-1.0.0.tar.gz" ] || python3 "$top/bench/mkrelease.py" "$work/$1-1.0.0.tar.gz" "$1" 1.0.0 "$2" "$3"
	[ -f "$work/$1.tar" ] || gzip -dc "$work/$1-1.0.0.tar.gz" >"$work/$1.tar"
}
mk large 200 20000
mk small 1 100

# --- contenders -----------------------------------------------------------------
# Each prints nothing; timing and peak RSS come from /usr/bin/time.
run_relpkg() { # INPUT COMP LEVEL
	rm -rf "$work/out-relpkg"
	"$relpkg" build "$work/$1-1.0.0.tar.gz" --out "$work/out-relpkg" --compression "$2" --level "$3" \
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

run_bound() { # INPUT COMP LEVEL
	case $2 in
	gzip) gzip -"$3" -c "$work/$1.tar" >/dev/null ;;
	zstd) zstd -q -"$3" -c "$work/$1.tar" >/dev/null ;;
	xz) xz -"$3" -c "$work/$1.tar" >/dev/null ;;
	esac
}

measure() { # FUNC ARGS... -> "SECONDS PEAK_KB"
	/usr/bin/time -f '%e %M' -o "$work/time.out" sh -c '. "$0"; "$@"' "$work/fns.sh" "$@" 2>/dev/null ||
		{ echo "bench: $1 failed" >&2; exit 1; }
	cat "$work/time.out"
}

# the functions, for measure's child shell
{
	echo "work='$work'; relpkg='$relpkg'; export SOURCE_DATE_EPOCH=1700000000"
	sed -n '/^run_relpkg()/,/^}/p; /^run_pipeline()/,/^}/p; /^run_bound()/,/^}/p' "$0"
} >"$work/fns.sh"

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

printf '%-6s %-5s %-22s %9s %9s\n' input comp contender "median s" "peak MB"
for input in large small; do
	for cl in "gzip 6" "zstd 3"; do
		set -- $cl
		: >"$work/r.relpkg"
		: >"$work/r.pipeline"
		: >"$work/r.bound"
		i=0
		while [ $i -lt "$rounds" ]; do
			for c in relpkg pipeline bound; do
				measure "run_$c" "$input" "$1" "$2" >>"$work/r.$c"
			done
			i=$((i + 1))
		done
		for c in relpkg pipeline bound; do
			t=$(cut -d' ' -f1 "$work/r.$c" | median)
			m=$(cut -d' ' -f2 "$work/r.$c" | sort -n | tail -n 1)
			eval "t_$c=$t"
			printf '%-6s %-5s %-22s %9.2f %9.1f\n' "$input" "$1-$2" \
				"$(case $c in relpkg) echo 'relpkg (deb+rpm)' ;; pipeline) echo 'tar+dpkg-deb+rpmbuild' ;; bound) echo "one $1 -$2 of the tar" ;; esac)" \
				"$t" "$(echo "$m" | awk '{ print $1 / 1024 }')"
		done
		# shellcheck disable=SC2154
		awk -v r="$t_relpkg" -v p="$t_pipeline" -v b="$t_bound" -v i="$input" -v c="$1-$2" 'BEGIN {
			printf "%-6s %-5s ratio: pipeline / relpkg = %.2fx (target >= 3)   relpkg / bound = %.2fx (target <= 1.25)\n",
				i, c, p / r, r / b }'
	done
done
