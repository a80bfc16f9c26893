#!/bin/sh
# sh tests/flake.sh RUNS PATTERN...: the test runner over PATTERN, RUNS times
# in a row (make flake).  Each run's summary line and wall time are printed;
# the first run with a failure (or that ran no test) ends the loop with its
# status.  The last line: "flake: N of RUNS runs passed in S s".
set -u
runs=${1:?usage: sh tests/flake.sh RUNS PATTERN...}
shift
[ "$#" -gt 0 ] || { echo "usage: sh tests/flake.sh RUNS PATTERN..." >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
log=$top/build/tmp/flake.log
mkdir -p "$top/build/tmp"
: >"$log"
start=$(date +%s)
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	t0=$(date +%s)
	rc=0
	sh "$top/tests/run" "$@" >>"$log" 2>&1 || rc=$?
	summary=$(tail -n 1 "$log")
	echo "flake: run $i/$runs: $summary ($(($(date +%s) - t0)) s)"
	if [ "$rc" -ne 0 ]; then
		grep '^FAIL - ' "$log" | tail -n 20
		echo "flake: run $i of $runs failed after $(($(date +%s) - start)) s (log: $log)"
		exit 1
	fi
done
echo "flake: $runs of $runs runs passed in $(($(date +%s) - start)) s"
