/*
 * A fake libcublas for package gpu's tests: cublasSgemm_v2 and
 * cublasSgemmStridedBatched computed on host memory (column-major, as
 * cuBLAS), the handle calls logged. LP_FAKE_CUBLAS_FAIL makes cublasCreate
 * fail with CUBLAS_STATUS_NOT_INITIALIZED.
 */
#include "common.h"

static int handle_token;

int cublasCreate_v2(void **h)
{
	if (fake_env("LP_FAKE_CUBLAS_FAIL"))
		return 1;
	*h = &handle_token;
	return 0;
}
int cublasDestroy_v2(void *h) { return h == &handle_token ? 0 : 1; }
int cublasGetVersion_v2(void *h, int *v) { *v = 130001; return 0; }
int cublasSetStream_v2(void *h, void *s) { fake_log("cublas stream set %d", s != 0); return 0; }
int cublasSetMathMode(void *h, int mode) { fake_log("cublas math mode %d", mode); return 0; }
int cublasSetAtomicsMode(void *h, int mode) { fake_log("cublas atomics mode %d", mode); return 0; }

static void gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
	float beta, float *c, int ldc)
{
	for (int j = 0; j < n; j++)
		for (int i = 0; i < m; i++) {
			double s = 0;
			for (int l = 0; l < k; l++) {
				float av = ta ? a[l + (long)i * lda] : a[i + (long)l * lda];
				float bv = tb ? b[j + (long)l * ldb] : b[l + (long)j * ldb];
				s += (double)av * bv;
			}
			float *cv = &c[i + (long)j * ldc];
			*cv = beta == 0 ? (float)(alpha * s) : (float)(alpha * s + beta * *cv);
		}
}

int cublasSgemm_v2(void *h, int ta, int tb, int m, int n, int k, const float *alpha, const float *a, int lda,
	const float *b, int ldb, const float *beta, float *c, int ldc)
{
	fake_log("sgemm %d %d %d %d %d", ta, tb, m, n, k);
	gemm(ta, tb, m, n, k, *alpha, a, lda, b, ldb, *beta, c, ldc);
	return 0;
}

int cublasSgemmStridedBatched(void *h, int ta, int tb, int m, int n, int k, const float *alpha, const float *a, int lda,
	long long sa, const float *b, int ldb, long long sb, const float *beta, float *c, int ldc, long long sc, int batch)
{
	fake_log("sgemm batched %d %d %d %d %d batch %d", ta, tb, m, n, k, batch);
	for (int i = 0; i < batch; i++)
		gemm(ta, tb, m, n, k, *alpha, a + i * sa, lda, b + i * sb, ldb, *beta, c + i * sc, ldc);
	return 0;
}
