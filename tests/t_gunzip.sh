# shellcheck shell=sh
# t_gunzip.sh — src/gunzip.c, the one gzip inflater (release tarballs and
# .deb members), gives the same answers whichever library inflates: ISA-L
# (the build's choice where pkg-config finds libisal) and zlib (build/
# gunzipt-zlib, the same source built without it).  Each gets the same
# streams: one member, many members (relpkg's one per MiB, an empty one,
# odd header fields), padding after the last member; and must refuse a
# changed CRC-32, a changed length, a cut stream, a broken deflate block.
# The good ones must equal gzip -dc's output byte for byte.
need_cmd python3 gzip cmp
GUNZIPT=${GUNZIPT:-$TOP/build/gunzipt}
GUNZIPT_ZLIB=${GUNZIPT_ZLIB:-$TOP/build/gunzipt-zlib}
[ -x "$GUNZIPT" ] && [ -x "$GUNZIPT_ZLIB" ] || skip_file "no $GUNZIPT or $GUNZIPT_ZLIB (run make)"

# The streams: good-*.gz with good-*.want, bad-*.gz.
python3 - "$T" <<'PY'
import gzip, hashlib, struct, sys, zlib
d = sys.argv[1]

def data(n, seed):
    """n bytes, part text-like, part random: both Huffman and stored blocks."""
    out, i = bytearray(), 0
    while len(out) < n:
        h = hashlib.sha256(seed + str(i).encode()).digest()
        out += h if i % 3 == 0 else (b"lib/app/ebin/mod_%d.beam " % (i % 97)) * 3
        i += 1
    return bytes(out[:n])

def member(raw, level=6, fname=None, comment=None, extra=None, hcrc=False):
    """A gzip member written by hand, so that every header field can be set."""
    flg = (0x04 if extra is not None else 0) | (0x08 if fname else 0) | (0x10 if comment else 0) | (0x02 if hcrc else 0)
    h = bytes([0x1f, 0x8b, 8, flg]) + struct.pack("<I", 0) + bytes([0, 3])
    if extra is not None:
        h += struct.pack("<H", len(extra)) + extra
    if fname:
        h += fname + b"\0"
    if comment:
        h += comment + b"\0"
    if hcrc:
        h += struct.pack("<H", zlib.crc32(h) & 0xffff)
    co = zlib.compressobj(level, zlib.DEFLATED, -15)
    body = co.compress(raw) + co.flush()
    return h + body + struct.pack("<II", zlib.crc32(raw), len(raw) & 0xffffffff)

def put(name, gz, want=None):
    open(f"{d}/{name}.gz", "wb").write(gz)
    if want is not None:
        open(f"{d}/{name}.want", "wb").write(want)

big = data(3 << 20, b"big")
put("good-one", gzip.compress(big, 6, mtime=0), big)
pieces = [big[i:i + (1 << 20)] for i in range(0, len(big), 1 << 20)]
put("good-per-mib", b"".join(gzip.compress(p, 6, mtime=0) for p in pieces), big)
a, b = data(70000, b"a"), data(5, b"b")
put("good-empty-member", gzip.compress(a, 1) + gzip.compress(b"", 6) + gzip.compress(b, 9), a + b)
put("good-header-fields", member(a, fname=b"app.tar", comment=b"a comment", extra=b"XY\x02\x00hi", hcrc=True)
    + member(b, level=0), a + b)
put("good-stored", member(big[:200000], level=0), big[:200000])
put("good-padding", gzip.compress(a, 6) + bytes(4096), a)
put("good-empty-input", b"", b"")

good = gzip.compress(big, 6, mtime=0)
crc = bytearray(good); crc[-8] ^= 0x01
put("bad-crc", bytes(crc))
ln = bytearray(good); ln[-1] ^= 0x01
put("bad-length", bytes(ln))
put("bad-cut-data", good[:len(good) // 2])
put("bad-cut-trailer", good[:-3])
put("bad-cut-header", good[:6])
put("bad-second-member-cut", gzip.compress(a, 6) + gzip.compress(b, 6)[:-5])
# a reserved block type (3) where the second half's first block starts
co = zlib.compressobj(6, zlib.DEFLATED, 31)
first = co.compress(big[:100000]) + co.flush(zlib.Z_FULL_FLUSH)
rest = co.compress(big[100000:200000]) + co.flush()
put("bad-block-type", first + bytes([0x06]) + rest[1:])
PY

for eng in "$GUNZIPT" "$GUNZIPT_ZLIB"; do
	e=$("$eng" --engine)
	for gz in "$T"/good-*.gz; do
		n=$(basename "$gz" .gz)
		if "$eng" <"$gz" >"$T/$n.$e.out" 2>"$T/$n.$e.err" && cmp -s "$T/$n.$e.out" "$T/$n.want"; then
			pass "$e: $n: inflated to the bytes that went in"
		else
			fail "$e: $n: inflated to the bytes that went in" "$(cat "$T/$n.$e.err")"
		fi
	done
	for gz in "$T"/bad-*.gz; do
		n=$(basename "$gz" .gz)
		check_status "$e: $n: refused (exit 1)" 1 sh -c '"$1" <"$2" >/dev/null' sh "$eng" "$gz"
		case $n in
		bad-cut-*|bad-second-member-cut) want='gzip data is truncated' ;;
		*) want='gzip data is corrupt' ;;
		esac
		expect_match "$e: $n: says why" "$(cat "$T/.check.out")" "^gunzipt: $want"
	done
done
# gzip -dc agrees on what is good (the .want files are not only python's idea)
for gz in "$T"/good-*.gz; do
	n=$(basename "$gz" .gz)
	[ "$n" = good-empty-input ] && continue
	if gzip -dc <"$gz" 2>/dev/null | cmp -s - "$T/$n.want"; then
		pass "gzip -dc: $n: the same bytes"
	else
		fail "gzip -dc: $n: the same bytes"
	fi
done
expect_eq "the two builds are the two engines" "$("$GUNZIPT" --engine) $("$GUNZIPT_ZLIB" --engine)" \
	"$(pkg-config --exists libisal && echo isa-l || echo zlib) zlib"
