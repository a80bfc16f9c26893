# t_rpm.sh: "build writes a .rpm". Builds .rpms (and, in the same run, the
# .debs) from the shipped sample, a real rebar3 release and a real mix
# release, with no --name/--version, and checks them with the real tools:
# rpm -K/-qp/-i/-V/-e, rpm2cpio + cpio, sha256sum, rpmlint, libsolv and
# dnf --installroot; then the compressions, a corrupted payload and an
# epoch + pre-release build.
# shellcheck shell=sh
need_cmd rpm rpm2cpio cpio rpmlint dpkg-deb sha256sum cmp find od dd stat
need_relpkg
SOLVREAD=${SOLVREAD:-$TOP/build/solvread}
RPMLINTRC="$TOP/tests/data/relpkg.rpmlintrc"
# Fixed build time, so that builds of the same input differ only where asked.
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
# relpkg needs a maintainer (flag, config file or DEBEMAIL); nothing else is given.
MAINT='relpkg tests <tests@example.org>'
# Packages for the dnf test at the end: "NAME VERSION RPMFILE" per line.
REPO="$T/repo"
mkdir -p "$REPO"
: >"$T/dnf.list"
# Debian's rpm says "RPM should not be used directly install RPM packages,
# use Alien instead!" on stderr for -i/-e: a warning, not an error. The
# rpmdb of `rpm --root R` is R/$(rpm --eval %_dbpath) (Debian: ~/.rpmdb);
# dnf --installroot uses the same macro, so `rpm --root` finds its packages.

# qf RPM FORMAT: rpm -qp --qf.
qf() { rpm -qp --qf "$2" "$1"; }

# info RPM FIELD: one field of rpm -qpi ("Name        : hello").
info() { rpm -qpi "$1" | sed -n "s/^$2 *: //p" | sed -n 1p; }

# rpm_listing RPM: path, type+perm, then the size of a regular file or
# "-> target" of a symlink, tab-separated; sorted. (The data of rpm -qplv.)
rpm_listing() {
	qf "$1" '[%{FILENAMES}\t%{FILEMODES:perms}\t%{FILESIZES}\t%{FILELINKTOS}\n]' |
		awk -F '\t' -v OFS='\t' '
		$2 ~ /^d/ { print $1, $2; next }
		$2 ~ /^l/ { print $1, $2, "-> " $4; next }
		{ print $1, $2, $3 }' | LC_ALL=C sort
}

# deb_listing DEB EXCLUDED: the same from dpkg-deb --contents, leaving out
# the paths listed in the file EXCLUDED. dpkg-deb shows a hard link as
# "hrw-r--r-- ... 0 ... NAME link to TARGET": it is listed as a regular file
# with the size of TARGET, which is what rpm shows for every name.
deb_listing() {
	dpkg-deb --contents "$1" | awk -v OFS='\t' '
	{
		perm = $1; size = $3; line = $0; tgt = ""
		sub(/^[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ /, "", line)
		if (perm ~ /^l/) {
			i = index(line, " -> "); tgt = substr(line, i + 4); line = substr(line, 1, i - 1)
		} else if (perm ~ /^h/) {
			i = index(line, " link to "); tgt = substr(line, i + 9); line = substr(line, 1, i - 1)
			sub(/^\./, "", tgt)
		}
		sub(/^\./, "", line)
		if (line != "/") sub(/\/$/, "", line)
		n++; P[n] = line; M[n] = perm; S[n] = size; L[n] = tgt
		if (perm ~ /^-/) sz[line] = size
	}
	END {
		for (i = 1; i <= n; i++) {
			p = M[i]
			if (p ~ /^d/) print P[i], p
			else if (p ~ /^l/) print P[i], p, "-> " L[i]
			else if (p ~ /^h/) print P[i], "-" substr(p, 2), ((L[i] in sz) ? sz[L[i]] : "hard link to unknown " L[i])
			else print P[i], p, S[i]
		}
	}' | awk -F '\t' 'NR == FNR { x[$0] = 1; next } !($1 in x)' "$2" - | LC_ALL=C sort
}

# rpmlint_tags FILE KIND: "TAG (COUNTx) first arguments" per tag of the
# rpmlint output FILE, for KIND E or W.
rpmlint_tags() {
	grep ": $2: " "$1" |
		awk '{ t = $3; n[t]++; if (!(t in ex)) { $1 = $2 = $3 = ""; sub(/^ +/, ""); ex[t] = $0 } }
		     END { for (t in n) print t " (" n[t] "x) " ex[t] }' | LC_ALL=C sort
}

# sha256check DIR SUMS: sha256sum -c from DIR.
sha256check() { (cd "$1" && sha256sum --quiet --strict -c "$2"); }

# flip_byte FILE OFFSET: invert the bits of one byte in place.
flip_byte() {
	_b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf '%b' "\\0$(printf %03o $((_b ^ 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# rpm_root_install LABEL RPM PKG VER: rpm -i into a fresh root, rpm -V, the
# files are there; then rpm -e removes them. The root has no /bin/sh, so the
# scriptlets are not run (--noscripts), and no provider of the dependencies
# (--nodeps).
rpm_root_install() {
	label=$1 rpm=$2 pkg=$3 ver=$4
	root="$T/$label.root"
	rm -rf "$root"
	mkdir -p "$root"
	check "$label: rpm --root --initdb makes a fresh rpmdb" rpm --root "$root" --initdb
	check "$label: rpm -i --root --nodeps --noscripts installs it" \
		rpm -i --root "$root" --nodeps --noscripts "$rpm"
	check "$label: rpm -q --root finds it installed" rpm -q --root "$root" "$pkg"
	verify=$(rpm -V --root "$root" --nodeps "$pkg" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$verify" ]; then
		pass "$label: rpm -V --root is clean"
	else
		fail "$label: rpm -V --root is clean" "exit status $rc" "$verify"
	fi
	# every path of the package is on disk, with the right type
	missing=$(qf "$rpm" '[%{FILEMODES:perms}\t%{FILENAMES}\n]' |
		while IFS='	' read -r perm path; do
			case $perm in
			d*) [ -d "$root$path" ] && [ ! -h "$root$path" ] ;;
			l*) [ -h "$root$path" ] ;;
			*) [ -f "$root$path" ] && [ ! -h "$root$path" ] ;;
			esac || printf '%s %s\n' "$perm" "$path"
		done)
	if [ -z "$missing" ]; then
		pass "$label: every file of the package is installed"
	else
		fail "$label: every file of the package is installed" "$missing"
	fi
	rel="$root/opt/$pkg/releases/$ver"
	if [ -d "$rel" ] && [ -n "$(ls -A "$rel")" ]; then
		pass "$label: the release tree is at /opt/$pkg/releases/$ver"
	else
		fail "$label: the release tree is at /opt/$pkg/releases/$ver" \
			"$(cd "$root" && find . -maxdepth 4 2>&1)"
	fi
	check "$label: rpm -e --root --noscripts removes it" rpm -e --root "$root" --noscripts "$pkg"
	check_fails "$label: after rpm -e, rpm -q says not installed" rpm -q --root "$root" "$pkg"
	if [ ! -e "$rel" ]; then
		pass "$label: after rpm -e, /opt/$pkg/releases/$ver is gone"
	else
		fail "$label: after rpm -e, /opt/$pkg/releases/$ver is gone" "$(cd "$rel" && find . | head -20)"
	fi
}

# rpm_case LABEL TARBALL PKG VERSION RPMARCH DEBARCH
rpm_case() {
	label=$1 tarball=$2 pkg=$3 ver=$4 arch=$5 debarch=$6
	out="$T/$label.out"
	rpm="$out/$pkg-$ver-1.$arch.rpm"
	deb="$out/${pkg}_$ver-1_$debarch.deb"

	check "$label: relpkg build --format deb,rpm succeeds" \
		"$RELPKG" build "$tarball" --out "$out" --format deb,rpm --maintainer "$MAINT"
	if [ ! -f "$rpm" ]; then
		fail "$label: writes ${rpm##*/}" "$out holds:" "$(ls -la "$out" 2>&1)"
		return
	fi
	pass "$label: writes ${rpm##*/}"
	expect_eq "$label: --format deb,rpm writes the .deb and the .rpm" \
		"$(find "$out" -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)" "$(printf '%s\n' "${deb##*/}" "${rpm##*/}" | LC_ALL=C sort)"

	# --- digests
	check "$label: rpm -K says digests OK" rpm -K "$rpm"
	expect_match "$label: rpm -K checks the payload digest" \
		"$(rpm -Kv "$rpm" 2>&1)" '^ *Payload SHA256 digest: OK$'

	# --- header
	expect_eq "$label: Name" "$(info "$rpm" Name)" "$pkg"
	expect_eq "$label: Version" "$(info "$rpm" Version)" "$ver"
	expect_eq "$label: Release" "$(info "$rpm" Release)" "1"
	expect_eq "$label: Architecture" "$(info "$rpm" Architecture)" "$arch"
	expect_eq "$label: no Epoch" "$(qf "$rpm" '%{EPOCH}')" "(none)"
	expect_eq "$label: License (relpkg's default)" "$(info "$rpm" License)" "Unknown"
	expect_eq "$label: Packager is the maintainer" "$(info "$rpm" Packager)" "$MAINT"
	summary=$(info "$rpm" Summary)
	if [ -f "$deb" ]; then
		expect_eq "$label: Summary is the .deb's synopsis" "$summary" \
			"$(dpkg-deb -f "$deb" Description | sed -n 1p)"
	fi
	[ -n "$summary" ] || fail "$label: Summary is set"
	desc=$(qf "$rpm" '%{DESCRIPTION}')
	case $desc in
	'' | '(none)') fail "$label: Description is set" ;;
	*) pass "$label: Description is set" ;;
	esac
	expect_eq "$label: payload is a gzip cpio (default)" \
		"$(qf "$rpm" '%{PAYLOADFORMAT} %{PAYLOADCOMPRESSOR}')" "cpio gzip"
	expect_eq "$label: file digests are SHA256 (algo 8)" "$(qf "$rpm" '%{FILEDIGESTALGO}')" "8"

	# --- scriptlets: /bin/sh, valid sh
	scripts=$(rpm -qp --scripts "$rpm" 2>&1)
	for s in preinstall postinstall preuninstall postuninstall; do
		expect_match "$label: rpm -qp --scripts shows the $s scriptlet using /bin/sh" \
			"$scripts" "^$s scriptlet \\(using /bin/sh\\):\$"
	done
	for tag in PREIN POSTIN PREUN POSTUN; do
		expect_eq "$label: %{${tag}PROG} is /bin/sh" "$(qf "$rpm" "%{${tag}PROG}")" /bin/sh
		qf "$rpm" "%{$tag}" >"$T/$label.$tag"
		if [ -s "$T/$label.$tag" ] && [ "$(cat "$T/$label.$tag")" != "(none)" ]; then
			check "$label: %{$tag} is valid sh (sh -n)" sh -n "$T/$label.$tag"
		else
			fail "$label: has a %{$tag} scriptlet"
		fi
	done

	# --- dependencies
	requires=$(rpm -qp --requires "$rpm")
	for r in 'rpmlib(CompressedFileNames)' 'rpmlib(FileDigests)' 'rpmlib(PayloadFilesHavePrefix)'; do
		if printf '%s\n' "$requires" | grep -qF -- "$r <= "; then
			pass "$label: requires $r"
		else
			fail "$label: requires $r" "$requires"
		fi
	done
	if printf '%s\n' "$(rpm -qp --provides "$rpm")" | grep -qxF -- "$pkg = $ver-1"; then
		pass "$label: provides $pkg = $ver-1"
	else
		fail "$label: provides $pkg = $ver-1" "$(rpm -qp --provides "$rpm")"
	fi

	# --- the payload: cpio lists every path of rpm -qpl, with ./
	rpm -qpl "$rpm" | sed 's,^,.,' | LC_ALL=C sort >"$T/$label.qpl"
	if rpm2cpio "$rpm" | cpio -t --quiet >"$T/$label.cpio-t" 2>"$T/$label.cpio-err"; then
		pass "$label: rpm2cpio | cpio -t reads the payload"
		LC_ALL=C sort -o "$T/$label.cpio-t" "$T/$label.cpio-t"
		if cmp -s "$T/$label.qpl" "$T/$label.cpio-t"; then
			pass "$label: cpio -t lists exactly the paths of rpm -qpl"
		else
			fail "$label: cpio -t lists exactly the paths of rpm -qpl" "(- rpm -qpl, + cpio -t)" \
				"$(diff "$T/$label.qpl" "$T/$label.cpio-t")"
		fi
	else
		fail "$label: rpm2cpio | cpio -t reads the payload" "$(cat "$T/$label.cpio-err")"
	fi

	# --- file digests: rpm's header vs sha256sum of the extracted files
	x="$T/$label.x"
	mkdir -p "$x"
	if rpm2cpio "$rpm" | (cd "$x" && cpio -idm --quiet) 2>"$T/$label.cpio-err"; then
		pass "$label: rpm2cpio | cpio -idm extracts it"
	else
		fail "$label: rpm2cpio | cpio -idm extracts it" "$(cat "$T/$label.cpio-err")"
	fi
	qf "$rpm" '[%{FILEMODES:perms}\t%{FILEDIGESTS}\t%{FILENAMES}\n]' |
		awk -F '\t' '$1 ~ /^-/ { print $2 "  ." $3 }' >"$T/$label.sha256"
	nsum=$(wc -l <"$T/$label.sha256")
	nfile=$(find "$x" -type f | wc -l)
	if [ "$nsum" -gt 0 ] && [ "$nsum" -eq "$nfile" ]; then
		pass "$label: the header has a digest for each of the $nfile regular files"
	else
		fail "$label: the header has a digest for each regular file" "$nsum digests, $nfile files extracted"
	fi
	check "$label: file digests equal sha256sum of the extracted files" \
		sha256check "$x" "$T/$label.sha256"

	# --- the same tree as the .deb of the same run
	if [ -f "$deb" ]; then
		# In the .deb only: the system directories it lists as parents (rpm
		# leaves them to the filesystem package), and two deb-only files.
		printf '%s\n' / /etc /lib /lib/systemd /lib/systemd/system /opt /usr \
			/usr/share /usr/share/doc /usr/share/lintian /usr/share/lintian/overrides \
			"/usr/share/doc/$pkg" "/usr/share/doc/$pkg/copyright" \
			"/usr/share/doc/$pkg/changelog.Debian.gz" "/usr/share/lintian/overrides/$pkg" \
			>"$T/$label.deb-only"
		# In the .rpm only: the licence file where rpm's %license puts it (the
		# .deb has the same text as /usr/share/doc/NAME/copyright).
		rpm_listing "$rpm" | grep -v -e "^/usr/share/licenses/$pkg	" \
			-e "^/usr/share/licenses/$pkg/copyright	" >"$T/$label.rpmls"
		expect_eq "$label: the rpm has the licence file in /usr/share/licenses" \
			"$(qf "$rpm" '[%{FILENAMES}\n]' | grep -c "^/usr/share/licenses/$pkg")" 2
		deb_listing "$deb" "$T/$label.deb-only" >"$T/$label.debls"
		if [ -s "$T/$label.rpmls" ] && diff -u "$T/$label.debls" "$T/$label.rpmls" >"$T/$label.lsdiff"; then
			pass "$label: same paths, types, modes, sizes, link targets as the .deb"
		else
			fail "$label: same paths, types, modes, sizes, link targets as the .deb" \
				"(- .deb, + .rpm)" "$(cat "$T/$label.lsdiff")"
		fi
		dpkg-deb --contents "$deb" |
			awk '{ p = $6; sub(/^\./, "", p); if (p != "/") sub(/\/$/, "", p); print p }' |
			LC_ALL=C sort -u >"$T/$label.debpaths"
		notindeb=$(LC_ALL=C sort "$T/$label.deb-only" | LC_ALL=C comm -13 "$T/$label.debpaths" -)
		if [ -z "$notindeb" ]; then
			pass "$label: each path left out of the comparison is in the .deb"
		else
			fail "$label: each path left out of the comparison is in the .deb" "$notindeb"
		fi
		config=$(qf "$rpm" '[%{FILEFLAGS:fflags}\t%{FILENAMES}\n]' | awk -F '\t' '$1 ~ /c/ { print $2 }')
		expect_eq "$label: the .deb's conffiles are the rpm's %config files" \
			"$(printf '%s\n' "$config" | LC_ALL=C sort)" "$(dpkg-deb -I "$deb" conffiles 2>&1 | LC_ALL=C sort)"
	else
		fail "$label: the .deb of the same run is there" "$(ls -la "$out")"
	fi
	# every file is root:root, but the Erlang cookie (mix: releases/COOKIE,
	# relx: a vm.args with -setcookie) and the env file, readable by the
	# service group only
	expect_eq "$label: every file is root:root (the cookie and the env file root:$pkg)" \
		"$(qf "$rpm" '[%{FILEUSERNAME}:%{FILEGROUPNAME}:%{FILEMODES:perms}:%{FILENAMES}\n]' |
			awk -F: -v p="$pkg" '$2 != "root" { if ($2 != p || $3 !~ /^-rw-r-----$/ ||
				($4 !~ /\/releases\/(COOKIE|[^\/]+\/vm\.args)$/ && $4 != "/etc/" p "/" p ".env")) print }')" ""
	# rpmbuild's %license marks a file "l" only, never "d" (%doc): so
	# --excludedocs / dnf --nodocs still install it.
	cflags=$(qf "$rpm" '[%{FILEFLAGS:fflags}\t%{FILENAMES}\n]' |
		awk -F '\t' -v f="/usr/share/licenses/$pkg/copyright" '$2 == f { print $1 }')
	case $cflags in
	*l*d* | *d*l* | d) fail "$label: the copyright file is %license, not %doc (kept by --excludedocs)" \
		"fflags of /usr/share/licenses/$pkg/copyright: $cflags (rpmbuild's %license gives \"l\")" ;;
	*l*) pass "$label: the copyright file is %license, not %doc (kept by --excludedocs)" ;;
	*) fail "$label: the copyright file is %license" "fflags: '$cflags'" ;;
	esac

	# --- rpmlint with the rpmlintrc: 0 errors. The rpmlintrc is shared by
	# all packages, so most of its filters match nothing in a given one:
	# --ignore-unused-rpmlintrc keeps rpmlint from calling that an error.
	rpmlint --ignore-unused-rpmlintrc -r "$RPMLINTRC" "$rpm" >"$T/$label.rpmlint" 2>&1
	errors=$(grep ": E: " "$T/$label.rpmlint")
	if ! grep -q ' errors, ' "$T/$label.rpmlint"; then
		fail "$label: rpmlint runs" "$(tail -20 "$T/$label.rpmlint")"
	elif [ -z "$errors" ]; then
		pass "$label: rpmlint reports no error"
	else
		fail "$label: rpmlint reports no error" "$errors"
	fi
	warnings=$(rpmlint_tags "$T/$label.rpmlint" W)
	[ -z "$warnings" ] || note "$label: rpmlint warnings (tag, count, first):" "$warnings"
	# Every warning that remains is one the README lists and explains.
	unlisted=$(printf '%s\n' "$warnings" | awk 'NF { print $1 }' | while read -r tag; do
		sed -n '/^## Accepted lintian and rpmlint findings/,/^## /p' "$TOP/README.md" |
			grep -q -- "\`${tag}[\` ]" || printf '%s ' "$tag"
	done)
	expect_eq "$label: the README names every rpmlint warning left" "$unlisted" ""
	# What the rpmlintrc hides (the release's own files, see its reasons) is
	# shown, not failed: the errors of a run without it that the run with it
	# did not report.
	rpmlint "$rpm" >"$T/$label.rpmlint-all" 2>&1
	grep ": E: " "$T/$label.rpmlint-all" | LC_ALL=C sort >"$T/$label.rpmlint-all.E"
	printf '%s\n' "$errors" | LC_ALL=C sort | LC_ALL=C comm -23 "$T/$label.rpmlint-all.E" - \
		>"$T/$label.rpmlint-hidden"
	hidden=$(rpmlint_tags "$T/$label.rpmlint-hidden" E)
	[ -z "$hidden" ] || note "$label: rpmlint errors filtered by the rpmlintrc (tag, count, first):" "$hidden"

	# --- libsolv reads it back
	if [ -x "$SOLVREAD" ]; then
		expect_eq "$label: libsolv reads NAME EVR ARCH" \
			"$("$SOLVREAD" --rpm "$rpm" 2>&1)" "$pkg $ver-1 $arch"
	else
		skip "$label: libsolv reads it back" "no $SOLVREAD (make build/solvread)"
	fi

	# --- rpm -i into a fresh root
	rpm_root_install "$label" "$rpm" "$pkg" "$ver"

	cp "$rpm" "$REPO/" && printf '%s %s %s\n' "$pkg" "$ver" "$rpm" >>"$T/dnf.list"
}

# The sample: a generic tarball, recognised from its file name.
if sample=$(fixture sample); then
	rpm_case sample "$sample" hello 1.0.0 noarch all
	srpm="$T/sample.out/hello-1.0.0-1.noarch.rpm"
else
	sample='' srpm=''
	fail "sample: examples/make-sample.sh works"
fi

# OTP releases, recognised from releases/start_erl.data and the .rel file.
if ! command -v rebar3 >/dev/null; then
	skip "rebar3 release" "rebar3 not installed"
elif tb=$(fixture rebar3 ex1_relup 0.1.0); then
	rpm_case rebar3 "$tb" ex1-relup 0.1.0 x86_64 amd64
else
	fail "rebar3: tests/fixtures/rebar3-release.sh works"
fi
if ! command -v mix >/dev/null; then
	skip "mix release" "elixir (mix) not installed"
elif tb=$(fixture mix mix_app 0.1.0); then
	rpm_case mix "$tb" mix-app 0.1.0 x86_64 amd64
else
	fail "mix: tests/fixtures/mix-release.sh works"
fi

# --- hard links: the sample's lib/hello/README.md is a hard link to README
if [ -n "$srpm" ] && [ -f "$srpm" ]; then
	d=/opt/hello/releases/1.0.0/lib/hello
	expect_eq "hard link: the header gives both names a link count of 2" \
		"$(qf "$srpm" '[%{FILENLINKS} %{FILENAMES}\n]' | grep " $d/README")" \
		"$(printf '2 %s\n' "$d/README" "$d/README.md")"
	root="$T/hardlink.root"
	mkdir -p "$root"
	if rpm --root "$root" --initdb && rpm -i --root "$root" --nodeps --noscripts "$srpm" 2>/dev/null; then
		a=$(stat -c '%d:%i %h' "$root$d/README" 2>&1)
		b=$(stat -c '%d:%i %h' "$root$d/README.md" 2>&1)
		if [ "$a" = "$b" ] && [ "${a##* }" = 2 ]; then
			pass "hard link: after rpm -i, README and README.md are one inode (2 links)"
		else
			fail "hard link: after rpm -i, README and README.md are one inode (2 links)" "README: $a" "README.md: $b"
		fi
		if [ -s "$root$d/README" ] && cmp -s "$root$d/README" "$T/sample.x$d/README.md"; then
			pass "hard link: the installed content is the packaged content"
		else
			fail "hard link: the installed content is the packaged content"
		fi
	else
		fail "hard link: rpm -i --root installs the sample"
	fi
fi

# --- compressions: rpm reads each payload, and installs it
if [ -n "$sample" ]; then
	for v in xz:xz:PayloadIsXz zstd:zstd:PayloadIsZstd 'none:(none):'; do
		c=${v%%:*} rest=${v#*:}
		compressor=${rest%%:*} feature=${rest#*:}
		out="$T/sample-$c.out"
		rpm="$out/hello-1.0.0-1.noarch.rpm"
		check "compression $c: relpkg build --compression $c succeeds" \
			"$RELPKG" build "$sample" --out "$out" --format rpm --maintainer "$MAINT" --compression "$c"
		[ -f "$rpm" ] || {
			fail "compression $c: writes ${rpm##*/}"
			continue
		}
		check "compression $c: rpm -K says digests OK" rpm -K "$rpm"
		# rpmbuild with %_binary_payload w.ufdio writes no PAYLOADCOMPRESSOR
		# either; rpm then reads the payload through zlib, which passes
		# uncompressed data through.
		expect_eq "compression $c: PAYLOADCOMPRESSOR is $compressor" \
			"$(qf "$rpm" '%{PAYLOADCOMPRESSOR}')" "$compressor"
		if [ -n "$feature" ]; then
			expect_match "compression $c: requires rpmlib($feature)" \
				"$(rpm -qp --requires "$rpm")" "^rpmlib\\($feature\\) <= "
		else
			expect_eq "compression $c: requires no rpmlib(PayloadIs*)" \
				"$(rpm -qp --requires "$rpm" | grep '^rpmlib(PayloadIs')" ""
		fi
		if rpm2cpio "$rpm" | cpio -t --quiet 2>&1 | LC_ALL=C sort >"$T/cpio-t.$c" &&
			cmp -s "$T/cpio-t.$c" "$T/sample.qpl"; then
			pass "compression $c: rpm2cpio | cpio -t lists every path"
		else
			fail "compression $c: rpm2cpio | cpio -t lists every path" "(- rpm -qpl, + cpio -t)" \
				"$(diff "$T/sample.qpl" "$T/cpio-t.$c")"
		fi
		root="$T/sample-$c.root"
		mkdir -p "$root"
		rpm --root "$root" --initdb
		check "compression $c: rpm -i --root installs it" \
			rpm -i --root "$root" --nodeps --noscripts "$rpm"
		check "compression $c: rpm -V --root is clean" rpm -V --root "$root" --nodeps hello
	done
fi

# --- a flipped byte inside the compressed payload makes rpm -K fail
if [ -n "$srpm" ] && [ -f "$srpm" ]; then
	bad="$T/corrupt.rpm"
	cp "$srpm" "$bad"
	size=$(wc -c <"$bad")
	# 20 bytes before the end: inside the deflate data, before gzip's trailer
	flip_byte "$bad" $((size - 20))
	if cmp -s "$srpm" "$bad"; then
		fail "corrupt payload: the byte was flipped"
	else
		check_fails "corrupt payload: rpm -K fails" rpm -K "$bad"
		expect_match "corrupt payload: rpm -Kv says the payload digest is BAD" \
			"$(rpm -Kv "$bad" 2>&1)" 'Payload SHA256 digest: BAD'
	fi
fi

# --- epoch and a SemVer pre-release (on a copy not named NAME-VERSION)
if [ -n "$sample" ]; then
	cp "$sample" "$T/app.tar.gz"
	out="$T/epoch.out"
	rpm="$out/hello-1.0.0~rc.1-1.noarch.rpm"
	check "epoch: relpkg build --epoch 2 --version 1.0.0-rc.1 succeeds" \
		"$RELPKG" build "$T/app.tar.gz" --out "$out" --format rpm --maintainer "$MAINT" \
		--name hello --epoch 2 --version 1.0.0-rc.1 \
		--license Apache-2.0 --url https://example.org/hello --summary 'Hello test application'
	if [ -f "$rpm" ]; then
		pass "epoch: writes ${rpm##*/}"
		check "epoch: rpm -K says digests OK" rpm -K "$rpm"
		expect_eq "epoch: Version is 1.0.0~rc.1" "$(info "$rpm" Version)" "1.0.0~rc.1"
		expect_eq "epoch: Epoch is 2" "$(info "$rpm" Epoch)" "2"
		expect_eq "epoch: EVR" "$(qf "$rpm" '%{EVR}')" "2:1.0.0~rc.1-1"
		expect_match "epoch: requires rpmlib(TildeInVersions)" \
			"$(rpm -qp --requires "$rpm")" '^rpmlib\(TildeInVersions\) <= '
		expect_match "epoch: provides hello = 2:1.0.0~rc.1-1" \
			"$(rpm -qp --provides "$rpm")" '^hello = 2:1\.0\.0~rc\.1-1$'
		expect_eq "epoch: --license" "$(info "$rpm" License)" "Apache-2.0"
		expect_eq "epoch: --url" "$(info "$rpm" URL)" "https://example.org/hello"
		expect_eq "epoch: --summary" "$(info "$rpm" Summary)" "Hello test application"
		expect_eq "epoch: rpm sorts it before 1.0.0-1" \
			"$(rpm --eval '%{lua: print(rpm.vercmp("'"$(qf "$rpm" '%{EVR}')"'", "2:1.0.0-1"))}')" "-1"
		if [ -x "$SOLVREAD" ]; then
			expect_eq "epoch: libsolv reads NAME EVR ARCH" \
				"$("$SOLVREAD" --rpm "$rpm" 2>&1)" "hello 2:1.0.0~rc.1-1 noarch"
		fi
	else
		fail "epoch: writes ${rpm##*/}" "$(ls -la "$out" 2>&1)"
	fi
fi

# --- dnf --installroot from a createrepo_c repo
# The packages require /bin/sh for their scriptlets (as rpmbuild's do), and
# an empty installroot has no package that provides it: dnf says "nothing
# provides /bin/sh needed by NAME". So the repo also gets a tiny noarch
# package, built here with rpmbuild, that only says "Provides: /bin/sh". The
# root has no shell, so the scriptlets are not run (tsflags=noscripts).
# --config: an empty dnf.conf, and no plugins, so that the host's dnf setup
# does not count; reposdir=/dev/null: only the repo given here; --releasever:
# the empty root has no system-release package to take it from; cachedir
# is a host path, so it is pointed inside the root.
if [ ! -s "$T/dnf.list" ]; then
	skip "dnf --installroot" "no package was built"
elif ! command -v dnf >/dev/null || ! command -v createrepo_c >/dev/null ||
	! command -v rpmbuild >/dev/null; then
	skip "dnf --installroot" "needs dnf, createrepo_c and rpmbuild"
else
	# (releases with ERTS also require the sonames their ELF files need,
	# src/autodeps.c: the stub provides those of this host's libraries, as
	# rpm's own generator lists them, like the container root's provides)
	{
		cat <<'EOF'
Name: relpkg-test-binsh
Version: 1
Release: 1
Summary: Provides /bin/sh in an empty dnf installroot (relpkg tests)
License: MIT
BuildArch: noarch
Provides: /bin/sh
Provides: rtld(GNU_HASH)
EOF
		find /lib /usr/lib -name '*.so*' -type f 2>/dev/null |
			/usr/lib/rpm/elfdeps --provides 2>/dev/null | LC_ALL=C sort -u | sed 's/^/Provides: /'
		cat <<'EOF'

%description
Only for relpkg's tests: satisfies the /bin/sh and soname requirements.

%files
EOF
	} >"$T/binsh.spec"
	if rpmbuild --quiet --define "_topdir $T/rpmbuild" -bb "$T/binsh.spec" >"$T/rpmbuild.log" 2>&1; then
		pass "dnf: rpmbuild builds the /bin/sh provider"
		cp "$T"/rpmbuild/RPMS/noarch/relpkg-test-binsh-1-1.noarch.rpm "$REPO/"
	else
		fail "dnf: rpmbuild builds the /bin/sh provider" "$(tail -20 "$T/rpmbuild.log")"
	fi
	check "dnf: createrepo_c makes the repo" createrepo_c --quiet "$REPO"
	printf '[main]\n' >"$T/dnf.conf"
	while read -r pkg ver rpm; do
		root="$T/dnf-$pkg.root"
		mkdir -p "$root"
		check "dnf: dnf --installroot install $pkg" \
			dnf -y -q --installroot="$root" --config="$T/dnf.conf" --disableplugin='*' \
			--releasever=12 --setopt=cachedir="$root/var/cache/dnf" \
			--setopt=reposdir=/dev/null --repofrompath=t,"file://$REPO" \
			--setopt=t.gpgcheck=0 --setopt=install_weak_deps=0 \
			--setopt=tsflags=noscripts --nodocs install "$pkg" </dev/null
		expect_match "dnf: $pkg is in the root's rpmdb" \
			"$(rpm -q --root "$root" "$pkg" 2>&1)" "^$pkg-$ver-1\\."
		check "dnf: rpm -V --root $pkg is clean" rpm -V --root "$root" --nodeps "$pkg"
		n=$(find "$root/opt/$pkg/releases/$ver" -type f 2>/dev/null | wc -l)
		want=$(qf "$rpm" '[%{FILEMODES:perms} %{FILENAMES}\n]' |
			grep -c "^-.* /opt/$pkg/releases/$ver/")
		if [ "$n" -gt 0 ] && [ "$n" -eq "$want" ]; then
			pass "dnf: $pkg's $n release files are under /opt/$pkg/releases/$ver"
		else
			fail "dnf: $pkg's release files are under /opt/$pkg/releases/$ver" "$n files, want $want"
		fi
	done <"$T/dnf.list"
fi

# The description: paragraphs as the deb's (folded the same way), one blank
# line between them in the rpm (rpm_write.c no longer goes through the deb
# field and back, which left two).
if sample=$(fixture sample); then
	"$RELPKG" build "$sample" --out "$T/desc" --quiet \
		--description "First paragraph, long enough to be folded: $(printf 'word%s ' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)

Second paragraph." || fail "description: build"
	{ qf "$T"/desc/*.rpm '%{DESCRIPTION}'; echo; } >"$T/desc.rpm"
	dpkg-deb -f "$T"/desc/*.deb Description | sed '1d; s/^ //; s/^\.$//' >"$T/desc.deb"
	if cmp -s "$T/desc.rpm" "$T/desc.deb" && [ "$(grep -c '^$' "$T/desc.rpm")" = 1 ]; then
		pass "description: the rpm's lines are the deb's, one blank line between paragraphs"
	else
		fail "description: the rpm's lines are the deb's, one blank line between paragraphs" \
			"rpm: $(cat "$T/desc.rpm")" "deb: $(cat "$T/desc.deb")"
	fi
fi
