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

# the rendered scripts of a real build are shellcheck-clean too
export SOURCE_DATE_EPOCH=1700000000
tarball=$(fixture sample) || skip_file "no sample tarball"
if "$RELPKG" build "$tarball" --out "$T/o" --format deb --quiet; then
	mkdir -p "$T/ctl"
	dpkg-deb -e "$T"/o/*.deb "$T/ctl"
	for s in preinst postinst prerm postrm; do
		if command -v shellcheck >/dev/null 2>&1; then
			# the library has functions an entry point does not call: SC2317 is expected
			check "rendered $s is shellcheck-clean" shellcheck -s sh -e SC2317 "$T/ctl/$s"
		fi
		check "rendered $s has no unreplaced token" sh -c "! grep -nE '@[A-Z_]+@' '$T/ctl/$s'"
	done
else
	fail "build the sample for the rendered scripts"
fi
