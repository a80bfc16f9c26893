# t_userattack.sh: the service user attacks root through the maintainer
# scripts (issue 11, "Done when" 1).  In one container booted with systemd,
# for .deb (dpkg) and .rpm (rpm -U): before every transition -- install,
# upgrade, downgrade with migrate-down, reinstall, remove, purge (deb) -- the
# service user, from inside the running unit's mount namespace (outside it
# while the service is down), plants a symlink or a hard link at every path
# under /var/lib/NAME, /var/log/NAME and /run/NAME the scripts touch or used
# to touch, pointing at a root-owned directory or file.  After each
# transition:
#   - nothing outside the app's own directories changed owner, mode, type or
#     content (/etc /opt /usr /var/lib/relpkg, compared before and after;
#     inside the app's own directories nothing may belong to the service
#     user, be writable by it, or a version's metadata change);
#   - the transition succeeded, or failed with a message naming a planted
#     path.
# One round per kind of plant; each transition of each round is reported
# on its own.
# shellcheck shell=sh disable=SC2016 # single-quoted scripts run inside
need_cmd systemd-nspawn nsenter debootstrap python3 dpkg-deb
need_relpkg
[ "$(id -u)" = 0 ] || skip_file "needs root (mounts, systemd-nspawn)"
. "$TOP/tests/container/lib.sh"
trap ct_cleanup_all EXIT
export SOURCE_DATE_EPOCH=1700000000

N=ua
P=18560
while ! ct_port_free "$P"; do P=$((P + 1)); done
for vs in 1.0:1 2.0:2; do
	v=${vs%%:*} s=${vs#*:}
	MKAPP_PORT=$P sh "$TOP/tests/lifecycle/mkapp.sh" "$T" "$N" "$v" "$s" >/dev/null
	check "build $N $v (schema $s, migrate-up and -down)" "$RELPKG" build "$T/$N-$v.tar.gz" \
		--out "$T/pkgs" --quiet --schema-version "$s" --migrate-up 'bin/migrate up' \
		--migrate-down 'bin/migrate down' --health-url "http://127.0.0.1:$P/health"
done
[ -f "$T/pkgs/${N}_1.0-1_all.deb" ] && [ -f "$T/pkgs/$N-2.0-1.noarch.rpm" ] ||
	skip_file "the packages did not build"

# The paths: those the scripts name below the three directories (from the
# rendered scripts), and those they used to touch or that a release uses.
dpkg-deb -e "$T/pkgs/${N}_1.0-1_all.deb" "$T/ctl"
from_scripts=$(cat "$T/ctl/preinst" "$T/ctl/postinst" "$T/ctl/prerm" "$T/ctl/postrm" |
	grep -o '\$RP_STATE/[A-Za-z0-9._-]*\|\$RP_LOGDIR/[A-Za-z0-9._-]*\|/run/\$RP_NAME/[A-Za-z0-9._-]*' |
	sed -e "s|^\$RP_STATE|/var/lib/$N|" -e "s|^\$RP_LOGDIR|/var/log/$N|" -e "s|^/run/\$RP_NAME|/run/$N|")
# shellcheck disable=SC2086 # one path per word
TOP_PATHS=$(printf '%s\n' $from_scripts /var/lib/$N/tmp /var/lib/$N/log /var/lib/$N/pipe \
	/var/lib/$N/.erlang.cookie /var/log/$N/tmp /var/log/$N/erlang.log.1 /run/$N/pipe /run/$N/tmp |
	LC_ALL=C sort -u)
NESTED_PATHS="/var/lib/$N/tmp/x /var/lib/$N/tmp/pipe /var/log/$N/tmp/x /run/$N/tmp/x"
note "planted at:" "$TOP_PATHS" "and, below real directories: $NESTED_PATHS"

CT=h3-userattack
ct_create "$CT" >/dev/null && ct_boot "$CT" >/dev/null || skip_file "container did not boot"
ct_copy_in "$CT" "$T/pkgs" /srv/pkgs

# plant ROUND FMT: as the service user, replace every path of the round by
# a link; prints one line per path, "planted P -> T" or "not planted P
# (why)".  ROUND: sym-dir (symlinks to root-owned directories), sym-file
# (symlinks to root-owned files), hard (hard links to them), nested (symlinks
# below a real directory).  Each round has two targets, alternating over the
# paths; /var/lib/NAME/tmp, which the scripts used to chown, gets the first
# in the deb rounds and the second in the rpm rounds (issue 11's attacks:
# /etc/systemd/system for dpkg, /opt/NAME/meta for rpm).
plant() {
	meta=$(ct_nsexec "$CT" sh -c 'ls /opt/$1/meta/*.meta 2>/dev/null | head -n 1' sh "$N")
	meta=${meta:-/opt/$N/meta/1.0.meta}
	paths=$TOP_PATHS k=s
	case $1 in
	sym-dir) a=/etc/systemd/system b=/opt/$N/meta ;;
	sym-file) a=/etc/shadow b=$meta ;;
	hard) a=/etc/shadow b=$meta k=h ;;
	nested) a=/etc/systemd/system b=/etc/shadow paths=$NESTED_PATHS ;;
	esac
	specs='' i=0
	for p in $paths; do
		if [ "$p" = "/var/lib/$N/tmp" ]; then
			if [ "$2" = deb ]; then t=$a; else t=$b; fi
		elif [ $((i % 2)) = 0 ]; then
			t=$a
		else
			t=$b
		fi
		specs="$specs $p=$k:$t"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086 # one word per spec
	ct_as_unit_user "$CT" "$N.service" "$N" sh -c '
		for s do
			p=${s%%=*} k=${s#*=}
			t=${k#?:}
			[ -L "${p%/*}" ] && rm -f "${p%/*}"
			mkdir -p "${p%/*}" 2>/dev/null
			rm -rf "$p" 2>/dev/null
			case $k in
			s:*) e=$(ln -s "$t" "$p" 2>&1) ;;
			h:*) e=$(ln "$t" "$p" 2>&1) ;;
			esac && echo "planted $p -> $t" || echo "not planted $p ($e)"
		done' sh $specs 2>/dev/null
}

snap() { ct_fs_snapshot "$CT" /etc /opt /usr /var/lib/relpkg; }

# judge BEFORE AFTER UID GID: the changes outside the app's own directories,
# and what inside them the service user owns or can write, one per line;
# empty if none.  The expected changes: the package's own files, the
# account files' contents (useradd, userdel), the unit's enable link.
judge() {
	awk -F '\t' -v n="$N" -v uid="$3" -v gid="$4" '
	function own(p) {
		# /opt: dpkg removes it with the last package in it when no
		# package owns it (debootstrap makes it, no package ships it)
		return p ~ ("^/opt/" n "(/|$)") || p ~ ("^/etc/" n "(/|$)") || p == "/opt" ||
			p ~ ("^/var/lib/relpkg/" n "(/|$)") || p == "/var/lib/relpkg" ||
			p ~ ("^/usr/share/(doc|licenses)/" n "(/|$)") ||
			p == "/usr/share/licenses" || # rpm makes it, unowned

			p == "/usr/share/lintian/overrides/" n ||
			p == "/usr/lib/systemd/system/" n ".service" ||
			p ~ ("^/etc/systemd/system/" n "\\.service\\.d(/|$)") ||
			p == "/etc/systemd/system/multi-user.target.wants/" n ".service"
	}
	function account(p) {
		return p ~ /^\/etc\/(passwd|group|shadow|gshadow|subuid|subgid)-?$/ || p == "/etc/.pwd.lock"
	}
	FNR == NR { b[$1] = $2 "\t" $3 "\t" $4 "\t" $5; next }
	{
		a = $2 "\t" $3 "\t" $4 "\t" $5
		seen[$1] = 1
		if (own($1)) {
			if ($4 == "l")
				next
			split($2, o, ":")
			om = substr($3, length($3), 1)
			gm = substr($3, length($3) - 1, 1)
			if (uid != "" && o[1] == uid)
				print "own directory: " $1 " belongs to the service user (" $2 " " $3 ")"
			else if (om ~ /[2367]/)
				print "own directory: anyone can write " $1 " (" $2 " " $3 ")"
			else if (gid != "" && o[2] == gid && gm ~ /[2367]/)
				print "own directory: the service group can write " $1 " (" $2 " " $3 ")"
			else if ($1 ~ /\.meta$/ && ($1 in b) && b[$1] != a)
				print "metadata changed: " $1 ": " b[$1] " -> " a
			next
		}
		if (!($1 in b)) {
			if (!account($1))
				print "new: " $1 " " a
			next
		}
		if (b[$1] == a)
			next
		split(b[$1], x, "\t")
		if (account($1) && x[1] == $2 && x[2] == $3 && x[3] == $4)
			next
		print "changed: " $1 ": " b[$1] " -> " a
	}
	END {
		for (p in b)
			if (!(p in seen) && !own(p) && !account(p))
				print "gone: " p
	}' "$1" "$2"
}

# restore BEFORE AFTER: put owner and mode of what changed back (so that
# one round's damage does not count in the next)
restore() {
	awk -F '\t' 'FNR == NR { o[$1] = $2; m[$1] = $3; y[$1] = $4; next }
		($1 in o) && (o[$1] != $2 || m[$1] != $3) && y[$1] == $4 {
			printf "chown -h %s %s\n", o[$1], $1
			if ($4 != "l") printf "chmod %s %s\n", m[$1], $1
		}' "$1" "$2" | ct_nsexec "$CT" sh
}

# trans FMT ROUND LABEL CMD: one transition, judged
trans() {
	fmt=$1 round=$2 label=$3 cmd=$4
	planted=$(plant "$round" "$fmt")
	snap >"$T/before"
	rc=0
	out=$(ct_sh "$CT" "$cmd" 2>&1) || rc=$?
	snap >"$T/after"
	uid=$(ct_nsexec "$CT" id -u "$N" 2>/dev/null) || uid=
	gid=$(ct_nsexec "$CT" id -g "$N" 2>/dev/null) || gid=
	bad=$(judge "$T/before" "$T/after" "$uid" "$gid")
	if [ -z "$bad" ]; then
		pass "$fmt: $round: $label: nothing outside the app's own directories changed"
	else
		fail "$fmt: $round: $label: nothing outside the app's own directories changed" \
			"$bad" "planted:" "$planted" "\$ $cmd (exit $rc)" "$out"
		restore "$T/before" "$T/after"
	fi
	if [ "$rc" = 0 ]; then
		pass "$fmt: $round: $label: succeeds"
	else
		named=
		for p in $(printf '%s\n' "$planted" | sed -n 's/^planted \([^ ]*\) .*/\1/p'); do
			case $out in *"$p"*) named=$p ;; esac
		done
		if [ -n "$named" ]; then
			pass "$fmt: $round: $label: fails, naming the planted $named"
		else
			fail "$fmt: $round: $label: succeeds, or fails naming the planted path" \
				"\$ $cmd (exit $rc)" "$out" "planted:" "$planted"
		fi
	fi
}

# Kernel protection first: can the user make a hard link to a root-owned file?
hard_ok=no
ct_nsexec "$CT" sh -c 'useradd --system h3probe && mkdir -p /var/lib/h3probe && chown h3probe /var/lib/h3probe' 2>/dev/null
if ct_nsexec "$CT" setpriv --reuid=h3probe --regid=h3probe --init-groups -- ln /etc/shadow /var/lib/h3probe/l 2>/dev/null; then
	hard_ok=yes
fi
ct_nsexec "$CT" sh -c 'rm -rf /var/lib/h3probe; userdel h3probe' 2>/dev/null

for fmt in deb rpm; do
	if [ "$fmt" = deb ]; then
		v1=/srv/pkgs/${N}_1.0-1_all.deb v2=/srv/pkgs/${N}_2.0-1_all.deb
		i1="dpkg -i $v1" i2="dpkg -i $v2" d1="dpkg -i $v1" r1="dpkg -i $v1"
		rm1="dpkg -r $N" pg="dpkg -P $N"
	else
		v1=/srv/pkgs/$N-1.0-1.noarch.rpm v2=/srv/pkgs/$N-2.0-1.noarch.rpm
		i1="rpm -i $v1" i2="rpm -U $v2" d1="rpm -U --oldpackage $v1" r1="rpm -U --replacepkgs $v1"
		rm1="rpm -e $N" pg=
	fi
	for round in sym-dir sym-file hard nested; do
		if [ "$round" = hard ] && [ "$hard_ok" = no ]; then
			pass "$fmt: hard: the kernel refuses the service user a hard link to a root-owned file (fs.protected_hardlinks=1): nothing to plant"
			continue
		fi
		trans "$fmt" "$round" "install 1.0" "$i1"
		trans "$fmt" "$round" "upgrade to 2.0" "$i2"
		trans "$fmt" "$round" "downgrade to 1.0 with 2.0's migrate-down" "$d1"
		trans "$fmt" "$round" "reinstall 1.0" "$r1"
		trans "$fmt" "$round" "remove" "$rm1"
		[ -z "$pg" ] || trans "$fmt" "$round" "purge" "$pg"
		# whatever the round left: gone for the next one -- but after an
		# rpm round the user, its directories and the plants stay, as
		# `rpm -e` leaves them: the next install meets them
		ct_sh "$CT" 'systemctl stop "$1" 2>/dev/null; systemctl reset-failed "$1" 2>/dev/null
			dpkg -P --force-all "$1" >/dev/null 2>&1; rpm -e --noscripts "$1" >/dev/null 2>&1
			rm -rf "/run/$1" "/etc/$1" "/opt/$1" "/var/lib/relpkg/$1"
			if [ "$2" = deb ]; then
				rm -rf "/var/lib/$1" "/var/log/$1"
				userdel "$1" 2>/dev/null; groupdel "$1" 2>/dev/null
			fi
			systemctl daemon-reload; :' "$N" "$fmt"
	done
done
ct_stop "$CT"
