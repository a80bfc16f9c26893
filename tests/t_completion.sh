# t_completion.sh: help texts, bash completion and man pages agree with the
# parsers (issue 16): every flag a command's parser takes is on an option
# line of its --help (relpkg --flags-of CMD lists them) and is offered by
# the completion, no other; package names are completed where a package is
# expected; the help columns are aligned; man pages are mandoc -Tlint clean.
need_relpkg
need_cmd bash
COMP="$TOP/completion/relpkg.bash"

# comp WORD...: what completion offers for the last word (sorted, one a line)
comp() {
	bash -c '. "$1"; shift; _relpkg_root=${ROOT-}; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _relpkg
		printf "%s\n" "${COMPREPLY[@]}" | sort -u | sed "/^\$/d"' sh "$COMP" "$@"
}
oneline() { tr '\n' ' ' | sed 's/ $//'; }

# the parser's flags, read from its source: strcmp(ARG, "--x") / opt_value(..., "--x");
# build's are the rows of the settings table plus --quiet and --help
parser_flags() {
	if [ "$1" = build ]; then
		{ sed -n 's/.*\.flag = "\([a-z-]*\)".*/--\1/p' "$TOP/src/settings.h"; echo --quiet; echo --help; }
	else
		grep -oE '(strcmp\([a-z_]+(\[[a-z]+\])?, |opt_value\([^"]*)"--[a-z][a-z0-9-]*"' "$TOP/src/cmd_$1.c" |
			grep -oE '"--[^"]*"' | tr -d '"'
	fi | sort -u | oneline
}

cmds=$("$RELPKG" --help | sed -n 's/^  relpkg \([a-z]*\) .*/\1/p' | sort -u)
expect_eq "relpkg --help lists every command" "$(printf '%s\n' "$cmds" | oneline)" \
	"build history inspect pin repo rollback status vercmp verify"
for c in $cmds; do
	want=$(parser_flags "$c")
	expect_eq "$c: --flags-of = the parser's flags" "$("$RELPKG" --flags-of "$c" | sort -u | oneline)" "$want"
	# (repo: per sub-command, below)
	[ "$c" = repo ] ||
		expect_eq "$c: completion offers exactly the parser's flags" "$(comp "$RELPKG" "$c" x -- | oneline)" "$want"
	# each option line's flags are in the man page (-h/-q as the man page lists them)
	page="$TOP/man/relpkg-$c.1"
	[ "$c" = build ] && page="$TOP/man/relpkg.1"
	missing=
	for f in $want; do
		esc=$(printf '%s' "$f" | sed 's/-/\\\\-/g')
		grep -q -- "$esc" "$page" || missing="$missing $f"
	done
	expect_eq "$c: every flag is in $(basename "$page")" "$missing" ""
	for short in h q; do
		if grep -q "^\.BR* .*\\\\-$short\\b\|^\.BR \\\\-$short " "$page"; then
			expect_match "$c: -$short of the man page is in --help" "$("$RELPKG" "$c" --help)" "-$short\b"
		fi
	done
done
expect_eq "rollback: no --oldpackage (an rpm flag in its text) offered" \
	"$(comp "$RELPKG" rollback x --o | oneline)" ""
expect_eq "repo prune: its own flags (no --json)" "$(comp "$RELPKG" repo prune d -- | oneline)" \
	"--dry-run --help --keep --quiet --sign-key"
expect_eq "repo list: --json and --help" "$(comp "$RELPKG" repo list d -- | oneline)" "--help --json"
expect_eq "first word: the commands" "$(comp "$RELPKG" '' | oneline)" \
	"build history inspect pin repo rollback status vercmp verify"
expect_eq "top-level flags" "$(comp "$RELPKG" - | oneline)" "--help --version -h"

# --- package names where a package is expected -----------------------------------
mkdir -p "$T/root/var/lib/relpkg/myapp" "$T/root/var/lib/relpkg/other" "$T/store/pool"
: >"$T/store/pool/shop_2.0.0-1_amd64.deb"
: >"$T/store/pool/shop-web-2.0.0-1.x86_64.rpm"
export ROOT="$T/root"
for c in status history rollback; do
	expect_eq "$c NAME: relpkg's packages" "$(comp "$RELPKG" "$c" '' | oneline)" "myapp other"
done
expect_eq "pin NAME: relpkg's packages" "$(comp "$RELPKG" pin m | oneline)" "myapp"
expect_eq "pin --release NAME: relpkg's packages" "$(comp "$RELPKG" pin --release m | oneline)" "myapp"
expect_eq "pin NAME VERSION: no file names for the version" "$(comp "$RELPKG" pin myapp '' | oneline)" ""
expect_eq "rollback --store DIR NAME: the store's packages too" \
	"$(comp "$RELPKG" rollback --store "$T/store" s | oneline)" "shop shop-web"
expect_eq "rollback --to VER: no file names" "$(comp "$RELPKG" rollback myapp --to '' | oneline)" ""
unset ROOT
if command -v dpkg-query >/dev/null 2>&1 && dpkg-query -W dpkg >/dev/null 2>&1; then
	expect_match "status NAME: the dpkg database's packages" "$(comp "$RELPKG" status dpk)" '^dpkg$'
fi
mkdir -p "$T/files/sub" && : >"$T/files/a.deb" && : >"$T/files/b.rpm" && : >"$T/files/c.txt"
expect_eq "inspect PKG: .deb and .rpm files and directories" \
	"$(cd "$T/files" && comp "$RELPKG" inspect '' | oneline)" "a.deb b.rpm sub"

# --- help texts ------------------------------------------------------------------
top=$("$RELPKG" --help)
expect_match "relpkg --help shows pin --release" "$top" '^  relpkg pin --release NAME '
expect_match "relpkg --help shows rollback's --no-pin" "$top" '^  relpkg rollback .*--no-pin'
expect_match "rollback --help: the usage line has --no-pin" "$("$RELPKG" rollback --help | head -n 1)" '--no-pin'
# aligned: every description starts in the same column
cols=$(printf '%s\n' "$top" | grep '^  relpkg ' | awk '{ match($0, /[^ ]  +[^ ]/); print RSTART + RLENGTH - 1 }' | sort -u | wc -l)
expect_eq "relpkg --help: one description column" "$cols" 1
for c in build rollback pin repo; do
	cols=$("$RELPKG" "$c" --help | grep '^  --' | awk '{ match($0, /[^ ]  +[^ ]/); print RSTART + RLENGTH - 1 }' |
		sort -u | wc -l)
	expect_eq "$c --help: one description column" "$cols" 1
done

# --- man pages -------------------------------------------------------------------
if command -v mandoc >/dev/null 2>&1; then
	for p in "$TOP"/man/*.[15]; do
		# shellcheck disable=SC2016 # $1 is the inner sh's
		check "mandoc -Tlint $(basename "$p"): clean" sh -c 'out=$(mandoc -Tlint "$1" 2>&1); [ -z "$out" ] || { echo "$out"; exit 1; }' sh "$p"
	done
else
	skip "mandoc -Tlint of the man pages" "mandoc not installed (.ci/deps installs it)"
fi
# the MIGRATIONS example as man renders it is valid sh (roff ate its quotes once)
if command -v man >/dev/null 2>&1; then
	ex=$(MANWIDTH=200 man -l "$TOP/man/relpkg.1" 2>/dev/null | sed -n "s/.*--migrate-up '\([^']*\)'.*/\1/p" | head -n 1)
	expect_match "relpkg(1) MIGRATIONS: the example keeps its double quotes" "$ex" '"App.Release.migrate\(\)"'
	check "relpkg(1) MIGRATIONS: the example is valid sh" sh -n -c "$ex"
fi
