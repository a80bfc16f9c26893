#!/bin/sh
# mkseeds.sh RELPKG: (re)makes the seed corpora tests/fuzz/NAME/ with the
# given relpkg binary.  The seeds are checked in (small); run this when a
# format changes.  Every seed is something relpkg accepts, plus a few
# near misses, so the fuzzer starts deep inside each reader.
set -eu
RELPKG=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
F=$(cd "$(dirname "$0")" && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
export SOURCE_DATE_EPOCH=1700000000
for d in ingest deb rpm version conf store; do
	rm -rf "${F:?}/$d"
	mkdir -p "$F/$d"
done

# --- tarballs: generic, wrapped, OTP-shaped, links, every compression
mkdir -p "$w/t/app-1.0.0/bin" "$w/t/app-1.0.0/lib"
printf '#!/bin/sh\necho hi\n' >"$w/t/app-1.0.0/bin/app"
chmod 755 "$w/t/app-1.0.0/bin/app"
printf 'x' >"$w/t/app-1.0.0/lib/a"
ln -s a "$w/t/app-1.0.0/lib/s"
ln "$w/t/app-1.0.0/lib/a" "$w/t/app-1.0.0/lib/h"
tar_() { tar -b1 --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1700000000 -C "$w/t" "$@"; }
tar_ -czf "$F/ingest/wrapped.tar.gz" app-1.0.0
tar_ -cf "$F/ingest/plain.tar" app-1.0.0
tar_ -cJf "$F/ingest/wrapped.tar.xz" app-1.0.0
tar_ --zstd -cf "$F/ingest/wrapped.tar.zst" app-1.0.0
tar_ --format=pax -cf "$F/ingest/pax.tar" app-1.0.0
mkdir -p "$w/o/releases/0.1.0" "$w/o/bin" "$w/o/lib/ex-0.1.0/ebin"
printf '14.0 0.1.0\n' >"$w/o/releases/start_erl.data"
printf '{release,{"ex","0.1.0"},{erts,"14.0"},[{kernel,"9.0"}]}.\n' >"$w/o/releases/0.1.0/ex.rel"
printf '#!/bin/sh\n' >"$w/o/bin/ex"
chmod 755 "$w/o/bin/ex"
tar -b1 --sort=name --owner=0 --group=0 --mtime=@1700000000 -C "$w/o" -czf "$F/ingest/otp.tar.gz" releases bin lib

# --- packages: tiny ones from dpkg-deb and rpmbuild (relpkg's own are
# ~20-150 KB because every maintainer script carries hooks/lib.sh; run.sh
# adds them to the working corpus when RELPKG is given)
mkdir -p "$w/d/DEBIAN" "$w/d/opt/app/bin"
printf '#!/bin/sh\n' >"$w/d/opt/app/bin/app"
chmod 755 "$w/d/opt/app/bin/app"
ln -s app "$w/d/opt/app/bin/app2"
printf 'Package: app\nVersion: 1:1.0.0~rc.1-1\nArchitecture: all\nMaintainer: f <f@example.org>\nDepends: libc6 (>= 2.31)\nDescription: a seed\n one\n .\n two\n' \
	>"$w/d/DEBIAN/control"
printf '#!/bin/sh\nexit 0\n' >"$w/d/DEBIAN/postinst"
chmod 755 "$w/d/DEBIAN/postinst"
(cd "$w/d" && find opt -type f -exec md5sum {} +) >"$w/d/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zgzip -b "$w/d" "$F/deb/gzip.deb" >/dev/null
dpkg-deb --root-owner-group -Zxz -b "$w/d" "$F/deb/xz.deb" >/dev/null
mkdir -p "$w/r/SPECS"
cat >"$w/r/SPECS/app.spec" <<'SPEC'
Name: app
Version: 1.0.0~rc.1
Release: 1
Epoch: 1
Summary: a seed
License: MIT
BuildArch: noarch
Requires: libc6 >= 2.31
%description
one
%install
mkdir -p %{buildroot}/opt/app/bin
printf '#!/bin/sh\n' >%{buildroot}/opt/app/bin/app
ln -s app %{buildroot}/opt/app/bin/app2
ln %{buildroot}/opt/app/bin/app %{buildroot}/opt/app/bin/app3
%post
exit 0
%files
%attr(0755,root,root) /opt/app/bin/app
/opt/app/bin/app2
/opt/app/bin/app3
%changelog
* Tue Nov 14 2023 f <f@example.org> - 1:1.0.0~rc.1-1
- seed
SPEC
for c in gzip:w9.gzdio zstd:w19.zstdio none:w.ufdio; do
	rpmbuild -bb --quiet --define "_topdir $w/r" --define "_binary_payload ${c#*:}" \
		--define '_buildhost seed' --define 'use_source_date_epoch_as_buildtime 1' \
		"$w/r/SPECS/app.spec" >/dev/null 2>&1
	mv "$w/r/RPMS/noarch/"*.rpm "$F/rpm/${c%%:*}.rpm"
done

# --- the store: an entry of each format, a control file, repomd.xml
"$RELPKG" repo add -q "$w/store" "$F/deb/gzip.deb" "$F/rpm/gzip.rpm"
for e in "$w/store/.relpkg/index/"*.entry; do
	case $e in *.deb.entry) cp "$e" "$F/store/deb.entry" ;; *) cp "$e" "$F/store/rpm.entry" ;; esac
done
cp "$w/store/repodata/repomd.xml" "$F/store/repomd.xml"
printf 'Package: app\nVersion: 1:1.0.0~rc.1-1\nArchitecture: all\nMaintainer: f <f@example.org>\nDepends: libc6 (>= 2.31),\n libssl3\nDescription: a seed\n one\n .\n two\n' \
	>"$F/store/control"

# --- versions: "A\nB\nREL\nEPOCH"
printf '1.0.0\n1.0.0-1\n1\n' >"$F/version/plain"
printf '1.0.0-rc.1\n1.0.0~rc.1-1\n2.el9\n3\n' >"$F/version/semver-pre"
printf '2.0.0+build.5\n1:0.9-1\n1\n0\n' >"$F/version/build-meta"
printf '1.0.0^git1\n1.0.0~~a\n1\n' >"$F/version/tilde-caret"

# --- relpkg.conf
printf '# seed\nname = app\nversion = 1.0.0\nrelease = 2\nepoch = 1\ncompression = xz\nlevel = 3\nformats = deb\n' \
	>"$F/conf/basic.conf"
printf 'maintainer = "A <a@example.org>"\ndepends = libc6 (>= 2.31), libssl3\nhealth-url = http://127.0.0.1:4000/\nhealth-timeout = 30\nuser = app\n' \
	>"$F/conf/service.conf"
printf 'migrate-up = bin/app eval Migrate.up\nmigrate-down = bin/app eval Migrate.down\nschema-version = 7\nhook = before-start:bin/check\n' \
	>"$F/conf/migrations.conf"
ls -l "$F"/*/ | awk 'NF > 2 {print $5, $NF}'
