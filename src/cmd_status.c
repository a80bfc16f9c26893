/* cmd_status.c — `relpkg status NAME [--json]`: what the package database
 * says is installed, what the maintainer scripts last left running
 * (/var/lib/relpkg/NAME/state), the previous version, whether the unit is
 * active, and a warning when the database and what runs disagree. */
#include "buf.h"
#include "error.h"
#include "exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct status {
	char installed[256];    /* package version in the database, "" if none */
	char dbstate[64];       /* dpkg: "installed", "half-configured", ...; rpm: "installed" */
	char format[8];         /* deb / rpm */
	char running[256], previous[256], result[32], message[512], time[64];
	char running_pkgver[256];
	int active;             /* 1 yes, 0 no, -1 unknown (no systemd) */
};

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
}

static void copy(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = 0;
}

static void query_db(const char *name, struct status *st)
{
	struct buf out = BUF_INIT;
	if (exec_have("dpkg-query")) {
		const char *argv[] = { "dpkg-query", "-W", "-f", "${Version}\t${Status}", name, NULL };
		if (exec_capture(argv, &out, 1) == 0 && out.len) {
			const char *tab = strchr(out.p, '\t');
			if (tab) {
				const char *state = strrchr(tab, ' ');
				copy(st->installed, sizeof st->installed, out.p, (size_t)(tab - out.p));
				copy(st->dbstate, sizeof st->dbstate, state ? state + 1 : "", strlen(state ? state + 1 : ""));
				chomp(st->dbstate);
				if (!strcmp(st->dbstate, "not-installed") || !strcmp(st->dbstate, "config-files"))
					st->installed[0] = 0;
				strcpy(st->format, "deb");
			}
		}
	}
	if (!st->installed[0] && exec_have("rpm")) {
		buf_reset(&out);
		const char *argv[] = { "rpm", "-q", "--qf", "%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n",
				       name, NULL };
		if (exec_capture(argv, &out, 1) == 0 && out.len) {
			chomp(out.p);
			/* several lines: more than one version in the rpmdb */
			char *nl = strchr(out.p, '\n');
			copy(st->installed, sizeof st->installed, out.p, nl ? (size_t)(nl - out.p) : strlen(out.p));
			strcpy(st->dbstate, nl ? "duplicate" : "installed");
			strcpy(st->format, "rpm");
		}
	}
	buf_free(&out);
}

static void read_kv(const char *path, const char *key, char *dst, size_t cap)
{
	FILE *f = fopen(path, "r");
	dst[0] = 0;
	if (!f)
		return;
	char line[1024];
	size_t kl = strlen(key);
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, key, kl) && line[kl] == '=') {
			char *v = line + kl + 1;
			/* meta files quote values: 'x' */
			chomp(v);
			size_t vl = strlen(v);
			if (vl >= 2 && v[0] == '\'' && v[vl - 1] == '\'') {
				v[vl - 1] = 0;
				v++;
			}
			copy(dst, cap, v, strlen(v));
			break;
		}
	}
	fclose(f);
}

static void json_str(struct buf *b, const char *k, const char *v, int last)
{
	buf_addf(b, "  \"%s\": ", k);
	buf_add_json(b, v && *v ? v : NULL);
	buf_adds(b, last ? "\n" : ",\n");
}

int cmd_status(int argc, char **argv)
{
	int json = 0;
	const char *name = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			puts("usage: relpkg status NAME [--json]\n\n"
			     "What the package database says is installed, what relpkg's scripts last\n"
			     "left running, the previous version and whether the service is active.\n\n"
			     "  --json    one JSON object on stdout");
			return 0;
		}
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (argv[i][0] == '-')
			return rp_usage("status: unknown option '%s'", argv[i]);
		else if (!name)
			name = argv[i];
		else
			return rp_usage("status: more than one NAME");
	}
	if (!name)
		return rp_usage("status: no NAME given (see relpkg status --help)");

	struct status st;
	memset(&st, 0, sizeof st);
	query_db(name, &st);
	struct buf p = BUF_INIT;
	buf_addf(&p, "/var/lib/relpkg/%s/state", name);
	read_kv(p.p, "RUNNING", st.running, sizeof st.running);
	read_kv(p.p, "PREVIOUS", st.previous, sizeof st.previous);
	read_kv(p.p, "RESULT", st.result, sizeof st.result);
	read_kv(p.p, "MESSAGE", st.message, sizeof st.message);
	read_kv(p.p, "TIME", st.time, sizeof st.time);
	if (st.running[0]) {
		buf_reset(&p);
		buf_addf(&p, "/var/lib/relpkg/%s/meta/%s.meta", name, st.running);
		read_kv(p.p, !strcmp(st.format, "rpm") ? "RPM_VERSION" : "DEB_VERSION", st.running_pkgver,
			sizeof st.running_pkgver);
	}
	st.active = -1;
	if (exec_have("systemctl") && access("/run/systemd/system", 0) == 0) {
		buf_reset(&p);
		buf_addf(&p, "%s.service", name);
		const char *a[] = { "systemctl", "is-active", "-q", p.p, NULL };
		st.active = exec_capture(a, NULL, 1) == 0;
	}
	buf_free(&p);

	/* does the database agree with what runs? */
	struct buf warning = BUF_INIT;
	if (!st.installed[0] && st.running[0])
		buf_addf(&warning, "%s is not installed according to the package database, "
			 "but its scripts left %s running", name, st.running);
	else if (st.installed[0] && st.running_pkgver[0] && strcmp(st.installed, st.running_pkgver))
		buf_addf(&warning, "the package database says %s %s is installed (%s), "
			 "but %s runs: %s", name, st.installed, st.dbstate, st.running, st.message);
	else if (st.installed[0] && strcmp(st.dbstate, "installed"))
		buf_addf(&warning, "the package database says %s is %s", name, st.dbstate);

	if (json) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "{\n");
		json_str(&b, "name", name, 0);
		json_str(&b, "format", st.format, 0);
		json_str(&b, "installed", st.installed, 0);
		json_str(&b, "database_state", st.dbstate, 0);
		json_str(&b, "running", st.running, 0);
		json_str(&b, "previous", st.previous, 0);
		buf_addf(&b, "  \"active\": %s,\n", st.active < 0 ? "null" : st.active ? "true" : "false");
		json_str(&b, "last_result", st.result, 0);
		json_str(&b, "last_message", st.message, 0);
		json_str(&b, "last_time", st.time, 0);
		json_str(&b, "warning", buf_str(&warning), 1);
		buf_adds(&b, "}\n");
		fputs(b.p, stdout);
		buf_free(&b);
	} else {
		printf("name: %s\n", name);
		printf("installed: %s%s%s%s\n", st.installed[0] ? st.installed : "-",
		       st.installed[0] ? " (" : "", st.installed[0] ? st.dbstate : "", st.installed[0] ? ")" : "");
		printf("running: %s\n", st.running[0] ? st.running : "-");
		printf("previous: %s\n", st.previous[0] ? st.previous : "-");
		printf("active: %s\n", st.active < 0 ? "unknown (no systemd)" : st.active ? "yes" : "no");
		if (st.result[0])
			printf("last: %s %s: %s\n", st.time, st.result, st.message);
		if (warning.len)
			printf("warning: %s\n", warning.p);
	}
	buf_free(&warning);
	return 0;
}
