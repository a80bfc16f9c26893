# relpkg — plain Makefile, explicit object list, pkg-config for libraries.
# Targets: all (default), check, asan, faults, flake, fuzz, fuzz-build, demo, ansible-example,
# bench, install, uninstall, dist, clean.  `make asan TESTS="t_deb t_rpm"` runs
# only the named test files under the sanitizers (default: all of them).

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=

CC      ?= cc
PKGS    := libarchive libsolv libsolvext rpm zlib libdeflate libcrypto libzstd liblzma
# gzip input is inflated by ISA-L where pkg-config finds it (Debian:
# libisal-dev, amd64 and arm64), else by zlib (src/gunzip.h); ISAL=no
# builds the zlib one.
ISAL    ?= $(shell pkg-config --exists libisal && echo yes)
ifeq ($(ISAL),yes)
PKGS    += libisal
ISAL_DEF := -DRELPKG_ISAL
endif
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread $(ISAL_DEF) \
           $(shell pkg-config --cflags $(PKGS))
override LDLIBS += $(shell pkg-config --libs $(PKGS)) -pthread

B := build

OBJS := main.o cmd_build.o cmd_status.o cmd_rollback.o cmd_pin.o cmd_history.o rollback.o pin.o journal.o exec.o buildopts.o settings.o ingest.o recognise.o \
        manifest.o version.o hooks.o hooks_gen.o sysfiles.o zsink.o \
        digest.o payload.o deb_write.o rpm_write.o rpm_header.o deps.o sign.o \
        atomic.o error.o buf.o clock.o text.o gunzip.o elfarch.o progress.o \
        cmd_repo.o repo.o repo_apt.o repo_rpm.o \
        cmd_vercmp.o solve.o cmd_inspect.o cmd_verify.o pkginfo.o deb_pkg.o rpm_pkg.o \
        relup.o \
        autodeps.o
OBJS += changelog.o conffiles.o # issue 15: --changelog, --config-file
OBJ := $(addprefix $(B)/,$(OBJS))

HOOKS := $(sort $(wildcard hooks/*.sh hooks/deb/* hooks/rpm/*))

all: $(B)/relpkg $(B)/mapver $(B)/solvread $(B)/rollbackt $(B)/candorder $(B)/gunzipt $(B)/gunzipt-zlib

$(B)/relpkg: $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LDLIBS)

# A small test tool: the version mapping of src/version.c, nothing else.
$(B)/mapver: $(B)/mapver.o $(B)/version.o $(B)/error.o $(B)/buf.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Runs the rollback policy on text cases (tests/rollback/).
$(B)/rollbackt: $(B)/rollbackt.o $(B)/rollback.o $(B)/solve.o $(B)/error.o $(B)/buf.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/rollbackt.o: tests/rollbackt.c src/*.h | $(B)
	$(CC) $(CFLAGS) -Isrc -c -o $@ $<

# Prints a store's rollback candidates in solve.c's order (tests/t_verorder.sh).
$(B)/candorder: $(B)/candorder.o $(B)/solve.o $(B)/error.o $(B)/buf.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/candorder.o: tests/candorder.c src/*.h | $(B)
	$(CC) $(CFLAGS) -Isrc -c -o $@ $<

# gzip stdin to stdout through src/gunzip.c: the build's inflater and, for
# tests/t_gunzip.sh to hold both to the same answers, the zlib one.
$(B)/gunzipt: tests/gunzipt.c $(B)/gunzip.o src/gunzip.h | $(B)
	$(CC) $(CFLAGS) $(LDFLAGS) -Isrc -o $@ tests/gunzipt.c $(B)/gunzip.o $(LDLIBS)

$(B)/gunzipt-zlib: tests/gunzipt.c src/gunzip.c src/gunzip.h | $(B)
	$(CC) $(CFLAGS) -URELPKG_ISAL $(LDFLAGS) -Isrc -o $@ tests/gunzipt.c src/gunzip.c $(LDLIBS)

# Reads a package back with libsolv (tests).
$(B)/solvread: tests/solvread.c | $(B)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

$(B)/mapver.o: tests/mapver.c src/*.h | $(B)
	$(CC) $(CFLAGS) -Isrc -c -o $@ $<

$(B)/%.o: src/%.c src/*.h | $(B)
	$(CC) $(CFLAGS) -Isrc -c -o $@ $<

$(B)/hooks_gen.o: $(B)/hooks_gen.c src/*.h
	$(CC) $(CFLAGS) -Isrc -c -o $@ $<

# The hook templates are real sh files; they are embedded as a C table.
$(B)/hooks_gen.c: $(HOOKS) tools/embed-hooks.sh | $(B)
	sh tools/embed-hooks.sh $(HOOKS) > $@.tmp && mv $@.tmp $@

$(B):
	mkdir -p $(B)

check: all
	sh tests/run

asan:
	$(MAKE) B=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" all
	# a sanitizer report must not look like relpkg's own exit status 1
	ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=exitcode=99:halt_on_error=1:print_stacktrace=1 \
	RELPKG=$(CURDIR)/build/asan/relpkg MAPVER=$(CURDIR)/build/asan/mapver \
	    SOLVREAD=$(CURDIR)/build/asan/solvread ROLLBACKT=$(CURDIR)/build/asan/rollbackt \
	    CANDORDER=$(CURDIR)/build/asan/candorder GUNZIPT=$(CURDIR)/build/asan/gunzipt \
	    GUNZIPT_ZLIB=$(CURDIR)/build/asan/gunzipt-zlib sh tests/run $(TESTS)

# libFuzzer harnesses (tests/fuzz/fuzz_*.c), built with clang, ASan and
# UBSan into build/fuzz.  `make fuzz` runs each for FUZZ_SECONDS on a
# working copy of its seed corpus (tests/fuzz/NAME/) and prints execs,
# coverage and crashes; `make check` runs them over the seeds only
# (tests/t_fuzz.sh).  Needs clang and libFuzzer (Debian: clang,
# libclang-rt-14-dev).
FUZZ_CC      ?= clang
FUZZ_B       := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_NAMES   := ingest deb rpm version conf store relup elf
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LIBOBJ  = $(filter-out $(B)/main.o,$(OBJ))

fuzz-build:
	$(MAKE) B=$(FUZZ_B) CC=$(FUZZ_CC) CFLAGS="$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link" \
	    LDFLAGS="-fsanitize=address,undefined" $(addprefix $(FUZZ_B)/fuzz_,$(FUZZ_NAMES))

$(B)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIBOBJ)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -Isrc $(LDFLAGS) -o $@ $< $(FUZZ_LIBOBJ) $(LDLIBS)

fuzz: fuzz-build $(B)/relpkg
	RELPKG=$(CURDIR)/$(B)/relpkg sh tests/fuzz/run.sh $(FUZZ_B) $(FUZZ_SECONDS) $(FUZZ_NAMES)

demo: all
	sh examples/make-sample.sh $(B)/sample
	$(B)/relpkg build $(B)/sample/hello-1.0.0.tar.gz --out dist \
	    --maintainer 'relpkg demo <demo@example.org>'
	@ls -l dist

# The Ansible fleet example end to end: containers, deploy.yml, rollback.yml
# (examples/ansible/README.md; also run by make check as tests/t_ansible.sh).
ansible-example: all
	sh examples/ansible/run.sh

# Build speed and memory against dpkg-deb + rpmbuild and gzip -6 (not part of check).
bench: all
	sh bench/run.sh
	sh bench/memory.sh
	sh bench/downtime.sh
	sh bench/bluegreen.sh
	sh bench/hot.sh
	sh bench/store.sh

# The fault matrix (tests/t_faults.sh), every cell, three times over
# (FAULTS_REPEAT); make check runs it once, in the runner's second lane.
faults: all
	FAULTS_REPEAT=$${FAULTS_REPEAT:-3} sh tests/run t_faults

# Flake hunt: run test files FLAKE_RUNS times in a row (default: t_lifecycle,
# 10 times); stops at the first run with a failure and says which run it was.
FLAKE_TESTS ?= t_lifecycle
FLAKE_RUNS  ?= 10
flake: all
	sh tests/flake.sh $(FLAKE_RUNS) $(FLAKE_TESTS)

# Everything in man/ (section from the suffix) and the bash completion.
# uninstall removes exactly these files (directories are left alone).
COMPDIR ?= $(PREFIX)/share/bash-completion/completions
DATADIR ?= $(PREFIX)/share/relpkg
MAN1    := $(sort $(wildcard man/*.1))
MAN5    := $(sort $(wildcard man/*.5))
INSTALLED := $(BINDIR)/relpkg $(COMPDIR)/relpkg $(DATADIR)/relpkg.rpmlintrc \
             $(patsubst man/%,$(MANDIR)/man1/%,$(MAN1)) \
             $(patsubst man/%,$(MANDIR)/man5/%,$(MAN5))

install: $(B)/relpkg
	install -D -m 0755 $(B)/relpkg $(DESTDIR)$(BINDIR)/relpkg
	install -D -m 0644 completion/relpkg.bash $(DESTDIR)$(COMPDIR)/relpkg
	install -D -m 0644 tests/data/relpkg.rpmlintrc $(DESTDIR)$(DATADIR)/relpkg.rpmlintrc
	for m in $(MAN1); do \
	    install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man1/$${m#man/} || exit 1; done
	for m in $(MAN5); do \
	    install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man5/$${m#man/} || exit 1; done

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# The source tarball (rpm/relpkg.spec's Source0): in a git work tree, the
# files git knows (tracked and not deleted, or new and not ignored); in a
# plain tree, every file minus build/, dist/ and .git. Reproducible: sorted,
# owner 0, every mtime SOURCE_DATE_EPOCH (default: the last commit, else 0).
VERSION := $(shell sed -n 's/^\#define RELPKG_VERSION "\(.*\)"/\1/p' src/main.c)
DISTDIR ?= dist
DISTNAME := relpkg-$(VERSION)

dist:
	@mkdir -p $(DISTDIR)
	@set -e; l=$$(mktemp); epoch=0; \
	if [ -e .git ] && git rev-parse --git-dir >/dev/null 2>&1; then \
	    git ls-files --cached --others --exclude-standard | LC_ALL=C sort -u >$$l.all; \
	    git ls-files --deleted | LC_ALL=C sort -u >$$l.del; \
	    LC_ALL=C comm -23 $$l.all $$l.del >$$l; \
	    epoch=$$(git log -1 --format=%ct 2>/dev/null || echo 0); \
	else \
	    find . \( -path ./build -o -path ./dist -o -path ./.git \) -prune -o \
	        ! -type d -printf '%P\n' | LC_ALL=C sort >$$l; \
	fi; \
	rm -f $(DISTDIR)/$(DISTNAME).tar $(DISTDIR)/$(DISTNAME).tar.gz; \
	tar --sort=name --owner=0 --group=0 --numeric-owner --mode=u+w,go-w,a+rX \
	    --mtime=@$${SOURCE_DATE_EPOCH:-$${epoch:-0}} --transform 's,^,$(DISTNAME)/,S' \
	    --no-recursion --verbatim-files-from -T $$l -cf $(DISTDIR)/$(DISTNAME).tar; \
	rm -f $$l $$l.all $$l.del; \
	gzip -n -9 $(DISTDIR)/$(DISTNAME).tar
	@echo $(DISTDIR)/$(DISTNAME).tar.gz

clean:
	rm -rf build dist

.PHONY: all check asan fuzz fuzz-build demo ansible-example bench faults flake install uninstall dist clean
