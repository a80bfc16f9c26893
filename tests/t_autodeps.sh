# t_autodeps.sh: automatic dependencies (issue 15, src/autodeps.c).
# The real tools are the judges: rpm's own generator (/usr/lib/rpm/elfdeps
# --requires over the same files, minus the release's own sonames from
# elfdeps --provides) must equal the soname requires of `rpm -qpR`;
# dpkg-shlibdeps over the same ELF files must equal the .deb's Depends;
# lintian reports no undeclared-elf-prerequisites (it did before: counted);
# a #!/usr/bin/python3 script gives /usr/bin/python3 (rpm) and the host
# package owning it (deb, `dpkg-query -S`); --no-auto-depends and
# auto-depends = no remove them; a release that ships its own shared object
# does not require it.  In the test root (a chroot, nothing booted): the
# OTP packages' dependencies are satisfied (rpm -i --test, apt-get -s), and
# a package whose ELF file needs a library the root lacks is refused by
# rpm -i, dnf and apt, naming it.
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd dpkg-deb rpm tar gzip
need_relpkg
export SOURCE_DATE_EPOCH=1700000000
MAINT='relpkg tests <tests@example.org>'
ELFDEPS=/usr/lib/rpm/elfdeps
[ -x "$ELFDEPS" ] || skip_file "no $ELFDEPS (Debian: rpm)"

b() { "$RELPKG" build "$@" --maintainer "$MAINT" --quiet; }
# the ELF files of an unpacked tree, one a line
elfs() {
	find "$1" -type f ! -path '*/debian/*' |
		perl -ne 'chomp; open(my $f, "<", $_) or next; read($f, my $b, 4); print "$_\n" if $b eq "\x7fELF"' |
		LC_ALL=C sort
}
# what rpm's generator says about a tree: requires minus the tree's own sonames
rpm_judge() {
	(cd "$1" && find . -type f | "$ELFDEPS" --provides) | sed 's/(.*//' | LC_ALL=C sort -u >"$T/own.txt"
	(cd "$1" && find . -type f | "$ELFDEPS" --requires) | LC_ALL=C sort -u |
		while read -r r; do grep -qxF "${r%%(*}" "$T/own.txt" || echo "$r"; done
}
# the soname part of an rpm's requires (no rpmlib(), config(), files)
rpm_sonames() { rpm -qpR "$1" | grep -v '^rpmlib(\|^config(\|^/' | LC_ALL=C sort -u; }
shlibdeps_judge() {
	command -v dpkg-shlibdeps >/dev/null || return 1
	mkdir -p "$1/debian" && printf 'Source: x\n\nPackage: x\nArchitecture: any\n' >"$1/debian/control"
	# shellcheck disable=SC2046 # one argument per file
	(cd "$1" && dpkg-shlibdeps -O $(elfs .) 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
}

otp_case() { # KIND NAME VSN LABEL
	tb=$(fixture "$1" "$2" "$3") || { skip "$4: fixture" "building the $1 fixture failed"; return; }
	u=$T/u-$2 && mkdir -p "$u" && tar -xzf "$tb" -C "$u"
	check "$4: build" b "$tb" --out "$T/o-$2"
	deb=$(ls "$T/o-$2"/*.deb) rpmf=$(ls "$T/o-$2"/*.rpm)
	want=$(rpm_judge "$u")
	n=$(printf '%s\n' "$want" | grep -c .)
	note "$4: $n soname requires (elfdeps)"
	[ "$n" -gt 5 ] || fail "$4: the fixture has ERTS (elfdeps finds sonames)" "$n requires"
	expect_eq "$4: rpm -qpR soname requires = elfdeps --requires minus own sonames" "$(rpm_sonames "$rpmf")" "$want"
	expect_match "$4: rpm requires libc.so.6()(64bit)" "$(rpm -qpR "$rpmf")" '^libc\.so\.6\(\)\(64bit\)$'
	expect_match "$4: rpm requires a glibc symbol version" "$(rpm -qpR "$rpmf")" '^libc\.so\.6\(GLIBC_2\.[0-9.]*\)\(64bit\)$'
	dep=$(dpkg-deb -f "$deb" Depends)
	note "$4: Depends: $dep"
	expect_match "$4: deb depends on libc6, versioned" "$dep" '(^|, )libc6 \(>= [0-9.]*\)'
	if sj=$(shlibdeps_judge "$u") && [ -n "$sj" ]; then
		expect_eq "$4: deb Depends = dpkg-shlibdeps over the same files" "$dep" "$sj"
	else
		skip "$4: dpkg-shlibdeps" "not installed (dpkg-dev)"
	fi
	check "$4: build --no-auto-depends" b "$tb" --out "$T/n-$2" --no-auto-depends
	expect_eq "$4: --no-auto-depends: no Depends" "$(dpkg-deb -f "$T"/n-"$2"/*.deb Depends)" ""
	expect_eq "$4: --no-auto-depends: no soname requires" "$(rpm_sonames "$T"/n-"$2"/*.rpm)" ""
	if command -v lintian >/dev/null; then
		before=$(lintian --no-cfg --tags undeclared-elf-prerequisites "$T"/n-"$2"/*.deb 2>&1 | grep -c "undeclared-elf-prerequisites\|missing-dependency-on-libc")
		after=$(lintian --no-cfg --tags undeclared-elf-prerequisites,missing-dependency-on-libc "$deb" 2>&1 | grep -c "undeclared-elf-prerequisites\|missing-dependency-on-libc")
		note "$4: lintian undeclared-elf-prerequisites: $before without, $after with automatic dependencies"
		[ "$before" -gt 0 ] || fail "$4: lintian counts them without automatic dependencies" "$before"
		expect_eq "$4: lintian: 0 undeclared-elf-prerequisites" "$after" 0
	fi
	eval "deb_$1=\$deb rpm_$1=\$rpmf"
}
otp_case rebar3 ex1_relup 0.1.0 "OTP (rebar3, ERTS)"
otp_case mix mix_app 0.1.0 "mix (ERTS)"

# a user's relation for a package wins; nothing twice
if [ -n "${deb_rebar3:-}" ]; then
	tb=$(fixture rebar3 ex1_relup 0.1.0)
	check "--depends libc6 (>= 2.36): build" b "$tb" --out "$T/ud" --depends 'libc6 (>= 2.36)' --format deb
	dep=$(dpkg-deb -f "$T"/ud/*.deb Depends)
	expect_match "user's libc6 first" "$dep" '^libc6 \(>= 2\.36\), '
	expect_eq "libc6 once" "$(printf '%s\n' "$dep" | tr ',' '\n' | grep -c 'libc6')" 1
fi

# the python fixture: #!/usr/bin/python3 and #!/usr/bin/env python3
py=$T/py/pyapp-1.0.0
mkdir -p "$py/bin" "$py/lib"
printf '#!/usr/bin/python3\nprint("hello")\n' >"$py/bin/pyapp"
printf '#!/usr/bin/env python3\nprint("tool")\n' >"$py/bin/pytool"
printf '#!/usr/bin/python3\n# not executable: no dependency\n' >"$py/lib/mod.py"
chmod 755 "$py/bin/pyapp" "$py/bin/pytool"
tar -czf "$T/py/pyapp-1.0.0.tar.gz" -C "$T/py" pyapp-1.0.0
check "python: build" b "$T/py/pyapp-1.0.0.tar.gz" --out "$T/po"
req=$(rpm -qpR "$T"/po/*.rpm)
expect_match "python: rpm requires /usr/bin/python3 (script.req)" "$req" '^/usr/bin/python3$'
expect_match "python: rpm requires /usr/bin/env (script.req, the env script)" "$req" '^/usr/bin/env$'
if owner=$(dpkg-query -S /usr/bin/python3 2>/dev/null); then
	owner=${owner%%:*}
	dep=$(dpkg-deb -f "$T"/po/*.deb Depends)
	expect_match "python: deb depends on $owner (dpkg-query -S /usr/bin/python3)" "$dep" "(^|, )$owner(,|\$)"
	expect_eq "python: no Essential package (coreutils for env)" "$(printf '%s\n' "$dep" | grep -c coreutils)" 0
else
	skip "python: deb" "no /usr/bin/python3 on this host"
fi
check "python: build --no-auto-depends" b "$T/py/pyapp-1.0.0.tar.gz" --out "$T/pn" --no-auto-depends
expect_eq "python: --no-auto-depends: no Depends" "$(dpkg-deb -f "$T"/pn/*.deb Depends)" ""
expect_eq "python: --no-auto-depends: no /usr/bin/python3" "$(rpm -qpR "$T"/pn/*.rpm | grep -c python3)" 0
printf 'auto-depends = no\n' >"$T/off.conf"
check "python: auto-depends = no (relpkg.conf)" b "$T/py/pyapp-1.0.0.tar.gz" --out "$T/pc" --config "$T/off.conf"
expect_eq "python: auto-depends = no: no Depends" "$(dpkg-deb -f "$T"/pc/*.deb Depends)" ""
printf 'no-auto-depends = yes\n' >"$T/off2.conf"
check "python: no-auto-depends = yes (relpkg.conf)" b "$T/py/pyapp-1.0.0.tar.gz" --out "$T/pc2" --config "$T/off2.conf"
expect_eq "python: no-auto-depends = yes: no /usr/bin/python3" "$(rpm -qpR "$T"/pc2/*.rpm | grep -c python3)" 0
printf 'auto-depends = maybe\n' >"$T/bad.conf"
check_status "auto-depends = maybe: usage error" 2 b "$T/py/pyapp-1.0.0.tar.gz" --out "$T/pb" --config "$T/bad.conf"

# compiled fixtures: a release with its own shared object, and one needing a
# library the test root lacks (libatomic.so.1 of gcc, forced as DT_NEEDED)
if command -v cc >/dev/null; then
	own=$T/own/ownlib-1.0.0
	mkdir -p "$own/bin" "$own/lib"
	printf 'int own_answer(void) { return 42; }\n' >"$T/own/l.c"
	printf 'int own_answer(void);\nint main(void) { return own_answer() == 42 ? 0 : 1; }\n' >"$T/own/m.c"
	if cc -shared -fPIC -Wl,-soname,libown.so.1 -o "$own/lib/libown.so.1" "$T/own/l.c" 2>"$T/cc.err" &&
		cc -o "$own/bin/ownlib" "$T/own/m.c" "$own/lib/libown.so.1" -Wl,-rpath,'$ORIGIN/../lib' 2>>"$T/cc.err"; then
		chmod 755 "$own/lib/libown.so.1"
		tar -czf "$T/own/ownlib-1.0.0.tar.gz" -C "$T/own" ownlib-1.0.0
		out=$("$RELPKG" build "$T/own/ownlib-1.0.0.tar.gz" --out "$T/oo" --maintainer "$MAINT" 2>&1 >/dev/null)
		expect_eq "own soname: no warning (libown.so.1 is not looked for on the host)" "$(printf '%s\n' "$out" | grep -c warning)" 0
		expect_eq "own soname: not required (rpm)" "$(rpm -qpR "$T"/oo/*.rpm | grep -c libown)" 0
		expect_eq "own soname: rpm = elfdeps minus own provides" "$(rpm_sonames "$T"/oo/*.rpm)" "$(rpm_judge "$own")"
		expect_eq "own soname: not in Depends (deb)" "$(dpkg-deb -f "$T"/oo/*.deb Depends | grep -c own)" 0
	else
		skip "own soname" "cc failed: $(cat "$T/cc.err")"
	fi
	need=$T/need/needatomic-1.0.0
	mkdir -p "$need/bin"
	printf 'int main(void) { return 0; }\n' >"$T/need/m.c"
	if cc -o "$need/bin/needatomic" "$T/need/m.c" -Wl,--no-as-needed -latomic 2>"$T/cc.err" &&
		readelf -d "$need/bin/needatomic" 2>/dev/null | grep -q 'libatomic\.so\.1'; then
		tar -czf "$T/need/needatomic-1.0.0.tar.gz" -C "$T/need" needatomic-1.0.0
		check "needs libatomic: build" b "$T/need/needatomic-1.0.0.tar.gz" --out "$T/no"
		expect_match "needs libatomic: rpm requires libatomic.so.1()(64bit)" "$(rpm -qpR "$T"/no/*.rpm)" '^libatomic\.so\.1\(\)\(64bit\)$'
		atomic_pkg=$(dpkg-query -S "$(readlink -f "$(cc -print-file-name=libatomic.so.1)")" 2>/dev/null | sed 's/:.*//')
		[ -n "$atomic_pkg" ] && expect_match "needs libatomic: deb depends on $atomic_pkg" \
			"$(dpkg-deb -f "$T"/no/*.deb Depends)" "(^|, )$atomic_pkg \\(>= "
	else
		skip "needs libatomic" "cc -latomic failed on this host"
	fi
else
	skip "compiled fixtures" "no cc"
fi

# no dpkg database (a build host that is not Debian): a warning naming the
# sonames and --deb-depends, no Depends invented.  The reader's root is
# the host's /; a mount namespace hides /var/lib/dpkg for one build.
if [ -n "${deb_rebar3:-}" ] && command -v unshare >/dev/null && [ "$(id -u)" = 0 ]; then
	tb=$(fixture rebar3 ex1_relup 0.1.0)
	mkdir -p "$T/empty"
	out=$(unshare -m sh -c 'mount --bind "$1" /var/lib/dpkg && "$2" build "$3" --out "$4" --maintainer "$5" --format deb' \
		sh "$T/empty" "$RELPKG" "$tb" "$T/nodpkg" "$MAINT" 2>&1)
	expect_match "no dpkg database: warns, naming a soname and --deb-depends" "$out" \
		'warning: no dpkg database on this build host.*libc\.so\.6.*--deb-depends'
	expect_eq "no dpkg database: no Depends invented" "$(dpkg-deb -f "$T"/nodpkg/*.deb Depends)" ""
fi

# the test root: the OTP packages install; a missing library is refused
if [ "$(id -u)" != 0 ] || ! command -v debootstrap >/dev/null; then
	skip "test root" "needs root and debootstrap"
	exit 0
fi
. "$TOP/tests/container/lib.sh"
trap ct_cleanup_all EXIT
CT=autodeps-root
R=$(ct_chroot_root "$CT") || { skip "test root" "no container root"; exit 0; }
if [ -n "${rpm_rebar3:-}" ]; then
	cp "$rpm_rebar3" "$R/tmp/otp.rpm" && cp "$deb_rebar3" "$R/tmp/otp.deb"
	check "root: rpm -i --test accepts the OTP rpm (its sonames are provided)" ct_chroot "$CT" rpm -i --test /tmp/otp.rpm
	check "root: apt-get -s accepts the OTP deb" ct_chroot "$CT" apt-get -s -q install /tmp/otp.deb
fi
if [ -f "$T/no/needatomic_1.0.0-1_amd64.deb" ]; then
	if ct_chroot "$CT" dpkg -s libatomic1 >/dev/null 2>&1; then
		skip "root: missing library" "libatomic1 is in the test root"
	else
		cp "$T"/no/*.rpm "$R/tmp/need.rpm" && cp "$T"/no/*.deb "$R/tmp/need.deb"
		out=$(ct_chroot "$CT" rpm -i /tmp/need.rpm 2>&1)
		expect_match "root: rpm -i refuses, libatomic.so.1()(64bit) is needed" "$out" 'libatomic\.so\.1\(\)\(64bit\) is needed by'
		check_fails "root: rpm -i failed, not installed" ct_chroot "$CT" rpm -q needatomic
		out=$(ct_chroot "$CT" dnf -y -q --disableplugin='*' --setopt=reposdir=/dev/null install /tmp/need.rpm 2>&1)
		expect_match "root: dnf refuses, nothing provides libatomic.so.1()(64bit)" "$out" 'nothing provides libatomic\.so\.1\(\)\(64bit\)'
		out=$(ct_chroot "$CT" apt-get -y -q install /tmp/need.deb 2>&1)
		expect_match "root: apt refuses, libatomic1 is not installable" "$out" 'Depends: libatomic1 .* but it is not (installable|going to be installed)'
		check_fails "root: apt failed, not installed" ct_chroot "$CT" dpkg -s needatomic
		check "root: the same package --no-auto-depends installs (what the dependency prevents)" \
			sh -c 'cd "$1" && "$2" build "$3" --out "$4" --quiet --maintainer "$5" --no-auto-depends --format rpm' \
			sh "$T" "$RELPKG" "$T/need/needatomic-1.0.0.tar.gz" "$T/nn" "$MAINT"
		cp "$T"/nn/*.rpm "$R/tmp/nn.rpm"
		check "root: rpm -i --test accepts it" ct_chroot "$CT" rpm -i --test /tmp/nn.rpm
	fi
fi
ct_stop "$CT"
