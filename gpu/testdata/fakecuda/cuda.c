/*
 * A fake libcuda.so.1 for package gpu's tests: the driver API calls the
 * backend makes, on host memory. It reports one device, "Fake GPU",
 * compute capability 9.0 (LP_FAKE_CC=XY for another), driver CUDA 13.0.
 * Modules are the source text the fake NVRTC returns, or the PTX a real
 * NVRTC made (written to the file LP_FAKE_IMAGE names, if set); a function
 * exists if the source declares it as "KERNEL name(", or the PTX has
 * ".entry name("; a launch runs nothing but logs the kernel, the launch
 * shape and each parameter's 8 bytes (the parameter count read from the
 * declaration). Faults: LP_FAKE_NO_DEVICE (cuInit fails), LP_FAKE_OOM
 * (cuMemAlloc fails), LP_FAKE_LAUNCH_FAIL (a launch fails asynchronously:
 * the stream's next synchronisation and every later call report it, as a
 * sticky error does).
 */
#include "common.h"

typedef unsigned long long CUdeviceptr;

static int ctx_token, stream_token, ctx_refs, sticky;

struct fn {
	char name[128];
	int nparams;
};

struct module {
	char *src;
	struct fn fns[64];
	int nfns;
};

int cuInit(unsigned int flags) { return fake_env("LP_FAKE_NO_DEVICE") ? 100 : 0; }
int cuDriverGetVersion(int *v) { *v = 13000; return 0; }
int cuDeviceGetCount(int *n) { *n = 1; return 0; }
int cuDeviceGet(int *d, int ordinal) { if (ordinal != 0) return 101; *d = 0; return 0; }
int cuDeviceGetName(char *s, int n, int d) { snprintf(s, (size_t)n, "Fake GPU"); return 0; }
int cuDeviceGetAttribute(int *v, int attr, int d)
{
	const char *cc = getenv("LP_FAKE_CC");
	int xy = cc && *cc ? atoi(cc) : 90;
	*v = attr == 75 ? xy / 10 : attr == 76 ? xy % 10 : 0;
	return 0;
}
int cuDeviceTotalMem_v2(size_t *b, int d) { *b = (size_t)80 << 30; return 0; }
int cuDevicePrimaryCtxRetain(void **c, int d)
{
	if (ctx_refs++ == 0)
		sticky = 0; /* a fresh context */
	*c = &ctx_token;
	return 0;
}
int cuDevicePrimaryCtxRelease_v2(int d) { ctx_refs--; return 0; }
int cuCtxSetCurrent(void *c) { return c == &ctx_token ? 0 : 201; }
int cuStreamCreate(void **s, unsigned int flags) { *s = &stream_token; fake_log("stream flags %u", flags); return 0; }
int cuStreamDestroy_v2(void *s) { return s == &stream_token ? 0 : 400; }
int cuStreamSynchronize(void *s) { return sticky; }
int cuMemAlloc_v2(CUdeviceptr *p, size_t n)
{
	if (sticky)
		return sticky;
	if (fake_env("LP_FAKE_OOM"))
		return 2;
	*p = (CUdeviceptr)(size_t)malloc(n);
	return 0;
}
int cuMemFree_v2(CUdeviceptr p) { free((void *)(size_t)p); return sticky; }
int cuMemGetInfo_v2(size_t *f, size_t *t) { *f = *t = (size_t)80 << 30; return 0; }
int cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *s, size_t n, void *st)
{
	if (sticky)
		return sticky;
	memcpy((void *)(size_t)d, s, n);
	return 0;
}
int cuMemcpyDtoHAsync_v2(void *d, CUdeviceptr s, size_t n, void *st)
{
	if (sticky)
		return sticky;
	memcpy(d, (const void *)(size_t)s, n);
	return 0;
}
int cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t n, void *st)
{
	if (sticky)
		return sticky;
	memmove((void *)(size_t)d, (const void *)(size_t)s, n);
	return 0;
}
int cuModuleLoadData(void **m, const void *image)
{
	struct module *mod = calloc(1, sizeof *mod);
	mod->src = strdup(image);
	*m = mod;
	fake_log("module %zu bytes", strlen(mod->src));
	const char *path = getenv("LP_FAKE_IMAGE");
	if (path && *path) {
		FILE *f = fopen(path, "w");
		if (f) {
			fputs(mod->src, f);
			fclose(f);
		}
	}
	return 0;
}
int cuModuleUnload(void *m)
{
	struct module *mod = m;
	free(mod->src);
	free(mod);
	return 0;
}
int cuModuleGetFunction(void **f, void *m, const char *name)
{
	struct module *mod = m;
	char pat[160];
	snprintf(pat, sizeof pat, "\nKERNEL %s(", name);
	const char *p = strstr(mod->src, pat);
	if (!p) {
		snprintf(pat, sizeof pat, ".entry %s(", name);
		p = strstr(mod->src, pat);
	}
	if (!p || mod->nfns == 64)
		return 500; /* CUDA_ERROR_NOT_FOUND */
	struct fn *fn = &mod->fns[mod->nfns++];
	snprintf(fn->name, sizeof fn->name, "%s", name);
	fn->nparams = 1;
	for (p += strlen(pat); *p && *p != ')'; p++)
		fn->nparams += *p == ',';
	*f = fn;
	return 0;
}
int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
	unsigned shared, void *stream, void **params, void **extra)
{
	if (sticky)
		return sticky;
	struct fn *fn = f;
	char line[2048];
	int n = snprintf(line, sizeof line, "launch %s grid %u %u %u block %u %u %u shared %u stream %d args", fn->name,
		gx, gy, gz, bx, by, bz, shared, stream == &stream_token);
	for (int i = 0; i < fn->nparams && n < (int)sizeof line - 24; i++)
		n += snprintf(line + n, sizeof line - (size_t)n, " %llx", *(unsigned long long *)params[i]);
	fake_log("%s", line);
	if (fake_env("LP_FAKE_LAUNCH_FAIL"))
		sticky = 719; /* CUDA_ERROR_LAUNCH_FAILED, reported later */
	return 0;
}
int cuGetErrorName(int r, const char **s)
{
	switch (r) {
	case 0: *s = "CUDA_SUCCESS"; return 0;
	case 2: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
	case 100: *s = "CUDA_ERROR_NO_DEVICE"; return 0;
	case 500: *s = "CUDA_ERROR_NOT_FOUND"; return 0;
	case 719: *s = "CUDA_ERROR_LAUNCH_FAILED"; return 0;
	}
	return 1;
}
int cuGetErrorString(int r, const char **s)
{
	switch (r) {
	case 2: *s = "out of memory"; return 0;
	case 100: *s = "no CUDA-capable device is detected"; return 0;
	case 719: *s = "unspecified launch failure"; return 0;
	}
	return 1;
}
