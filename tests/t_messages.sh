# t_messages.sh: the messages an operator meets (issue 16) say what is wrong
# and what to do: every one is produced here and its text checked, with the
# exit status (1: bad input, 2: usage) and nothing half-written.
need_relpkg
export SOURCE_DATE_EPOCH=1700000000
unset DEBEMAIL DEBFULLNAME
tb=$(fixture sample) || skip_file "no sample tarball"
MT='T <t@example.org>'

# run CMD...: sets out (stdout+stderr) and rc
run() {
	rc=0
	out=$("$@" 2>&1) || rc=$?
}

# --- the input ------------------------------------------------------------------
run "$RELPKG" build "$T/nope-1.0.0.tar.gz" --out "$T/o"
expect_eq "missing tarball: exit 1" "$rc" 1
expect_match "missing tarball: says not found" "$out" 'nope-1.0.0.tar.gz: not found: give the path of the release tarball'
check "missing tarball: no --out written" test ! -e "$T/o"

mkdir -p "$T/z/hello-1.0.0/bin" && printf '#!/bin/sh\n' >"$T/z/hello-1.0.0/bin/hello"
if command -v zip >/dev/null 2>&1; then
	(cd "$T/z" && zip -qr "$T/hello-1.0.0.zip" hello-1.0.0)
else # a zip's local file header: what the check reads
	printf 'PK\003\004rest-of-a-zip' >"$T/hello-1.0.0.zip"
fi
run "$RELPKG" build "$T/hello-1.0.0.zip" --out "$T/o"
expect_eq ".zip: exit 1" "$rc" 1
expect_match ".zip: says zip is not read and how to repack" "$out" \
	'a zip archive: relpkg reads tar archives .*unzip -q .* tar -C rel -czf NAME-VERSION.tar.gz'
run "$RELPKG" build "$T/z" --out "$T/o"
expect_match "a directory: says to give the tarball or pack it" "$out" 'is a directory: .*tar -C'
check "bad inputs: no --out written" test ! -e "$T/o"

# --- did you mean -------------------------------------------------------------------
run "$RELPKG" build "$tb" --maintaner 'A <a@b.c>'
expect_eq "unknown build flag: exit 2" "$rc" 2
expect_match "unknown build flag: did you mean" "$out" "did you mean '--maintainer'"
run "$RELPKG" rollbak myapp
expect_eq "unknown command: exit 2" "$rc" 2
expect_match "unknown command: did you mean" "$out" "unknown command 'rollbak': did you mean 'rollback'"
run "$RELPKG" rollback myapp --no-pim
expect_match "unknown rollback flag: did you mean --no-pin" "$out" "did you mean '--no-pin'"
run "$RELPKG" repo prune "$T/s" --keap 2
expect_match "unknown repo flag: did you mean --keep" "$out" "did you mean '--keep'"
run "$RELPKG" build "$tb" --frobnicate
expect_eq "a flag like none: exit 2, no suggestion" "$rc:$(printf '%s' "$out" | grep -c 'did you mean')" "2:0"

# --- pin as a user ------------------------------------------------------------------
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
	asuser() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	run asuser "$RELPKG" pin myapp 1.0.0 --deb
	expect_eq "pin as a user: exit 1" "$rc" 1
	expect_match "pin as a user: says root is needed" "$out" \
		"^relpkg: pin changes the package manager's configuration: run it as root \(e.g. sudo relpkg pin"
	run asuser "$RELPKG" rollback myapp --yes
	expect_match "rollback as a user: says root is needed" "$out" "^relpkg: rollback changes .*run it as root"
	mkdir -p "$T/img/etc/apt/preferences.d" && chmod -R 755 "$T/img"
	"$RELPKG" pin --root "$T/img" myapp 1.0.0 --deb >/dev/null
	run asuser "$RELPKG" pin --release myapp --deb --root "$T/img"
	expect_eq "pin --release --root as a user: exit 1" "$rc" 1
	expect_match "pin --release --root as a user: says root is needed" "$out" 'run as root'
	run asuser "$RELPKG" pin --print myapp 1.0.0 --deb
	expect_eq "pin --print as a user: works" "$rc" 0
else
	skip "pin as a user says root is needed" "needs root, the user nobody and setpriv"
fi

# --- warnings of a build -------------------------------------------------------------
run "$RELPKG" build "$tb" --out "$T/d1"
expect_eq "default maintainer: builds" "$rc" 0
expect_match "default maintainer: warned, with what to give" "$out" \
	"warning: no --maintainer .*Unknown <unknown@example.invalid>.*give --maintainer 'Name <email>'"
run "$RELPKG" build "$tb" --out "$T/d1" --maintainer "$MT"
expect_match "same name in --out: the replacement is said" "$out" \
	'warning: .*/d1/hello_1.0.0-1_all.deb: replaced the earlier package of the same name and version'
run "$RELPKG" build "$tb" --out "$T/d1" --maintainer "$MT" --quiet
expect_eq "--quiet: no warning" "$rc:$out" "0:"

# an OTP release without erts-VSN/: the warning names the package to depend on
mkdir -p "$T/otp/noerts-0.1.0/releases/0.1.0" "$T/otp/noerts-0.1.0/bin" "$T/otp/noerts-0.1.0/lib/noerts-0.1.0/ebin"
printf '14.2.1 0.1.0\n' >"$T/otp/noerts-0.1.0/releases/start_erl.data"
printf '{release,{"noerts","0.1.0"},{erts,"14.2.1"},[{kernel,"9.2"}]}.\n' \
	>"$T/otp/noerts-0.1.0/releases/0.1.0/noerts.rel"
printf '#!/bin/sh\n' >"$T/otp/noerts-0.1.0/bin/noerts" && chmod 755 "$T/otp/noerts-0.1.0/bin/noerts"
printf '{application,noerts,[]}.\n' >"$T/otp/noerts-0.1.0/lib/noerts-0.1.0/ebin/noerts.app"
tar -C "$T/otp" -czf "$T/noerts-0.1.0.tar.gz" noerts-0.1.0
run "$RELPKG" build "$T/noerts-0.1.0.tar.gz" --out "$T/d2" --maintainer "$MT"
expect_eq "no ERTS: builds" "$rc" 0
expect_match "no ERTS: names the Erlang/OTP release and the package to depend on" "$out" \
	"ERTS is not bundled .*Erlang/OTP 26 .*--depends 'erlang-base \(>= 1:26\)'"
run "$RELPKG" build "$T/noerts-0.1.0.tar.gz" --out "$T/d2" --maintainer "$MT" --depends 'erlang-base (>= 1:26)'
expect_eq "no ERTS with an erlang dependency: no warning" "$(printf '%s' "$out" | grep -c ERTS)" 0

# --- the env file: its PORT line is an example, and says so -------------------------------
env=$(dpkg-deb --fsys-tarfile "$T/d1/hello_1.0.0-1_all.deb" | tar -xOf - ./etc/hello/hello.env)
expect_match "env file: the PORT line is commented out" "$env" '^#PORT='
expect_match "relpkg(1) says the env file's PORT line is only an example" \
	"$(tr '\n' ' ' <"$TOP/man/relpkg.1")" 'PORT=4000.{0,80}example'

# --- --release: build's revision vs pin's lifting -------------------------------------
run "$RELPKG" build --help
expect_match "build --help: --release is the package revision, not pin's" "$out" '--release N .*revision.*not pin --release'
run "$RELPKG" --help
expect_match "relpkg --help: pin --release lifts a pin" "$out" 'relpkg pin --release NAME +lift'

# --- the config file ---------------------------------------------------------------------
mkdir -p "$T/app"
printf 'name = otherapp\nmaintainer = C <c@example.org>\n' >"$T/app/relpkg.conf"
run sh -c 'cd "$1" && "$2" build "$3" --out "$1/o"' sh "$T/app" "$RELPKG" "$tb"
expect_eq "config of another app: exit 1" "$rc" 1
expect_match "config of another app: says which file" "$out" '^relpkg: using \./relpkg\.conf$'
expect_match "config of another app: names both names" "$out" \
	"relpkg.conf says name = otherapp, but .*hello-1.0.0.tar.gz is the release 'hello'"
check "config of another app: nothing written" test ! -e "$T/app/o"
printf 'name = hello\nmaintainer = C <c@example.org>\n' >"$T/app/relpkg.conf"
run sh -c 'cd "$1" && "$2" build "$3" --out "$1/o"' sh "$T/app" "$RELPKG" "$tb"
expect_eq "config of this app: builds" "$rc" 0
expect_match "config of this app: says it is used" "$out" '^relpkg: using \./relpkg\.conf$'
run sh -c 'cd "$1" && "$2" build "$3" --out "$1/o" --name otherapp --start-cmd "bin/hello foreground"' sh "$T/app" "$RELPKG" "$tb"
expect_eq "--name beats the config's name (no refusal)" "$rc" 0
run "$RELPKG" build "$tb" --out "$T/o6" --config "$T/app/relpkg.conf"
expect_match "--config FILE: says which file" "$out" "^relpkg: using $T/app/relpkg.conf\$"

# --- commands checked at build time ----------------------------------------------------
# bcheck DESC WANT_RE ARGS...: refused with exit 1, WANT_RE in the message, no package
bcheck() {
	_d=$1 _w=$2
	shift 2
	rm -rf "$T/oc"
	run "$RELPKG" build "$tb" --out "$T/oc" --maintainer "$MT" "$@"
	expect_eq "$_d: exit 1" "$rc" 1
	expect_match "$_d: message" "$out" "$_w"
	[ ! -e "$T/oc/hello_1.0.0-1_all.deb" ] || fail "$_d: no package written"
}
bcheck "--migrate-up with the roff-eaten quotes" \
	"^relpkg: --migrate-up 'bin/hello eval Hello.Release.migrate\(\) ': not a valid sh command \(.*\(.*unexpected\)" \
	--migrate-up 'bin/hello eval Hello.Release.migrate() '
bcheck "--migrate-down naming a bin/ file the release lacks" \
	"^relpkg: --migrate-down 'bin/hellox eval 1': the release has no bin/hellox" \
	--migrate-down 'bin/hellox eval 1'
bcheck "--health-cmd with an unterminated quote" "^relpkg: --health-cmd .*not a valid sh command" \
	--health-cmd 'curl -f "http://x'
bcheck "--health-cmd with a relative bin/ path (runs in /var/lib/NAME)" \
	"^relpkg: --health-cmd 'bin/hello ping': bin/hello is looked for in /var/lib/hello.*write /opt/hello/current/bin/hello" \
	--health-cmd 'bin/hello ping'
bcheck "--hook naming a missing release file" "^relpkg: --hook 'current/bin/nothere': the release has no bin/nothere" \
	--hook 'after-start:current/bin/nothere'
bcheck "--start-cmd naming a missing file" "^relpkg: --start-cmd 'bin/nothere foreground': the release has no bin/nothere" \
	--start-cmd 'bin/nothere foreground'
bcheck "--stop-cmd with a syntax error" "^relpkg: --stop-cmd 'bin/hello stop \|': not a valid sh command" \
	--stop-cmd 'bin/hello stop |'
bcheck "an absolute /opt/NAME/current path that is not there" \
	"the release has no releases/9.9/x.sh" --migrate-up '/opt/hello/current/releases/9.9/x.sh'
# shellcheck disable=SC2016 # the scripts expand $RELPKG_SCHEMA_TARGET
run "$RELPKG" build "$tb" --out "$T/ok" --maintainer "$MT" --schema-version 2 --migrate-up 'bin/hello eval "Hello.Release.migrate()"' \
	--migrate-down 'FOO=1 bin/hello eval "Hello.Release.rollback($RELPKG_SCHEMA_TARGET)" && echo ok' \
	--health-cmd '/opt/hello/current/bin/hello-cli ping || exit 1' --hook 'before-stop:current/bin/hello-cli x' \
	--hook 'after-start:logger started' --start-cmd 'bin/hello foreground' --stop-cmd './bin/hello stop'
expect_eq "valid commands and release paths: built" "$rc:$out" "0:$T/ok/hello_1.0.0-1_all.deb
$T/ok/hello-1.0.0-1.noarch.rpm"

# --- progress: on a terminal only ------------------------------------------------------
if command -v script >/dev/null 2>&1; then
	# a release of some size, so that the reading takes more than one update
	mkdir -p "$T/big/big-1.0.0/bin" "$T/big/big-1.0.0/lib"
	printf '#!/bin/sh\n' >"$T/big/big-1.0.0/bin/big" && chmod 755 "$T/big/big-1.0.0/bin/big"
	i=0
	while [ $i -lt 24 ]; do
		head -c 1048576 /dev/urandom >"$T/big/big-1.0.0/lib/f$i"
		i=$((i + 1))
	done
	tar -C "$T/big" -czf "$T/big-1.0.0.tar.gz" big-1.0.0
	script -q -c "'$RELPKG' build '$T/big-1.0.0.tar.gz' --out '$T/pty' --maintainer 'T <t@example.org>' --compression xz --level 1" \
		"$T/pty.log" >/dev/null 2>&1
	tty=$(tr '\r' '\n' <"$T/pty.log")
	expect_match "progress under a terminal: bytes and entries read of the total" "$tty" \
		'^relpkg: reading [0-9.]+ (B|KiB|MiB) / 24\.[0-9] MiB \([0-9]+%\), [0-9]+ / [0-9]+ entries, [0-9.]+ (B|KiB|MiB)/s'
	expect_match "progress under a terminal: an ETA while reading" "$tty" ', ETA [0-9]+:[0-9][0-9]'
	expect_match "progress under a terminal: the deb finishing step" "$tty" '^relpkg: deb: control.tar.gz'
	expect_match "progress under a terminal: the rpm finishing step" "$tty" '^relpkg: rpm: header'
	expect_match "progress under a terminal: the line is erased at the end" "$(cat "$T/pty.log")" "$(printf '\r\033')\[K"
	out=$("$RELPKG" build "$T/big-1.0.0.tar.gz" --out "$T/pipe" --format deb --maintainer 'T <t@example.org>' 2>&1 | cat)
	expect_eq "no progress in a pipe" "$out" "$T/pipe/big_1.0.0-1_all.deb"
	script -q -c "'$RELPKG' build '$T/big-1.0.0.tar.gz' --out '$T/pty' --maintainer 'T <t@example.org>' --format deb --quiet" \
		"$T/pty2.log" >/dev/null 2>&1
	expect_eq "no progress with --quiet under a terminal" "$(grep -c 'relpkg:' "$T/pty2.log")" 0
else
	skip "progress under a pseudo-terminal" "needs script (util-linux)"
fi
