# shellcheck shell=sh
# Helpers for the test files; tests/run sources this before each t_*.sh.
# Environment from tests/run: RELPKG MAPVER TOP FIXTURES T (fresh scratch dir
# for this file) TEST_FILE (e.g. t_deb.sh) RESULTS (shared results file).
# Every result is one line, printed and appended to $RESULTS:
#   ok - FILE: DESC    FAIL - FILE: DESC    skip - FILE: DESC (WHY)
# Names used here start with _lib_ so that they do not clobber the tests' own.

_lib_line() {
	printf '%s\n' "$1" >>"$RESULTS"
	printf '%s\n' "$1"
}

# Print lines (all arguments, each may hold several lines) indented by 4.
_lib_indent() {
	for _lib_x in "$@"; do
		printf '%s\n' "$_lib_x" | sed 's/^/    /'
	done
}

# note TEXT...: informational output, "# "-prefixed (not counted).
note() {
	for _lib_x in "$@"; do
		printf '%s\n' "$_lib_x" | sed 's/^/# /'
	done
}

# pass DESC
pass() { _lib_line "ok - $TEST_FILE: $1"; }

# fail DESC [DETAIL...]: each DETAIL is printed below, indented (first 60 lines).
fail() {
	_lib_line "FAIL - $TEST_FILE: $1"
	shift
	[ $# -eq 0 ] || _lib_indent "$@" | head -n 60
}

# skip DESC WHY
skip() { _lib_line "skip - $TEST_FILE: $1 (${2:-no reason given})"; }

# check DESC CMD...: pass if CMD exits 0, else fail with its status and output.
check() {
	_lib_d=$1
	shift
	_lib_rc=0
	"$@" >"$T/.check.out" 2>&1 || _lib_rc=$?
	if [ "$_lib_rc" -eq 0 ]; then
		pass "$_lib_d"
	else
		fail "$_lib_d" "\$ $*" "exit status $_lib_rc" "$(cat "$T/.check.out")"
	fi
}

# check_status DESC WANT CMD...: pass if CMD exits with status WANT exactly.
check_status() {
	_lib_d=$1 _lib_want=$2
	shift 2
	_lib_rc=0
	"$@" >"$T/.check.out" 2>&1 || _lib_rc=$?
	if [ "$_lib_rc" -eq "$_lib_want" ]; then
		pass "$_lib_d"
	else
		fail "$_lib_d" "\$ $*" "exit status $_lib_rc, want $_lib_want" "$(cat "$T/.check.out")"
	fi
}

# check_fails DESC CMD...: pass if CMD fails normally (status 1..125); a
# missing command (126/127) or a death by signal (>128) is a failure.
check_fails() {
	_lib_d=$1
	shift
	_lib_rc=0
	"$@" >"$T/.check.out" 2>&1 || _lib_rc=$?
	if [ "$_lib_rc" -ge 1 ] && [ "$_lib_rc" -le 125 ]; then
		pass "$_lib_d"
	else
		fail "$_lib_d" "\$ $*" "exit status $_lib_rc, want a failure (1..125)" "$(cat "$T/.check.out")"
	fi
}

# expect_eq DESC GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got:  $2" "want: $3"
	fi
}

# expect_match DESC GOT ERE: pass if some line of GOT matches the extended regex.
expect_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		pass "$1"
	else
		fail "$1" "no line matches /$3/ in:" "$2"
	fi
}

# skip_file WHY: record one skip for the whole file and stop it.
skip_file() {
	skip "all tests of this file" "$1"
	exit 0
}

# need_cmd CMD...: skip the whole file unless every CMD is in PATH.
need_cmd() {
	for _lib_c in "$@"; do
		command -v "$_lib_c" >/dev/null 2>&1 || skip_file "needs $_lib_c, not installed"
	done
}

# need WHY CMD...: skip the whole file with WHY unless CMD succeeds (quietly).
need() {
	_lib_why=$1
	shift
	"$@" >/dev/null 2>&1 || skip_file "$_lib_why"
}

# need_relpkg: skip the whole file if $RELPKG has not been built.
need_relpkg() {
	[ -x "$RELPKG" ] || skip_file "no relpkg binary at $RELPKG (run make)"
}

# fixture KIND [NAME VSN]: make (or reuse) a release tarball, print its path.
#   fixture sample                 examples/make-sample.sh -> hello-1.0.0.tar.gz
#   fixture rebar3 ex1_relup 0.1.0 tests/fixtures/rebar3-release.sh
#   fixture mix mix_app 0.1.0      tests/fixtures/mix-release.sh
# rebar3/mix tarballs are cached in $FIXTURES/KIND-<cksum of the script>/,
# so editing a fixture script rebuilds them. On failure, the build output is
# shown on stderr and the status is non-zero.
fixture() {
	case $1 in
	sample)
		_lib_fd="$FIXTURES/sample"
		sh "$TOP/examples/make-sample.sh" "$_lib_fd" >&2 || return 1
		printf '%s\n' "$_lib_fd/hello-1.0.0.tar.gz"
		;;
	rebar3 | mix)
		_lib_fs="$TOP/tests/fixtures/$1-release.sh"
		_lib_fd="$FIXTURES/$1-$(cksum <"$_lib_fs" | cut -d' ' -f1)"
		sh "$_lib_fs" "$_lib_fd" "$2" "$3" >&2 || return 1
		printf '%s\n' "$_lib_fd/$2-$3.tar.gz"
		;;
	*)
		echo "fixture: unknown kind $1" >&2
		return 2
		;;
	esac
}
