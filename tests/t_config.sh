# t_config.sh: build options from relpkg.conf (relpkg.conf(5)): read from
# the current directory or --config, flags win, unknown keys are refused.
need_relpkg
export SOURCE_DATE_EPOCH=1700000000
tb=$(fixture sample) || skip_file "no sample tarball"
mkdir -p "$T/app"
cat >"$T/app/relpkg.conf" <<'CONF'
# options of the sample
maintainer = "Conf Team <conf@example.org>"
url = https://example.org/hello
license = MIT
format = deb
release = 3
CONF
(cd "$T/app" && "$RELPKG" build "$tb" --out "$T/app/o1" --quiet)
deb=$T/app/o1/hello_1.0.0-3_all.deb
check "./relpkg.conf is read (release 3, deb only)" test -f "$deb"
expect_eq "maintainer from the file" "$(dpkg-deb -f "$deb" Maintainer 2>&1)" "Conf Team <conf@example.org>"
expect_eq "url from the file" "$(dpkg-deb -f "$deb" Homepage 2>&1)" "https://example.org/hello"
(cd "$T/app" && "$RELPKG" build "$tb" --out "$T/app/o2" --quiet --maintainer 'Flag <flag@example.org>' --release 4)
expect_eq "flags win over the file" \
	"$(dpkg-deb -f "$T/app/o2/hello_1.0.0-4_all.deb" Maintainer 2>&1)" "Flag <flag@example.org>"
cp "$T/app/relpkg.conf" "$T/other.conf"
check "--config FILE from elsewhere" "$RELPKG" build "$tb" --out "$T/o3" --quiet --config "$T/other.conf"
check "--config FILE: its release" test -f "$T/o3/hello_1.0.0-3_all.deb"
printf 'maintainer = A <a@example.org>\nfrobnicate = yes\n' >"$T/bad.conf"
out=$("$RELPKG" build "$tb" --out "$T/o4" --config "$T/bad.conf" 2>&1)
rc=$?
expect_eq "unknown key: exit 2" "$rc" 2
expect_match "unknown key: names file and line" "$out" 'bad.conf:2: unknown key .frobnicate.'
check "unknown key: nothing written" test ! -e "$T/o4"
out=$("$RELPKG" build "$tb" --out "$T/o5" --config "$T/missing.conf" 2>&1)
expect_eq "missing --config file: exit 1" "$?" 1
# every flag of --help but --config (and the switches) is a key of the file:
# both come from the one settings table (src/settings.h)
keys=$("$RELPKG" build --help | sed -n 's/^  --\([a-z-]*\) .*/\1/p' | grep -vx 'config\|quiet\|help')
bad='' n=0
for k in $keys; do
	n=$((n + 1))
	printf '%s = x\n' "$k" >"$T/k.conf"
	out=$("$RELPKG" build "$tb" --out "$T/o6" --config "$T/k.conf" --format deb --quiet 2>&1)
	case $out in *"unknown key"*) bad="$bad $k" ;; esac
done
expect_eq "every --help flag is a relpkg.conf key ($n keys)" "$bad" ""
printf 'config = %s\n' "$T/other.conf" >"$T/c.conf"
out=$("$RELPKG" build "$tb" --out "$T/o7" --config "$T/c.conf" 2>&1)
expect_match "config is not a key of the file" "$out" 'c.conf:1: unknown key .config.'
