# shellcheck shell=sh
# t_rpmhdr.sh — one rpm header reader (src/rpm_header.c) behind every
# command that reads an .rpm: the same malformed package given to
# `inspect`, `verify` and `repo add` is refused by all three with the same
# message ("relpkg: PATH: <the reader's words>"), exit status 1, and the
# store is left without it.
need_cmd python3
need_relpkg
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH

tb=$(fixture sample) || { fail "sample fixture builds"; exit 0; }
"$RELPKG" build "$tb" --format rpm --out "$T/out" --quiet || { fail "rpm builds"; exit 0; }
good=$(ls "$T"/out/*.rpm)

# damage NAME HOW: $T/NAME.rpm is the good package damaged as HOW says.
damage() {
	python3 - "$good" "$T/$1.rpm" "$2" <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
how = sys.argv[3]
il, dl = struct.unpack('>II', b[104:112])
h = 96 + (16 + il * 16 + dl + 7) // 8 * 8           # the main header
mil, mdl = struct.unpack('>II', b[h + 8:h + 16])
ent = lambda i: h + 16 + 16 * i
if how == 'offset':          # entry 2 points far past the data
    b[ent(2) + 8:ent(2) + 12] = struct.pack('>I', 0x7fffff00)
elif how == 'type':          # entry 3 has a type rpm does not know
    b[ent(3) + 4:ent(3) + 8] = struct.pack('>I', 42)
elif how == 'count':         # a STRING with count 2
    for i in range(1, mil):
        if struct.unpack('>I', b[ent(i) + 4:ent(i) + 8])[0] == 6:
            b[ent(i) + 12:ent(i) + 16] = struct.pack('>I', 2)
            break
elif how == 'region':        # the region trailer claims more entries than there are
    off = struct.unpack('>I', b[ent(0) + 8:ent(0) + 12])[0]
    t = h + 16 + 16 * mil + off
    b[t + 8:t + 12] = struct.pack('>i', -16 * (mil + 5))
elif how == 'size':          # the main header claims more data than the file holds
    b[h + 12:h + 16] = struct.pack('>I', mdl + 1000000)
elif how == 'sigmagic':      # the signature header's magic
    b[96] ^= 0xff
elif how == 'strings':       # the last string array runs off the end: its NULs gone
    last = max(range(mil), key=lambda i: struct.unpack('>I', b[ent(i) + 8:ent(i) + 12])[0])
    off = struct.unpack('>I', b[ent(last) + 8:ent(last) + 12])[0]
    d = h + 16 + 16 * mil
    for k in range(d + off, d + mdl):
        if b[k] == 0:
            b[k] = 0x41
    b[ent(last) + 4:ent(last) + 8] = struct.pack('>I', 8)
open(sys.argv[2], 'wb').write(bytes(b))
EOF
}

# msg FILE: the message of "relpkg: PATH: message", PATH cut off.
msg() { sed -n "s|^relpkg: [^:]*: ||p" "$1" | head -n 1; }

for how in offset type count region size sigmagic strings; do
	damage "$how" "$how" || { fail "$how: damaged copy made"; continue; }
	p="$T/$how.rpm"
	rm -rf "$T/store"
	ri=0 rv=0 ra=0
	"$RELPKG" inspect "$p" >/dev/null 2>"$T/i.err" || ri=$?
	"$RELPKG" verify "$p" >/dev/null 2>"$T/v.err" || rv=$?
	"$RELPKG" repo add -q "$T/store" "$p" >/dev/null 2>"$T/a.err" || ra=$?
	mi=$(msg "$T/i.err") mv=$(msg "$T/v.err") ma=$(msg "$T/a.err")
	if [ "$ri$rv$ra" = 111 ] && [ -n "$mi" ] && [ "$mi" = "$mv" ] && [ "$mi" = "$ma" ]; then
		pass "$how: inspect, verify and repo add refuse it alike: $mi"
	else
		fail "$how: inspect, verify and repo add refuse it alike" \
			"exit $ri $rv $ra" "inspect: $(cat "$T/i.err")" "verify: $(cat "$T/v.err")" \
			"repo add: $(cat "$T/a.err")"
	fi
	if [ -n "$(find "$T/store" -name '*.rpm' 2>/dev/null)" ]; then
		fail "$how: the store holds no copy of it"
	fi
done

# and the good package still passes all three
ok=1
"$RELPKG" inspect "$good" >/dev/null 2>&1 || ok=0
"$RELPKG" verify "$good" >/dev/null 2>&1 || ok=0
rm -rf "$T/store"
"$RELPKG" repo add -q "$T/store" "$good" >/dev/null 2>&1 || ok=0
if [ "$ok" = 1 ]; then
	pass "the undamaged package: inspect, verify and repo add accept it"
else
	fail "the undamaged package: inspect, verify and repo add accept it"
fi
