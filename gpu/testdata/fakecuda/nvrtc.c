/*
 * A fake libnvrtc for package gpu's tests: "compiling" returns the source
 * itself as the image (the fake driver reads the kernels' declarations from
 * it) and logs the options. It reports NVRTC 13.0 supporting sm_75, sm_80
 * and sm_90. LP_FAKE_NVRTC_FAIL makes compilation fail with a log.
 */
#include "common.h"

struct prog {
	char *src;
	const char *log;
};

int nvrtcVersion(int *major, int *minor) { *major = 13; *minor = 0; return 0; }
int nvrtcCreateProgram(void **p, const char *src, const char *name, int n, const char *const *h, const char *const *i)
{
	struct prog *pr = calloc(1, sizeof *pr);
	pr->src = strdup(src);
	pr->log = "";
	*p = pr;
	return 0;
}
int nvrtcDestroyProgram(void **p)
{
	struct prog *pr = *p;
	free(pr->src);
	free(pr);
	*p = NULL;
	return 0;
}
int nvrtcCompileProgram(void *p, int n, const char *const *opts)
{
	struct prog *pr = p;
	for (int i = 0; i < n; i++)
		fake_log("nvrtc option %s", opts[i]);
	if (fake_env("LP_FAKE_NVRTC_FAIL")) {
		pr->log = "kernels.cu(1): error: fake compile error";
		return 6; /* NVRTC_ERROR_COMPILATION */
	}
	return 0;
}
int nvrtcGetPTXSize(void *p, size_t *n) { *n = strlen(((struct prog *)p)->src) + 1; return 0; }
int nvrtcGetPTX(void *p, char *out) { strcpy(out, ((struct prog *)p)->src); return 0; }
int nvrtcGetCUBINSize(void *p, size_t *n) { return nvrtcGetPTXSize(p, n); }
int nvrtcGetCUBIN(void *p, char *out) { return nvrtcGetPTX(p, out); }
int nvrtcGetProgramLogSize(void *p, size_t *n) { *n = strlen(((struct prog *)p)->log) + 1; return 0; }
int nvrtcGetProgramLog(void *p, char *out) { strcpy(out, ((struct prog *)p)->log); return 0; }
const char *nvrtcGetErrorString(int r) { return r == 6 ? "NVRTC_ERROR_COMPILATION" : r ? "NVRTC_ERROR_UNKNOWN" : "NVRTC_SUCCESS"; }
int nvrtcGetNumSupportedArchs(int *n) { *n = 3; return 0; }
int nvrtcGetSupportedArchs(int *a) { a[0] = 75; a[1] = 80; a[2] = 90; return 0; }
