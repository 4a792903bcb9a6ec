// sgemm_bench times OpenBLAS's cblas_sgemm on ladderpose's benchmark shapes
// (row-major, no transposes, as ops.BenchmarkSgemm does) and probes the
// machine's FMA peak with independent FMA chains. Built and run by
// tools/compare-openblas.sh; prints "shape GFLOP/s" lines (median of runs).
//
//   sgemm_bench gemm THREADS REPS       -> "MxKxN gflops" per shape
//   sgemm_bench peak THREADS BITS       -> "peak BITS gflops" (BITS 256 or 512)
#include <cblas.h>
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static const int shapes[][3] = {
	{192, 768, 2304}, {192, 768, 768}, {192, 768, 3072}, {192, 3072, 768},
	{192, 1280, 3840}, {1024, 1024, 1024}, {3072, 576, 64}, {64, 64, 64},
};

static void gemm(int threads, int reps) {
	openblas_set_num_threads(threads);
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		int m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
		float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = malloc(sizeof(float) * m * n);
		for (long i = 0; i < (long)m * k; i++) a[i] = (float)((i * 7919) % 1000) / 1000 - 0.5f;
		for (long i = 0; i < (long)k * n; i++) b[i] = (float)((i * 104729) % 1000) / 1000 - 0.5f;
		double flop = 2.0 * m * n * k;
		// Enough calls per sample for about 50 ms.
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
		double t0 = now();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
		double one = now() - t0;
		int calls = (int)(0.05 / (one > 1e-7 ? one : 1e-7)) + 1;
		double *g = malloc(sizeof(double) * reps);
		for (int r = 0; r < reps; r++) {
			t0 = now();
			for (int i = 0; i < calls; i++)
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
			g[r] = flop * calls / (now() - t0) / 1e9;
		}
		qsort(g, reps, sizeof(double), cmp);
		printf("%dx%dx%d %.2f\n", m, k, n, g[reps / 2]);
		fflush(stdout);
		free(a), free(b), free(c), free(g);
	}
}

#define ITERS 200000000L

// 12 independent FMA chains hide the FMA latency on every current core.
__attribute__((target("avx2,fma"))) static void *peak256(void *out) {
	__m256 x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(0.9999999f);
	__m256 a0 = _mm256_set1_ps(0.f), a1 = _mm256_set1_ps(1.f), a2 = _mm256_set1_ps(2.f), a3 = _mm256_set1_ps(3.f), a4 = _mm256_set1_ps(4.f), a5 = _mm256_set1_ps(5.f), a6 = _mm256_set1_ps(6.f), a7 = _mm256_set1_ps(7.f), a8 = _mm256_set1_ps(8.f), a9 = _mm256_set1_ps(9.f), a10 = _mm256_set1_ps(10.f), a11 = _mm256_set1_ps(11.f);
	for (long it = 0; it < ITERS / 12; it++) {
		a0 = _mm256_fmadd_ps(a0, x, y);
		a1 = _mm256_fmadd_ps(a1, x, y);
		a2 = _mm256_fmadd_ps(a2, x, y);
		a3 = _mm256_fmadd_ps(a3, x, y);
		a4 = _mm256_fmadd_ps(a4, x, y);
		a5 = _mm256_fmadd_ps(a5, x, y);
		a6 = _mm256_fmadd_ps(a6, x, y);
		a7 = _mm256_fmadd_ps(a7, x, y);
		a8 = _mm256_fmadd_ps(a8, x, y);
		a9 = _mm256_fmadd_ps(a9, x, y);
		a10 = _mm256_fmadd_ps(a10, x, y);
		a11 = _mm256_fmadd_ps(a11, x, y);
	}
	__m256 s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
	*(float *)out = s[0];
	return NULL;
}

__attribute__((target("avx512f"))) static void *peak512(void *out) {
	__m512 x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(0.9999999f);
	__m512 a0 = _mm512_set1_ps(0.f), a1 = _mm512_set1_ps(1.f), a2 = _mm512_set1_ps(2.f), a3 = _mm512_set1_ps(3.f), a4 = _mm512_set1_ps(4.f), a5 = _mm512_set1_ps(5.f), a6 = _mm512_set1_ps(6.f), a7 = _mm512_set1_ps(7.f), a8 = _mm512_set1_ps(8.f), a9 = _mm512_set1_ps(9.f), a10 = _mm512_set1_ps(10.f), a11 = _mm512_set1_ps(11.f);
	for (long it = 0; it < ITERS / 12; it++) {
		a0 = _mm512_fmadd_ps(a0, x, y);
		a1 = _mm512_fmadd_ps(a1, x, y);
		a2 = _mm512_fmadd_ps(a2, x, y);
		a3 = _mm512_fmadd_ps(a3, x, y);
		a4 = _mm512_fmadd_ps(a4, x, y);
		a5 = _mm512_fmadd_ps(a5, x, y);
		a6 = _mm512_fmadd_ps(a6, x, y);
		a7 = _mm512_fmadd_ps(a7, x, y);
		a8 = _mm512_fmadd_ps(a8, x, y);
		a9 = _mm512_fmadd_ps(a9, x, y);
		a10 = _mm512_fmadd_ps(a10, x, y);
		a11 = _mm512_fmadd_ps(a11, x, y);
	}
	__m512 s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
	*(float *)out = s[0];
	return NULL;
}

static void peak(int threads, int bits) {
	pthread_t th[64];
	float out[64];
	double t0 = now();
	for (int t = 0; t < threads; t++)
		pthread_create(&th[t], NULL, bits == 512 ? peak512 : peak256, &out[t]);
	for (int t = 0; t < threads; t++) pthread_join(th[t], NULL);
	double dt = now() - t0;
	double flop = 2.0 * (ITERS / 12) * 12 * (bits / 32) * threads;
	printf("peak%d %.2f\n", bits, flop / dt / 1e9);
}

int main(int argc, char **argv) {
	if (argc != 4) {
		fprintf(stderr, "usage: sgemm_bench gemm THREADS REPS | peak THREADS BITS\n");
		return 2;
	}
	int a = atoi(argv[2]), b = atoi(argv[3]);
	if (!strcmp(argv[1], "gemm")) gemm(a, b);
	else peak(a, b);
	return 0;
}
