# relpkg — plain Makefile, explicit object list, pkg-config for libraries.
# Targets: all (default), check, asan, demo, bench, install, uninstall, clean.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=

CC      ?= cc
PKGS    := libarchive libsolv libsolvext zlib libcrypto libzstd liblzma
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread \
           $(shell pkg-config --cflags $(PKGS))
override LDLIBS += $(shell pkg-config --libs $(PKGS)) -pthread

B := build

OBJS := main.o cmd_build.o cmd_status.o exec.o buildopts.o ingest.o recognise.o \
        manifest.o version.o hooks.o hooks_gen.o sysfiles.o zsink.o \
        digest.o payload.o deb_write.o rpm_write.o rpm_header.o deps.o \
        atomic.o error.o buf.o elfarch.o
OBJ := $(addprefix $(B)/,$(OBJS))

HOOKS := $(sort $(wildcard hooks/*.sh hooks/deb/* hooks/rpm/*))

all: $(B)/relpkg $(B)/mapver $(B)/solvread

$(B)/relpkg: $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LDLIBS)

# A small test tool: the version mapping of src/version.c, nothing else.
$(B)/mapver: $(B)/mapver.o $(B)/version.o $(B)/error.o $(B)/buf.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

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
	RELPKG=$(CURDIR)/build/asan/relpkg MAPVER=$(CURDIR)/build/asan/mapver \
	    SOLVREAD=$(CURDIR)/build/asan/solvread sh tests/run

demo: all
	sh examples/make-sample.sh $(B)/sample
	$(B)/relpkg build $(B)/sample/hello-1.0.0.tar.gz --out dist \
	    --maintainer 'relpkg demo <demo@example.org>'
	@ls -l dist

# Build speed and memory against dpkg-deb + rpmbuild and gzip -6 (not part of check).
bench: all
	sh bench/run.sh

install: all
	install -D -m 0755 $(B)/relpkg $(DESTDIR)$(BINDIR)/relpkg
	install -D -m 0644 man/relpkg.1 $(DESTDIR)$(MANDIR)/man1/relpkg.1
	install -D -m 0644 man/relpkg-meta.5 $(DESTDIR)$(MANDIR)/man5/relpkg-meta.5

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/relpkg $(DESTDIR)$(MANDIR)/man1/relpkg.1 $(DESTDIR)$(MANDIR)/man5/relpkg-meta.5

clean:
	rm -rf build dist

.PHONY: all check asan demo bench install uninstall clean
