# t_fuzz.sh: the libFuzzer harnesses (tests/fuzz/fuzz_*.c; clang, ASan,
# UBSan) run over their seed corpora tests/fuzz/NAME/ once: a regression
# test of every reader on inputs that once mattered, in seconds.  Fuzzing
# for real is `make fuzz FUZZ_SECONDS=600` (tests/fuzz/run.sh).  Builds
# the harnesses with `make fuzz-build` (into build/fuzz) unless FUZZ_B
# names a directory that holds them already.
# shellcheck shell=sh
names="ingest deb rpm version conf store relup elf"
command -v clang >/dev/null || skip_file "clang is not installed (Debian: clang libclang-rt-14-dev)"
printf 'int LLVMFuzzerTestOneInput(const char *p, unsigned long n) { (void)p; (void)n; return 0; }\n' >"$T/probe.c"
clang -fsanitize=fuzzer,address,undefined -o "$T/probe" "$T/probe.c" >"$T/probe.log" 2>&1 ||
	skip_file "clang cannot link libFuzzer (Debian: libclang-rt-14-dev): $(head -1 "$T/probe.log")"
FB=${FUZZ_B:-}
if [ -z "$FB" ]; then
	FB="$TOP/build/fuzz"
	if ! make -C "$TOP" -s fuzz-build >"$T/build.log" 2>&1; then
		fail "make fuzz-build" "$(tail -20 "$T/build.log")"
		exit 0
	fi
	pass "make fuzz-build: the eight harnesses build with clang -fsanitize=fuzzer,address,undefined"
fi
for n in $names; do
	h="$FB/fuzz_$n"
	if [ ! -x "$h" ]; then
		fail "fuzz_$n: built" "$h is missing"
		continue
	fi
	set -- "$TOP/tests/fuzz/$n/"*
	if [ ! -e "$1" ]; then
		fail "fuzz_$n: has a seed corpus in tests/fuzz/$n/"
		continue
	fi
	# each file is run once; a sanitizer report, leak or crash fails
	ASAN_OPTIONS=detect_leaks=1 "$h" -timeout=60 -rss_limit_mb=2560 "$@" >"$T/$n.log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "fuzz_$n: its $# seeds run clean (ASan, UBSan, LeakSanitizer)"
	else
		fail "fuzz_$n: its $# seeds run clean" "exit status $rc" \
			"$(grep -E 'ERROR|SUMMARY|runtime error|Running' "$T/$n.log" | tail -8)"
	fi
done
