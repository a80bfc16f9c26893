/* rpm_write.h — manifest + hooks -> NAME-VERSION-REL.ARCH.rpm (RPM v4).
 *
 * The cpio (newc) payload is streamed through a zsink worker into a
 * scratch file during the single pass; at the end the main header (file
 * arrays, dependencies, scripts, payload digest) and the signature
 * header (sizes, header digests) are built by rpm_header.c and the
 * package is written atomically: lead, signature, header, payload. */
#ifndef RELPKG_RPM_WRITE_H
#define RELPKG_RPM_WRITE_H

#include "buildopts.h"
#include "payload.h"

struct rpm_writer;

struct rpm_writer *rpm_writer_new(const struct pkgmeta *pm, const char *outdir,
				  enum comp comp, int level);
struct pkgwriter *rpm_writer_base(struct rpm_writer *w);
/* Compress once: the payload's sink shares units through sh (zsink.h). */
struct zshare;
void rpm_writer_share(struct rpm_writer *w, struct zshare *sh);
/* As deb_writer_finish(): the package written into *out, uncommitted. */
struct atomic;
int rpm_writer_finish(struct rpm_writer *w, const struct manifest *m, struct atomic *out);
void rpm_writer_free(struct rpm_writer *w);

#endif
