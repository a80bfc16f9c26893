/* deb_write.h — manifest + hooks -> NAME_VERSION-REL_ARCH.deb.
 *
 * data.tar is streamed (GNU tar framing by libarchive, compression by a
 * zsink worker thread) into a scratch file during the single pass; at the
 * end control.tar.gz (control, md5sums, conffiles, scripts) is built and
 * the ar container (libarchive) is written atomically into the output
 * directory. */
#ifndef RELPKG_DEB_WRITE_H
#define RELPKG_DEB_WRITE_H

#include "buildopts.h"
#include "payload.h"

struct deb_writer;

struct deb_writer *deb_writer_new(const struct pkgmeta *pm, const char *outdir,
				  enum comp comp, int level);
struct pkgwriter *deb_writer_base(struct deb_writer *w);
/* Compress once: the data.tar's sink shares units through sh (zsink.h). */
struct zshare;
void deb_writer_share(struct deb_writer *w, struct zshare *sh);
/* Writes the package into *out (opened here in the writer's outdir, its
 * writeback started), which the caller commits or aborts: out->name is
 * the package's file name.  0, or -1 with *out aborted. */
struct atomic;
int deb_writer_finish(struct deb_writer *w, const struct manifest *m, struct atomic *out);
/* Frees; an unfinished package leaves nothing behind. */
void deb_writer_free(struct deb_writer *w);

#endif
