#!/bin/sh
# make bench: the release store at scale (issue 17).  One tiny package is
# built once per format and varied into N versions (bench/mkstore.py), all
# added to one store (cached in build/bench/store-N).  Then:
#
#   rollback   `relpkg rollback --to V --store DIR --dry-run --deb`: median
#              time and peak RSS (targets: <= 0.5 s, <= 100 MB).  Deb only:
#              the host's rpmdb (Debian) provides nothing, so libsolv finds
#              no rpm installable here (tests/t_store.sh runs rpm in a
#              container)
#   repo add   one new version (a .deb and an .rpm) added to the N-version
#              store by `relpkg repo add`, against the standard tools
#              indexing the same store: apt-ftparchive packages (with its
#              cache db) + gzip + apt-ftparchive release, and
#              createrepo_c --update (which reuses its old primary.xml);
#              alternated, medians and the ratio.
#
#   sh bench/store.sh [ROUNDS] [N]      (defaults 3, 10000)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
relpkg=${RELPKG:-$top/build/relpkg}
rounds=${1:-3}
n=${2:-10000}
work=$top/build/bench/store
mkdir -p "$work"
export SOURCE_DATE_EPOCH=1700000000
if ! command -v apt-ftparchive >/dev/null || ! command -v createrepo_c >/dev/null; then
	echo "store bench: needs apt-ftparchive (apt-utils) and createrepo_c (createrepo-c)" >&2
	exit 1
fi

# --- the store (cached: deterministic) -----------------------------------------
base=9.99999            # 7 characters: versions 1.00001 .. 1.<N>
pk=$work/pkgs-$n
store=$work/store-$n
if [ ! -f "$store/.complete" ]; then
	rm -rf "$work/base" "$pk" "$store"
	mkdir -p "$work/base/r/bin" "$work/base/r/lib/bs-1/ebin"
	printf '#!/bin/sh\necho bs\n' >"$work/base/r/bin/bs"
	chmod 755 "$work/base/r/bin/bs"
	echo 'bs' >"$work/base/r/lib/bs-1/ebin/bs.app"
	tar -czf "$work/base/bs.tar.gz" -C "$work/base/r" .
	"$relpkg" build "$work/base/bs.tar.gz" --name bs --version $base --out "$work/base" -q \
		--maintainer 'bench <bench@example.org>'
	python3 "$top/bench/mkstore.py" "$work/base/bs_$base-1_all.deb" "$work/base/bs-$base-1.noarch.rpm" \
		$base both "$pk" $((n + 2 * rounds))
	# the store holds 1..N; N+1.. are added by the rounds below
	i=1
	while [ $i -le "$n" ]; do
		v=$(printf '1.%05d' $i)
		echo "$pk/bs_$v-1_all.deb"
		echo "$pk/bs-$v-1.noarch.rpm"
		i=$((i + 1))
	done >"$work/list"
	echo "store bench: adding $n versions x 2 formats to $store (once)"
	# relpkg fsyncs every pool file, entry and directory: 40,000 fsyncs
	# take an hour on a VM disk.  Making the store is not what is
	# measured: fsync is a no-op for this one command (LD_PRELOAD).
	printf 'int fsync(int fd) { (void)fd; return 0; }\nint fdatasync(int fd) { (void)fd; return 0; }\n' \
		>"$work/nofsync.c"
	${CC:-cc} -shared -fPIC -o "$work/nofsync.so" "$work/nofsync.c"
	# shellcheck disable=SC2046 # one argument per file, no blanks in names
	LD_PRELOAD=$work/nofsync.so "$relpkg" repo add "$store" $(cat "$work/list") -q
	touch "$store/.complete"
fi

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# --- rollback --dry-run -----------------------------------------------------------
mid=$(printf '1.%05d' $((n / 2)))
rm -f "$work"/rb.*
r=0
while [ $r -lt "$rounds" ]; do
	/usr/bin/time -f '%e %M %U %S' -a -o "$work/rb.deb" "$relpkg" rollback bs --to "$mid-1" --store "$store" \
		--dry-run --no-pin --deb >/dev/null
	r=$((r + 1))
done
"$relpkg" rollback bs --to "$mid-1" --store "$store" --dry-run --no-pin --deb | sed 's/^/  /'
t=$(cut -d' ' -f1 "$work/rb.deb" | median)
m=$(cut -d' ' -f2 "$work/rb.deb" | median)
c=$(awk '{ print $3 + $4 }' "$work/rb.deb" | median)
echo "$t $m $c" | awk -v n="$n" '{ printf "store  rollback --dry-run deb --to 1.%05d, nothing installed, %d versions: %.3f s (%.3f CPU-s), %.1f MB peak RSS\n", n / 2, n, $1, $3, $2 / 1024 }'

# --- rollback from an installed version ---------------------------------------------
# The case that was quadratic: with a version installed, libsolv's solver
# made rules between every pair of versions of the package.  The host must
# not get a package installed for a bench, so this runs in a private mount
# namespace on an overlay of the test root (RELPKG_ROOTFS_DIR, made by the
# container tests) whose dpkg status says bs 1.<N> is installed: no
# journal there, so the plan is the highest lower version, 1.<N-1>.
rootfs=${RELPKG_ROOTFS_DIR:-$top/build/rootfs}/base
if [ "$(id -u)" = 0 ] && [ -f "$rootfs/var/lib/dpkg/status" ] && command -v unshare >/dev/null; then
	ov=$work/overlay
	rm -rf "$ov"
	mkdir -p "$ov/upper" "$ov/work" "$ov/mnt"
	top_v=$(printf '1.%05d' "$n")
	# shellcheck disable=SC2016 # the script is the inner shell's, with its own arguments
	unshare -m sh -eu -c '
		ov=$1 rootfs=$2 store=$3 relpkg=$4 top_v=$5 rounds=$6 out=$7
		mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$ov/upper,workdir=$ov/work" "$ov/mnt"
		printf "\nPackage: bs\nStatus: install ok installed\nPriority: optional\nMaintainer: bench <bench@example.org>\nArchitecture: all\nVersion: %s-1\nDescription: bench\n" \
			"$top_v" >>"$ov/mnt/var/lib/dpkg/status"
		mkdir -p "$ov/mnt/store"
		mount --bind "$store" "$ov/mnt/store"
		cp "$relpkg" "$ov/mnt/usr/local/bin/relpkg"
		r=0
		while [ $r -lt "$rounds" ]; do
			/usr/bin/time -f "%e %M %U %S" -a -o "$out" chroot "$ov/mnt" relpkg rollback bs --store /store --dry-run --no-pin --deb >/dev/null
			r=$((r + 1))
		done
		chroot "$ov/mnt" relpkg rollback bs --store /store --dry-run --no-pin --deb | sed "s/^/  /"
	' sh "$ov" "$rootfs" "$store" "$relpkg" "$top_v" "$rounds" "$work/rb.inst"
	t=$(cut -d' ' -f1 "$work/rb.inst" | median)
	m=$(cut -d' ' -f2 "$work/rb.inst" | median)
	c=$(awk '{ print $3 + $4 }' "$work/rb.inst" | median)
	echo "$t $m $c" | awk -v n="$n" '{ printf "store  rollback --dry-run deb from the installed 1.%05d, %d versions: %.3f s (%.3f CPU-s), %.1f MB peak RSS (targets <= 0.5 s, <= 100 MB)\n", n, n, $1, $3, $2 / 1024 }'
	rm -rf "$ov" "$work/rb.inst"
else
	echo "store  rollback from an installed version: skipped (needs root, unshare and the test root $rootfs)"
fi

# --- repo add of one version ---------------------------------------------------------
# The standard tools index a copy of the store (its pool hard-linked: the
# same files), first once in full so that their caches are warm, as on a
# real server: apt-ftparchive's cache db, createrepo_c's old repodata.
# Each bench run starts from the pristine store and copy (relpkg replaces
# files by rename, never in place, so hard links are safe for it).
std=$work/std-$n
if [ ! -f "$std/.complete" ]; then
	rm -rf "$std"
	mkdir -p "$std"
	cp -al "$store/pool" "$std/pool"
	(cd "$std" && apt-ftparchive --db cache.db packages pool >Packages 2>/dev/null && gzip -9nkf Packages &&
		createrepo_c -q --workers 1 . >/dev/null)
	touch "$std/.complete"
fi
rm -rf "$work/run-relpkg" "$work/run-std"
mkdir -p "$work/run-relpkg" "$work/run-std"
(cd "$store" && cp -al pool .relpkg Packages Packages.gz Release repodata "$work/run-relpkg/")
cp -al "$std/pool" "$work/run-std/"
(cd "$std" && cp -a cache.db Packages Packages.gz repodata "$work/run-std/")
cat >"$work/std_add.sh" <<'EOF'
# std_add DIR DEB RPM: what a store kept with the standard tools does
cp "$2" "$3" "$1/pool/"
cd "$1"
apt-ftparchive --db cache.db packages pool >Packages 2>/dev/null
gzip -9nc Packages >Packages.gz
apt-ftparchive release . >Release
createrepo_c -q --update --workers 1 . >/dev/null
EOF
rm -f "$work"/add.*
# a store made by an older relpkg has no .relpkg/indexes: its first add
# writes every index (and the record); that one is not what is measured
# (one version added untimed first, to both, so each round is an append)
w=$(printf '1.%05d' $((n + 2 * rounds)))
"$relpkg" repo add "$work/run-relpkg" "$pk/bs_$w-1_all.deb" "$pk/bs-$w-1.noarch.rpm" -q
sh "$work/std_add.sh" "$work/run-std" "$pk/bs_$w-1_all.deb" "$pk/bs-$w-1.noarch.rpm"
i=$((n + 1))
r=0
while [ $r -lt "$rounds" ]; do
	v=$(printf '1.%05d' $i)
	/usr/bin/time -f '%e %M %U %S' -a -o "$work/add.relpkg" "$relpkg" repo add "$work/run-relpkg" \
		"$pk/bs_$v-1_all.deb" "$pk/bs-$v-1.noarch.rpm" -q
	/usr/bin/time -f '%e %M %U %S' -a -o "$work/add.std" sh "$work/std_add.sh" "$work/run-std" \
		"$pk/bs_$v-1_all.deb" "$pk/bs-$v-1.noarch.rpm"
	i=$((i + 1))
	r=$((r + 1))
done
tr=$(cut -d' ' -f1 "$work/add.relpkg" | median)
mr=$(cut -d' ' -f2 "$work/add.relpkg" | median)
ts=$(cut -d' ' -f1 "$work/add.std" | median)
cr=$(awk '{ print $3 + $4 }' "$work/add.relpkg" | median)
cs=$(awk '{ print $3 + $4 }' "$work/add.std" | median)
echo "$tr $mr $ts $cr $cs" | awk -v n="$n" '{
	printf "store  repo add of 1 version (deb + rpm) into %d x 2: relpkg %.3f s (%.3f CPU-s), %.1f MB; apt-ftparchive + createrepo_c --update %.3f s (%.3f CPU-s); relpkg / standard = %.3fx (CPU %.3fx)\n",
		n, $1, $4, $2 / 1024, $3, $5, ($3 > 0 ? $1 / $3 : 0), ($5 > 0 ? $4 / $5 : 0) }'
rm -rf "$work/run-relpkg" "$work/run-std"
