# t_changelog.sh: --changelog FILE (issue 15).  Each input format -- a
# Debian changelog, an rpm %changelog, Markdown (Keep a Changelog "## [V] -
# DATE", "## V", "# vV") -- becomes changelog.Debian.gz (dpkg-parsechangelog
# reads it; the newest entry is the package's version; lintian: no error,
# no changelog tag) and the rpm's CHANGELOG* tags (rpm -qp --changelog,
# newest first).  A file without the built version's entry gets a generated
# one in front; newer entries are left out; a malformed file is an error
# naming the file and line (exit 1); builds stay byte-reproducible.
# shellcheck shell=sh
need_cmd dpkg-deb rpm dpkg-parsechangelog
need_relpkg
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
MAINT='relpkg tests <tests@example.org>'
sample=$(fixture sample) || skip_file "examples/make-sample.sh failed"

# build NAME FILE [FLAGS...]: packages in $T/NAME
build() {
	b_n=$1 b_f=$2
	shift 2
	"$RELPKG" build "$sample" --out "$T/$b_n" --maintainer "$MAINT" --quiet --changelog "$b_f" "$@"
}
vers() { dpkg-parsechangelog -l "$1" --all --format rfc822 | sed -n 's/^Version: //p' | tr '\n' ' '; }
debcl() { dpkg-deb --fsys-tarfile "$T/$1"/*.deb | tar -xOf - ./usr/share/doc/hello/changelog.Debian.gz | zcat; }
lint() {
	command -v lintian >/dev/null || return 0
	l=$(lintian --no-cfg "$T/$1"/*.deb 2>&1)
	expect_eq "$1: lintian: no error" "$(printf '%s\n' "$l" | grep -c '^E:')" 0
	expect_eq "$1: lintian: no changelog tag" "$(printf '%s\n' "$l" | grep -c 'changelog')" 0
}

cat >"$T/debian.cl" <<'EOF'
hello (1.1.0-1) unstable; urgency=low

  * Not released yet: left out of 1.0.0.

 -- Jane Doe <jane@example.com>  Wed, 04 Feb 2026 10:00:00 +0000

hello (1.0.0-3) unstable; urgency=low

  * Fix the greeting.
    A second line.

 -- Jane Doe <jane@example.com>  Tue, 06 Jan 2026 10:00:00 +0100

hello (0.9.0-1) unstable; urgency=low

  * Initial release.

 -- Jane Doe <jane@example.com>  Mon, 01 Dec 2025 09:00:00 +0000
EOF
check "debian: build" build deb "$T/debian.cl"
debcl deb >"$T/deb.out"
expect_eq "debian: the newest entry is the package's version" "$(dpkg-parsechangelog -l "$T/deb.out" -S Version)" 1.0.0-1
expect_eq "debian: its date, in UTC" "$(dpkg-parsechangelog -l "$T/deb.out" -S Date)" "Tue, 06 Jan 2026 09:00:00 +0000"
expect_eq "debian: its author" "$(dpkg-parsechangelog -l "$T/deb.out" -S Maintainer)" "Jane Doe <jane@example.com>"
expect_eq "debian: the entries kept (1.1.0 is newer: left out)" \
	"$(vers "$T/deb.out")" "1.0.0-1 0.9.0-1 "
expect_match "debian: the text" "$(dpkg-parsechangelog -l "$T/deb.out" -S Changes)" '^  \* Fix the greeting\.$'
expect_eq "debian: rpm -qp --changelog" "$(rpm -qp --changelog "$T"/deb/*.rpm)" "* Tue Jan 06 2026 Jane Doe <jane@example.com> - 1.0.0-1
- Fix the greeting.
  A second line.

* Mon Dec 01 2025 Jane Doe <jane@example.com> - 0.9.0-1
- Initial release."
lint deb

cat >"$T/spec.cl" <<'EOF'
%changelog
* Tue Jan 06 2026 Jane Doe <jane@example.com> - 1.0.0-1
- Fix the greeting.
- Faster start.

* Mon Dec 01 2025 John Roe <john@example.com> - 0.9.0-2
- Initial release.
EOF
check "rpm: build" build rpm "$T/spec.cl"
debcl rpm >"$T/rpm.out"
expect_eq "rpm: changelog.Debian versions" \
	"$(vers "$T/rpm.out")" "1.0.0-1 0.9.0-2 "
expect_eq "rpm: the older entry's author" \
	"$(dpkg-parsechangelog -l "$T/rpm.out" --offset 1 --count 1 -S Maintainer)" "John Roe <john@example.com>"
expect_eq "rpm: rpm -qp --changelog is the file's" "$(rpm -qp --changelog "$T"/rpm/*.rpm)" \
	"$(sed 1d "$T/spec.cl")"
expect_eq "rpm: CHANGELOGTIME: the days at noon, newest first" \
	"$(rpm -qp --qf '[%{CHANGELOGTIME} ]' "$T"/rpm/*.rpm)" "1767700800 1764590400 "

cat >"$T/kac.md" <<'EOF'
# Changelog

All notable changes to this project are documented here.

## [Unreleased]
- Something upcoming.

## [1.0.0] - 2026-01-05
### Added
- The hello endpoint.
- Logging, with a long
  continuation line.

### Fixed
- A crash on start.

## [0.9.0] - 2025-12-01
- First beta.

[1.0.0]: https://example.com/compare/v0.9.0...v1.0.0
EOF
check "markdown (Keep a Changelog): build" build md "$T/kac.md"
debcl md >"$T/md.out"
expect_eq "markdown: versions (Unreleased left out)" \
	"$(vers "$T/md.out")" "1.0.0-1 0.9.0-1 "
expect_eq "markdown: the heading's date" "$(dpkg-parsechangelog -l "$T/md.out" -S Date)" \
	"Mon, 05 Jan 2026 12:00:00 +0000"
expect_eq "markdown: the maintainer signs" "$(dpkg-parsechangelog -l "$T/md.out" -S Maintainer)" "$MAINT"
expect_eq "markdown: the text" "$(dpkg-parsechangelog -l "$T/md.out" -S Changes | sed -n '4,$p')" "  [ Added ]
  * The hello endpoint.
  * Logging, with a long
    continuation line.
.
  [ Fixed ]
  * A crash on start."
expect_eq "markdown: rpm -qp --changelog" "$(rpm -qp --changelog "$T"/md/*.rpm | sed -n '1,7p')" \
	"* Mon Jan 05 2026 $MAINT - 1.0.0-1
Added:
- The hello endpoint.
- Logging, with a long
  continuation line.
Fixed:
- A crash on start."
lint md

printf '# v1.0.0\n\n- Plain heading.\n\n# v0.8.0\n\n- Older.\n' >"$T/plain.md"
check "markdown '# vV': build" build plain "$T/plain.md"
debcl plain >"$T/plain.out"
expect_eq "markdown '# vV': versions" "$(vers "$T/plain.out")" \
	"1.0.0-1 0.8.0-1 "
expect_eq "markdown '# vV' without a date: SOURCE_DATE_EPOCH" \
	"$(dpkg-parsechangelog -l "$T/plain.out" -S Timestamp)" 1700000000

# no entry for 1.0.0: a generated one first, then the lower versions only
printf '## 2.0.0\n- Later.\n\n## 0.5.0 (2025-01-01)\n- Old.\n' >"$T/missing.md"
"$RELPKG" build "$sample" --out "$T/miss" --maintainer "$MAINT" --changelog "$T/missing.md" >/dev/null 2>"$T/miss.err"
expect_match "no entry for the version: a warning says so" "$(cat "$T/miss.err")" 'has no entry for 1\.0\.0'
debcl miss >"$T/miss.out"
expect_eq "no entry: versions (2.0.0 left out)" "$(vers "$T/miss.out")" \
	"1.0.0-1 0.5.0-1 "
expect_match "no entry: the generated text" "$(dpkg-parsechangelog -l "$T/miss.out" -S Changes)" \
	'Release 1\.0\.0, packaged by relpkg\.'
expect_match "no entry: rpm too" "$(rpm -qp --changelog "$T"/miss/*.rpm)" '^- Release 1\.0\.0, packaged by relpkg$'
lint miss

# forced format; relpkg.conf keys
mkdir -p "$T/cfg"
printf 'changelog = %s\nchangelog-format = markdown\nformat = deb\n' "$T/plain.md" >"$T/cfg/relpkg.conf"
check "relpkg.conf: changelog, changelog-format" "$RELPKG" build "$sample" --config "$T/cfg/relpkg.conf" \
	--out "$T/conf" --maintainer "$MAINT" --quiet
expect_eq "relpkg.conf: the file's entries" "$(debcl conf >"$T/conf.out" && vers "$T/conf.out")" \
	"1.0.0-1 0.8.0-1 "

# reproducible, gzip -n-style
check "a second build" build deb2 "$T/debian.cl"
expect_eq "same bytes: .deb" "$(cmp "$T"/deb/*.deb "$T"/deb2/*.deb && echo same)" same
expect_eq "same bytes: .rpm" "$(cmp "$T"/deb/*.rpm "$T"/deb2/*.rpm && echo same)" same
dpkg-deb --fsys-tarfile "$T"/deb/*.deb | tar -xOf - ./usr/share/doc/hello/changelog.Debian.gz >"$T/cl.gz"
expect_eq "changelog.Debian.gz: no name, no time in the gzip header" "$(od -An -tx1 -N8 "$T/cl.gz" | tr -d ' ')" \
	1f8b080000000000

# without --changelog: the one generated line, as before
check "no --changelog" "$RELPKG" build "$sample" --out "$T/none" --maintainer "$MAINT" --quiet
expect_eq "no --changelog: rpm" "$(rpm -qp --changelog "$T"/none/*.rpm)" "* Tue Nov 14 2023 $MAINT - 1.0.0-1
- Release 1.0.0, packaged by relpkg"

# malformed files: exit 1, the file and line named, nothing written
bad() {
	printf '%b' "$2" >"$T/bad.$1"
	rc=0
	"$RELPKG" build "$sample" --out "$T/bad" --maintainer "$MAINT" --quiet --changelog "$T/bad.$1" 2>"$T/bad.err" || rc=$?
	expect_eq "malformed ($1): exit 1" "$rc" 1
	expect_match "malformed ($1): names the file and line" "$(cat "$T/bad.err")" "bad\\.$1:$3: "
}
bad deb-date 'hello (1.0.0-1) unstable; urgency=low\n\n  * x\n\n -- Jane <j@e.com>  yesterday\n' 5
bad deb-trailer 'hello (1.0.0-1) unstable; urgency=low\n\n  * x\n' 1
bad deb-head 'hello (1.0.0-1) unstable; urgency=low\n\n  * x\n\n -- Jane <j@e.com>  Mon, 05 Jan 2026 10:00:00 +0000\n\nnot a heading\n' 7
bad rpm-version '* Tue Jan 06 2026 Jane Doe <jane@example.com>\n- x\n' 1
bad rpm-date '* Tue Jan 36 2026 Jane Doe <jane@example.com> - 1.0.0\n- x\n' 1
bad md-date '## [1.0.0] - 2026-13-01\n- x\n' 1
bad md-order '## 1.0.0\n- x\n## 1.2.0\n- y\n' 3
bad unknown 'hello there\nnothing here\n' 1
n=0
for f in "$T"/bad/*.deb "$T"/bad/*.rpm; do [ -e "$f" ] && n=$((n + 1)); done
expect_eq "malformed: nothing written" "$n" 0
check_status "--changelog-format nonsense: usage (2)" 2 "$RELPKG" build "$sample" --out "$T/bad" --changelog-format xml
check_status "--changelog of a missing file: 1" 1 "$RELPKG" build "$sample" --out "$T/bad" --changelog "$T/nope"
