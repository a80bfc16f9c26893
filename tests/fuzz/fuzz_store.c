/* fuzz_store.c — what the store reads from DIR and from packages' control
 * data: an entry file (.relpkg/index/FILE.entry) through
 * repo_entry_parse(), a .deb control file through repo_deb_control()
 * (repo_control_check + the Packages stanza), and repomd.xml through
 * repo_rpm_hrefs().  Every input goes through all three. */
#include "fuzz.h"
#include "buf.h"
#include "error.h"
#include "repo.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct repo_entry e;
	if (repo_entry_parse("fuzz.entry", s, size, &e) == 0) {
		/* what it promises: a plain pool name, a sha256 of 64 hex digits */
		if (strncmp(e.file, "pool/", 5) || strchr(e.file + 5, '/') || strlen(e.sha256) != 64)
			abort();
		repo_entry_free(&e);
	}
	struct repo_digests d;
	memset(&d, 0, sizeof d);
	memset(d.sha256, 'a', 64);
	memset(&e, 0, sizeof e);
	if (repo_deb_control(s, size, &d, &e) == 0) {
		/* the stanza it renders must pass the same check */
		if (repo_control_check(buf_str(&e.frag[0]), e.frag[0].len) < 0) {
			fprintf(stderr, "stanza fails its own check: %s\n%s\n", rp_errmsg(), buf_str(&e.frag[0]));
			abort();
		}
		/* ... and the entry `repo add` would write for it (entry_render's
		 * format) must load again, or one add makes the store unusable */
		struct buf t = BUF_INIT;
		buf_addf(&t, "relpkg-repo-entry 1\nformat deb\nname %s\nversion %s\narch %s\nfile %s\n"
			 "size %llu\nsha256 %s\nmtime 0\n", e.name, e.version, e.arch, e.file,
			 (unsigned long long)e.size, e.sha256);
		for (int i = 0; i < FR_N; i++) {
			buf_addf(&t, "frag %d %zu\n", i, e.frag[i].len);
			buf_add(&t, buf_str(&e.frag[i]), e.frag[i].len);
		}
		struct repo_entry back;
		if (repo_entry_parse("round-trip", buf_str(&t), t.len, &back) < 0) {
			fprintf(stderr, "the entry add writes does not load: %s\n%s\n", rp_errmsg(), buf_str(&t));
			abort();
		}
		repo_entry_free(&back);
		buf_free(&t);
	}
	repo_entry_free(&e);
	struct buf hrefs = BUF_INIT;
	repo_rpm_hrefs(s, size, &hrefs);
	buf_free(&hrefs);
	free(s);
	rp_err_clear();
	return 0;
}
