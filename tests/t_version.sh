# shellcheck shell=sh
# t_version.sh — the version mapping (src/version.c, through $MAPVER) judged
# by the package managers themselves.
#
# tests/data/versions-deb.txt and versions-rpm.txt (format in their header)
# hold pairs of upstream versions with the order a developer expects.  Each
# pair is mapped with mapver and the mapped versions are compared by the
# real tool -- dpkg --compare-versions, rpm's rpm.vercmp -- never by relpkg.
# One result per pair, per refused input and per exact mapping.

[ -x "$MAPVER" ] || skip_file "no mapver at $MAPVER (run make)"

TAB=$(printf '\t')

# field N LINE: the Nth tab-separated field of LINE (empty fields kept).
field() {
	_v_rest=$2
	_v_n=$1
	while [ "$_v_n" -gt 1 ]; do
		case $_v_rest in
		*"$TAB"*) _v_rest=${_v_rest#*"$TAB"} ;;
		*) _v_rest= ;;
		esac
		_v_n=$((_v_n - 1))
	done
	printf '%s' "${_v_rest%%"$TAB"*}"
}

# map FMT SPEC: run mapver for SPEC = UPSTREAM[;r=R][;e=E]; stdout to
# $T/map.out, stderr to $T/map.err; returns mapver's exit status.
map() {
	_v_fmt=$1
	_v_up=${2%%;*}
	_v_opts=
	case $2 in *';'*) _v_opts=${2#*;} ;; esac
	set -- "--$_v_fmt"
	while [ -n "$_v_opts" ]; do
		_v_kv=${_v_opts%%;*}
		case $_v_opts in
		*';'*) _v_opts=${_v_opts#*;} ;;
		*) _v_opts= ;;
		esac
		case $_v_kv in
		r=*) set -- "$@" --release "${_v_kv#r=}" ;;
		e=*) set -- "$@" --epoch "${_v_kv#e=}" ;;
		*)
			echo "bad annotation '$_v_kv'" >"$T/map.err"
			return 3
			;;
		esac
	done
	"$MAPVER" "$@" "$_v_up" >"$T/map.out" 2>"$T/map.err"
}

# wellformed FMT V: V has the shape of a full version of that format,
# by the format's own rules (deb: dpkg --validate-version as well).
wellformed() {
	case $1 in
	deb)
		printf '%s\n' "$2" | LC_ALL=C grep -Eqx '([0-9]+:)?[0-9][A-Za-z0-9.+~-]*-[A-Za-z0-9.+~]+' &&
			dpkg --validate-version "$2" >/dev/null 2>&1
		;;
	rpm)
		printf '%s\n' "$2" | LC_ALL=C grep -Eqx '([0-9]+:)?[A-Za-z0-9._+~^]+-[A-Za-z0-9._+~^]+'
		;;
	esac
}

# oracle FMT A B: print <, = or > as the package manager orders A and B.
oracle() {
	case $1 in
	deb)
		if dpkg --compare-versions "$2" lt "$3"; then
			echo '<'
		elif dpkg --compare-versions "$2" eq "$3"; then
			echo '='
		else
			echo '>'
		fi
		;;
	rpm)
		# A and B passed wellformed: no quote can break the Lua string.
		case $(rpm --eval "%{lua: print(rpm.vercmp('$2', '$3'))}") in
		-1) echo '<' ;;
		0) echo '=' ;;
		1) echo '>' ;;
		*) echo '?' ;;
		esac
		;;
	esac
}

# run_file FMT: every line of tests/data/versions-FMT.txt.
run_file() {
	fmt=$1
	data=$TOP/tests/data/versions-$fmt.txt
	npairs=0 nknown=0
	while IFS= read -r line; do
		case $line in '' | '#'*) continue ;; esac
		f1=$(field 1 "$line")
		f2=$(field 2 "$line")
		f3=$(field 3 "$line")
		f4=$(field 4 "$line")
		case $f1 in
		refuse)
			rc=0
			map "$fmt" "$f2" || rc=$?
			if [ "$rc" -eq 1 ] && [ ! -s "$T/map.out" ] &&
				LC_ALL=C grep -q '^relpkg: ' "$T/map.err"; then
				pass "$fmt: refuses '$f2'"
			else
				fail "$fmt: refuses '$f2'" "mapver $f3: exit status $rc, want 1" \
					"stdout: $(cat "$T/map.out")" "stderr: $(cat "$T/map.err")"
			fi
			;;
		map)
			rc=0
			map "$fmt" "$f2" || rc=$?
			got=$(cat "$T/map.out")
			if [ "$rc" -eq 0 ] && [ "$got" = "$f3" ]; then
				pass "$fmt: maps $f2 to $f3"
			else
				fail "$fmt: maps $f2 to $f3" "exit status $rc" "got: $got" \
					"stderr: $(cat "$T/map.err")"
			fi
			;;
		*)
			npairs=$((npairs + 1))
			known=
			case $f4 in '# known:'*)
				known=" [known: not SemVer order]"
				nknown=$((nknown + 1))
				;;
			esac
			desc="$fmt: $f1 $f3 $f2$known"
			case $f3 in
			'<' | '=' | '>') ;;
			*)
				fail "$desc" "bad ORDER '$f3' in $data"
				continue
				;;
			esac
			rc=0
			map "$fmt" "$f1" || rc=$?
			ma=$(cat "$T/map.out")
			if [ "$rc" -ne 0 ]; then
				fail "$desc" "mapver refused $f1 (exit status $rc)" "$(cat "$T/map.err")"
				continue
			fi
			rc=0
			map "$fmt" "$f2" || rc=$?
			mb=$(cat "$T/map.out")
			if [ "$rc" -ne 0 ]; then
				fail "$desc" "mapver refused $f2 (exit status $rc)" "$(cat "$T/map.err")"
				continue
			fi
			for m in "$ma" "$mb"; do
				if ! wellformed "$fmt" "$m"; then
					fail "$desc" "mapped version '$m' is not a well-formed $fmt version"
					continue 2
				fi
			done
			got=$(oracle "$fmt" "$ma" "$mb")
			if [ "$got" = "$f3" ]; then
				pass "$desc"
			else
				fail "$desc" "$fmt says $ma $got $mb, want $f3" ${f4:+"$f4"}
			fi
			;;
		esac
	done <"$data"
	[ "$npairs" -ge 50 ] || fail "$fmt: at least 50 pairs in $data" "got $npairs"
	note "$fmt: $npairs pairs, $nknown of them documented deviations from SemVer (# known:)"
}

if command -v dpkg >/dev/null 2>&1; then
	run_file deb
else
	skip "deb version pairs" "dpkg not installed"
fi
if command -v rpm >/dev/null 2>&1 &&
	[ "$(rpm --eval '%{lua: print(rpm.vercmp("1.0-1", "1.0-2"))}' 2>/dev/null)" = "-1" ]; then
	run_file rpm
else
	skip "rpm version pairs" "rpm with the Lua rpm.vercmp not available"
fi
