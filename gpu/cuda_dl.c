//go:build cgo && linux

#include "cuda_dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bind looks up symbol name (or, if it is missing, alt) in lib. */
static int bind(void *lib, void **fn, const char *name, const char *alt, int optional, char *err, int errlen)
{
	dlerror();
	*fn = dlsym(lib, name);
	if (!*fn && alt)
		*fn = dlsym(lib, alt);
	if (!*fn && !optional) {
		snprintf(err, errlen, "symbol %s not found", name);
		return -1;
	}
	return 0;
}

/* BIND looks up a required symbol; on failure the library is closed. */
#define BIND(lib, field, name, alt)                                                                \
	do {                                                                                       \
		if (bind(lib, (void **)&c->field, name, alt, 0, err, errlen)) {                    \
			dlclose(lib);                                                              \
			return -1;                                                                 \
		}                                                                                  \
	} while (0)

static void *open_lib(const char *path, char *err, int errlen)
{
	dlerror();
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(err, errlen, "%s", e ? e : "dlopen failed");
	}
	return h;
}

int lp_open_driver(lp_cuda *c, const char *path, char *err, int errlen)
{
	void *h = open_lib(path, err, errlen);
	if (!h)
		return -1;
	BIND(h, cuInit, "cuInit", NULL);
	BIND(h, cuDriverGetVersion, "cuDriverGetVersion", NULL);
	BIND(h, cuDeviceGetCount, "cuDeviceGetCount", NULL);
	BIND(h, cuDeviceGet, "cuDeviceGet", NULL);
	BIND(h, cuDeviceGetName, "cuDeviceGetName", NULL);
	BIND(h, cuDeviceGetAttribute, "cuDeviceGetAttribute", NULL);
	BIND(h, cuDeviceTotalMem, "cuDeviceTotalMem_v2", NULL);
	BIND(h, cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", NULL);
	BIND(h, cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
	BIND(h, cuCtxSetCurrent, "cuCtxSetCurrent", NULL);
	BIND(h, cuStreamCreate, "cuStreamCreate", NULL);
	BIND(h, cuStreamDestroy, "cuStreamDestroy_v2", "cuStreamDestroy");
	BIND(h, cuStreamSynchronize, "cuStreamSynchronize", NULL);
	BIND(h, cuMemAlloc, "cuMemAlloc_v2", NULL);
	BIND(h, cuMemFree, "cuMemFree_v2", NULL);
	BIND(h, cuMemGetInfo, "cuMemGetInfo_v2", NULL);
	BIND(h, cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", NULL);
	BIND(h, cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", NULL);
	BIND(h, cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2", NULL);
	BIND(h, cuModuleLoadData, "cuModuleLoadData", NULL);
	BIND(h, cuModuleUnload, "cuModuleUnload", NULL);
	BIND(h, cuModuleGetFunction, "cuModuleGetFunction", NULL);
	BIND(h, cuLaunchKernel, "cuLaunchKernel", NULL);
	BIND(h, cuGetErrorName, "cuGetErrorName", NULL);
	BIND(h, cuGetErrorString, "cuGetErrorString", NULL);
	c->libcuda = h;
	return 0;
}

int lp_open_cublas(lp_cuda *c, const char *path, char *err, int errlen)
{
	void *h = open_lib(path, err, errlen);
	if (!h)
		return -1;
	BIND(h, cublasCreate, "cublasCreate_v2", NULL);
	BIND(h, cublasDestroy, "cublasDestroy_v2", NULL);
	BIND(h, cublasGetVersion, "cublasGetVersion_v2", NULL);
	BIND(h, cublasSetStream, "cublasSetStream_v2", NULL);
	BIND(h, cublasSetMathMode, "cublasSetMathMode", NULL);
	BIND(h, cublasSetAtomicsMode, "cublasSetAtomicsMode", NULL);
	BIND(h, cublasSgemm, "cublasSgemm_v2", NULL);
	BIND(h, cublasSgemmStridedBatched, "cublasSgemmStridedBatched", NULL);
	c->libcublas = h;
	return 0;
}

int lp_open_nvrtc(lp_cuda *c, const char *path, char *err, int errlen)
{
	void *h = open_lib(path, err, errlen);
	if (!h)
		return -1;
	BIND(h, nvrtcVersion, "nvrtcVersion", NULL);
	BIND(h, nvrtcCreateProgram, "nvrtcCreateProgram", NULL);
	BIND(h, nvrtcDestroyProgram, "nvrtcDestroyProgram", NULL);
	BIND(h, nvrtcCompileProgram, "nvrtcCompileProgram", NULL);
	BIND(h, nvrtcGetPTXSize, "nvrtcGetPTXSize", NULL);
	BIND(h, nvrtcGetPTX, "nvrtcGetPTX", NULL);
	BIND(h, nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize", NULL);
	BIND(h, nvrtcGetProgramLog, "nvrtcGetProgramLog", NULL);
	BIND(h, nvrtcGetErrorString, "nvrtcGetErrorString", NULL);
	bind(h, (void **)&c->nvrtcGetNumSupportedArchs, "nvrtcGetNumSupportedArchs", NULL, 1, err, errlen);
	bind(h, (void **)&c->nvrtcGetSupportedArchs, "nvrtcGetSupportedArchs", NULL, 1, err, errlen);
	bind(h, (void **)&c->nvrtcGetCUBINSize, "nvrtcGetCUBINSize", NULL, 1, err, errlen);
	bind(h, (void **)&c->nvrtcGetCUBIN, "nvrtcGetCUBIN", NULL, 1, err, errlen);
	c->libnvrtc = h;
	return 0;
}

void lp_close_libs(lp_cuda *c)
{
	/* libcuda stays loaded: the driver does not support being unloaded
	 * while its threads may still run. */
	if (c->libnvrtc)
		dlclose(c->libnvrtc);
	if (c->libcublas)
		dlclose(c->libcublas);
	c->libnvrtc = c->libcublas = NULL;
}

void lp_close_cublas(lp_cuda *c)
{
	if (c->libcublas)
		dlclose(c->libcublas);
	c->libcublas = NULL;
}

void lp_close_nvrtc(lp_cuda *c)
{
	if (c->libnvrtc)
		dlclose(c->libnvrtc);
	c->libnvrtc = NULL;
}

nvrtcResult lp_nvrtc_version(lp_cuda *c, int *major, int *minor)
{
	return c->nvrtcVersion(major, minor);
}

const char *lp_cu_error_name(lp_cuda *c, CUresult r)
{
	const char *s = NULL;
	if (c->cuGetErrorName && c->cuGetErrorName(r, &s) == 0 && s)
		return s;
	return "CUDA_ERROR_UNKNOWN_CODE";
}

const char *lp_cu_error_string(lp_cuda *c, CUresult r)
{
	const char *s = NULL;
	if (c->cuGetErrorString && c->cuGetErrorString(r, &s) == 0 && s)
		return s;
	return "unrecognised error code";
}

CUresult lp_device_count(lp_cuda *c, int *n)
{
	CUresult r = c->cuInit(0);
	if (r)
		return r;
	return c->cuDeviceGetCount(n);
}

CUresult lp_device_open(lp_cuda *c, int ordinal, CUdevice *dev, CUcontext *ctx, CUstream *stream, lp_devinfo *info)
{
	CUresult r;
	memset(info, 0, sizeof *info);
	if ((r = c->cuDeviceGet(dev, ordinal)))
		return r;
	if ((r = c->cuDeviceGetName(info->name, sizeof info->name - 1, *dev)))
		return r;
	if ((r = c->cuDeviceGetAttribute(&info->cc_major, LP_CU_ATTR_CC_MAJOR, *dev)))
		return r;
	if ((r = c->cuDeviceGetAttribute(&info->cc_minor, LP_CU_ATTR_CC_MINOR, *dev)))
		return r;
	if ((r = c->cuDeviceTotalMem(&info->total_mem, *dev)))
		return r;
	if ((r = c->cuDriverGetVersion(&info->driver_version)))
		return r;
	if ((r = c->cuDevicePrimaryCtxRetain(ctx, *dev)))
		return r;
	if ((r = c->cuCtxSetCurrent(*ctx)) || (r = c->cuStreamCreate(stream, LP_CU_STREAM_NON_BLOCKING))) {
		c->cuDevicePrimaryCtxRelease(*dev);
		return r;
	}
	return 0;
}

void lp_device_close(lp_cuda *c, CUdevice dev, CUcontext ctx, CUstream stream)
{
	if (c->cuCtxSetCurrent(ctx) == 0 && stream)
		c->cuStreamDestroy(stream);
	c->cuDevicePrimaryCtxRelease(dev);
}

CUresult lp_alloc(lp_cuda *c, CUcontext ctx, CUdeviceptr *p, size_t bytes)
{
	CUresult r = c->cuCtxSetCurrent(ctx);
	return r ? r : c->cuMemAlloc(p, bytes);
}

CUresult lp_free(lp_cuda *c, CUcontext ctx, CUdeviceptr p)
{
	CUresult r = c->cuCtxSetCurrent(ctx);
	return r ? r : c->cuMemFree(p);
}

CUresult lp_upload(lp_cuda *c, CUcontext ctx, CUstream s, CUdeviceptr dst, const void *src, size_t bytes)
{
	/* The host memory belongs to Go and is only pinned for this call:
	 * wait until the copy has read it. */
	CUresult r = c->cuCtxSetCurrent(ctx);
	if (!r)
		r = c->cuMemcpyHtoDAsync(dst, src, bytes, s);
	if (!r)
		r = c->cuStreamSynchronize(s);
	return r;
}

CUresult lp_download(lp_cuda *c, CUcontext ctx, CUstream s, void *dst, CUdeviceptr src, size_t bytes)
{
	CUresult r = c->cuCtxSetCurrent(ctx);
	if (!r)
		r = c->cuMemcpyDtoHAsync(dst, src, bytes, s);
	if (!r)
		r = c->cuStreamSynchronize(s);
	return r;
}

CUresult lp_copy(lp_cuda *c, CUcontext ctx, CUstream s, CUdeviceptr dst, CUdeviceptr src, size_t bytes)
{
	CUresult r = c->cuCtxSetCurrent(ctx);
	return r ? r : c->cuMemcpyDtoDAsync(dst, src, bytes, s);
}

CUresult lp_synchronize(lp_cuda *c, CUcontext ctx, CUstream s)
{
	CUresult r = c->cuCtxSetCurrent(ctx);
	return r ? r : c->cuStreamSynchronize(s);
}

CUresult lp_module_load(lp_cuda *c, CUcontext ctx, const char *image, CUmodule *mod)
{
	CUresult r = c->cuCtxSetCurrent(ctx);
	return r ? r : c->cuModuleLoadData(mod, image);
}

CUresult lp_module_unload(lp_cuda *c, CUcontext ctx, CUmodule mod)
{
	CUresult r = c->cuCtxSetCurrent(ctx);
	return r ? r : c->cuModuleUnload(mod);
}

CUresult lp_module_function(lp_cuda *c, CUcontext ctx, CUmodule mod, const char *name, CUfunction *f)
{
	CUresult r = c->cuCtxSetCurrent(ctx);
	return r ? r : c->cuModuleGetFunction(f, mod, name);
}

CUresult lp_launch(lp_cuda *c, CUcontext ctx, CUstream s, CUfunction f, unsigned int grid, unsigned int block,
	unsigned long long *args, int nargs)
{
	void *params[64];
	if (nargs > 64)
		return 1; /* CUDA_ERROR_INVALID_VALUE */
	for (int i = 0; i < nargs; i++)
		params[i] = &args[i];
	CUresult r = c->cuCtxSetCurrent(ctx);
	return r ? r : c->cuLaunchKernel(f, grid, 1, 1, block, 1, 1, 0, s, params, NULL);
}

nvrtcResult lp_nvrtc_compile(lp_cuda *c, const char *src, const char *const *opts, int nopts, int cubin,
	char **image, char **log)
{
	nvrtcProgram prog;
	size_t n = 0;
	char **ptx = image;
	*ptx = NULL;
	*log = NULL;
	nvrtcResult r = c->nvrtcCreateProgram(&prog, src, "ladderpose_kernels.cu", 0, NULL, NULL);
	if (r)
		return r;
	nvrtcResult cr = c->nvrtcCompileProgram(prog, nopts, opts);
	if (c->nvrtcGetProgramLogSize(prog, &n) == 0 && n > 1) {
		*log = malloc(n);
		if (*log && c->nvrtcGetProgramLog(prog, *log) != 0) {
			free(*log);
			*log = NULL;
		}
	}
	if (cr == 0 && cubin && (!c->nvrtcGetCUBINSize || !c->nvrtcGetCUBIN))
		cr = 7; /* NVRTC_ERROR_INVALID_OPTION */
	if (cr == 0) {
		if ((cr = cubin ? c->nvrtcGetCUBINSize(prog, &n) : c->nvrtcGetPTXSize(prog, &n)) == 0) {
			*ptx = malloc(n);
			if (!*ptx)
				cr = 1; /* NVRTC_ERROR_OUT_OF_MEMORY */
			else if ((cr = cubin ? c->nvrtcGetCUBIN(prog, *ptx) : c->nvrtcGetPTX(prog, *ptx)) != 0) {
				free(*ptx);
				*ptx = NULL;
			}
		}
	}
	c->nvrtcDestroyProgram(&prog);
	return cr;
}

const char *lp_nvrtc_error(lp_cuda *c, nvrtcResult r)
{
	const char *s = c->nvrtcGetErrorString ? c->nvrtcGetErrorString(r) : NULL;
	return s ? s : "NVRTC_ERROR_UNKNOWN";
}

int lp_nvrtc_has_cubin(lp_cuda *c)
{
	return c->nvrtcGetCUBINSize && c->nvrtcGetCUBIN;
}

int lp_nvrtc_archs(lp_cuda *c, int *archs, int max)
{
	int n = 0;
	if (!c->nvrtcGetNumSupportedArchs || !c->nvrtcGetSupportedArchs)
		return 0;
	if (c->nvrtcGetNumSupportedArchs(&n) || n <= 0 || n > max)
		return 0;
	if (c->nvrtcGetSupportedArchs(archs))
		return 0;
	return n;
}

cublasStatus_t lp_blas_create(lp_cuda *c, CUcontext ctx, CUstream s, int tf32, cublasHandle_t *h, int *version)
{
	cublasStatus_t r;
	if (c->cuCtxSetCurrent(ctx))
		return 1; /* CUBLAS_STATUS_NOT_INITIALIZED */
	if ((r = c->cublasCreate(h)))
		return r;
	if ((r = c->cublasSetStream(*h, s)) ||
		(r = c->cublasSetMathMode(*h, tf32 ? LP_CUBLAS_TF32_TENSOR_OP_MATH : LP_CUBLAS_DEFAULT_MATH)) ||
		(r = c->cublasSetAtomicsMode(*h, LP_CUBLAS_ATOMICS_NOT_ALLOWED)) ||
		(r = c->cublasGetVersion(*h, version))) {
		c->cublasDestroy(*h);
		return r;
	}
	return 0;
}

cublasStatus_t lp_blas_destroy(lp_cuda *c, CUcontext ctx, cublasHandle_t h)
{
	c->cuCtxSetCurrent(ctx);
	return c->cublasDestroy(h);
}

cublasStatus_t lp_sgemm(lp_cuda *c, CUcontext ctx, cublasHandle_t h, int ta, int tb, int m, int n, int k,
	float alpha, CUdeviceptr a, int lda, long long sa, CUdeviceptr b, int ldb, long long sb, float beta,
	CUdeviceptr cm, int ldc, long long sc, int batch)
{
	if (c->cuCtxSetCurrent(ctx))
		return 1;
	int opa = ta ? LP_CUBLAS_OP_T : LP_CUBLAS_OP_N, opb = tb ? LP_CUBLAS_OP_T : LP_CUBLAS_OP_N;
	if (batch == 1)
		return c->cublasSgemm(h, opa, opb, m, n, k, &alpha, (const float *)a, lda, (const float *)b, ldb, &beta,
			(float *)cm, ldc);
	return c->cublasSgemmStridedBatched(h, opa, opb, m, n, k, &alpha, (const float *)a, lda, sa,
		(const float *)b, ldb, sb, &beta, (float *)cm, ldc, sc, batch);
}
