# shellcheck shell=sh
# t_vercmp.sh — `relpkg vercmp` judged by the package managers themselves.
#
# tests/data/vercmp-pairs.txt (format in its header) holds version pairs,
# among them the vectors published by dpkg and rpm.  Each pair is compared
# by relpkg vercmp --deb and by dpkg --compare-versions, and by relpkg
# vercmp --rpm and by rpm's rpm.vercmp() (one rpm run for all pairs); where
# the file gives the published result, the oracle must agree with it too.
# One result per pair and format, per refused version, per usage case.
need_cmd dpkg rpm
need_relpkg

DATA="$TOP/tests/data/vercmp-pairs.txt"
LUA="$T/pairs.lua"
: >"$LUA"

# dpkg_cmp A B: -1, 0 or 1 by dpkg; "error" if dpkg refuses either.
dpkg_cmp() {
	for _op in lt eq gt; do
		_rc=0
		dpkg --compare-versions "$1" "$_op" "$2" 2>/dev/null || _rc=$?
		[ "$_rc" -le 1 ] || {
			echo error
			return
		}
		if [ "$_rc" -eq 0 ]; then
			case $_op in lt) echo -1 ;; eq) echo 0 ;; gt) echo 1 ;; esac
			return
		fi
	done
	echo "none"
}

# relpkg_cmp FMT A B: relpkg's answer, or "exit N".
relpkg_cmp() {
	_rc=0
	_out=$("$RELPKG" vercmp "--$1" -- "$2" "$3" 2>"$T/err") || _rc=$?
	if [ "$_rc" -eq 0 ]; then echo "$_out"; else echo "exit $_rc: $(cat "$T/err")"; fi
}

# judge FMT A B ORACLE PUBLISHED
judge() {
	_got=$(relpkg_cmp "$1" "$2" "$3")
	_d="--$1 $2 $3"
	if [ -n "$5" ] && [ "$4" != "$5" ]; then
		fail "$_d: the oracle says $4, the published vector $5 (relpkg: $_got)"
	elif [ "$_got" = "$4" ]; then
		pass "$_d = $4"
	else
		fail "$_d" "relpkg: $_got" "oracle: $4"
	fi
}

# Pass 1: every rpm pair into one Lua script (rpm starts once), deb pairs judged now.
n=0
while read -r a b rest; do
	case $a in '' | '#'*) continue ;; esac
	[ "$a" = refuse ] && continue
	case "$a$b" in *[\"\\%]*) fail "pair $a $b: quote, backslash or % in the data" && continue ;; esac
	deb='' rpmv='' only=''
	for kv in $rest; do
		case $kv in
		deb=*) deb=${kv#deb=} ;;
		rpm=*) rpmv=${kv#rpm=} ;;
		only=*) only=${kv#only=} ;;
		*) fail "pair $a $b: unknown annotation $kv" ;;
		esac
	done
	if [ "$only" != rpm ]; then
		judge deb "$a" "$b" "$(dpkg_cmp "$a" "$b")" "$deb"
	fi
	if [ "$only" != deb ]; then
		n=$((n + 1))
		printf 'print(rpm.vercmp("%s", "%s") .. "\\n")\n' "$a" "$b" >>"$LUA"
		printf '%s %s %s\n' "$a" "$b" "$rpmv" >>"$T/rpm.pairs"
	fi
done <"$DATA"

# Pass 2: rpm's answers, in order.
rpm --eval "%{lua: $(cat "$LUA")}" 2>"$T/rpm.err" | sed '/^$/d' >"$T/rpm.out"
if [ "$(wc -l <"$T/rpm.out")" -ne "$n" ]; then
	fail "rpm.vercmp answered $(wc -l <"$T/rpm.out") of $n pairs" "$(cat "$T/rpm.err")"
else
	i=0
	while read -r a b rpmv; do
		i=$((i + 1))
		judge rpm "$a" "$b" "$(sed -n "${i}p" "$T/rpm.out")" "$rpmv"
	done <"$T/rpm.pairs"
fi

# Refused versions: relpkg exits 2 where dpkg refuses too.
grep '^refuse[[:space:]]' "$DATA" | while read -r _ fmt v; do
	rc=0
	"$RELPKG" vercmp "--$fmt" -- "$v" 1 >/dev/null 2>"$T/err" || rc=$?
	oracle=$(dpkg_cmp "$v" 1)
	if [ "$rc" -eq 2 ] && [ "$oracle" = error ] && grep -q '^relpkg: vercmp: ' "$T/err"; then
		pass "refuses --$fmt '$v' (dpkg does too)"
	else
		fail "refuses --$fmt '$v'" "relpkg exit $rc: $(cat "$T/err")" "dpkg: $oracle"
	fi
done

# Usage.
check_status "no arguments: usage error" 2 "$RELPKG" vercmp
check_status "one version: usage error" 2 "$RELPKG" vercmp 1.0
check_status "three versions: usage error" 2 "$RELPKG" vercmp 1 2 3
check_status "unknown option: usage error" 2 "$RELPKG" vercmp --dep 1 2
check_status "--help exits 0" 0 "$RELPKG" vercmp --help
expect_eq "--help names both formats" "$("$RELPKG" vercmp --help | grep -c -e '^  --deb' -e '^  --rpm')" 2
# 1.0 = 1.0-0 for dpkg, 1.0 < 1.0-0 for rpm
expect_eq "default is --deb" "$("$RELPKG" vercmp 1.0 1.0-0) $("$RELPKG" vercmp --rpm 1.0 1.0-0)" "0 -1"
expect_eq "the last of --deb/--rpm wins" "$("$RELPKG" vercmp --deb --rpm 1.0^ 1.0)" 1
expect_eq "-- lets a version start with '-' (rpm)" "$("$RELPKG" vercmp --rpm -- -1 -1)" 0
