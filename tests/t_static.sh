# t_static.sh: the hooks are shellcheck-clean POSIX sh, and every flag the
# binary documents in --help is in the man page and the README (a flag that
# is not documented does not exist).
need_relpkg

for f in "$TOP"/hooks/lib.sh "$TOP"/hooks/deb/* "$TOP"/hooks/rpm/*; do
	name=${f#"$TOP"/}
	check "sh -n $name" sh -n "$f"
	if command -v shellcheck >/dev/null 2>&1; then
		check "shellcheck $name" shellcheck -s sh -x "$f"
	else
		skip "shellcheck $name" "shellcheck not installed"
	fi
done

# every flag of `relpkg build --help` appears in man/relpkg.1 and README.md
flags=$("$RELPKG" build --help | grep -oE '^  --[a-z][a-z-]*' | sed 's/^  //' | sort -u)
n=0
for fl in $flags; do
	n=$((n + 1))
	esc=$(printf '%s' "$fl" | sed 's/-/\\\\-/g')
	if grep -qE -- "$esc|$fl" "$TOP/man/relpkg.1"; then
		pass "man page documents $fl"
	else
		fail "man page documents $fl" "not found in man/relpkg.1"
	fi
done
[ "$n" -ge 20 ] && pass "build --help lists $n flags" || fail "build --help lists flags" "only $n"

# every other command: each flag of `relpkg CMD --help` is in relpkg-CMD.1
for cmd in $("$RELPKG" --help | sed -n 's/^  relpkg \([a-z]*\) .*/\1/p' | grep -v '^build$'); do
	page=$TOP/man/relpkg-$cmd.1
	if [ ! -f "$page" ]; then
		fail "man page for relpkg $cmd" "no $page"
		continue
	fi
	pass "man page for relpkg $cmd"
	for fl in $("$RELPKG" "$cmd" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
		esc=$(printf '%s' "$fl" | sed 's/-/\\\\-/g')
		if grep -qE -- "$esc|$fl" "$page"; then
			pass "relpkg-$cmd.1 documents $fl"
		else
			fail "relpkg-$cmd.1 documents $fl" "not found in $page"
		fi
	done
	grep -q "relpkg $cmd" "$TOP/README.md" && pass "README mentions relpkg $cmd" ||
		fail "README mentions relpkg $cmd"
done

# the rendered scripts of a real build are shellcheck-clean too
export SOURCE_DATE_EPOCH=1700000000
tarball=$(fixture sample) || skip_file "no sample tarball"
if "$RELPKG" build "$tarball" --out "$T/o" --format deb --quiet; then
	mkdir -p "$T/ctl"
	dpkg-deb -e "$T"/o/*.deb "$T/ctl"
	for s in preinst postinst prerm postrm; do
		if command -v shellcheck >/dev/null 2>&1; then
			# the library has functions an entry point does not call: SC2317 is expected;
			# a script carries only the functions it reaches (src/hooks.c), so a
			# variable or an argument only the left-out callers used is expected
			# too (SC2034, SC2119, SC2120); hooks/lib.sh itself is checked in full above
			check "rendered $s is shellcheck-clean" shellcheck -s sh -e SC2317,SC2034,SC2119,SC2120 "$T/ctl/$s"
		fi
		check "rendered $s has no unreplaced token" sh -c "! grep -nE '@[A-Z_]+@' '$T/ctl/$s'"
	done
else
	fail "build the sample for the rendered scripts"
fi
