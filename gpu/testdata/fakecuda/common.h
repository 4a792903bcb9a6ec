/*
 * Shared helpers of the fake CUDA libraries (see cuda.c): fault injection
 * through environment variables and a call log.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* fake_env reports whether the environment variable is set and not "0". */
static int fake_env(const char *k)
{
	const char *v = getenv(k);
	return v && *v && strcmp(v, "0") != 0;
}

/* fake_log appends a line to the file named by LP_FAKE_LOG. */
static void fake_log(const char *fmt, ...)
{
	const char *path = getenv("LP_FAKE_LOG");
	if (!path || !*path)
		return;
	FILE *f = fopen(path, "a");
	if (!f)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}
