# t_rollback_policy.sh: src/rollback.c's choice of target on the text cases
# in tests/rollback/ (database, what runs, state, failure marker, transaction
# record, pin, journal, --to, candidates), with the package managers' version
# rules from libsolv.  Each rule of rollback.h has its cases.
ROLLBACKT=${ROLLBACKT:-$TOP/build/rollbackt}
[ -x "$ROLLBACKT" ] || skip_file "no $ROLLBACKT (run make)"
n=0
for c in "$TOP"/tests/rollback/*.case; do
	n=$((n + 1))
	check "$(basename "$c" .case)" "$ROLLBACKT" "$c"
done
[ "$n" -ge 30 ] || fail "at least 30 rollback cases" "found $n"
