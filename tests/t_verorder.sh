# shellcheck shell=sh
# t_verorder.sh — one deb version order everywhere: for every deb pair of
# tests/data/vercmp-pairs.txt (versions without revision included), the
# order `repo prune` keeps by, the order of the rollback candidate list
# (solve_candidates, printed by tests/candorder.c) and `relpkg vercmp --deb`
# all agree with `dpkg --compare-versions`.
#
# Per pair A B: a store holding package p at A (arch all) and at B (arch
# amd64: two files even where the versions differ only in the epoch);
#   repo prune --keep 1 --dry-run   removes the lower one, nothing if equal
#   candorder deb STORE p           lists the lower one first
#   vercmp --deb A B                prints dpkg's -1 / 0 / 1
# (Versions dpkg compares but would not install, with '_', are refused by
# the store: for those pairs only vercmp is judged.)
need_cmd dpkg python3
need_relpkg
CANDORDER=${CANDORDER:-$TOP/build/candorder}
[ -x "$CANDORDER" ] || skip_file "no $CANDORDER (run make)"

DATA="$TOP/tests/data/vercmp-pairs.txt"

# dpkg_cmp A B: -1, 0 or 1 by dpkg; "error" if dpkg refuses either.
dpkg_cmp() {
	if dpkg --compare-versions "$1" lt "$2" 2>/dev/null; then
		echo -1
	elif dpkg --compare-versions "$1" eq "$2" 2>/dev/null; then
		echo 0
	elif dpkg --compare-versions "$1" gt "$2" 2>/dev/null; then
		echo 1
	else
		echo error
	fi
}

# The deb pairs dpkg accepts, with dpkg's answer: "A B R" lines.
: >"$T/pairs"
while read -r a b rest; do
	case $a in '' | '#'* | refuse) continue ;; esac
	case " $rest " in *" only=rpm "*) continue ;; esac
	r=$(dpkg_cmp "$a" "$b")
	[ "$r" = error ] || printf '%s %s %s\n' "$a" "$b" "$r" >>"$T/pairs"
done <"$DATA"
[ -s "$T/pairs" ] || { fail "deb pairs read from $DATA"; exit 0; }

# One .deb per version and arch, all made by one python3 (dpkg-deb -b
# would take a quarter second each): ar of debian-binary, control.tar.gz
# and an empty data.tar.gz.  Names: $T/debs/<line>-a.deb, -b.deb.
mkdir -p "$T/debs"
python3 - "$T/pairs" "$T/debs" <<'EOF' || fail "test packages made"
import io, sys, tarfile, gzip

def tgz(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode='w', format=tarfile.GNU_FORMAT) as t:
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(data), 1700000000, 0o644
            t.addfile(ti, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)

def ar(members):
    out = b'!<arch>\n'
    for name, data in members:
        out += b'%-16s%-12d%-6d%-6d%-8s%-10d`\n' % (name.encode(), 1700000000, 0, 0, b'100644', len(data))
        out += data + (b'\n' if len(data) % 2 else b'')
    return out

for n, line in enumerate(open(sys.argv[1]), 1):
    a, b, _ = line.split()
    for v, arch, tag in ((a, 'all', 'a'), (b, 'amd64', 'b')):
        ctl = ('Package: p\nVersion: %s\nArchitecture: %s\nMaintainer: t <t@example.org>\n'
               'Description: test\n' % (v, arch)).encode()
        deb = ar([('debian-binary', b'2.0\n'), ('control.tar.gz', tgz([('./control', ctl)])),
                  ('data.tar.gz', tgz([]))])
        open('%s/%d-%s.deb' % (sys.argv[2], n, tag), 'wb').write(deb)
EOF

n=0
while read -r a b want; do
	n=$((n + 1))
	d="A=$a B=$b (dpkg: $want)"
	s="$T/store"
	rm -rf "$s"
	v=$("$RELPKG" vercmp --deb -- "$a" "$b" 2>&1)
	if ! "$RELPKG" repo add -q "$s" "$T/debs/$n-a.deb" "$T/debs/$n-b.deb" 2>"$T/err"; then
		# dpkg compares versions it would not install ('_'); the store refuses them
		if grep -q "control file: bad Version" "$T/err" && [ "$v" = "$want" ]; then
			pass "$d: vercmp agrees with dpkg (the store refuses the version)"
		else
			fail "$d: repo add" "$(cat "$T/err")" "vercmp: $v"
		fi
		continue
	fi
	# repo prune: the version it would drop
	"$RELPKG" repo prune --keep 1 --dry-run "$s" >"$T/prune" 2>"$T/err" || {
		fail "$d: repo prune --dry-run" "$(cat "$T/err")"
		continue
	}
	got=$(awk '$1 == "would" { print $5 }' "$T/prune" | tr '\n' ' ')
	case $want in -1) exp="all " ;; 1) exp="amd64 " ;; 0) exp="" ;; esac
	bad=0
	[ "$got" = "$exp" ] || {
		bad=1
		fail "$d: repo prune --keep 1 drops the lower" "drops: ${got:-nothing}" "want: ${exp:-nothing}"
	}
	# rollback candidates: lowest first
	"$CANDORDER" deb "$s" p >"$T/cand" 2>"$T/err" || {
		fail "$d: candidates" "$(cat "$T/err")"
		continue
	}
	got=$(tr '\n' ' ' <"$T/cand")
	case $want in
	-1) ok=$([ "$got" = "$a $b " ] && echo y) ;;
	1) ok=$([ "$got" = "$b $a " ] && echo y) ;;
	0) ok=$([ "$got" = "$a $b " ] || [ "$got" = "$b $a " ] || [ "$a" = "$b" ] && echo y) ;;
	esac
	[ "$ok" = y ] || {
		bad=1
		fail "$d: rollback candidates, lowest first" "got: $got"
	}
	# vercmp
	[ "$v" = "$want" ] || {
		bad=1
		fail "$d: vercmp --deb" "got: $v"
	}
	[ "$bad" = 1 ] || pass "$d: prune, candidates and vercmp agree with dpkg"
done <"$T/pairs"
