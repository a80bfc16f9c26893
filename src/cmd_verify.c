/* cmd_verify.c — `relpkg verify PKG...`: checks a .deb's or .rpm's
 * structure and every digest it carries (see deb_pkg.c and rpm_pkg.c for
 * the list), prints "PKG: OK" per package, and stops at the first problem
 * with "relpkg: PKG: <problem>" (exit status 1). */
#include "atomic.h"
#include "error.h"
#include "pkginfo.h"
#include "rpm_header.h"
#include "sign.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --keyring: an .rpm's header signature (RSA/DSA tag) over the main
 * header and, when present, its header+payload signature (PGP/GPG tag). */
static int verify_rpm_sig(int fd, const char *keyring)
{
	struct rpmhdr sig, hdr;
	if (rpmhdr_read_pkg(fd, &sig, &hdr) < 0)
		return -1;
	int rc = -1;
	struct stat st;
	off_t poff = lseek(fd, 0, SEEK_CUR);
	if (poff < 0 || fstat(fd, &st) < 0) {
		rp_errno("seek");
		goto out;
	}
	uint32_t hl = 0, pl = 0;
	const unsigned char *hs = rpmhdr_bin(&sig, RPMSIGTAG_RSA, &hl);
	if (!hs)
		hs = rpmhdr_bin(&sig, RPMSIGTAG_DSA, &hl);
	const unsigned char *ps = rpmhdr_bin(&sig, RPMSIGTAG_PGP, &pl);
	if (!ps)
		ps = rpmhdr_bin(&sig, RPMSIGTAG_GPG, &pl);
	if (!hs && !ps) {
		rp_err("not signed (no OpenPGP signature in the signature header; build with --sign-key)");
		goto out;
	}
	struct sign_part parts[2] = { { .p = hdr.blob, .len = hdr.len },
				      { .fd = fd, .off = poff, .len = (size_t)(st.st_size - poff) } };
	if (hs && sign_verify(keyring, hs, hl, parts, 1) < 0) {
		rp_err_context("header signature");
		goto out;
	}
	if (ps && sign_verify(keyring, ps, pl, parts, 2) < 0) {
		rp_err_context("header+payload signature");
		goto out;
	}
	rc = 0;
out:
	rpmhdr_free(&sig);
	rpmhdr_free(&hdr);
	return rc;
}

/* --keyring: a .deb's debsigs origin signature (_gpgorigin) over
 * debian-binary, control.tar.* and data.tar.* concatenated. */
static int verify_deb_sig(int fd, const char *keyring)
{
	struct archive *a = archive_read_new();
	struct buf sig = BUF_INIT;
	int rc = -1, scratch = scratch_open(getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	size_t total = 0;
	archive_read_support_format_ar(a);
	archive_read_support_filter_none(a);
	if (scratch < 0)
		goto out;
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		rp_err("%s", archive_error_string(a));
		goto out;
	}
	struct archive_entry *ae;
	int r, seen = 0;
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *nm = archive_entry_pathname(ae);
		int origin = nm && !strcmp(nm, "_gpgorigin");
		if (!nm || (nm[0] == '_' && !origin))
			continue;
		if (origin)
			seen = 1;
		const void *p;
		size_t n;
		la_int64_t off;
		while ((r = archive_read_data_block(a, &p, &n, &off)) == ARCHIVE_OK) {
			if (origin) {
				if (sig.len + n > (1u << 20)) {
					rp_err("_gpgorigin: larger than 1 MiB");
					goto out;
				}
				buf_add(&sig, p, n);
			} else if (write_all(scratch, p, n, "scratch") < 0) {
				goto out;
			} else {
				total += n;
			}
		}
		if (r != ARCHIVE_EOF) {
			rp_err("ar: %s", archive_error_string(a));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		rp_err("ar: %s", archive_error_string(a));
		goto out;
	}
	if (!seen) {
		rp_err("not signed (no _gpgorigin member; build with --sign-key)");
		goto out;
	}
	struct sign_part part = { .fd = scratch, .off = 0, .len = total };
	if (sign_verify(keyring, (const unsigned char *)sig.p, sig.len, &part, 1) < 0) {
		rp_err_context("_gpgorigin");
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	if (scratch >= 0)
		close(scratch);
	buf_free(&sig);
	return rc;
}

static int verify_sig(const char *path, const char *keyring)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rp_errno("%s", path);
	unsigned char m[8] = { 0 };
	int rc;
	if (pread(fd, m, sizeof m, 0) == 8 && !memcmp(m, "!<arch>\n", 8))
		rc = verify_deb_sig(fd, keyring);
	else
		rc = verify_rpm_sig(fd, keyring);
	close(fd);
	return rc;
}

static const char help[] =
	"usage: relpkg verify [--keyring FILE] PKG...\n\n"
	"Checks each .deb or .rpm: its structure, and every digest and size it\n"
	"carries (deb: md5sums against data.tar; rpm: header and payload digests,\n"
	"SIZE, per-file digests).  Prints \"PKG: OK\", or stops at the first problem.\n"
	"  --keyring FILE  also check the OpenPGP signatures (rpm: header and\n"
	"                  header+payload; deb: _gpgorigin) against the public keys\n"
	"                  in FILE (gpg --export [--armor]); an unsigned package fails\n";

int cmd_verify(int argc, char **argv)
{
	int n = 0, opts = 1;
	const char *keyring = NULL;
	for (int i = 0; i < argc; i++) {
		if (opts && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
			fputs(help, stdout);
			return 0;
		}
		if (opts && !strcmp(argv[i], "--keyring")) {
			if (i + 1 >= argc)
				return rp_usage("verify: --keyring needs a file");
			keyring = argv[i + 1];
			argv[i] = argv[i + 1] = NULL;
			i++;
			continue;
		}
		if (opts && !strncmp(argv[i], "--keyring=", 10)) {
			keyring = argv[i] + 10;
			argv[i] = NULL;
			if (!*keyring)
				return rp_usage("verify: --keyring needs a file");
			continue;
		}
		if (opts && !strcmp(argv[i], "--"))
			opts = 0;
		else if (opts && argv[i][0] == '-' && argv[i][1])
			return rp_usage("verify: unknown option '%s' (see relpkg verify --help)", argv[i]);
		else
			n++;
	}
	if (!n)
		return rp_usage("verify: which package? (relpkg verify PKG...)");
	opts = 1;
	for (int i = 0; i < argc; i++) {
		if (!argv[i])
			continue;
		if (opts && !strcmp(argv[i], "--")) {
			opts = 0;
			continue;
		}
		if (opts && argv[i][0] == '-' && argv[i][1])
			continue;
		struct pkginfo pi;
		int rc = pkginfo_read(argv[i], &pi, PKG_VERIFY);
		pkginfo_release(&pi);
		if (rc == 0 && keyring)
			rc = verify_sig(argv[i], keyring);
		if (rc < 0)
			return rp_err_context("%s", argv[i]);
		printf("%s: OK\n", argv[i]);
		fflush(stdout);
	}
	return 0;
}
