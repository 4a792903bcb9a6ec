//go:build cgo && linux

/*
 * Minimal declarations of the parts of the CUDA driver API, cuBLAS and
 * NVRTC that package gpu uses, loaded at run time with dlopen/dlsym: no CUDA
 * header or toolkit is needed to build, and a host without the libraries
 * gets an error from lp_load_* instead of a failure to start. The types
 * follow the ABI of cuda.h, cublas_api.h and nvrtc.h (CUDA 11.2 .. 13):
 * handles are opaque pointers, enums are int, CUdeviceptr is 64-bit.
 */
#ifndef LADDERPOSE_CUDA_DL_H
#define LADDERPOSE_CUDA_DL_H

#include <stddef.h>

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;

typedef int cublasStatus_t;
typedef struct cublasContext *cublasHandle_t;

typedef int nvrtcResult;
typedef struct _nvrtcProgram *nvrtcProgram;

/* Constants from cuda.h and cublas_api.h. */
enum {
	LP_CU_ATTR_CC_MAJOR = 75, /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR */
	LP_CU_ATTR_CC_MINOR = 76, /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR */
	LP_CU_STREAM_NON_BLOCKING = 1,
	LP_CUBLAS_OP_N = 0,
	LP_CUBLAS_OP_T = 1,
	LP_CUBLAS_DEFAULT_MATH = 0,
	LP_CUBLAS_TF32_TENSOR_OP_MATH = 3,
	LP_CUBLAS_ATOMICS_NOT_ALLOWED = 0
};

typedef struct lp_cuda {
	void *libcuda, *libcublas, *libnvrtc;

	/* Driver API (libcuda.so.1). */
	CUresult (*cuInit)(unsigned int);
	CUresult (*cuDriverGetVersion)(int *);
	CUresult (*cuDeviceGetCount)(int *);
	CUresult (*cuDeviceGet)(CUdevice *, int);
	CUresult (*cuDeviceGetName)(char *, int, CUdevice);
	CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
	CUresult (*cuDeviceTotalMem)(size_t *, CUdevice);
	CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
	CUresult (*cuDevicePrimaryCtxRelease)(CUdevice);
	CUresult (*cuCtxSetCurrent)(CUcontext);
	CUresult (*cuStreamCreate)(CUstream *, unsigned int);
	CUresult (*cuStreamDestroy)(CUstream);
	CUresult (*cuStreamSynchronize)(CUstream);
	CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
	CUresult (*cuMemFree)(CUdeviceptr);
	CUresult (*cuMemGetInfo)(size_t *, size_t *);
	CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
	CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
	CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
	CUresult (*cuModuleLoadData)(CUmodule *, const void *);
	CUresult (*cuModuleUnload)(CUmodule);
	CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
	CUresult (*cuLaunchKernel)(CUfunction, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int,
		unsigned int, unsigned int, CUstream, void **, void **);
	CUresult (*cuGetErrorName)(CUresult, const char **);
	CUresult (*cuGetErrorString)(CUresult, const char **);

	/* cuBLAS. */
	cublasStatus_t (*cublasCreate)(cublasHandle_t *);
	cublasStatus_t (*cublasDestroy)(cublasHandle_t);
	cublasStatus_t (*cublasGetVersion)(cublasHandle_t, int *);
	cublasStatus_t (*cublasSetStream)(cublasHandle_t, CUstream);
	cublasStatus_t (*cublasSetMathMode)(cublasHandle_t, int);
	cublasStatus_t (*cublasSetAtomicsMode)(cublasHandle_t, int);
	cublasStatus_t (*cublasSgemm)(cublasHandle_t, int, int, int, int, int, const float *, const float *, int,
		const float *, int, const float *, float *, int);
	cublasStatus_t (*cublasSgemmStridedBatched)(cublasHandle_t, int, int, int, int, int, const float *,
		const float *, int, long long, const float *, int, long long, const float *, float *, int, long long, int);

	/* NVRTC. */
	nvrtcResult (*nvrtcVersion)(int *, int *);
	nvrtcResult (*nvrtcCreateProgram)(nvrtcProgram *, const char *, const char *, int, const char *const *,
		const char *const *);
	nvrtcResult (*nvrtcDestroyProgram)(nvrtcProgram *);
	nvrtcResult (*nvrtcCompileProgram)(nvrtcProgram, int, const char *const *);
	nvrtcResult (*nvrtcGetPTXSize)(nvrtcProgram, size_t *);
	nvrtcResult (*nvrtcGetPTX)(nvrtcProgram, char *);
	nvrtcResult (*nvrtcGetProgramLogSize)(nvrtcProgram, size_t *);
	nvrtcResult (*nvrtcGetProgramLog)(nvrtcProgram, char *);
	const char *(*nvrtcGetErrorString)(nvrtcResult);
	nvrtcResult (*nvrtcGetNumSupportedArchs)(int *); /* optional (CUDA 11.2+) */
	nvrtcResult (*nvrtcGetSupportedArchs)(int *);    /* optional */
	nvrtcResult (*nvrtcGetCUBINSize)(nvrtcProgram, size_t *); /* optional (CUDA 11.1+) */
	nvrtcResult (*nvrtcGetCUBIN)(nvrtcProgram, char *);       /* optional */
} lp_cuda;

/* Loading: 0 on success, else -1 with a message in err (dlerror's). */
int lp_open_driver(lp_cuda *c, const char *path, char *err, int errlen);
int lp_open_cublas(lp_cuda *c, const char *path, char *err, int errlen);
int lp_open_nvrtc(lp_cuda *c, const char *path, char *err, int errlen);
void lp_close_libs(lp_cuda *c);
void lp_close_cublas(lp_cuda *c);
void lp_close_nvrtc(lp_cuda *c);
nvrtcResult lp_nvrtc_version(lp_cuda *c, int *major, int *minor);

const char *lp_cu_error_name(lp_cuda *c, CUresult r);
const char *lp_cu_error_string(lp_cuda *c, CUresult r);

/* Device and context. */
typedef struct lp_devinfo {
	char name[256];
	int cc_major, cc_minor, driver_version;
	size_t total_mem;
} lp_devinfo;

CUresult lp_device_count(lp_cuda *c, int *n);
CUresult lp_device_open(lp_cuda *c, int ordinal, CUdevice *dev, CUcontext *ctx, CUstream *stream, lp_devinfo *info);
void lp_device_close(lp_cuda *c, CUdevice dev, CUcontext ctx, CUstream stream);

/* Memory, all in stream order. */
CUresult lp_alloc(lp_cuda *c, CUcontext ctx, CUdeviceptr *p, size_t bytes);
CUresult lp_free(lp_cuda *c, CUcontext ctx, CUdeviceptr p);
CUresult lp_upload(lp_cuda *c, CUcontext ctx, CUstream s, CUdeviceptr dst, const void *src, size_t bytes);
CUresult lp_download(lp_cuda *c, CUcontext ctx, CUstream s, void *dst, CUdeviceptr src, size_t bytes);
CUresult lp_copy(lp_cuda *c, CUcontext ctx, CUstream s, CUdeviceptr dst, CUdeviceptr src, size_t bytes);
CUresult lp_synchronize(lp_cuda *c, CUcontext ctx, CUstream s);

/* Kernels. */
CUresult lp_module_load(lp_cuda *c, CUcontext ctx, const char *image, CUmodule *mod);
CUresult lp_module_unload(lp_cuda *c, CUcontext ctx, CUmodule mod);
CUresult lp_module_function(lp_cuda *c, CUcontext ctx, CUmodule mod, const char *name, CUfunction *f);
CUresult lp_launch(lp_cuda *c, CUcontext ctx, CUstream s, CUfunction f, unsigned int grid, unsigned int block,
	unsigned long long *args, int nargs);

/* NVRTC: compile src with opts to PTX, or to CUBIN when cubin is set
 * (malloc'd into *image); the log goes to *log (malloc'd, may be NULL). */
nvrtcResult lp_nvrtc_compile(lp_cuda *c, const char *src, const char *const *opts, int nopts, int cubin,
	char **image, char **log);
const char *lp_nvrtc_error(lp_cuda *c, nvrtcResult r);
int lp_nvrtc_archs(lp_cuda *c, int *archs, int max);
int lp_nvrtc_has_cubin(lp_cuda *c);

/* cuBLAS. */
cublasStatus_t lp_blas_create(lp_cuda *c, CUcontext ctx, CUstream s, int tf32, cublasHandle_t *h, int *version);
cublasStatus_t lp_blas_destroy(lp_cuda *c, CUcontext ctx, cublasHandle_t h);
cublasStatus_t lp_sgemm(lp_cuda *c, CUcontext ctx, cublasHandle_t h, int ta, int tb, int m, int n, int k,
	float alpha, CUdeviceptr a, int lda, long long sa, CUdeviceptr b, int ldb, long long sb, float beta,
	CUdeviceptr cm, int ldc, long long sc, int batch);

#endif
