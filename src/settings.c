/* settings.c — the table of build settings; see settings.h. */
#include "settings.h"
#include "buildopts.h"

#include <string.h>

#define PM(field) offsetof(struct pkgmeta, field)
/* .pm == 0 means "no named field" (pkgmeta.val[]): offset 0 is rel, no string */
_Static_assert(offsetof(struct pkgmeta, rel) == 0, "struct pkgmeta must start with rel");

#define SETTING_ROW(id, ...) [SET_##id] = { __VA_ARGS__ },
const struct setting settings[SET_COUNT] = { BUILD_SETTINGS(SETTING_ROW) };
#undef SETTING_ROW

const char *const hook_points[HOOK_POINTS] = { "before-stop", "after-stop", "before-start", "after-start" };

static int same(const char *s, const char *name, size_t len)
{
	return s && strlen(s) == len && !strncmp(s, name, len);
}

enum setting_id setting_by_flag(const char *name, size_t len)
{
	int id = 0;
	while (id < SET_COUNT && !same(settings[id].flag, name, len))
		id++;
	return (enum setting_id)id;
}

enum setting_id setting_by_conf(const char *key, size_t len)
{
	int id = 0;
	while (id < SET_COUNT && !same(settings[id].conf, key, len))
		id++;
	return (enum setting_id)id;
}
