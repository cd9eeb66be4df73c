/*
 * Path-name rules (pathname.h).
 */
#include <string.h>

#include "pathname.h"

/* a '/' or the string's start and a '/' or NUL around "..": a component */
int
path_has_dotdot(const char *s)
{
	const char *p;

	for (p = s; (p = strstr(p, "..")) != NULL; p += 2)
		if ((p == s || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return 1;
	return 0;
}
