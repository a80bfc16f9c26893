#!/bin/sh
# run.sh BUILDDIR SECONDS NAME...: runs each harness BUILDDIR/fuzz_NAME for
# SECONDS on a working copy of its corpus (BUILDDIR/corpus/NAME, seeded
# from tests/fuzz/NAME/, plus relpkg's own packages when RELPKG names a
# relpkg binary), one after the other, and prints per harness: execs,
# coverage (libFuzzer's cov: and ft:), corpus size and crashes.  A crash,
# leak or sanitizer report leaves BUILDDIR/crash-NAME-* (the reproducer)
# and makes the exit status 1.  Called by `make fuzz FUZZ_SECONDS=N`.
set -u
B=$1 S=$2
shift 2
F=$(cd "$(dirname "$0")" && pwd)
status=0
if [ -n "${RELPKG:-}" ] && [ -x "$RELPKG" ]; then
	# relpkg's own packages (large: every script carries hooks/lib.sh)
	w=$(mktemp -d)
	cp "$F/ingest/wrapped.tar.gz" "$w/app-1.0.0.tar.gz"
	if SOURCE_DATE_EPOCH=1700000000 "$RELPKG" build "$w/app-1.0.0.tar.gz" --out "$w/o" --quiet \
		--maintainer 'f <f@example.org>' 2>/dev/null; then
		mkdir -p "$B/corpus/deb" "$B/corpus/rpm"
		cp "$w/o/"*.deb "$B/corpus/deb/relpkg.deb"
		cp "$w/o/"*.rpm "$B/corpus/rpm/relpkg.rpm"
	fi
	rm -rf "$w"
fi
printf '%-8s %10s %8s %8s %7s %s\n' harness execs cov ft corpus crashes
for n in "$@"; do
	c="$B/corpus/$n"
	mkdir -p "$c"
	cp "$F/$n/"* "$c/"
	case $n in ingest | deb | rpm) max=262144 ;; *) max=8192 ;; esac
	log="$B/fuzz-$n.log"
	rm -f "$B/crash-$n-"* "$B/leak-$n-"* "$B/timeout-$n-"* "$B/oom-$n-"*
	"$B/fuzz_$n" -max_total_time="$S" -max_len=$max -timeout=30 -rss_limit_mb=2560 \
		-print_final_stats=1 -artifact_prefix="$B/crash-$n-" "$c" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
	cov=$(printf '%s\n' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	ncorp=$(find "$c" -type f | wc -l)
	crashes=$(find "$B" -maxdepth 1 -name "crash-$n-*" | wc -l)
	printf '%-8s %10s %8s %8s %7s %s\n' "$n" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$ncorp" "$crashes"
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		status=1
		echo "  $n: exit status $rc; see $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5 | sed 's/^/  /'
	fi
done
exit $status
