# t_settings.sh: a build setting is one row of BUILD_SETTINGS (src/settings.h).
# In a scratch copy of the source, one added row -- flag, relpkg.conf key,
# help line, metadata key, hook token -- is enough for the setting to be in
# --help, accepted on the command line and from relpkg.conf, written to the
# package's metadata file (relpkg-meta(5)) and seen by the maintainer
# scripts as RP_PROBE_SETTING; t_static's man-page check (run here on the
# copy) misses it until man/relpkg.1 documents it.
need_relpkg
need_cmd make cc dpkg-deb
export SOURCE_DATE_EPOCH=1700000000
tb=$(fixture sample) || skip_file "no sample tarball"

C=$T/src
mkdir -p "$C"
cp -R "$TOP/src" "$TOP/hooks" "$TOP/tools" "$TOP/man" "$TOP/Makefile" "$C/"

# the one row (the trailing backslash continues the macro)
# shellcheck disable=SC1003
row='	X(PROBE_SETTING, .flag = "probe-setting", .arg = "TEXT", .conf = "probe-setting", .help = "a throw-away setting of t_settings", .meta = "PROBE_SETTING", .token = "PROBE_SETTING") \'
sed -i "/end of BUILD_SETTINGS/i\\
$row" "$C/src/settings.h"
d=$(diff "$TOP/src/settings.h" "$C/src/settings.h" | grep -c '^[<>]')
expect_eq "the copy differs from the source by one added line" "$d" 1
# shellcheck disable=SC2016 # $1 and $2 are for the inner sh
check "no file but src/settings.h changed" sh -c \
	'for f in $(cd "$1" && find src hooks tools man Makefile -type f); do
	[ "$f" = src/settings.h ] || cmp -s "$1/$f" "$2/$f" || { echo "$f"; exit 1; }; done' \
	sh "$C" "$TOP"

# -O0: the build of the copy is most of this file's time
if ! (cd "$C" && make B="$C/b" CFLAGS='-O0' -j2 "$C/b/relpkg") >"$T/make.log" 2>&1; then
	fail "build the copy with the new row" "$(grep -E 'error|Error' "$T/make.log")"
	exit 0
fi
pass "build the copy with the new row"
R=$C/b/relpkg

help=$("$R" build --help)
expect_match "--help lists the new flag" "$help" '^  --probe-setting TEXT +a throw-away setting of t_settings$'

# command line: the metadata file and the scripts' variable
out=$("$R" build "$tb" --out "$T/o1" --format deb --quiet --probe-setting "it's here" 2>&1)
expect_eq "the flag is accepted" "$?:$out" "0:"
deb=$T/o1/hello_1.0.0-1_all.deb
meta=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./opt/hello/meta/1.0.0.meta)
expect_match "the metadata file carries it (PROBE_SETTING)" "$meta" "^PROBE_SETTING='it'\\\\''s here'\$"
expect_match "... after every existing key" "$(printf '%s\n' "$meta" | tail -n 1)" '^PROBE_SETTING='
mkdir -p "$T/ctl"
dpkg-deb -e "$deb" "$T/ctl"
expect_match "postinst sets RP_PROBE_SETTING" "$(cat "$T/ctl/postinst")" "^RP_PROBE_SETTING='it'\\\\''s here'\$"
got=$(eval "$(sed -n '/^RP_PROBE_SETTING=/p' "$T/ctl/postinst")" && printf %s "$RP_PROBE_SETTING")
expect_eq "... to the value given, through sh" "$got" "it's here"
check "the rendered postinst is valid sh" sh -n "$T/ctl/postinst"
if command -v shellcheck >/dev/null 2>&1; then
	check "the rendered postinst is shellcheck-clean" shellcheck -s sh -e SC2317 "$T/ctl/postinst"
fi

# relpkg.conf
mkdir -p "$T/app"
printf 'probe-setting = "from the file"\nformat = deb\n' >"$T/app/relpkg.conf"
(cd "$T/app" && "$R" build "$tb" --out "$T/o2" --quiet)
meta=$(dpkg-deb --fsys-tarfile "$T/o2/hello_1.0.0-1_all.deb" | tar -xOf - ./opt/hello/meta/1.0.0.meta)
expect_match "relpkg.conf: the key is accepted and carried" "$meta" "^PROBE_SETTING='from the file'\$"

# not given: an empty value, as for any setting without a default
"$R" build "$tb" --out "$T/o3" --format deb --quiet
meta=$(dpkg-deb --fsys-tarfile "$T/o3/hello_1.0.0-1_all.deb" | tar -xOf - ./opt/hello/meta/1.0.0.meta)
expect_match "not given: PROBE_SETTING=''" "$meta" "^PROBE_SETTING=''\$"

# the binary under test knows no such flag: the row is what made it
out=$("$RELPKG" build "$tb" --out "$T/o4" --probe-setting x 2>&1)
expect_eq "without the row: unknown option, exit 2" "$?" 2

# t_static's man-page check, taken from tests/t_static.sh and run on the copy
# shellcheck disable=SC2016 # a sed address, not an expansion
block=$(sed -n '/^# every flag of `relpkg build --help`/,/^\[ "\$n" -ge 20 \]/p' "$TOP/tests/t_static.sh")
if [ -z "$block" ]; then
	fail "find the man-page check in tests/t_static.sh" "its first or last line changed"
	exit 0
fi
man_check() {
	# shellcheck disable=SC2016 # $1 is for the inner sh
	env RESULTS=/dev/null TOP="$C" RELPKG="$R" TEST_FILE=t_static.sh \
		sh -c '. "$TOP_LIB"; eval "$1"' sh "$block"
}
export TOP_LIB="$TOP/tests/lib.sh"
res=$(man_check)
expect_match "man-page check: misses the new flag" "$res" '^FAIL - t_static.sh: man page documents --probe-setting$'
expect_eq "man-page check: and only it" "$(printf '%s\n' "$res" | grep -c '^FAIL')" 1
printf '.TP\n.BI \\-\\-probe\\-setting " TEXT"\nA throw-away setting.\n' >>"$C/man/relpkg.1"
res=$(man_check)
expect_match "man-page check: passes once relpkg.1 documents it" "$res" '^ok - t_static.sh: man page documents --probe-setting$'
expect_eq "man-page check: no failure left" "$(printf '%s\n' "$res" | grep -c '^FAIL')" 0
