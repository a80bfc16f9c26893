# t_deb.sh: "build writes a .deb". Builds .debs from the shipped sample, a
# real rebar3 release and a real mix release, with no --name/--version, and
# checks them with dpkg-deb, md5sum, lintian and libsolv.
# shellcheck shell=sh
need_cmd dpkg-deb lintian md5sum ar tar gzip cmp find
need_relpkg
SOLVREAD=${SOLVREAD:-$TOP/build/solvread}
# Fixed build time, so that builds of the same input differ only where asked.
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
# relpkg needs a maintainer (flag, config file or DEBEMAIL); nothing else is given.
MAINT='relpkg tests <tests@example.org>'

# listing DIR: one line per entry: path, type, mode, then size and symlink
# target for non-directories (a directory's size depends on the file system).
listing() {
	(cd "$1" && find . -mindepth 1 \( -type d -printf '%P %y %m\n' \) -o \
		-printf '%P %y %m %s %l\n') | LC_ALL=C sort
}

# hardlinks DIR: one line per group of hard-linked files: "LINKCOUNT path,path".
hardlinks() {
	(cd "$1" && find . -type f -links +1 -printf '%i %n %P\n') | LC_ALL=C sort |
		awk '{ if (!($1 in g)) { n[$1] = $2; g[$1] = $3 } else g[$1] = g[$1] "," $3 }
		     END { for (i in g) print n[i], g[i] }' | LC_ALL=C sort
}

# differing_files IN OUT: regular files of IN whose bytes differ in OUT.
differing_files() {
	(cd "$1" && find . -type f -printf '%P\n') | LC_ALL=C sort |
		while IFS= read -r f; do
			cmp -s "$1/$f" "$2/$f" || printf '%s\n' "$f"
		done
}

# md5check DIR MD5SUMS: md5sum -c from DIR.
md5check() { (cd "$1" && md5sum --quiet -c "$2"); }

# field DEB NAME: one control field (continuation lines included).
field() { dpkg-deb -f "$1" "$2"; }

# deb_case LABEL TARBALL STRIP PKG VERSION ARCH
#   STRIP: 1 if the tarball wraps its tree in one top directory, else 0.
deb_case() {
	label=$1 tarball=$2 strip=$3 pkg=$4 ver=$5 arch=$6
	out="$T/$label.out"
	deb="$out/${pkg}_$ver-1_$arch.deb"

	check "$label: relpkg build --format deb succeeds" \
		"$RELPKG" build "$tarball" --out "$out" --format deb --maintainer "$MAINT"
	if [ ! -f "$deb" ]; then
		fail "$label: writes ${deb##*/}" "$out holds:" "$(ls -la "$out" 2>&1)"
		return
	fi
	pass "$label: writes ${deb##*/}"
	expect_eq "$label: --format deb writes only the .deb" "$(ls -A "$out")" "${deb##*/}"

	# --- control fields
	check "$label: dpkg-deb --info reads it" dpkg-deb --info "$deb"
	expect_eq "$label: Package" "$(field "$deb" Package)" "$pkg"
	expect_eq "$label: Version" "$(field "$deb" Version)" "$ver-1"
	expect_eq "$label: Architecture" "$(field "$deb" Architecture)" "$arch"
	expect_eq "$label: Maintainer" "$(field "$deb" Maintainer)" "$MAINT"
	for f in Section Priority; do
		v=$(field "$deb" "$f")
		if [ -n "$v" ]; then pass "$label: $f is set ($v)"; else fail "$label: $f is set"; fi
	done
	desc=$(field "$deb" Description)
	synopsis=$(printf '%s\n' "$desc" | sed -n 1p)
	extended=$(printf '%s\n' "$desc" | sed 1d)
	if [ -n "$synopsis" ] && [ -n "$extended" ] &&
		! printf '%s\n' "$extended" | grep -qv '^ '; then
		pass "$label: Description has a synopsis and extended lines"
	else
		fail "$label: Description has a synopsis and extended lines" "$desc"
	fi

	# --- the payload gives back the input tree
	x="$T/$label.x" in="$T/$label.in"
	mkdir -p "$in"
	check "$label: dpkg-deb -x extracts it" dpkg-deb -x "$deb" "$x"

	# Installed-Size is in KiB: at least the bytes of the files (each inode
	# once), at most every file rounded up plus 4 KiB per entry.
	isz=$(field "$deb" Installed-Size)
	lo=$( (cd "$x" && find . -type f -printf '%i %s\n') | sort -u |
		awk '{ b += $2 } END { print int(b / 1024) }')
	hi=$( (cd "$x" && find . -mindepth 1 -printf '%y %s\n') |
		awk '{ k += 4; if ($1 == "f") k += int(($2 + 1023) / 1024) } END { print k }')
	case $isz in
	'' | *[!0-9]*) fail "$label: Installed-Size is a number of KiB" "Installed-Size: $isz" ;;
	*)
		if [ "$isz" -ge "$lo" ] && [ "$isz" -le "$hi" ]; then
			pass "$label: Installed-Size is plausible ($isz KiB)"
		else
			fail "$label: Installed-Size is plausible" "Installed-Size: $isz, want $lo..$hi"
		fi
		;;
	esac
	tar -xzf "$tarball" -C "$in" --strip-components="$strip"
	rel="$x/opt/$pkg/releases/$ver"
	if [ ! -d "$rel" ]; then
		fail "$label: the release tree is at /opt/$pkg/releases/$ver" \
			"$(cd "$x" && find . -maxdepth 4 -type d)"
	else
		pass "$label: the release tree is at /opt/$pkg/releases/$ver"
		# the Erlang cookie is packaged readable by the service group only
		# (design 3: never world-readable): mode & ~007 | 040, group = package
		secrets=$(cd "$in" && { find releases -name COOKIE -type f 2>/dev/null
			find releases -name vm.args -type f -exec grep -lE -- '^[[:space:]]*-setcookie' {} + 2>/dev/null; } |
			LC_ALL=C sort)
		listing "$in" | awk -v s="$secrets" '
			BEGIN { n = split(s, a, "\n"); for (i = 1; i <= n; i++) sec[a[i]] = 1 }
			($1 in sec) && $2 == "f" {
				m = $3; o = m % 10; g = int(m / 10) % 10; u = int(m / 100)
				l = $0; sub(" " $3 " ", " " sprintf("%d%d0", u, (g >= 4 ? g : g + 4)) " ", l); $0 = l }
			{ print }' >"$T/$label.want"
		listing "$rel" >"$T/$label.got"
		if diff -u "$T/$label.want" "$T/$label.got" >"$T/$label.diff"; then
			pass "$label: paths, types, modes, sizes, link targets as in the tarball"
		else
			fail "$label: paths, types, modes, sizes, link targets as in the tarball" \
				"(- tarball, + package)" "$(cat "$T/$label.diff")"
		fi
		bad=$(differing_files "$in" "$rel")
		if [ -z "$bad" ]; then
			pass "$label: file contents as in the tarball"
		else
			fail "$label: file contents as in the tarball" "$bad"
		fi
		expect_eq "$label: hard links as in the tarball (groups, link counts)" \
			"$(hardlinks "$rel")" "$(hardlinks "$in")"
	fi

	# --- the files relpkg adds around the release
	for f in "lib/systemd/system/$pkg.service" "etc/$pkg/$pkg.env" \
		"usr/share/doc/$pkg/copyright" "usr/share/doc/$pkg/changelog.Debian.gz"; do
		if [ -f "$x/$f" ]; then pass "$label: has /$f"; else fail "$label: has /$f"; fi
	done
	check "$label: changelog.Debian.gz is valid gzip" \
		gzip -t "$x/usr/share/doc/$pkg/changelog.Debian.gz"
	unit="$x/lib/systemd/system/$pkg.service"
	exec_start=$(sed -n 's/^ExecStart=//p' "$unit" 2>/dev/null)
	if [ -n "$exec_start" ]; then
		pass "$label: the unit has an ExecStart"
		note "$label: ExecStart=$exec_start"
		# A command under /opt/NAME/current/ must exist in the release tree.
		for w in $exec_start; do
			case $w in
			"/opt/$pkg/current/"*)
				check "$label: ExecStart's $w is an executable of the release" \
					test -x "$rel/${w#"/opt/$pkg/current/"}"
				;;
			esac
		done
	else
		fail "$label: the unit has an ExecStart" "$(cat "$unit" 2>&1)"
	fi
	conffiles=$(dpkg-deb -I "$deb" conffiles 2>&1)
	expect_match "$label: /etc/$pkg/$pkg.env is a conffile" "$conffiles" "^/etc/$pkg/$pkg\\.env\$"

	# --- md5sums: correct, and every regular file (conffiles may be left out)
	ctl="$T/$label.ctl"
	check "$label: dpkg-deb -e extracts the control area" dpkg-deb -e "$deb" "$ctl"
	if [ -f "$ctl/md5sums" ]; then
		check "$label: md5sums match the files" md5check "$x" "$ctl/md5sums"
		sed 's/^[0-9a-f]*  //' "$ctl/md5sums" | LC_ALL=C sort >"$T/$label.md5paths"
		(cd "$x" && find . -type f -printf '%P\n') | LC_ALL=C sort >"$T/$label.files"
		sed 's,^/,,' "$ctl/conffiles" 2>/dev/null | LC_ALL=C sort |
			LC_ALL=C comm -23 "$T/$label.files" - >"$T/$label.files-noconf"
		if cmp -s "$T/$label.md5paths" "$T/$label.files" ||
			cmp -s "$T/$label.md5paths" "$T/$label.files-noconf"; then
			pass "$label: md5sums lists every file"
		else
			fail "$label: md5sums lists every file" "(- files in the package, + md5sums)" \
				"$(diff "$T/$label.files-noconf" "$T/$label.md5paths")"
		fi
	else
		fail "$label: has md5sums in the control area" "$(ls "$ctl")"
	fi

	# --- ownership
	owners=$(dpkg-deb --contents "$deb" | awk -v p="$pkg" '$2 != "root/root" &&
		!($2 == "root/" p && $1 == "-rw-r-----" && $6 ~ /\/releases\/[^ ]*\/releases\/(COOKIE|[^\/]+\/vm\.args)$/) &&
		!($2 == "root/" p && $1 == "-rw-r-----" && $6 == "./etc/" p "/" p ".env")')
	if [ -z "$owners" ] && [ -n "$(dpkg-deb --contents "$deb")" ]; then
		pass "$label: every entry is root/root (the cookie and the env file root/$pkg 0640)"
	else
		fail "$label: every entry is root/root" "$owners"
	fi

	# --- maintainer scripts
	for s in preinst postinst prerm postrm; do
		if [ -f "$ctl/$s" ] && [ -x "$ctl/$s" ]; then
			check "$label: $s is valid sh (sh -n)" sh -n "$ctl/$s"
		else
			fail "$label: has an executable $s" "$(ls -l "$ctl")"
		fi
	done

	# --- lintian: 0 errors (after the package's own overrides)
	lintian --tag-display-limit 0 "$deb" >"$T/$label.lintian" 2>&1
	errors=$(grep '^E:' "$T/$label.lintian")
	if [ -z "$errors" ]; then
		pass "$label: lintian reports no error"
	else
		fail "$label: lintian reports no error" "$errors"
	fi
	others=$(grep -v -e '^E:' -e '^running with root privileges' "$T/$label.lintian")
	[ -z "$others" ] || note "$label: lintian says:" "$others"

	# --- libsolv reads it back
	if [ -x "$SOLVREAD" ]; then
		expect_eq "$label: libsolv reads NAME EVR ARCH" \
			"$("$SOLVREAD" "$deb" 2>&1)" "$pkg $ver-1 $arch"
	else
		skip "$label: libsolv reads it back" "no $SOLVREAD (make build/solvread)"
	fi
}

# The sample: a generic tarball, recognised from its file name.
if sample=$(fixture sample); then
	# The sample must exercise what it is meant to.
	mkdir "$T/sample.check" && tar -xzf "$sample" -C "$T/sample.check"
	if [ -n "$(hardlinks "$T/sample.check")" ] && [ -n "$(find "$T/sample.check" -type l)" ]; then
		pass "sample: the input has a hard link and a symlink"
	else
		fail "sample: the input has a hard link and a symlink"
	fi
	deb_case sample "$sample" 1 hello 1.0.0 all
else
	fail "sample: examples/make-sample.sh works"
fi

# OTP releases, recognised from releases/start_erl.data and the .rel file.
if ! command -v rebar3 >/dev/null; then
	skip "rebar3 release" "rebar3 not installed"
elif tb=$(fixture rebar3 ex1_relup 0.1.0); then
	deb_case rebar3 "$tb" 0 ex1-relup 0.1.0 amd64
else
	fail "rebar3: tests/fixtures/rebar3-release.sh works"
fi
if ! command -v mix >/dev/null; then
	skip "mix release" "elixir (mix) not installed"
elif tb=$(fixture mix mix_app 0.1.0); then
	deb_case mix "$tb" 0 mix-app 0.1.0 amd64
else
	fail "mix: tests/fixtures/mix-release.sh works"
fi

# Compression and level: dpkg-deb must still read the package, the data
# member must be named for its compression, and the contents must not change.
if [ -f "$T/sample.out/hello_1.0.0-1_all.deb" ]; then
	# (dates left out: generated files may carry the build time)
	contents() { dpkg-deb --contents "$1" | awk '{ $4 = ""; $5 = ""; print }'; }
	contents "$T/sample.out/hello_1.0.0-1_all.deb" >"$T/contents.gz"
	for v in xz:data.tar.xz zstd:data.tar.zst none:data.tar level9:data.tar.gz; do
		c=${v%%:*} member=${v#*:}
		case $c in
		level9) opts="--level 9" ;;
		*) opts="--compression $c" ;;
		esac
		out="$T/sample-$c.out"
		deb="$out/hello_1.0.0-1_all.deb"
		# shellcheck disable=SC2086 # $opts is two words
		check "compression $c: relpkg build $opts succeeds" \
			"$RELPKG" build "$sample" --out "$out" --format deb --maintainer "$MAINT" $opts
		[ -f "$deb" ] || { fail "compression $c: writes ${deb##*/}"; continue; }
		expect_eq "compression $c: data member is $member" \
			"$(ar t "$deb" | grep '^data\.tar')" "$member"
		if contents "$deb" >"$T/contents.$c" 2>&1 &&
			cmp -s "$T/contents.gz" "$T/contents.$c"; then
			pass "compression $c: dpkg-deb --contents lists the same contents"
		else
			fail "compression $c: dpkg-deb --contents lists the same contents" \
				"$(diff "$T/contents.gz" "$T/contents.$c")"
		fi
	done
else
	skip "compression variants" "the default sample .deb was not built"
fi
