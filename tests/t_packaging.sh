# t_packaging.sh: relpkg as a package itself.  `make dist` makes the source
# tarball; from it, dpkg-buildpackage builds relpkg's own .deb (twice, in
# differently named directories: byte-identical, no build path inside),
# lintian passes it, it installs with dpkg in a Debian root and runs there;
# rpmbuild builds the .rpm from rpm/relpkg.spec; `make install` honours
# PREFIX and DESTDIR and `make uninstall` removes exactly what it installed;
# the bash completion completes commands, sub-commands and flags as the
# --help texts list them.  Nothing is written outside $T (and build/).
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run in bash
need_cmd make tar gzip bash
need_relpkg

version=$("$RELPKG" --version | sed -n 's/^relpkg //p')
deb_version=$(sed -n '1s/^relpkg (\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
spec_version=$(sed -n 's/^Version: *//p' "$TOP/rpm/relpkg.spec")
expect_eq "debian/changelog is relpkg --version, revision 1" "$deb_version" "$version-1"
expect_eq "rpm/relpkg.spec is relpkg --version" "$spec_version" "$version"

# The files make install must put there (man/ decides the man pages).
want_files() { # PREFIX
	{
		echo "$1/bin/relpkg"
		echo "$1/share/bash-completion/completions/relpkg"
		echo "$1/share/relpkg/relpkg.rpmlintrc"   # relpkg(1), CHECKING THE PACKAGES
		for m in "$TOP"/man/*.1; do [ -f "$m" ] && echo "$1/share/man/man1/${m##*/}"; done
		for m in "$TOP"/man/*.5; do [ -f "$m" ] && echo "$1/share/man/man5/${m##*/}"; done
	} | LC_ALL=C sort
}

# --- make dist ---------------------------------------------------------------
export SOURCE_DATE_EPOCH=1700000000
tarball=$T/dist/relpkg-$version.tar.gz
check "make dist writes the source tarball" make -s -C "$TOP" dist DISTDIR="$T/dist"
[ -f "$tarball" ] || skip_file "no source tarball"
mkdir -p "$T/plain" && tar -C "$T/plain" -xzf "$tarball"
mkdir -p "$T/dist2"
make -s -C "$TOP" dist DISTDIR="$T/dist2" >/dev/null 2>&1
check "make dist is reproducible" cmp "$tarball" "$T/dist2/relpkg-$version.tar.gz"
listing=$(tar -tzf "$tarball")
missing=""
for f in Makefile LICENSE src/main.c debian/control debian/rules debian/changelog \
	debian/copyright rpm/relpkg.spec completion/relpkg.bash man/relpkg.1 tools/embed-hooks.sh; do
	printf '%s\n' "$listing" | grep -qx "relpkg-$version/$f" || missing="$missing $f"
done
expect_eq "the tarball holds the sources, debian/, rpm/, completion/, man/" "$missing" ""
expect_eq "the tarball holds no build/, dist/ or .git/" \
	"$(printf '%s\n' "$listing" | grep -E "^relpkg-$version/(build|dist|\.git)/" | head -n 3)" ""
# From a plain tree (no git): the same files, the same bytes.
make -s -C "$T/plain/relpkg-$version" dist DISTDIR="$T/dist3" >/dev/null 2>&1
check "make dist in a plain tree (no git) gives the same tarball" \
	cmp "$tarball" "$T/dist3/relpkg-$version.tar.gz"

# --- the .deb ------------------------------------------------------------------
# Two builds in directories of different names and depths: same bytes.
build_deb() { # DIR SUBDIR
	mkdir -p "$1" && tar -C "$1" -xzf "$tarball" &&
		{ [ "$2" = "relpkg-$version" ] || mv "$1/relpkg-$version" "$1/$2"; } &&
		(cd "$1/$2" && dpkg-buildpackage -us -uc -b -j2) >"$1/build.log" 2>&1
}
deb=""
have_deb_tools=yes
for c in dpkg-buildpackage dh dpkg-deb lintian; do
	command -v "$c" >/dev/null 2>&1 || have_deb_tools=$c
done
if [ "$have_deb_tools" != yes ]; then
	skip "relpkg's .deb" "needs $have_deb_tools (run .ci/deps)"
elif build_deb "$T/deb1" "relpkg-$version"; then
	deb=$T/deb1/relpkg_${version}-1_$(dpkg --print-architecture).deb
	pass "dpkg-buildpackage -us -uc -b builds relpkg's .deb"
	[ -f "$deb" ] || { fail "no $deb" "$(ls "$T/deb1")"; deb=""; }
else
	fail "dpkg-buildpackage -us -uc -b builds relpkg's .deb" "$(tail -n 40 "$T/deb1/build.log")"
fi
if [ -n "$deb" ]; then
	if build_deb "$T/deb2/x/y" "elsewhere"; then
		check "a second build elsewhere gives the same .deb (no build path inside)" \
			cmp "$deb" "$T/deb2/x/y/${deb##*/}"
	else
		fail "second dpkg-buildpackage" "$(tail -n 40 "$T/deb2/x/y/build.log")"
	fi
	check "the binary holds no build directory" \
		sh -c "! dpkg-deb --fsys-tarfile '$deb' | tar -xOf - ./usr/bin/relpkg | grep -aq '$T'"

	contents=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | LC_ALL=C sort)
	want=$(want_files /usr | sed '/\/man\//s/$/.gz/'; echo /usr/share/doc/relpkg/changelog.Debian.gz; echo /usr/share/doc/relpkg/copyright;
		echo /usr/share/lintian/overrides/relpkg)
	want=$(printf '%s\n' "$want" | LC_ALL=C sort)
	expect_eq ".deb holds the binary, every man page, the completion, doc, overrides" "$contents" "$want"
	depends=$(dpkg-deb -f "$deb" Depends)
	expect_match ".deb depends on the shared libraries it links" "$depends" 'libarchive13.*libsolv1.*libssl3'
	expect_match ".deb has a real description" "$(dpkg-deb -f "$deb" Description)" 'release tarball'

	lint=$(lintian --pedantic --show-overrides "$deb" 2>&1)
	note "lintian:" "$lint"
	expect_eq "lintian: no error or warning (overrides have reasons)" \
		"$(printf '%s\n' "$lint" | grep -E '^[EW]: ')" ""
	expect_match "lintian: the override carries its reason" "$lint" '^N: .*no ITP bug'

	# --- installed into a Debian root -------------------------------------------------
	. "$TOP/tests/container/lib.sh"
	if why=$(ct_usable); then
		trap ct_cleanup_all EXIT
		CT=packaging
		if ct_chroot_root "$CT" >/dev/null; then
			cp "$deb" "$(ct_root "$CT")/tmp/relpkg.deb"
			check "dpkg -i relpkg.deb in a Debian root (runtime libraries present)" \
				ct_chroot "$CT" dpkg -i /tmp/relpkg.deb
			expect_eq "relpkg --version runs there" "$(ct_chroot "$CT" relpkg --version 2>&1)" "relpkg $version"
			check "man relpkg is there" test -f "$(ct_root "$CT")/usr/share/man/man1/relpkg.1.gz"
			expect_eq "the installed completion completes 'relpkg st' there" \
				"$(ct_chroot "$CT" bash -c '. /usr/share/bash-completion/completions/relpkg &&
					COMP_WORDS=(relpkg st) COMP_CWORD=1 && _relpkg && echo "${COMPREPLY[*]}"' 2>&1)" status
			check "dpkg -P removes it" ct_chroot "$CT" dpkg -P relpkg
			check "nothing left of it" sh -c "! ls '$(ct_root "$CT")/usr/bin/relpkg' 2>/dev/null"
			ct_stop "$CT"
		else
			skip "install relpkg.deb in a Debian root" "no chroot root"
		fi
	else
		skip "install relpkg.deb in a Debian root" "$why"
	fi
fi

# --- the .rpm -----------------------------------------------------------------------
if command -v rpmbuild >/dev/null 2>&1; then
	R=$T/rpmbuild
	mkdir -p "$R/tmp"
	# --nodeps: Debian's rpm database is empty; the BuildRequires are the
	# -dev packages of .ci/deps here.
	if rpmbuild -ba --nodeps --define "_topdir $R" --define "_sourcedir $T/dist" \
		--define "_tmppath $R/tmp" "$T/plain/relpkg-$version/rpm/relpkg.spec" \
		>"$R/build.log" 2>&1; then
		pass "rpmbuild -ba rpm/relpkg.spec builds relpkg's .rpm"
	else
		fail "rpmbuild -ba rpm/relpkg.spec builds relpkg's .rpm" "$(tail -n 40 "$R/build.log")"
	fi
	rpm=$(find "$R/RPMS" -name "relpkg-$version-1*.rpm" 2>/dev/null | head -n 1)
	if [ -n "$rpm" ]; then
		got=$(rpm -qpl "$rpm" 2>/dev/null | sed 's/\.gz$//; s/\.bz2$//; s/\.xz$//; s/\.zst$//')
		missing=""
		for f in $(want_files /usr); do
			printf '%s\n' "$got" | grep -qx "$f" || missing="$missing $f"
		done
		expect_eq "rpm -qpl lists the binary, every man page and the completion" "$missing" ""
		expect_match "rpm -qpl lists the licence" "$got" '^/usr/share/licenses/relpkg.*/LICENSE$'
		expect_match ".rpm requires the shared libraries it links" \
			"$(rpm -qpR "$rpm" 2>/dev/null)" '^libsolv\.so\.1'
		check "the source rpm is there" sh -c "ls '$R'/SRPMS/relpkg-$version-1*.src.rpm"
	else
		fail "rpmbuild wrote no .rpm" "$(ls -R "$R/RPMS" 2>&1)"
	fi
else
	skip "relpkg's .rpm" "needs rpmbuild"
fi

# --- make install / uninstall ----------------------------------------------------------
inst=$T/inst
check "make install DESTDIR PREFIX=/usr" make -s -C "$TOP" install DESTDIR="$inst" PREFIX=/usr
expect_eq "make install puts exactly the binary, man pages and completion" \
	"$(cd "$inst" && find . ! -type d | sed 's/^\.//' | LC_ALL=C sort)" "$(want_files /usr)"
check "installed binary is executable" test -x "$inst/usr/bin/relpkg"
check "make uninstall" make -s -C "$TOP" uninstall DESTDIR="$inst" PREFIX=/usr
expect_eq "make uninstall leaves no file" "$(find "$inst" ! -type d)" ""
check "make install PREFIX=/opt/rp" make -s -C "$TOP" install DESTDIR="$inst" PREFIX=/opt/rp
expect_eq "PREFIX is honoured" "$(cd "$inst" && find . ! -type d | sed 's/^\.//' | LC_ALL=C sort)" \
	"$(want_files /opt/rp)"
make -s -C "$TOP" uninstall DESTDIR="$inst" PREFIX=/opt/rp >/dev/null 2>&1
expect_eq "make uninstall PREFIX=/opt/rp leaves no file" "$(find "$inst" ! -type d)" ""

# --- bash completion --------------------------------------------------------------------
# complete WORD...: what _relpkg offers for the last WORD, relpkg from $RELPKG.
complete_words() {
	PATH="$(dirname "$RELPKG"):$PATH" bash -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_relpkg
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort' sh "$TOP/completion/relpkg.bash" "$@"
}
expect_eq "relpkg bu<TAB> -> build" "$(complete_words relpkg bu)" build
expect_eq "relpkg <TAB> -> every command of relpkg --help" \
	"$(complete_words relpkg '')" \
	"$("$RELPKG" --help | sed -n 's/^  relpkg \([a-z][a-z0-9-]*\).*/\1/p' | LC_ALL=C sort -u)"
expect_eq "relpkg build -<TAB> -> every flag of relpkg build --help" \
	"$(complete_words relpkg build -)" \
	"$("$RELPKG" build --help | grep -o -- '--[a-z][a-z0-9-]*' | LC_ALL=C sort -u)"
expect_eq "relpkg build --comp<TAB> -> --compression" "$(complete_words relpkg build --comp)" --compression
expect_eq "relpkg build --compression <TAB> -> the algorithms" \
	"$(complete_words relpkg build --compression '' | tr '\n' ' ')" "gzip none xz zstd "
mkdir -p "$T/cdir/sub.d" && : >"$T/cdir/file.tar.gz"
expect_eq "relpkg build --out <TAB> -> directories only" \
	"$(cd "$T/cdir" && complete_words relpkg build --out '')" sub.d
expect_eq "relpkg build <TAB> -> files (the tarball)" \
	"$(cd "$T/cdir" && complete_words relpkg build '' | tr '\n' ' ')" "file.tar.gz sub.d "
if "$RELPKG" repo --help >/dev/null 2>&1; then
	expect_eq "relpkg repo <TAB> -> its sub-commands" \
		"$(complete_words relpkg repo '' | tr '\n' ' ')" \
		"$("$RELPKG" repo --help | sed -n 's/^.* relpkg repo \([a-z][a-z-]*\) .*/\1/p' | LC_ALL=C sort -u | tr '\n' ' ')"
fi
expect_eq "a path to the program completes with that program" \
	"$(PATH=/usr/bin:/bin bash -c '. "$1"; COMP_WORDS=("$2" st); COMP_CWORD=1; _relpkg; echo "${COMPREPLY[*]}"' \
		sh "$TOP/completion/relpkg.bash" "$RELPKG")" status
if command -v shellcheck >/dev/null 2>&1; then
	check "shellcheck completion/relpkg.bash" shellcheck -s bash -e SC2207 "$TOP/completion/relpkg.bash"
fi
