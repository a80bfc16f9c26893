# t_repro.sh: the same tarball and the same SOURCE_DATE_EPOCH give
# byte-identical .deb and .rpm (design 6), for every compression; a
# different SOURCE_DATE_EPOCH gives different bytes (the test can fail).
need_relpkg
for kind in sample rebar3 mix; do
	case $kind in
	sample) tb=$(fixture sample) ;;
	rebar3) tb=$(fixture rebar3 ex1_relup 0.1.0) ;;
	mix) tb=$(fixture mix mix_app 0.1.0) ;;
	esac || { fail "$kind: fixture builds"; continue; }
	for comp in gzip xz zstd none; do
		for run in a b; do
			SOURCE_DATE_EPOCH=1700000000 "$RELPKG" build "$tb" --out "$T/$kind-$comp-$run" \
				--compression "$comp" --quiet || fail "$kind $comp: build $run"
			# a different output directory and a later wall clock must not matter
			[ "$comp" != gzip ] || sleep 1
		done
		for f in "$T/$kind-$comp-a"/*; do
			b="$T/$kind-$comp-b/${f##*/}"
			if cmp -s "$f" "$b"; then
				pass "$kind $comp: ${f##*/} is byte-identical"
			else
				fail "$kind $comp: ${f##*/} is byte-identical" "$(cmp "$f" "$b" 2>&1)"
			fi
		done
	done
	SOURCE_DATE_EPOCH=1700000999 "$RELPKG" build "$tb" --out "$T/$kind-other" --quiet
	for f in "$T/$kind-gzip-a"/*; do
		if cmp -s "$f" "$T/$kind-other/${f##*/}"; then
			fail "$kind: another SOURCE_DATE_EPOCH changes ${f##*/}"
		else
			pass "$kind: another SOURCE_DATE_EPOCH changes ${f##*/}"
		fi
	done
done
