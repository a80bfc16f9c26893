/* progress.c — see progress.h. */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static struct {
	int on;
	uint64_t total, done;
	size_t entries, entry;
	double t0, last;
} p;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "12.3 MiB" into b */
static void size_text(char *b, size_t n, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(b, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void draw(void)
{
	double t = now(), el = t - p.t0;
	char done[32], total[32], rate[32], eta[32] = "";
	size_text(done, sizeof done, (double)p.done);
	size_text(total, sizeof total, (double)p.total);
	double r = el > 0.05 ? (double)p.done / el : 0;
	size_text(rate, sizeof rate, r);
	if (r > 0 && p.total > p.done) {
		long s = (long)((double)(p.total - p.done) / r + 0.5);
		snprintf(eta, sizeof eta, ", ETA %ld:%02ld", s / 60, s % 60);
	}
	int pct = p.total ? (int)(p.done * 100 / p.total) : 100;
	fprintf(stderr, "\rrelpkg: reading %s / %s (%d%%), %zu / %zu entries, %s/s%s\033[K", done, total, pct,
		p.entry, p.entries, rate, eta);
	fflush(stderr);
	p.last = t;
}

void progress_start(uint64_t total_bytes, size_t total_entries, int quiet)
{
	p.on = !quiet && isatty(STDERR_FILENO);
	p.total = total_bytes;
	p.entries = total_entries;
	p.done = 0;
	p.entry = 0;
	p.t0 = p.last = now();
	if (p.on)
		draw();
}

void progress_data(size_t idx, size_t n)
{
	if (!p.on)
		return;
	p.done += n;
	if (idx + 1 > p.entry)
		p.entry = idx + 1;
	if (now() - p.last >= 0.1)
		draw();
}

void progress_step(const char *what)
{
	if (!p.on)
		return;
	if (p.entry != p.entries || p.done != p.total) {     /* the reading's last figures */
		p.entry = p.entries;
		draw();
	}
	fprintf(stderr, "\rrelpkg: %s\033[K", what);
	fflush(stderr);
}

void progress_end(void)
{
	if (!p.on)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p.on = 0;
}
