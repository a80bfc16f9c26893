# t_repo.sh: "relpkg repo add|list|prune makes a release store". Builds
# hello 1.0.0 .. 4.0.0 from the sample, adds them to a store and checks it
# against the real tools: apt-ftparchive (same Packages fields), createrepo_c
# (same primary/filelists/other), apt-get update + apt-cache policy with
# private state dirs, dnf repoquery from the store, gpg/gpgv on the
# signatures; that an add reads only the new package (strace); prune; bad
# input and usage errors.
# shellcheck shell=sh
need_cmd python3 sha256sum gzip find
need_relpkg
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
MAINT='relpkg tests <tests@example.org>'
D="$T/store"

# build VERSION...: hello_VERSION-1_all.deb and hello-VERSION-1.noarch.rpm into $T/dist
build() {
	for v in "$@"; do
		cp "$sample" "$T/hello-$v.tar.gz" &&
			"$RELPKG" build "$T/hello-$v.tar.gz" --out "$T/dist" --maintainer "$MAINT" --quiet ||
			return 1
	done
}
deb() { printf '%s\n' "$T/dist/hello_$1-1_all.deb"; }
rpmf() { printf '%s\n' "$T/dist/hello-$1-1.noarch.rpm"; }

# snapshot DIR: every file with its checksum and mtime (what "unchanged" means)
snapshot() { (cd "$1" && find . -type f -printf '%p %T@ ' -exec sha256sum {} \; | LC_ALL=C sort); }

sample=$(fixture sample) || skip_file "examples/make-sample.sh failed"
build 1.0.0 2.0.0 3.0.0 4.0.0 || skip_file "relpkg build of the sample failed"

# --- add -------------------------------------------------------------------
check "add: three versions, deb and rpm" \
	"$RELPKG" repo add "$D" "$(deb 1.0.0)" "$(deb 2.0.0)" "$(deb 3.0.0)" \
	"$(rpmf 1.0.0)" "$(rpmf 2.0.0)" "$(rpmf 3.0.0)"
for f in Packages Packages.gz Release repodata/repomd.xml pool/hello_3.0.0-1_all.deb pool/hello-3.0.0-1.noarch.rpm; do
	if [ -s "$D/$f" ]; then pass "add: writes $f"; else fail "add: writes $f"; fi
done
expect_eq "list: sorted by name, format, version" "$("$RELPKG" repo list "$D")" \
	"hello 1.0.0-1 all deb pool/hello_1.0.0-1_all.deb
hello 2.0.0-1 all deb pool/hello_2.0.0-1_all.deb
hello 3.0.0-1 all deb pool/hello_3.0.0-1_all.deb
hello 1.0.0-1 noarch rpm pool/hello-1.0.0-1.noarch.rpm
hello 2.0.0-1 noarch rpm pool/hello-2.0.0-1.noarch.rpm
hello 3.0.0-1 noarch rpm pool/hello-3.0.0-1.noarch.rpm"
expect_eq "list --json: parses, 6 packages with sha256 of the pool files" \
	"$("$RELPKG" repo list "$D" --json | python3 -c '
import json, sys, hashlib
d = sys.argv[1]
v = json.load(sys.stdin)
ok = all(hashlib.sha256(open(d + "/" + p["file"], "rb").read()).hexdigest() == p["sha256"] for p in v)
print(len(v), ok)' "$D" 2>&1)" "6 True"
check "add: the same file again is accepted (nothing changes)" "$RELPKG" repo add -q "$D" "$(deb 3.0.0)"
expect_eq "add: Packages.gz is Packages, gzipped" "$(gzip -dc "$D/Packages.gz" | sha256sum)" "$(sha256sum <"$D/Packages")"

# --- Packages vs apt-ftparchive ------------------------------------------------
# cmp_stanzas A B: parsed Packages files; the same packages, each with the
# same fields and values (order of fields and stanzas may differ).
cmp_stanzas() {
	python3 - "$1" "$2" <<'EOF'
import sys
def parse(path):
    out = {}
    for para in open(path).read().split("\n\n"):
        if not para.strip():
            continue
        f, key = {}, None
        for line in para.split("\n"):
            if line[:1] in (" ", "\t"):
                f[key] += "\n" + line
            elif line:
                key, _, v = line.partition(":")
                f[key.lower()] = v.strip()
                key = key.lower()
        out[(f["package"], f["version"], f["architecture"])] = f
    return out
a, b = parse(sys.argv[1]), parse(sys.argv[2])
if a.keys() != b.keys():
    print("packages differ:", sorted(a), sorted(b)); sys.exit(1)
bad = 0
for k in a:
    for fld in sorted(set(a[k]) | set(b[k])):
        if a[k].get(fld) != b[k].get(fld):
            print(k, fld, "relpkg:", a[k].get(fld), "apt-ftparchive:", b[k].get(fld)); bad = 1
print(len(a), "packages")
sys.exit(bad)
EOF
}
if command -v apt-ftparchive >/dev/null; then
	(cd "$D" && apt-ftparchive packages pool) >"$T/ftp.Packages" 2>"$T/ftp.err"
	check "Packages: same packages and fields as apt-ftparchive packages" cmp_stanzas "$D/Packages" "$T/ftp.Packages"
	(cd "$D" && apt-ftparchive release .) >"$T/ftp.Release" 2>/dev/null
	expect_eq "Release: SHA256 of Packages and Packages.gz as apt-ftparchive release says" \
		"$(sed -n '/^SHA256:/,/^[A-Z]/p' "$D/Release" | grep -E ' Packages(\.gz)?$' | awk '{print $1, $2, $3}')" \
		"$(sed -n '/^SHA256:/,/^[A-Z]/p' "$T/ftp.Release" | grep -E ' Packages(\.gz)?$' | awk '{print $1, $2, $3}')"
else
	skip "Packages vs apt-ftparchive" "apt-ftparchive (apt-utils) not installed"
fi

# --- repodata vs createrepo_c ----------------------------------------------------
# cmp_repodata A B: both repodata/ dirs; the same primary, filelists and
# other documents once <time file=> (the file's mtime) is left out.
cmp_repodata() {
	python3 - "$1" "$2" <<'EOF'
import sys, gzip, hashlib, os, xml.etree.ElementTree as ET
R = "{http://linux.duke.edu/metadata/repo}"
def load(d):
    root = ET.parse(os.path.join(d, "repodata", "repomd.xml")).getroot()
    docs = {}
    for data in root.findall(R + "data"):
        t = data.get("type")
        if t not in ("primary", "filelists", "other"):
            continue
        href = data.find(R + "location").get("href")
        raw = open(os.path.join(d, href), "rb").read()
        xml = gzip.decompress(raw)
        # repomd's own claims about the file
        assert data.find(R + "checksum").text == hashlib.sha256(raw).hexdigest(), (d, t, "checksum")
        assert data.find(R + "open-checksum").text == hashlib.sha256(xml).hexdigest(), (d, t, "open-checksum")
        assert int(data.find(R + "size").text) == len(raw), (d, t, "size")
        assert int(data.find(R + "open-size").text) == len(xml), (d, t, "open-size")
        assert os.path.basename(href).startswith(hashlib.sha256(raw).hexdigest() + "-"), (d, t, "name")
        doc = ET.fromstring(xml)
        for el in doc.iter():
            if el.tag.endswith("}time"):
                el.attrib.pop("file", None)
        pk = {}
        for p in doc:
            key = p.get("pkgid") or p.find("{http://linux.duke.edu/metadata/common}checksum").text
            pk[key] = ET.tostring(p)
        docs[t] = (doc.get("packages"), pk)
    return docs
a, b = load(sys.argv[1]), load(sys.argv[2])
bad = 0
for t in ("primary", "filelists", "other"):
    if a[t] != b[t]:
        bad = 1
        print(t, "differs; packages", a[t][0], b[t][0])
        for k in set(a[t][1]) | set(b[t][1]):
            if a[t][1].get(k) != b[t][1].get(k):
                print(" relpkg:      ", a[t][1].get(k)); print(" createrepo_c:", b[t][1].get(k))
print(a["primary"][0], "packages")
sys.exit(bad)
EOF
}
if command -v createrepo_c >/dev/null; then
	mkdir -p "$T/cr/pool"
	cp -p "$D"/pool/*.rpm "$T/cr/pool/"
	if createrepo_c --quiet --no-database "$T/cr" >"$T/cr.log" 2>&1; then
		check "repodata: primary, filelists, other as createrepo_c writes them (checksums, sizes, files, deps)" \
			cmp_repodata "$D" "$T/cr"
	else
		fail "repodata: createrepo_c runs" "$(cat "$T/cr.log")"
	fi
else
	skip "repodata vs createrepo_c" "createrepo_c not installed"
fi

# --- apt reads the flat repository -----------------------------------------------
# apt_sandbox NAME SOURCES-LINE: private state, cache, sources and status, so
# the host's apt database is never touched; prints the -o options.
apt_sandbox() {
	a="$T/apt-$1"
	mkdir -p "$a/state/lists/partial" "$a/cache/archives/partial" "$a/etc/preferences.d" "$a/etc/apt.conf.d"
	: >"$a/status"
	printf '%s\n' "$2" >"$a/sources.list"
	printf '%s\n' "-o Dir::State=$a/state -o Dir::State::status=$a/status -o Dir::Cache=$a/cache \
-o Dir::Etc::sourcelist=$a/sources.list -o Dir::Etc::sourceparts=- -o Dir::Etc::parts=$a/etc/apt.conf.d \
-o Dir::Etc::preferences=$a/etc/preferences -o Dir::Etc::preferencesparts=$a/etc/preferences.d \
-o Debug::NoLocking=1 -o APT::Sandbox::User=root"
}
if command -v apt-get >/dev/null && command -v apt-cache >/dev/null; then
	o=$(apt_sandbox plain "deb [trusted=yes] file:$D ./")
	# shellcheck disable=SC2086 # $o is a list of options
	check "apt: apt-get update reads the store" apt-get $o -q update
	# shellcheck disable=SC2086
	expect_match "apt: apt-cache policy hello: candidate 3.0.0-1" \
		"$(apt-cache $o policy hello 2>&1)" '^ *Candidate: 3\.0\.0-1$'
	# shellcheck disable=SC2086
	expect_eq "apt: apt-cache madison lists the three versions" \
		"$(apt-cache $o madison hello 2>&1 | awk -F'|' '{gsub(/ /, "", $2); print $2}')" \
		"$(printf '%s\n' 3.0.0-1 2.0.0-1 1.0.0-1)"
else
	skip "apt reads the store" "apt-get not installed"
fi

# --- dnf reads the rpm-md repository -------------------------------------------
dnf_q() {
	r="$T/dnf-$1"
	shift
	mkdir -p "$r"
	printf '[main]\n' >"$T/dnf.conf"
	dnf -q --installroot="$r" --config="$T/dnf.conf" --disableplugin='*' --releasever=12 \
		--setopt=cachedir="$r/var/cache/dnf" --setopt=reposdir=/dev/null \
		--repofrompath=s,"file://$D" --setopt=s.gpgcheck=0 "$@" </dev/null 2>&1
}
if command -v dnf >/dev/null; then
	expect_eq "dnf: repoquery --available sees the three versions" \
		"$(dnf_q a repoquery --available --qf '%{name}-%{evr}.%{arch}' hello | LC_ALL=C sort)" \
		"$(printf 'hello-%s-1.noarch\n' 1.0.0 2.0.0 3.0.0)"
	expect_eq "dnf: repoquery --latest-limit 1 is 3.0.0" \
		"$(dnf_q b repoquery --available --latest-limit 1 --qf '%{version}' hello)" "3.0.0"
	expect_match "dnf: repoquery -l lists the package's files (filelists.xml)" \
		"$(dnf_q c repoquery --available -l hello-2.0.0)" '^/opt/hello/releases/2\.0\.0/lib/hello/VERSION$'
else
	skip "dnf reads the store" "dnf not installed"
fi

# --- adding to a big store reads only the new package ----------------------------
# A second store with 3 + 10 versions (26 packages); then 4.0.0 is added
# under strace: no existing pool file may be opened, and the existing
# index entries are not rewritten (their mtimes stay).
B="$T/big"
extra=""
for i in 1 2 3 4 5 6 7 8 9 10; do extra="$extra 1.1.$i"; done
# shellcheck disable=SC2086
if build $extra; then
	set --
	for v in 1.0.0 2.0.0 3.0.0 $extra; do set -- "$@" "$(deb "$v")" "$(rpmf "$v")"; done
	check "big store: 26 packages in one add" "$RELPKG" repo add -q "$B" "$@"
	before=$(cd "$B/.relpkg/index" && find . -type f -printf '%p %T@\n' | LC_ALL=C sort)
	sleep 1
	if command -v strace >/dev/null && strace -f -qq -e trace=open,openat -o /dev/null true 2>/dev/null; then
		# (LeakSanitizer cannot run under ptrace: off for this one run of an asan build)
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -f -qq -e trace=open,openat,execve -o "$T/strace.out" \
			"$RELPKG" repo add -q "$B" "$(deb 4.0.0)" "$(rpmf 4.0.0)" >"$T/add4.out" 2>&1
		rc=$?
		expect_eq "big store: adding 4.0.0 succeeds" "$rc" 0
		opened=$(grep -oE 'open(at)?\([^"]*"[^"]*(pool/hello[^"]*|\.(deb|rpm))"' "$T/strace.out" |
			sed 's/.*"\(.*\)"/\1/' | grep -v -e '-4\.0\.0-' -e '_4\.0\.0-' | LC_ALL=C sort -u)
		expect_eq "big store: no other package file is opened (strace)" "$opened" ""
		n=$(grep -cE 'open(at)?\(.*\.entry"' "$T/strace.out")
		note "big store: the add opened $n index entries (small files), no packages"
	else
		"$RELPKG" repo add -q "$B" "$(deb 4.0.0)" "$(rpmf 4.0.0)"
		skip "big store: no other package file is opened" "strace not usable here"
	fi
	after=$(cd "$B/.relpkg/index" && find . -type f -printf '%p %T@\n' | LC_ALL=C sort | grep -v '4\.0\.0')
	expect_eq "big store: the 26 existing index entries were not rewritten" "$after" "$before"
	expect_eq "big store: list orders versions as dpkg/rpm do (1.1.2 < 1.1.10 < 2.0.0)" \
		"$("$RELPKG" repo list "$B" | awk '$4 == "deb" {print $2}' | tr '\n' ' ')" \
		"1.0.0-1 1.1.1-1 1.1.2-1 1.1.3-1 1.1.4-1 1.1.5-1 1.1.6-1 1.1.7-1 1.1.8-1 1.1.9-1 1.1.10-1 2.0.0-1 3.0.0-1 4.0.0-1 "
	expect_eq "big store: 28 packages listed" "$("$RELPKG" repo list "$B" | wc -l)" 28
	expect_eq "big store: Packages has 14 stanzas" "$(grep -c '^Package: ' "$B/Packages")" 14
	expect_match "big store: repomd.xml names 14 packages in primary" \
		"$(gzip -dc "$(sed -n 's/.*href="\(repodata\/[^"]*-primary.xml.gz\)".*/\1/p' "$B/repodata/repomd.xml" | sed "s|^|$B/|")" | head -2)" \
		'packages="14"'
else
	fail "big store: relpkg build of 10 more versions"
fi

# --- appended indexes are the indexes a full write makes --------------------------
# The add of 4.0.0 above appended (.relpkg/indexes: a Packages stanza and
# gzip member; new rpm-md head and tail around the old packages' members).
# A copy without the record is written in full from the entries: the same
# packages in every index; repomd.xml's sums and sizes are the files'.
# indexes_of DIR: every index's packages, sorted (order is not content)
indexes_of() {
	python3 - "$1" <<'PY'
import gzip, hashlib, re, sys
d = sys.argv[1]
pk = open(d + "/Packages", "rb").read()
assert gzip.open(d + "/Packages.gz").read() == pk, "Packages.gz is not Packages"
print("\n".join(sorted(s for s in pk.decode().split("\n\n") if s.strip())))
rel = open(d + "/Release").read().split("SHA256:\n")[1]
for f in ("Packages", "Packages.gz"):
    b = open(d + "/" + f, "rb").read()
    assert " %s %16d %s\n" % (hashlib.sha256(b).hexdigest(), len(b), f) in rel, "Release: " + f
repomd = open(d + "/repodata/repomd.xml").read()
for t in ("primary", "filelists", "other"):
    m = re.search(r'<data type="%s">.*?<checksum type="sha256">(\w+)</checksum>.*?<open-checksum type="sha256">(\w+)</open-checksum>.*?href="([^"]+)".*?<size>(\d+)</size>.*?<open-size>(\d+)</open-size>' % t, repomd, re.S)
    gz = open(d + "/" + m.group(3), "rb").read()
    x = gzip.decompress(gz)
    assert hashlib.sha256(gz).hexdigest() == m.group(1) and int(m.group(4)) == len(gz), t + ": checksum/size"
    assert hashlib.sha256(x).hexdigest() == m.group(2) and int(m.group(5)) == len(x), t + ": open-checksum/size"
    x = x.decode()
    pkgs = re.findall(r"<package[ >].*?</package>", x, re.S)
    n = int(re.search(r'packages="(\d+)"', x).group(1))
    assert n == len(pkgs), t + ": packages=%d but %d elements" % (n, len(pkgs))
    print(t, n)
    print("\n".join(sorted(pkgs)))
PY
}
if [ -f "$B/.relpkg/indexes" ]; then
	appended=$(indexes_of "$B" 2>&1)
	rm -rf "$T/big-full"
	cp -a "$B" "$T/big-full"
	rm "$T/big-full/.relpkg/indexes"
	check "append: a store without its record is written in full" \
		"$RELPKG" repo add -q "$T/big-full" "$(deb 4.0.0)"
	check "append: ... which writes the record again" test -s "$T/big-full/.relpkg/indexes"
	expect_eq "append: the appended indexes hold what a full write holds (14 + 14 packages, sums right)" \
		"$appended" "$(indexes_of "$T/big-full" 2>&1)"
	# a Packages changed behind relpkg's back (same size) is not appended to
	python3 - "$B/Packages" <<'PY'
import sys
p = sys.argv[1]
b = open(p, "rb").read()
open(p, "wb").write(b.replace(b"Package: hello", b"Package: hellp", 1))
PY
	if build 5.0.0; then
		check "append: add 5.0.0 to a store whose Packages was changed" \
			"$RELPKG" repo add -q "$B" "$(deb 5.0.0)" "$(rpmf 5.0.0)"
		expect_eq "append: ... Packages was written in full from the entries (no changed stanza, 15 packages)" \
			"$(grep -c '^Package: hellp' "$B/Packages"; grep -c '^Package: hello$' "$B/Packages")" "0
15"
		out=$(indexes_of "$B" 2>&1)
		expect_match "append: ... and every index agrees with repomd.xml and Release's sums" "$out" 'other 15'
	else
		fail "append: relpkg build of 5.0.0"
	fi
else
	fail "append: the big store has no .relpkg/indexes"
fi

# --- prune -----------------------------------------------------------------------
snap=$(snapshot "$D")
expect_eq "prune --dry-run: says what would go" \
	"$("$RELPKG" repo prune "$D" --keep 2 --dry-run 2>&1)" \
	"would remove hello 1.0.0-1 all deb pool/hello_1.0.0-1_all.deb
would remove hello 1.0.0-1 noarch rpm pool/hello-1.0.0-1.noarch.rpm"
expect_eq "prune --dry-run: changes nothing" "$(snapshot "$D")" "$snap"
sleep 1  # a new second: repomd's revision differs, old repodata is retired
check "prune --keep 2" "$RELPKG" repo prune "$D" --keep 2
expect_eq "prune: list keeps 2.0.0 and 3.0.0 of each format" "$("$RELPKG" repo list "$D" | awk '{print $2, $4}')" \
	"2.0.0-1 deb
3.0.0-1 deb
2.0.0-1 rpm
3.0.0-1 rpm"
expect_eq "prune: Packages has 2.0.0 and 3.0.0" "$(sed -n 's/^Version: //p' "$D/Packages" | LC_ALL=C sort)" \
	"$(printf '%s\n' 2.0.0-1 3.0.0-1)"
primary=$(sed -n 's/.*href="\(repodata\/[^"]*-primary.xml.gz\)".*/\1/p' "$D/repodata/repomd.xml")
expect_eq "prune: primary.xml has 2.0.0 and 3.0.0" \
	"$(gzip -dc "$D/$primary" | sed -n 's/.*<version epoch="0" ver="\([^"]*\)".*/\1/p' | LC_ALL=C sort)" \
	"$(printf '%s\n' 2.0.0 3.0.0)"
expect_eq "prune: the 1.0.0 files and index entries are gone" \
	"$(find "$D" -name '*1.0.0*' | wc -l)" 0
expect_eq "prune: Release still describes Packages" \
	"$(sed -n '/^SHA256:/,/^SHA512:/p' "$D/Release" | awk '$3 == "Packages" {print $1}')" "$(sha256sum <"$D/Packages" | cut -d' ' -f1)"
n=$(find "$D/repodata" -name '*-primary.xml.gz' | wc -l)
if [ "$n" -le 2 ]; then
	pass "prune: old repodata is retired (current + previous generation kept: $n)"
else
	fail "prune: old repodata is retired" "$(ls "$D/repodata")"
fi
if command -v createrepo_c >/dev/null; then
	rm -rf "$T/cr2" && mkdir -p "$T/cr2/pool" && cp -p "$D"/pool/*.rpm "$T/cr2/pool/" &&
		createrepo_c --quiet --no-database "$T/cr2" >/dev/null 2>&1
	check "prune: repodata is still what createrepo_c writes" cmp_repodata "$D" "$T/cr2"
fi

# --- signed store ----------------------------------------------------------------
if command -v gpg >/dev/null && command -v gpgv >/dev/null; then
	GNUPGHOME="$T/gnupg"
	export GNUPGHOME
	mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
	if gpg --batch --passphrase '' --quick-gen-key 'relpkg test <repo-test@example.org>' ed25519 sign never \
		>"$T/gpg.log" 2>&1; then
		gpg --batch --export 'repo-test@example.org' >"$T/key.gpg"
		S="$T/signed"
		# a signed store takes only packages signed by its key (tests/t_sign.sh)
		check_fails "signed: an unsigned package is refused" "$RELPKG" repo add -q "$S" \
			--sign-key repo-test@example.org "$(deb 2.0.0)"
		for v in 2.0.0 3.0.0 4.0.0; do
			"$RELPKG" build "$T/hello-$v.tar.gz" --out "$T/sdist" --maintainer "$MAINT" --quiet \
				--sign-key repo-test@example.org || fail "signed: build --sign-key $v"
		done
		deb() { printf '%s\n' "$T/sdist/hello_$1-1_all.deb"; }
		rpmf() { printf '%s\n' "$T/sdist/hello-$1-1.noarch.rpm"; }
		check "signed: add --sign-key" "$RELPKG" repo add -q "$S" --sign-key repo-test@example.org \
			"$(deb 2.0.0)" "$(rpmf 2.0.0)"
		check "signed: the public key is published" cmp "$S/signing-key.asc" "$S/repodata/repomd.xml.key"
		check "signed: gpgv InRelease" gpgv --keyring "$T/key.gpg" "$S/InRelease"
		check "signed: gpgv Release.gpg Release" gpgv --keyring "$T/key.gpg" "$S/Release.gpg" "$S/Release"
		check "signed: gpg --verify repomd.xml.asc" gpg --batch --verify "$S/repodata/repomd.xml.asc" "$S/repodata/repomd.xml"
		expect_eq "signed: InRelease's text is Release" \
			"$(gpg --batch --decrypt "$S/InRelease" 2>/dev/null | sha256sum)" "$(sha256sum <"$S/Release")"
		# a later add without --sign-key signs again with the remembered key
		check "signed: a later add without --sign-key" "$RELPKG" repo add -q "$S" "$(deb 3.0.0)" "$(rpmf 3.0.0)"
		check "signed: InRelease still verifies after it" gpgv --keyring "$T/key.gpg" "$S/InRelease"
		expect_eq "signed: and still describes the new Release" \
			"$(gpg --batch --decrypt "$S/InRelease" 2>/dev/null | sha256sum)" "$(sha256sum <"$S/Release")"
		if command -v apt-get >/dev/null; then
			o=$(apt_sandbox signed "deb [signed-by=$T/key.gpg] file:$S ./")
			# shellcheck disable=SC2086
			check "signed: apt-get update with signed-by (no trusted=yes)" apt-get $o -q update
			# shellcheck disable=SC2086
			expect_match "signed: apt-cache policy: candidate 3.0.0-1" \
				"$(apt-cache $o policy hello 2>&1)" '^ *Candidate: 3\.0\.0-1$'
			o=$(apt_sandbox wrongkey "deb [signed-by=$T/gnupg/none.gpg] file:$S ./")
			: >"$T/gnupg/none.gpg"
			# shellcheck disable=SC2086
			expect_match "signed: apt refuses the store with another key" \
				"$(apt-get $o -q update 2>&1)" 'NO_PUBKEY|not signed|is not signed|no valid|Unknown error'
		fi
		check_fails "signed: an unknown key fails" "$RELPKG" repo add -q "$S" --sign-key nobody@nowhere.invalid "$(deb 4.0.0)"
		expect_eq "signed: ... and adds nothing" "$("$RELPKG" repo list "$S" | grep -c 4.0.0)" 0
		gpgconf --kill gpg-agent 2>/dev/null || :
		deb() { printf '%s\n' "$T/dist/hello_$1-1_all.deb"; }
		rpmf() { printf '%s\n' "$T/dist/hello-$1-1.noarch.rpm"; }
	else
		fail "signed: gpg --quick-gen-key makes a throwaway key" "$(cat "$T/gpg.log")"
	fi
	unset GNUPGHOME
else
	skip "signed store" "gpg/gpgv not installed"
fi

# --- bad input and usage ---------------------------------------------------------
snap=$(snapshot "$D")
printf 'not a package\n' >"$T/junk.deb"
check_status "bad input: a non-package file: exit 1" 1 "$RELPKG" repo add "$D" "$(deb 4.0.0)" "$T/junk.deb"
expect_eq "bad input: ... and the store is unchanged (4.0.0 not added either)" "$(snapshot "$D")" "$snap"
head -c 3000 "$(rpmf 4.0.0)" >"$T/trunc.rpm"
check_status "bad input: a truncated .rpm: exit 1" 1 "$RELPKG" repo add "$D" "$T/trunc.rpm"
head -c 200 "$(deb 4.0.0)" >"$T/trunc.deb"
check_status "bad input: a truncated .deb: exit 1" 1 "$RELPKG" repo add "$D" "$T/trunc.deb"
check_status "bad input: a missing file: exit 1" 1 "$RELPKG" repo add "$D" "$T/nonexistent.deb"
expect_eq "bad input: the store is still unchanged" "$(snapshot "$D")" "$snap"
check_status "bad input: a new DIR is not created for bad input" 1 "$RELPKG" repo add "$T/newstore" "$T/junk.deb"
if [ ! -e "$T/newstore" ]; then pass "bad input: ... and DIR is not created"; else fail "bad input: ... and DIR is not created"; fi
check_status "bad input: list of a directory that is no store: exit 1" 1 "$RELPKG" repo list "$T/dist"
check_status "usage: unknown option: exit 2" 2 "$RELPKG" repo add "$D" --frobnicate "$(deb 4.0.0)"
check_status "usage: unknown subcommand: exit 2" 2 "$RELPKG" repo frob "$D"
check_status "usage: no subcommand: exit 2" 2 "$RELPKG" repo
check_status "usage: add without packages: exit 2" 2 "$RELPKG" repo add "$D"
check_status "usage: prune without --keep: exit 2" 2 "$RELPKG" repo prune "$D"
check_status "usage: prune --keep 0: exit 2" 2 "$RELPKG" repo prune "$D" --keep 0
check_status "usage: prune --keep x: exit 2" 2 "$RELPKG" repo prune "$D" --keep x
check_status "usage: list --keep: exit 2" 2 "$RELPKG" repo list "$D" --keep 2
expect_eq "usage: nothing changed" "$(snapshot "$D")" "$snap"
check "usage: repo --help" "$RELPKG" repo --help
check "usage: repo add --help" "$RELPKG" repo add --help

# --- hostile store input (issue 11, items 16-18) ----------------------------------
# H: a store of its own with hello 1.0.0 .. 3.0.0 of both formats.
H="$T/hostile"
"$RELPKG" repo add -q "$H" "$(deb 1.0.0)" "$(deb 2.0.0)" "$(deb 3.0.0)" \
	"$(rpmf 1.0.0)" "$(rpmf 2.0.0)" "$(rpmf 3.0.0)" || fail "hostile: the store is made"
# consistent DIR: every file Packages and repomd.xml/primary name exists,
# with the size they say; Release and repomd.xml describe their indexes
consistent() {
	python3 - "$1" <<'PY'
import sys, os, gzip, hashlib, xml.etree.ElementTree as ET
d = sys.argv[1]
bad = []
pk = open(os.path.join(d, "Packages")).read()
for para in pk.split("\n\n"):
    f = dict(l.split(": ", 1) for l in para.splitlines() if l and l[0] not in " \t" and ": " in l)
    if "Filename" in f:
        p = os.path.join(d, f["Filename"])
        if not os.path.isfile(p) or os.path.getsize(p) != int(f["Size"]):
            bad.append("Packages names " + f["Filename"])
rel = open(os.path.join(d, "Release")).read().split("SHA256:\n")[1]
for l in rel.splitlines():
    if not l.startswith(" "):
        break
    p = l.split()
    if len(p) == 3 and p[2] in ("Packages", "Packages.gz"):
        if hashlib.sha256(open(os.path.join(d, p[2]), "rb").read()).hexdigest() != p[0]:
            bad.append("Release does not describe " + p[2])
R = "{http://linux.duke.edu/metadata/repo}"
root = ET.parse(os.path.join(d, "repodata", "repomd.xml")).getroot()
for data in root.findall(R + "data"):
    href = data.find(R + "location").get("href")
    raw = open(os.path.join(d, href), "rb").read()
    if hashlib.sha256(raw).hexdigest() != data.find(R + "checksum").text:
        bad.append("repomd.xml does not describe " + href)
    if data.get("type") == "primary":
        doc = ET.fromstring(gzip.decompress(raw))
        for loc in doc.iter("{http://linux.duke.edu/metadata/common}location"):
            if not os.path.isfile(os.path.join(d, loc.get("href"))):
                bad.append("primary names " + loc.get("href"))
left = [n for r, _, fs in os.walk(d) for n in fs if n.endswith((".relpkg-new", ".relpkg-old"))]
bad += ["left over: " + n for n in left]
print("\n".join(bad) or "consistent")
sys.exit(1 if bad else 0)
PY
}
check "hostile: the store starts consistent" consistent "$H"

# 16. prune trusts nothing an entry file says about the file to delete
E="$H/.relpkg/index/hello_1.0.0-1_all.deb.entry"
cp "$E" "$T/entry.saved"
printf 'precious\n' >"$T/victim"
hsnap=$(snapshot "$H")
prune_refused() { # DESC PATTERN: prune --keep 1 fails naming PATTERN; nothing changes
	out=$("$RELPKG" repo prune "$H" --keep 1 2>&1)
	rc=$?
	expect_eq "16 prune, $1: exit 1" "$rc" 1
	expect_match "16 prune, $1: the message names it" "$out" "$2"
	expect_eq "16 prune, $1: the victim is intact" "$(cat "$T/victim" 2>&1)" precious
	expect_eq "16 prune, $1: the store is unchanged" "$(snapshot "$H")" "$hsnap"
}
sed -i "s|^file .*|file ../../victim|" "$E"
hsnap=$(snapshot "$H")
prune_refused "entry with file ../../victim" 'hello_1\.0\.0-1_all\.deb\.entry: corrupt entry \(bad file'
sed -i "s|^file .*|file pool/../../victim|" "$E"
hsnap=$(snapshot "$H")
prune_refused "entry with file pool/../../victim" 'corrupt entry \(bad file'
sed -i "s|^file .*|file pool/hello_3.0.0-1_all.deb|" "$E"
hsnap=$(snapshot "$H")
prune_refused "entry naming another package's file" 'corrupt entry'
cp "$T/entry.saved" "$E"
mv "$H/pool/hello_1.0.0-1_all.deb" "$T/pool.saved"
ln -s "$T/victim" "$H/pool/hello_1.0.0-1_all.deb"
hsnap=$(snapshot "$H")
prune_refused "the pool file is a symlink" 'pool/hello_1\.0\.0-1_all\.deb: not a regular file'
rm "$H/pool/hello_1.0.0-1_all.deb"
printf 'not the package\n' >"$H/pool/hello_1.0.0-1_all.deb"
hsnap=$(snapshot "$H")
prune_refused "the pool file has other content" 'hello_1\.0\.0-1_all\.deb: .*its entry says'
head -c "$(stat -c %s "$T/pool.saved")" /dev/zero >"$H/pool/hello_1.0.0-1_all.deb"
hsnap=$(snapshot "$H")
prune_refused "the pool file has other content of the same size" 'sha256 differs'
mv "$T/pool.saved" "$H/pool/hello_1.0.0-1_all.deb"
mv "$H/pool" "$T/pool.dir" && ln -s "$T/pool.dir" "$H/pool"
hsnap=$(snapshot "$H")
prune_refused "pool/ is a symlink" 'pool \(a directory, not a link\)'
rm "$H/pool" && mv "$T/pool.dir" "$H/pool"
check "hostile: repaired, the store is consistent again" consistent "$H"

# 17. add rejects control data relpkg would not write, and non-UTF-8 rpm fields
# mkdeb OUT: a .deb (ar, control.tar.gz, data.tar.gz) whose control file is stdin
mkdeb() {
	cat >"$1.control"
	python3 - "$1" "$1.control" <<'PY'
import sys, io, tarfile, time
control = open(sys.argv[2], "rb").read()
def tgz(files):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz") as t:
        for name, data in files:
            ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644; ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()
members = [(b"debian-binary", b"2.0\n"), (b"control.tar.gz", tgz([("./control", control)])),
           (b"data.tar.gz", tgz([]))]
out = b"!<arch>\n"
for name, data in members:
    out += b"%-16s%-12d%-6d%-6d%-8s%-10d`\n" % (name, 1700000000, 0, 0, b"100644", len(data)) + data
    if len(data) % 2:
        out += b"\n"
open(sys.argv[1], "wb").write(out)
PY
}
ok_ctl='Package: evil
Version: 9.0.0-1
Architecture: all
Maintainer: x <x@example.org>
Description: d
 more
'
printf '%s' "$ok_ctl" | mkdeb "$T/ok.deb"
bad_deb() { # NAME PATTERN: control text on stdin
	mkdeb "$T/$1.deb"
	hsnap=$(snapshot "$H")
	out=$("$RELPKG" repo add "$H" "$T/$1.deb" 2>&1)
	rc=$?
	expect_eq "17 add, $1: exit 1" "$rc" 1
	expect_match "17 add, $1: the message names the package and the field" "$out" "$T/$1\\.deb: .*$2"
	expect_eq "17 add, $1: the store is unchanged" "$(snapshot "$H")" "$hsnap"
}
printf '%sPackage: hello\n' "$ok_ctl" | bad_deb second-package 'field Package appears more than once'
printf '%spackage: hello\n' "$ok_ctl" | bad_deb second-package-lowercase 'field package appears more than once'
printf '%sPackage hello 1.0\n' "$ok_ctl" | bad_deb no-colon "line 7: not a field \\(no ':'\\)"
printf 'Package: evil\nVersion: 9.0.0-1\n 8.0\nArchitecture: all\nDescription: d\n' |
	bad_deb continued-version 'field Version: continuation line'
printf '%sBad Name: x\n' "$ok_ctl" | bad_deb space-in-field-name "bad field name 'Bad Name'"
printf '%s\nPackage: hello\nVersion: 1\n' "$ok_ctl" | bad_deb second-paragraph 'more than one paragraph'
printf 'Package: .hidden\nVersion: 1\nArchitecture: all\nDescription: d\n' |
	bad_deb leading-dot "bad Package '.hidden'"
printf '\n%s' "$ok_ctl" | bad_deb leading-blank-line 'line 1: blank line before the first field'
printf '%s \nFilename: ../x\n' "$ok_ctl" | bad_deb blank-continuation 'more than one paragraph'
printf 'Package: evil\nVersion: 9.0.0-1\nArchitecture: all\nDescription: \377\n' | bad_deb not-utf8 'not valid UTF-8'
printf 'Package: evil\nVersion: 9.0.0-1\nArchitecture: all\nDescription: a\rb\n' | bad_deb carriage-return 'control character 0x0d'
check "17 add: the same control file without the extra line is accepted" "$RELPKG" repo add -q "$H" "$T/ok.deb"
expect_eq "17 add: Packages lists evil 9.0.0-1 once" "$(grep -c '^Package: evil' "$H/Packages")" 1
check "17 add: Packages still matches the index" consistent "$H"
# an rpm whose NAME (or SUMMARY) holds a byte that is not UTF-8
# rpmtag RPM TAG OUT: RPM with the second byte of tag TAG's string set to 0xff
rpmtag() {
	python3 - "$@" <<'PY'
import sys, struct
data = bytearray(open(sys.argv[1], "rb").read())
tag = int(sys.argv[2])
pos = 96
il, dl = struct.unpack(">II", data[pos + 8:pos + 16])
pos += 16 + il * 16 + dl
pos += (8 - pos % 8) % 8
il, dl = struct.unpack(">II", data[pos + 8:pos + 16])
store = pos + 16 + il * 16
for i in range(il):
    t, ty, off, cnt = struct.unpack(">IIII", data[pos + 16 + 16 * i:pos + 32 + 16 * i])
    if t == tag:
        data[store + off + 1] = 0xff
open(sys.argv[3], "wb").write(data)
PY
}
for t in 1000:NAME 1004:SUMMARY; do
	rpmtag "$(rpmf 4.0.0)" "${t%:*}" "$T/bad-${t#*:}.rpm"
	hsnap=$(snapshot "$H")
	out=$("$RELPKG" repo add "$H" "$T/bad-${t#*:}.rpm" 2>&1)
	rc=$?
	expect_eq "17 add, rpm ${t#*:} not UTF-8: exit 1" "$rc" 1
	expect_match "17 add, rpm ${t#*:} not UTF-8: the message names the package and the tag" "$out" \
		"bad-${t#*:}\\.rpm: .*${t#*:} \\(tag ${t%:*}\\) is not valid UTF-8"
	expect_eq "17 add, rpm ${t#*:} not UTF-8: the store is unchanged" "$(snapshot "$H")" "$hsnap"
done
"$RELPKG" repo list "$H" --json >"$T/h.json"
check "17: repo list --json is valid JSON" python3 -m json.tool "$T/h.json"

# 18. the indexes of both formats move together: make the rpm side fail
# after the apt side was staged (or even renamed), for add and prune
fail_add() { # DESC: the rest of the command line is run, must exit 1 and change nothing
	d=$1
	shift
	hsnap=$(snapshot "$H")
	out=$("$@" 2>&1)
	rc=$?
	expect_eq "18 $d: exit 1" "$rc" 1
	expect_eq "18 $d: the store is unchanged (indexes, entries, pool)" "$(snapshot "$H")" "$hsnap"
	check "18 $d: the indexes describe what is there" consistent "$H"
	note "18 $d: $out"
}
fail_add "add, repomd.xml cannot be staged (RELPKG_TEST_FAULT=stage:repomd.xml)" \
	env RELPKG_TEST_FAULT=stage:repomd.xml "$RELPKG" repo add "$H" "$(deb 4.0.0)" "$(rpmf 4.0.0)"
fail_add "add, the rename of repomd.xml fails after Packages and Release were renamed" \
	env RELPKG_TEST_FAULT=commit:repomd.xml "$RELPKG" repo add "$H" "$(deb 4.0.0)" "$(rpmf 4.0.0)"
fail_add "add, Release cannot be staged (the apt side)" \
	env RELPKG_TEST_FAULT=stage:Release "$RELPKG" repo add "$H" "$(deb 4.0.0)" "$(rpmf 4.0.0)"
mv "$H/repodata/repomd.xml" "$T/repomd.saved" && mkdir "$H/repodata/repomd.xml"
hsnap=$(snapshot "$H")
out=$("$RELPKG" repo add "$H" "$(deb 4.0.0)" "$(rpmf 4.0.0)" 2>&1)
rc=$?
expect_eq "18 add, repodata/repomd.xml is a directory (a real failure): exit 1" "$rc" 1
expect_match "18 add, repodata/repomd.xml is a directory: says so" "$out" 'repomd\.xml: not a regular file'
expect_eq "18 add, repodata/repomd.xml is a directory: the store is unchanged" "$(snapshot "$H")" "$hsnap"
rmdir "$H/repodata/repomd.xml" && mv "$T/repomd.saved" "$H/repodata/repomd.xml"
check "18: repaired, the store is consistent" consistent "$H"
fail_add "prune, the rename of repomd.xml fails" \
	env RELPKG_TEST_FAULT=commit:repomd.xml "$RELPKG" repo prune "$H" --keep 1
fail_add "prune, Release cannot be staged" \
	env RELPKG_TEST_FAULT=stage:Release "$RELPKG" repo prune "$H" --keep 1
: >"$H/.Packages.relpkg-new"
: >"$H/repodata/.repomd.xml.relpkg-old"
check "18 add after the failures succeeds" "$RELPKG" repo add -q "$H" "$(deb 4.0.0)" "$(rpmf 4.0.0)"
check "18 ... and removes a killed command's leftovers; the store is consistent" consistent "$H"
check "18 prune --keep 1 after the failures succeeds" "$RELPKG" repo prune -q "$H" --keep 1
check "18 ... consistent" consistent "$H"
expect_eq "18 ... keeps 4.0.0 (deb, rpm) and evil" "$("$RELPKG" repo list "$H" | awk '{print $1, $2, $4}')" \
	"evil 9.0.0-1 deb
hello 4.0.0-1 deb
hello 4.0.0-1 rpm"
expect_eq "18 ... and the pool holds exactly those files" "$(ls "$H/pool" | tr '\n' ' ')" \
	"evil_9.0.0-1_all.deb hello-4.0.0-1.noarch.rpm hello_4.0.0-1_all.deb "
# ... and the real clients agree
if command -v apt-get >/dev/null; then
	o=$(apt_sandbox hostile "deb [trusted=yes] file:$H ./")
	# shellcheck disable=SC2086
	check "18 apt-get update reads the store after the failures" apt-get $o -q update
	# shellcheck disable=SC2086
	expect_eq "18 apt-cache madison: hello 4.0.0-1 only" \
		"$(apt-cache $o madison hello 2>&1 | awk -F'|' '{gsub(/ /, "", $2); print $2}')" 4.0.0-1
fi
if command -v dnf >/dev/null; then
	D=$H
	expect_eq "18 dnf repoquery reads the store after the failures: hello 4.0.0" \
		"$(dnf_q h repoquery --available --qf '%{name}-%{evr}' hello)" "hello-4.0.0-1"
fi
