# t_relations.sh: per-format dependencies and the other relation fields
# (issue 15): --deb-depends / --rpm-requires add to --depends in one format
# only; --pre-depends, --breaks, --replaces (deb), --obsoletes (rpm),
# --recommends, --suggests (both) land in dpkg-deb -f / rpm -qp --FIELD,
# in the store's indexes as createrepo_c writes them, and apt-cache / dnf
# repoquery read them; bad syntax is a usage error; relpkg.conf keys work.
# shellcheck shell=sh
need_cmd dpkg-deb rpm
need_relpkg
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
MAINT='relpkg tests <tests@example.org>'
sample=$(fixture sample) || skip_file "examples/make-sample.sh failed"

check "build with every relation flag" "$RELPKG" build "$sample" --out "$T/o" --maintainer "$MAINT" --quiet \
	--depends adduser --deb-depends 'libc6 (>= 2.31) | musl' --rpm-requires 'glibc (>= 2.31)' \
	--pre-depends 'init-system-helpers (>= 1.54)' --recommends curl --suggests 'jq (>= 1.6)' \
	--breaks 'oldapp (<< 2)' --replaces 'oldapp (<< 2)' --obsoletes 'oldapp (<< 2)'
deb=$(ls "$T"/o/*.deb) rpmf=$(ls "$T"/o/*.rpm)
f() { dpkg-deb -f "$deb" "$1"; }
expect_eq "deb Depends: --depends, then --deb-depends" "$(f Depends)" 'adduser, libc6 (>= 2.31) | musl'
expect_eq "deb Pre-Depends" "$(f Pre-Depends)" 'init-system-helpers (>= 1.54)'
expect_eq "deb Recommends" "$(f Recommends)" curl
expect_eq "deb Suggests" "$(f Suggests)" 'jq (>= 1.6)'
expect_eq "deb Breaks" "$(f Breaks)" 'oldapp (<< 2)'
expect_eq "deb Replaces" "$(f Replaces)" 'oldapp (<< 2)'
expect_eq "deb has no Obsoletes or glibc" "$(dpkg-deb -f "$deb" | grep -c 'Obsoletes\|glibc')" 0
req=$(rpm -qp --requires "$rpmf")
expect_match "rpm Requires: --depends" "$req" '^adduser$'
expect_match "rpm Requires: --rpm-requires" "$req" '^glibc >= 2\.31$'
expect_eq "rpm Requires: nothing of --deb-depends" "$(printf '%s\n' "$req" | grep -c 'libc6\|musl')" 0
expect_eq "rpm Recommends" "$(rpm -qp --recommends "$rpmf")" curl
expect_eq "rpm Suggests" "$(rpm -qp --suggests "$rpmf")" 'jq >= 1.6'
expect_eq "rpm Obsoletes" "$(rpm -qp --obsoletes "$rpmf")" 'oldapp < 2'
check "relpkg verify reads both" "$RELPKG" verify "$deb" "$rpmf"
if command -v lintian >/dev/null; then
	expect_eq "lintian: no error" "$(lintian --no-cfg "$deb" 2>&1 | grep -c '^E:')" 0
fi

# relpkg.conf keys
cat >"$T/relpkg.conf" <<'EOF'
recommends = curl, wget
rpm-requires = glibc
obsoletes = oldapp
EOF
check "relpkg.conf: the same keys" "$RELPKG" build "$sample" --out "$T/c" --maintainer "$MAINT" --quiet \
	--config "$T/relpkg.conf"
expect_eq "relpkg.conf: deb Recommends" "$(dpkg-deb -f "$T"/c/*.deb Recommends)" 'curl, wget'
expect_eq "relpkg.conf: rpm Recommends" "$(rpm -qp --recommends "$T"/c/*.rpm | tr '\n' ' ')" 'curl wget '
expect_match "relpkg.conf: rpm Requires glibc" "$(rpm -qp --requires "$T"/c/*.rpm)" '^glibc$'

# bad syntax: usage error, nothing written
check_status "--recommends 'a >= 1' (not deb syntax): exit 2" 2 \
	"$RELPKG" build "$sample" --out "$T/bad" --maintainer "$MAINT" --quiet --recommends 'a >= 1'
out=$("$RELPKG" build "$sample" --out "$T/bad" --maintainer "$MAINT" --quiet --obsoletes 'x | y' 2>&1)
expect_match "--obsoletes with alternatives: refused for the rpm, named" "$out" "--obsoletes 'x \| y'.*alternatives"
expect_eq "nothing written" "$(ls "$T/bad" 2>/dev/null | grep -c '\.rpm$')" 0

# the store: primary.xml as createrepo_c writes it; apt and dnf read the fields
check "repo add" "$RELPKG" repo add -q "$T/store" "$deb" "$rpmf"
if command -v createrepo_c >/dev/null; then
	mkdir -p "$T/cr/pool" && cp -p "$rpmf" "$T/cr/pool/" && createrepo_c -q --no-database "$T/cr" >/dev/null 2>&1
	rel() { zcat "$1"/repodata/*-primary.xml.gz | sed -n '/<rpm:obsoletes>/,/<\/rpm:recommends>/p'; }
	expect_eq "store: rpm:obsoletes .. rpm:recommends as createrepo_c writes them" "$(rel "$T/store")" "$(rel "$T/cr")"
fi
if command -v apt-cache >/dev/null; then
	a="$T/apt"
	mkdir -p "$a/state/lists/partial" "$a/cache/archives/partial" "$a/etc/preferences.d" "$a/etc/apt.conf.d"
	: >"$a/status"
	echo "deb [trusted=yes] file:$T/store ./" >"$a/sources.list"
	o="-o Dir::State=$a/state -o Dir::State::status=$a/status -o Dir::Cache=$a/cache -o Dir::Etc::sourcelist=$a/sources.list -o Dir::Etc::sourceparts=- -o Dir::Etc::parts=$a/etc/apt.conf.d -o Dir::Etc::preferences=$a/etc/preferences -o Dir::Etc::preferencesparts=$a/etc/preferences.d -o Debug::NoLocking=1 -o APT::Sandbox::User=root"
	# shellcheck disable=SC2086 # $o is a list of options
	apt-get $o -q update >/dev/null 2>&1
	# shellcheck disable=SC2086
	deps=$(apt-cache $o depends hello 2>&1)
	note "$deps"
	expect_match "apt-cache depends: PreDepends" "$deps" 'PreDepends: <?init-system-helpers'
	expect_match "apt-cache depends: Recommends" "$deps" 'Recommends: <?curl'
	expect_match "apt-cache depends: Breaks" "$deps" 'Breaks: <?oldapp'
	expect_match "apt-cache depends: Replaces" "$deps" 'Replaces: <?oldapp'
fi
if command -v dnf >/dev/null; then
	dq() {
		printf '[main]\n' >"$T/dnf.conf"
		dnf -q --installroot="$T/dnfroot" --config="$T/dnf.conf" --disableplugin='*' --releasever=12 \
			--setopt=cachedir="$T/dnfroot/var/cache/dnf" --setopt=reposdir=/dev/null \
			--repofrompath=s,"file://$T/store" --setopt=s.gpgcheck=0 "$@" </dev/null 2>&1
	}
	expect_eq "dnf repoquery --recommends" "$(dq repoquery --available --recommends hello)" curl
	expect_eq "dnf repoquery --obsoletes" "$(dq repoquery --available --obsoletes hello)" 'oldapp < 2'
	expect_eq "dnf repoquery --suggests" "$(dq repoquery --available --suggests hello)" 'jq >= 1.6'
fi
