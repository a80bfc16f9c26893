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
# A third column of cases.txt holds extra flags for that case.
# accepted.txt lists archives that must build (exit 0), with the warning
# expected on stderr; a world-writable file must lose o+w in both packages.
# secret.txt: a vm.args with -setcookie anywhere (after 64 KiB, in a file
# over 1 MiB) is packaged 0640 root:USER.  rss.txt: deep trees build with a
# bounded peak RSS (/usr/bin/time).  Then the input (pipes, FIFOs, a
# directory) and the output (a failed rebuild keeps the previous pair, the
# named-temp path leaves nothing).
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
while IFS=$TAB read -r name want extra; do
	[ -n "$name" ] || continue
	ncases=$((ncases + 1))
	# shellcheck disable=SC2086 # extra flags are words
	refused "refuses $name${extra:+ ($extra)}" 1 "$want" \
		build "$HOSTILE/$name.tar.gz" --name app --version 1.0.0 $extra
done <"$HOSTILE/cases.txt"
[ "$ncases" -ge 45 ] || fail "mk.py wrote at least 45 hostile cases" "got $ncases"

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

refused "usage: --max-size 12Q" 2 "max-size" \
	build "$good" --name app --version 1.0.0 --max-size 12Q
refused "usage: --max-size 0" 2 "max-size" \
	build "$good" --name app --version 1.0.0 --max-size 0
# --out= (empty): a usage error, not a write one byte before the string
new_dirs "usage-out-empty"
rc=0
relpkg_in "$tmp" build "$good" --name app --version 1.0.0 --out= >"$out.stdout" 2>"$out.stderr" || rc=$?
if [ "$rc" -eq 2 ] && has_any "$out.stderr" "--out" && lines_prefixed "$out.stderr" &&
	[ -z "$(listing "$tmp")" ]; then
	pass "usage: --out= (empty) exits 2 naming --out"
else
	fail "usage: --out= (empty) exits 2 naming --out" "exit status $rc" "stderr: $(cat "$out.stderr")"
fi

# --- item 3: the cookie anywhere in vm.args ---------------------------------
# mode_owner_deb PKG SUFFIX / mode_owner_rpm: "perms owner/group" of the file
# ending in SUFFIX.
mode_owner_deb() {
	dpkg-deb -c "$1" | awk -v s="$2" \
		'length($NF) >= length(s) && substr($NF, length($NF) - length(s) + 1) == s { print $1, $2 }'
}
mode_owner_rpm() {
	rpm -qp --nosignature --qf '[%{FILEMODES:perms} %{FILEUSERNAME}/%{FILEGROUPNAME} %{FILENAMES}\n]' "$1" 2>/dev/null |
		awk -v s="$2" 'length($NF) >= length(s) && substr($NF, length($NF) - length(s) + 1) == s { print $1, $2 }'
}
while IFS=$TAB read -r name path; do
	[ -n "$name" ] || continue
	new_dirs "secret-$name"
	rc=0
	relpkg_in "$tmp" build "$HOSTILE/$name.tar.gz" --name app --version 1.0.0 \
		--out "$out" >"$out.stdout" 2>"$out.stderr" || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name: builds" "exit status $rc" "$(cat "$out.stderr")"
		continue
	fi
	deb=$(find "$out" -name '*.deb' | head -n 1)
	rpmf=$(find "$out" -name '*.rpm' | head -n 1)
	if command -v dpkg-deb >/dev/null 2>&1; then
		expect_eq "$name: $path is 0640 root/app in the .deb" \
			"$(mode_owner_deb "$deb" "/$path")" "-rw-r----- root/app"
	else
		skip "$name: $path is 0640 root/app in the .deb" "no dpkg-deb"
	fi
	if command -v rpm >/dev/null 2>&1; then
		expect_eq "$name: $path is 0640 root/app in the .rpm" \
			"$(mode_owner_rpm "$rpmf" "/$path")" "-rw-r----- root/app"
	else
		skip "$name: $path is 0640 root/app in the .rpm" "no rpm"
	fi
done <"$HOSTILE/secret.txt"

# --- item 10: deep trees in bounded memory ------------------------------------
while IFS=$TAB read -r name maxkb; do
	[ -n "$name" ] || continue
	# a sanitizer build (make asan) roughly triples the footprint; four
	# times the bound still tells the gigabytes of a quadratic set
	[ -z "${ASAN_OPTIONS:-}${TSAN_OPTIONS:-}" ] || maxkb=$((maxkb * 4))
	if [ ! -x /usr/bin/time ]; then
		skip "$name: peak RSS below $maxkb KiB" "no /usr/bin/time"
		continue
	fi
	new_dirs "rss-$name"
	rc=0
	env TMPDIR="$tmp" /usr/bin/time -o "$out.rss" -f %M timeout 120 "$RELPKG" build \
		"$HOSTILE/$name.tar.gz" --name app --version 1.0.0 --out "$out" \
		>"$out.stdout" 2>"$out.stderr" </dev/null || rc=$?
	kb=$(tail -n 1 "$out.rss")
	note "$name: peak RSS $kb KiB, exit status $rc"
	if [ "$rc" -eq 0 ] && [ "$kb" -lt "$maxkb" ]; then
		pass "$name: builds with a peak RSS of $kb KiB (< $maxkb)"
	else
		fail "$name: builds with a peak RSS below $maxkb KiB" "exit status $rc, $kb KiB" \
			"$(cat "$out.stderr")"
	fi
done <"$HOSTILE/rss.txt"

# --- item 13: one read of the input; pipes and FIFOs --------------------------
# built_pair DESC: exit status $rc was 0, $out holds one .deb and one .rpm
# and nothing else, $tmp is empty.
built_pair() {
	if [ "$rc" -eq 0 ] && [ "$(listing "$out" | grep -c -e '\.deb$' -e '\.rpm$')" -eq 2 ] &&
		[ "$(listing "$out" | wc -l)" -eq 2 ] && [ -z "$(listing "$tmp")" ]; then
		pass "$1"
	else
		fail "$1" "exit status $rc" "--out: $(listing "$out" | tr '\n' ' ')" \
			"TMPDIR: $(listing "$tmp" | tr '\n' ' ')" "stderr: $(cat "$out.stderr")"
	fi
}
new_dirs "stdin-pipe"
rc=0
env TMPDIR="$tmp" timeout 120 "$RELPKG" build /dev/stdin --name app --version 1.0.0 --out "$out" \
	<"$good" >"$out.stdout" 2>"$out.stderr" || rc=$?
built_pair "input: /dev/stdin redirected from the file builds"
new_dirs "stdin-pipe2"
rc=0
# shellcheck disable=SC2002 # a pipe, not a file, is the point
cat "$good" | env TMPDIR="$tmp" timeout 120 "$RELPKG" build /dev/stdin --name app --version 1.0.0 \
	--out "$out" >"$out.stdout" 2>"$out.stderr" || rc=$?
built_pair "input: a pipe on /dev/stdin builds (spooled once to TMPDIR, nothing left there)"
if command -v mkfifo >/dev/null 2>&1; then
	new_dirs "fifo-input"
	mkfifo "$T/input.fifo"
	cat "$good" >"$T/input.fifo" &
	rc=0
	relpkg_in "$tmp" build "$T/input.fifo" --name app --version 1.0.0 --out "$out" \
		>"$out.stdout" 2>"$out.stderr" || rc=$?
	wait
	built_pair "input: a FIFO builds (read once, no hang)"
else
	skip "input: a FIFO builds" "no mkfifo"
fi
new_dirs "pipe-over-max"
rc=0
head -c 3000000 /dev/zero | env TMPDIR="$tmp" timeout 120 "$RELPKG" build /dev/stdin --name app \
	--version 1.0.0 --max-size 1M --out "$out" >"$out.stdout" 2>"$out.stderr" || rc=$?
if [ "$rc" -eq 1 ] && has_any "$out.stderr" "max-size" && [ -z "$(listing "$out")" ] &&
	[ -z "$(listing "$tmp")" ]; then
	pass "input: a pipe larger than --max-size is refused, nothing left in TMPDIR"
else
	fail "input: a pipe larger than --max-size is refused" "exit status $rc" "$(cat "$out.stderr")"
fi
mkdir -p "$T/a-directory"
refused "input: a directory is refused naming it" 1 "a-directory" \
	build "$T/a-directory" --name app --version 1.0.0

# --- item 14: output ----------------------------------------------------------
# A rebuild of the same version that fails after the .deb is finished (the
# .rpm cannot be written: RLIMIT_FSIZE between the two sizes) leaves the
# previous pair as it was and no temporary file; with O_TMPFILE unavailable
# (RELPKG_TEST_NO_O_TMPFILE=1, a switch for tests) too.
other=$HOSTILE/cookie-after-64k.tar.gz
new_dirs "rebuild-sizes"
rc=0
relpkg_in "$tmp" build "$other" --name app --version 1.0.0 --out "$out" -q 2>/dev/null || rc=$?
debsize=$(find "$out" -name '*.deb' -exec stat -c %s {} \;)
rpmsize=$(find "$out" -name '*.rpm' -exec stat -c %s {} \;)
blocks=$((${debsize:-0} / 512 + 2))
if [ "$rc" -ne 0 ] || [ $((blocks * 512)) -ge "${rpmsize:-0}" ]; then
	skip "output: a failed rebuild keeps the previous pair" "sizes deb ${debsize:-?} rpm ${rpmsize:-?}"
else
	for mode in otmpfile named; do
		new_dirs "rebuild-$mode"
		relpkg_in "$tmp" build "$good" --name app --version 1.0.0 --out "$out" -q
		(cd "$out" && sha256sum ./*) >"$T/before.sums"
		rc=0
		(
			trap '' XFSZ
			ulimit -f "$blocks"
			if [ "$mode" = named ]; then
				RELPKG_TEST_NO_O_TMPFILE=1
				export RELPKG_TEST_NO_O_TMPFILE
			fi
			relpkg_in "$tmp" build "$other" --name app --version 1.0.0 --out "$out" -q
		) >"$out.stdout" 2>"$out.stderr" || rc=$?
		(cd "$out" && sha256sum ./*) >"$T/after.sums"
		if [ "$rc" -eq 1 ] && cmp -s "$T/before.sums" "$T/after.sums" &&
			[ "$(listing "$out" | wc -l)" -eq 2 ] && [ -z "$(listing "$tmp")" ] &&
			has_any "$out.stderr" ".rpm"; then
			pass "output ($mode): a rebuild failing at the .rpm keeps the previous .deb and .rpm, no temp file"
		else
			fail "output ($mode): a rebuild failing at the .rpm keeps the previous pair" "exit status $rc" \
				"--out: $(listing "$out" | tr '\n' ' ')" "TMPDIR: $(listing "$tmp" | tr '\n' ' ')" \
				"stderr: $(cat "$out.stderr")" "$(diff "$T/before.sums" "$T/after.sums")"
		fi
	done
fi
new_dirs "named-temp-ok"
rc=0
env RELPKG_TEST_NO_O_TMPFILE=1 TMPDIR="$tmp" "$RELPKG" build "$good" --name app --version 1.0.0 \
	--out "$out" >"$out.stdout" 2>"$out.stderr" </dev/null || rc=$?
built_pair "output: without O_TMPFILE (named temps) a build leaves exactly the pair"

# --- item 13: the file changes between the two passes -------------------------
# gdb stops relpkg where the data pass begins (ingest_stream) and changes the
# tarball there: rewritten in place it must be refused; replaced by rename,
# relpkg keeps reading the file it opened and builds exactly that one.
if command -v gdb >/dev/null 2>&1; then
	for how in inplace rename; do
		new_dirs "swap-$how"
		cp "$good" "$T/swap-1.0.0.tar.gz"
		if [ "$how" = inplace ]; then
			change="printf 'garbage' >>'$T/swap-1.0.0.tar.gz'"
		else
			change="cp '$HOSTILE/cookie-after-64k.tar.gz' '$T/swap.new' && mv '$T/swap.new' '$T/swap-1.0.0.tar.gz'"
		fi
		rc=0
		# (LeakSanitizer cannot run under ptrace: under make asan it would
		# end relpkg with its own fatal error at exit)
		env TMPDIR="$tmp" SOURCE_DATE_EPOCH=1700000000 \
			ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" timeout 120 gdb -q -batch -nx \
			-ex 'set pagination off' -ex 'break ingest_stream' \
			-ex "run build '$T/swap-1.0.0.tar.gz' --name app --version 1.0.0 --out '$out' -q </dev/null 2>'$out.stderr'" \
			-ex "shell $change" -ex 'continue' -ex 'quit' "$RELPKG" >"$out.gdb" 2>&1 || rc=$?
		# relpkg's stderr goes to its own file: in gdb's output, gdb's own
		# thread and exit lines could land inside relpkg's message (a flake)
		if ! grep -q 'Breakpoint 1,' "$out.gdb"; then
			skip "input: tarball changed between the passes ($how)" "gdb could not stop relpkg"
		elif [ "$how" = inplace ]; then
			if grep -q 'exited with code 01' "$out.gdb" && has_any "$out.stderr" "changed" &&
				[ -z "$(listing "$out")" ] && [ -z "$(listing "$tmp")" ]; then
				pass "input: a tarball rewritten between the two passes is refused, nothing written"
			else
				fail "input: a tarball rewritten between the two passes is refused" "$(tail -n 5 "$out.gdb")" \
					"--out: $(listing "$out" | tr '\n' ' ')"
			fi
		else
			rm -rf "$T/swap-ref"
			env SOURCE_DATE_EPOCH=1700000000 "$RELPKG" build "$good" --name app --version 1.0.0 \
				--out "$T/swap-ref" -q </dev/null
			if grep -q 'exited normally' "$out.gdb" &&
				cmp -s "$T/swap-ref/app_1.0.0-1_all.deb" "$out/app_1.0.0-1_all.deb" &&
				cmp -s "$T/swap-ref/app-1.0.0-1.noarch.rpm" "$out/app-1.0.0-1.noarch.rpm"; then
				pass "input: a tarball replaced by rename between the passes: the opened file is built, whole"
			else
				fail "input: a tarball replaced by rename between the passes builds the opened file" \
					"$(tail -n 5 "$out.gdb")"
			fi
		fi
	done
else
	skip "input: tarball changed between the passes" "no gdb"
fi
