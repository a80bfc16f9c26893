# t_rollback_policy.sh: src/rollback.c's choice of target on the text cases
# in tests/rollback/ (installed, running, journal, candidates, --to), with
# the package managers' version rules from libsolv.
ROLLBACKT=${ROLLBACKT:-$TOP/build/rollbackt}
[ -x "$ROLLBACKT" ] || skip_file "no $ROLLBACKT (run make)"
n=0
for c in "$TOP"/tests/rollback/*.case; do
	n=$((n + 1))
	check "$(basename "$c" .case)" "$ROLLBACKT" "$c"
done
[ "$n" -ge 10 ] || fail "at least 10 rollback cases" "found $n"
