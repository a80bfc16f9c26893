#include "rpm_write.h"
#include "error.h"
struct rpm_writer { int x; };
struct rpm_writer *rpm_writer_new(const struct pkgmeta *pm, const char *outdir, enum comp comp, int level)
{ (void)pm, (void)outdir, (void)comp, (void)level; rp_err("rpm: not yet"); return NULL; }
struct pkgwriter *rpm_writer_base(struct rpm_writer *w) { (void)w; return NULL; }
int rpm_writer_finish(struct rpm_writer *w, const struct manifest *m, char **path) { (void)w, (void)m, (void)path; return -1; }
void rpm_writer_free(struct rpm_writer *w) { (void)w; }
