# shellcheck shell=sh
# t_hostile.sh — design §7: hostile and broken tarballs, bad flags.
#
# tests/hostile/mk.py writes the archives and two manifests (see its header).
# For every case of cases.txt:
#   relpkg build CASE.tar.gz --name app --version 1.0.0 --out EMPTYDIR
# must exit 1 exactly; every line of stderr starts with "relpkg:" (so a name
# holding a newline cannot forge a line); stderr contains one of the
# expected substrings (the culprit entry); EMPTYDIR stays empty and so does
# the TMPDIR relpkg was given (no partial packages, no temp files).
# accepted.txt lists archives that must build (exit 0), with the warning
# expected on stderr; a world-writable file must lose o+w in both packages.
# Bad flags must give a usage error (exit 2) naming the flag.

need_relpkg
need_cmd python3

HOSTILE=$T/hostile
if ! python3 "$TOP/tests/hostile/mk.py" "$HOSTILE" >"$T/mk.log" 2>&1; then
	fail "tests/hostile/mk.py writes the archives" "$(cat "$T/mk.log")"
	exit 0
fi

# relpkg_in DIR ARGS...: run relpkg with TMPDIR=DIR, killed after 120 s
# (a hang on a hostile archive is a failure, not a stuck test run).
relpkg_in() {
	_h_tmp=$1
	shift
	if command -v timeout >/dev/null 2>&1; then
		env TMPDIR="$_h_tmp" timeout 120 "$RELPKG" "$@" </dev/null
	else
		env TMPDIR="$_h_tmp" "$RELPKG" "$@" </dev/null
	fi
}

# has_any FILE ALTS: FILE contains one of the "|"-separated fixed strings
# of ALTS, ignoring case.
has_any() {
	_h_rest=$2
	while :; do
		LC_ALL=C grep -iqF -e "${_h_rest%%|*}" "$1" && return 0
		case $_h_rest in
		*'|'*) _h_rest=${_h_rest#*|} ;;
		*) return 1 ;;
		esac
	done
}

# lines_prefixed FILE: FILE is not empty and every line starts with "relpkg:".
lines_prefixed() {
	[ -s "$1" ] && ! LC_ALL=C grep -qv '^relpkg:' "$1"
}

# listing DIR: the entries of DIR, one per line (empty if none).
listing() {
	(cd "$1" && LC_ALL=C ls -A)
}

# new_dirs NAME: fresh empty $out and $tmp for one run.
new_dirs() {
	out=$T/out/$1
	tmp=$T/tmpdir/$1
	rm -rf "$out" "$tmp"
	mkdir -p "$out" "$tmp"
}

# refused DESC WANT_STATUS ALTS ARGS...: run relpkg ARGS with a fresh --out
# (added here) and TMPDIR, and check the refusal contract.
refused() {
	_h_desc=$1 _h_want=$2 _h_alts=$3
	shift 3
	new_dirs "$(printf '%s' "$_h_desc" | tr -c 'A-Za-z0-9.-' '_')"
	_h_rc=0
	relpkg_in "$tmp" "$@" --out "$out" >"$out.stdout" 2>"$out.stderr" || _h_rc=$?
	_h_why=
	[ "$_h_rc" -eq "$_h_want" ] ||
		_h_why="$_h_why
exit status $_h_rc, want $_h_want"
	lines_prefixed "$out.stderr" ||
		_h_why="$_h_why
stderr is empty or has a line not starting with 'relpkg:'"
	has_any "$out.stderr" "$_h_alts" ||
		_h_why="$_h_why
stderr names none of: $_h_alts"
	[ -z "$(listing "$out")" ] ||
		_h_why="$_h_why
--out dir not empty: $(listing "$out" | tr '\n' ' ')"
	[ -z "$(listing "$tmp")" ] ||
		_h_why="$_h_why
TMPDIR not empty: $(listing "$tmp" | tr '\n' ' ')"
	if [ -z "$_h_why" ]; then
		pass "$_h_desc"
	else
		fail "$_h_desc" "\$ relpkg $* --out DIR" "${_h_why#?}" \
			"stderr: $(LC_ALL=C tr -c '[:print:]\n' '?' <"$out.stderr")"
	fi
}

# --- hostile archives: exit 1, culprit named, nothing left behind ---------
ncases=0
TAB=$(printf '\t')
while IFS=$TAB read -r name want; do
	[ -n "$name" ] || continue
	ncases=$((ncases + 1))
	refused "refuses $name" 1 "$want" \
		build "$HOSTILE/$name.tar.gz" --name app --version 1.0.0
done <"$HOSTILE/cases.txt"
[ "$ncases" -ge 18 ] || fail "mk.py wrote at least 18 hostile cases" "got $ncases"

# --- archives the contract accepts ----------------------------------------
# o_plus_w_deb PKG PATHSUFFIX / o_plus_w_rpm: print the "other" write bit
# character ("w" or "-") of the packaged file ending in PATHSUFFIX.
o_plus_w_deb() {
	dpkg-deb -c "$1" | awk -v s="$2" \
		'length($NF) >= length(s) && substr($NF, length($NF) - length(s) + 1) == s { print substr($1, 9, 1) }'
}
o_plus_w_rpm() {
	rpm -qp --nosignature --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$1" 2>/dev/null |
		awk -v s="$2" \
			'length($NF) >= length(s) && substr($NF, length($NF) - length(s) + 1) == s { print substr($1, 9, 1) }'
}

while IFS=$TAB read -r name want; do
	[ -n "$name" ] || continue
	new_dirs "accept-$name"
	rc=0
	relpkg_in "$tmp" build "$HOSTILE/$name.tar.gz" --name app --version 1.0.0 \
		--out "$out" >"$out.stdout" 2>"$out.stderr" || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "builds $name" "exit status $rc, want 0" "$(cat "$out.stderr")"
		continue
	fi
	deb=$(find "$out" -name '*.deb' | head -n 1)
	rpmf=$(find "$out" -name '*.rpm' | head -n 1)
	other=$(listing "$out" | grep -v -e '\.deb$' -e '\.rpm$')
	if [ -n "$deb" ] && [ -n "$rpmf" ] && [ -z "$other" ] && [ -z "$(listing "$tmp")" ]; then
		pass "builds $name (one .deb, one .rpm, no stray file)"
	else
		fail "builds $name (one .deb, one .rpm, no stray file)" \
			"--out: $(listing "$out" | tr '\n' ' ')" "TMPDIR: $(listing "$tmp" | tr '\n' ' ')"
	fi
	[ "$want" = "-" ] && continue
	if has_any "$out.stderr" "$want" && lines_prefixed "$out.stderr"; then
		pass "$name: warning on stderr names $want"
	else
		fail "$name: warning on stderr names $want" "stderr: $(cat "$out.stderr")"
	fi
	if [ -n "$deb" ] && command -v dpkg-deb >/dev/null 2>&1; then
		expect_eq "$name: o+w cleared in the .deb" "$(o_plus_w_deb "$deb" "/$want")" "-"
	else
		skip "$name: o+w cleared in the .deb" "no .deb or no dpkg-deb"
	fi
	if [ -n "$rpmf" ] && command -v rpm >/dev/null 2>&1; then
		expect_eq "$name: o+w cleared in the .rpm" "$(o_plus_w_rpm "$rpmf" "/$want")" "-"
	else
		skip "$name: o+w cleared in the .rpm" "no .rpm or no rpm"
	fi
done <"$HOSTILE/accepted.txt"

# --- input file and flags ---------------------------------------------------
good=$HOSTILE/control.tar.gz
refused "missing input file: exit 1 naming it" 1 "no-such-release-1.0.0.tar.gz" \
	build "$T/no-such-release-1.0.0.tar.gz" --name app --version 1.0.0
refused "usage: --compression foo" 2 "compression" \
	build "$good" --name app --version 1.0.0 --compression foo
refused "usage: --release 0x" 2 "release" \
	build "$good" --name app --version 1.0.0 --release 0x
refused "usage: --epoch abc" 2 "epoch" \
	build "$good" --name app --version 1.0.0 --epoch abc
refused "usage: unknown flag --frobnicate" 2 "frobnicate" \
	build "$good" --name app --version 1.0.0 --frobnicate
refused "usage: --name 'Bad Name'" 2 "name" \
	build "$good" --name 'Bad Name' --version 1.0.0
refused "usage: --version ''" 2 "version" \
	build "$good" --name app --version ''
refused "usage: --version v1.0" 2 "version" \
	build "$good" --name app --version v1.0
