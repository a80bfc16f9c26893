/* exec.c — see exec.h. */
#include "exec.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int exec_have(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/sbin:/usr/bin:/sbin:/bin";
	struct buf b = BUF_INIT;
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, ":");
		buf_reset(&b);
		buf_add(&b, p, len);
		buf_addf(&b, "/%s", prog);
		if (access(b.p, X_OK) == 0) {
			buf_free(&b);
			return 1;
		}
		p += len;
		if (*p)
			p++;
	}
	buf_free(&b);
	return 0;
}

int exec_capture(const char *const argv[], struct buf *out, int quiet_stderr)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return rp_errno("pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return rp_errno("fork");
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(pfd[1], 1);
		if (quiet_stderr)
			dup2(null, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	char chunk[4096];
	for (;;) {
		ssize_t r = read(pfd[0], chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out)
			buf_add(out, chunk, (size_t)r);
	}
	close(pfd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return rp_errno("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int exec_run(const char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return rp_errno("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return rp_errno("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
