/* sign.c — see sign.h. */
#include "sign.h"
#include "repo.h"
#include "atomic.h"
#include "error.h"
#include "exec.h"
#include "rpm_header.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sign_keyid_ok(const char *key)
{
	if (!key || !*key || *key == '-')
		return 0;
	for (const char *p = key; *p; p++)
		if (*p == '\n' || *p == '\r')
			return 0;
	return 1;
}

/* A private scratch directory (mode 0700) under $TMPDIR or /tmp. */
static int scratch_dir(struct buf *dir)
{
	const char *tmp = getenv("TMPDIR");
	buf_reset(dir);
	buf_addf(dir, "%s/relpkg-gpg-XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	if (!mkdtemp(dir->p))
		return rp_errno("%s: cannot create a temporary directory", dir->p);
	return 0;
}

static void scratch_rm(struct buf *dir, const char *const *names)
{
	struct buf p = BUF_INIT;
	for (; *names; names++) {
		buf_reset(&p);
		buf_addf(&p, "%s/%s", dir->p, *names);
		unlink(p.p);
	}
	rmdir(dir->p);
	buf_free(&p);
}

/* The parts, concatenated into the file path. */
static int write_parts(const char *path, const struct sign_part *parts, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return rp_errno("%s", path);
	int rc = 0;
	static char chunk[1 << 16];
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (parts[i].p) {
			rc = write_all(fd, parts[i].p, parts[i].len, path);
			continue;
		}
		off_t off = parts[i].off;
		size_t left = parts[i].len;
		while (left && rc == 0) {
			ssize_t r = pread(parts[i].fd, chunk, left < sizeof chunk ? left : sizeof chunk, off);
			if (r <= 0) {
				rc = r < 0 ? rp_errno("reading the data to sign") : rp_err("reading the data to sign: short file");
				break;
			}
			rc = write_all(fd, chunk, (size_t)r, path);
			off += r;
			left -= (size_t)r;
		}
	}
	if (close(fd) < 0 && rc == 0)
		rc = rp_errno("%s: close", path);
	return rc;
}

static int gpg_status(int st, const char *key, const char *what)
{
	if (st < 0)
		return -1;
	if (st == 127)
		return rp_err("--sign-key needs gpg, which could not be run (install gnupg)");
	if (st != 0)
		return rp_err("gpg could not %s with key '%s' (exit status %d): is it in the keyring "
			      "(gpg --list-secret-keys %s) and its agent unlocked?", what, key, st, key);
	return 0;
}

static int detached(const char *key, const struct sign_part *parts, size_t n, struct buf *sig, int armor)
{
	if (!sign_keyid_ok(key))
		return rp_usage("--sign-key: bad key id '%s'", key ? key : "");
	struct buf dir = BUF_INIT, data = BUF_INIT;
	if (scratch_dir(&dir) < 0) {
		buf_free(&dir);
		return -1;
	}
	buf_addf(&data, "%s/data", dir.p);
	int rc = write_parts(data.p, parts, n);
	if (rc == 0) {
		const char *argv[] = { "gpg", "--batch", "--yes", "--no-tty", "--local-user", key,
				       "--digest-algo", "SHA256", armor ? "--armor" : "--no-armor",
				       "--detach-sign", "--output", "-", data.p, NULL };
		size_t before = sig->len;
		rc = gpg_status(exec_capture(argv, sig, 0), key, "sign");
		if (rc == 0 && sig->len == before)
			rc = rp_err("gpg wrote no signature for key '%s'", key);
	}
	scratch_rm(&dir, (const char *[]){ "data", NULL });
	buf_free(&dir);
	buf_free(&data);
	return rc;
}

int sign_detached(const char *key, const struct sign_part *parts, size_t n, struct buf *sig)
{
	return detached(key, parts, n, sig, 0);
}

int sign_detached_armor(const char *key, const struct sign_part *parts, size_t n, struct buf *sig)
{
	return detached(key, parts, n, sig, 1);
}

int sign_pubkey_algo(const unsigned char *s, size_t len)
{
	/* packet header (old or new format), then a v3 or v4 signature body */
	if (len < 2 || !(s[0] & 0x80))
		return -1;
	size_t hl;
	unsigned tag;
	if (s[0] & 0x40) {      /* new format */
		tag = s[0] & 0x3f;
		hl = s[1] < 192 ? 2 : s[1] < 224 ? 3 : s[1] == 255 ? 6 : 0;
	} else {
		tag = (s[0] >> 2) & 0x0f;
		static const size_t lens[4] = { 2, 3, 5, 0 };
		hl = lens[s[0] & 3];
	}
	if (tag != 2 || !hl || len < hl + 8)
		return -1;
	const unsigned char *b = s + hl;
	if (b[0] == 4 || b[0] == 5)
		return b[2];
	if (b[0] == 3)
		return b[15 < len - hl ? 15 : 0];
	return -1;
}

int sign_verify(const char *keyring, const unsigned char *sig, size_t siglen,
		const struct sign_part *parts, size_t n)
{
	struct buf dir = BUF_INIT, data = BUF_INIT, sigp = BUF_INIT, kr = BUF_INIT, out = BUF_INIT,
		   head = BUF_INIT;
	int rc = -1;
	if (access(keyring, R_OK) < 0) {
		rp_errno("--keyring %s", keyring);
		goto done;
	}
	if (scratch_dir(&dir) < 0)
		goto out;
	buf_addf(&data, "%s/data", dir.p);
	buf_addf(&sigp, "%s/sig", dir.p);
	buf_addf(&kr, "%s/keyring.gpg", dir.p);
	struct sign_part sp = { .p = sig, .len = siglen };
	if (write_parts(data.p, parts, n) < 0 || write_parts(sigp.p, &sp, 1) < 0)
		goto out;
	/* gpgv reads binary keyrings only: an armored one is converted */
	if (repo_read_file(keyring, &head, 64 << 20) < 0)
		goto out;
	if (head.len >= 10 && strstr(buf_str(&head), "-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
		const char *argv[] = { "gpg", "--batch", "--no-tty", "--yes", "--dearmor", "--output", kr.p,
				       keyring, NULL };
		int st = exec_capture(argv, NULL, 1);
		if (st != 0) {
			rp_err("--keyring %s: gpg --dearmor could not read it (status %d)", keyring, st);
			goto out;
		}
	} else {
		struct sign_part kp = { .p = head.p, .len = head.len };
		if (write_parts(kr.p, &kp, 1) < 0)
			goto out;
	}
	const char *argv[] = { "gpgv", "--keyring", kr.p, sigp.p, data.p, NULL };
	int st = exec_capture(argv, &out, 1);
	if (st == 127)
		rp_err("checking signatures needs gpgv, which could not be run (install gpgv)");
	else if (st < 0)
		;
	else if (st != 0)
		rp_err("signature not valid for any key in %s (gpgv exit status %d)", keyring, st);
	else
		rc = 0;
out:
	if (dir.len)
		scratch_rm(&dir, (const char *[]){ "data", "sig", "keyring.gpg", "keyring.gpg~", NULL });
done:
	buf_free(&dir);
	buf_free(&data);
	buf_free(&sigp);
	buf_free(&kr);
	buf_free(&out);
	buf_free(&head);
	return rc;
}

int sign_export_key(const char *key, struct buf *out)
{
	if (!sign_keyid_ok(key))
		return rp_usage("--sign-key: bad key id '%s'", key ? key : "");
	const char *argv[] = { "gpg", "--batch", "--no-tty", "--armor", "--export-options", "export-minimal",
			       "--export", key, NULL };
	size_t before = out->len;
	int rc = gpg_status(exec_capture(argv, out, 0), key, "export the public key");
	if (rc == 0 && out->len == before)
		rc = rp_err("gpg exported no public key for '%s'", key);
	return rc;
}

/* ---- packages ---- */

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

int sign_check_pkg(const char *path, const char *keyring)
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

int sign_check_pkg_key(const char *path, const struct buf *key)
{
	struct buf dir = BUF_INIT, kr = BUF_INIT;
	if (scratch_dir(&dir) < 0) {
		buf_free(&dir);
		return -1;
	}
	buf_addf(&kr, "%s/key.asc", dir.p);
	struct sign_part kp = { .p = key->p, .len = key->len };
	int rc = write_parts(kr.p, &kp, 1);
	if (rc == 0)
		rc = sign_check_pkg(path, kr.p);
	scratch_rm(&dir, (const char *[]){ "key.asc", NULL });
	buf_free(&dir);
	buf_free(&kr);
	return rc;
}
