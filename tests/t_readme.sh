# t_readme.sh: the README's examples run as written (issue 16). Every
# fenced ```sh block is extracted and each command in it is run -- in the
# repository for `make`/`sh .ci/...`, else in a scratch directory holding
# the sample release (examples/make-sample.sh) and releases named as the
# examples name them -- unless it is in the exclusion table below, which
# says why (reported as a skip). A "# dist/..." comment right under a
# command is the output it must print. Every ```text block whose lines
# start with "$ " is a transcript ("real output"): its commands are run in
# order and what they print must be the block's text, byte for byte.
# /srv (where the examples publish) is a private tmpfs: nothing of the
# host's is touched.
need_relpkg
need_cmd python3 unshare
[ "$(id -u)" = 0 ] || skip_file "needs root (a private mount namespace for /srv)"
# the whole file runs in a private mount namespace where /srv is a tmpfs
if [ -z "${T_README_NS:-}" ]; then
	# shellcheck disable=SC2016 # $1 and $2 are for the inner sh
	T_README_NS=1 exec unshare -m --propagation private sh -c \
		'mount -t tmpfs tmpfs /srv && . "$1" && . "$2"' sh "$TOP/tests/lib.sh" "$TOP/tests/t_readme.sh"
fi
export SOURCE_DATE_EPOCH=1700000000
unset DEBEMAIL DEBFULLNAME
tb=$(fixture sample) || skip_file "no sample tarball"

# excluded PATTERN<TAB>REASON: commands (extended regex on the joined command)
# that cannot run here, with the reason.
excluded() {
	cat <<'TABLE'
^make check	the whole suite, which this test is part of
^dpkg-buildpackage	relpkg's own .deb: minutes; built and checked by t_packaging.sh
^make dist	relpkg's own .rpm (make dist && rpmbuild): minutes; built and checked by t_packaging.sh
^(apt-get|dnf) install	needs a server with the repository configured: the install paths run in containers (t_lifecycle.sh, t_store.sh)
^relpkg (status|history|rollback|pin)( --release)? myapp	needs a server where myapp is installed: run in containers by t_status.sh, t_lifecycle.sh, t_store.sh
TABLE
}

# --- the blocks ------------------------------------------------------------------
mkdir -p "$T/blocks"
python3 - "$TOP/README.md" "$T/blocks" <<'PY' || fail "README: extracting the fenced blocks"
import sys, os
text = open(sys.argv[1]).read().split("\n")
out, n, block, kind = sys.argv[2], 0, None, None
for line in text:
    if block is None and line.startswith("```"):
        kind, block = line[3:].strip(), []
    elif block is not None and line.startswith("```"):
        n += 1
        if kind in ("sh", "text"):
            open(os.path.join(out, "%02d.%s" % (n, kind)), "w").write("\n".join(block) + "\n")
        block = None
    elif block is not None:
        block.append(line)
PY
nsh=0
for b in "$T"/blocks/*.sh; do [ -f "$b" ] && nsh=$((nsh + 1)); done
if [ "$nsh" -ge 3 ]; then pass "README: $nsh sh blocks extracted"; else fail "README: sh blocks extracted" "found $nsh"; fi

# the scratch directory the examples run in: the releases they name
W=$T/work
mkdir -p "$W" "$T/bin" "$T/rel"
ln -s "$RELPKG" "$T/bin/relpkg"
cp "$tb" "$W/"
# mkrel NAME VSN DEST: a release tarball NAME-VSN with bin/NAME (an x86-64 ELF:
# the examples show amd64 packages), as mix would leave it
mkrel() {
	rm -rf "$T/rel/$1-$2" && mkdir -p "$T/rel/$1-$2/bin" "$T/rel/$1-$2/lib/$1-$2/ebin"
	cp /bin/true "$T/rel/$1-$2/bin/$1"
	printf '%s\n' "$2" >"$T/rel/$1-$2/lib/$1-$2/VERSION"
	mkdir -p "$(dirname "$3")" && tar -C "$T/rel" -czf "$3" "$1-$2"
}
mkrel myapp 1.4.0 "$W/_build/prod/rel/myapp/myapp-1.4.0.tar.gz"
mkrel myapp 2.0.0 "$W/myapp-2.0.0.tar.gz"
mkrel myapp 1.4.0 "$W/myapp-1.4.0.tar.gz"
# the signing example's key: a throwaway one in a private GNUPGHOME, its
# public half where the example's verify looks for it
GNUPGHOME=$T/gnupg
export GNUPGHOME
mkdir -m 0700 -p "$GNUPGHOME"
if gpg --batch --quiet --passphrase '' --quick-gen-key releases@example.com default default never \
	>"$T/gpg.log" 2>&1; then
	gpg --batch --armor --export releases@example.com >"$W/store-key.asc"
else
	fail "README: a test key for the signing example" "$(cat "$T/gpg.log")"
fi

# runblock FILE: the commands of one sh block, then a list of "CMD<TAB>EXPECTED"
# (expected output lines joined with \n, empty when none) on stdout
commands() {
	python3 - "$1" <<'PY'
import sys
cmds, cur = [], ""
for line in open(sys.argv[1]).read().split("\n"):
    s = line.strip()
    if cur:
        cur += " " + s.rstrip("\\").strip()
        if not s.endswith("\\"):
            cmds.append([cur, []]); cur = ""
        continue
    if not s:
        cmds.append(None); continue
    if s.startswith("#"):
        w = s[1:].strip()
        if cmds and cmds[-1] is not None and w and " " not in w and "/" in w:
            cmds[-1][1].append(w)          # "# dist/..." under a command: its output
        continue
    if s.endswith("\\"):
        cur = s.rstrip("\\").strip()
    else:
        cmds.append([s, []])
for c in cmds:
    if c:
        print(c[0].replace("\t", " ") + "\t" + "\\n".join(c[1]))
PY
}

dist_before=no
[ -e "$TOP/dist" ] && dist_before=yes
# run_ns DIR CMD: CMD (as sh reads it) in DIR
run_ns() {
	(cd "$1" && eval "$2")
}
for b in "$T"/blocks/*.sh; do
	bn=$(basename "$b")
	commands "$b" >"$T/cmds"
	while IFS='	' read -r cmd want; do
		reason=$(excluded | while IFS='	' read -r pat why; do
			printf '%s\n' "$cmd" | grep -Eq -- "$pat" && { printf '%s\n' "$why"; break; }
		done)
		if [ -n "$reason" ]; then
			skip "README $bn: $cmd" "$reason"
			continue
		fi
		dir=$W
		case $cmd in make* | "sh .ci/"*) dir=$TOP ;; esac
		# make install: into a scratch DESTDIR (the README says DESTDIR works)
		case $cmd in "make install"*) cmd="$(printf '%s' "$cmd" | sed 's/#.*//') DESTDIR=$T/destdir" ;; esac
		rc=0
		out=$(PATH="$T/bin:$PATH" run_ns "$dir" "$cmd" 2>&1 </dev/null) || rc=$?
		if [ "$rc" -ne 0 ]; then
			fail "README $bn runs: $cmd" "exit status $rc" "$out"
		elif [ -n "$want" ]; then
			expect_eq "README $bn prints what it shows: $cmd" "$(printf '%s\n' "$out" | grep -v '^relpkg: warning')" \
				"$(printf '%b' "$want")"
		else
			pass "README $bn runs: $cmd"
		fi
	done <"$T/cmds"
done
[ "$dist_before" = yes ] || rm -rf "$TOP/dist"
check "README: make install put the binary into DESTDIR" test -x "$T/destdir/usr/local/bin/relpkg"

# --- transcripts ("real output") ---------------------------------------------------
# each ```text block whose first line is "$ relpkg ...": its commands run in a
# fresh scratch directory with the sample release, /srv private
for b in "$T"/blocks/*.text; do
	bn=$(basename "$b")
	head -n 1 "$b" | grep -q '^\$ relpkg ' || continue
	first=$(head -n 1 "$b" | sed 's/^\$ //')
	case $first in
	"relpkg history lcs")
		skip "README $bn: $first" "a server's journal after real transitions (timings, dates): t_lifecycle.sh checks history on one"
		continue
		;;
	esac
	R=$T/tr-$bn
	mkdir -p "$R" && cp "$tb" "$R/"
	if ! { umount /srv && mount -t tmpfs tmpfs /srv; }; then fail "README $bn: a fresh /srv"; fi
	# rebuild the transcript: "$ CMD" then what CMD prints
	: >"$T/got"
	sed -n 's/^\$ //p' "$b" | while IFS= read -r c; do
		printf '$ %s\n' "$c"
		PATH="$T/bin:$PATH" run_ns "$R" "$c" 2>&1 </dev/null
	done >"$T/got" 2>&1
	if cmp -s "$b" "$T/got"; then
		pass "README $bn: real output as the commands print it ($(grep -c '^\$ ' "$b") commands)"
	else
		fail "README $bn: real output as the commands print it" "$(diff "$b" "$T/got")"
	fi
done
