/* clock.c — see clock.h. */
#include "clock.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

int64_t clock_now(int *from_env)
{
	static int warned;
	const char *s = getenv("SOURCE_DATE_EPOCH");
	if (from_env)
		*from_env = 0;
	if (s && *s) {
		char *end;
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (!*end && !errno && v >= 0) {
			if (from_env)
				*from_env = 1;
			return v;
		}
		if (!warned++)
			rp_warn("SOURCE_DATE_EPOCH='%s' is not a number of seconds; ignored", s);
	}
	return (int64_t)time(NULL);
}
