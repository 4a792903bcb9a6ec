/*
 * harness.c: an emulated GPU for package gpu/emu. It reads requests on
 * standard input and answers on standard output (little-endian):
 *
 *   request: u32 op, u32 0, u64 n, then n payload bytes
 *   answer:  u32 status (0 ok), u32 0, u64 n, then n bytes (data, or the
 *            error text when status is not 0)
 *
 * Device memory is host memory from malloc, filled with 0xff bytes (float
 * NaN) so that a kernel reading a value nobody wrote gives NaN. Every copy
 * and GEMM operand is checked to lie inside one allocation, and every
 * pointer argument of a launch to be null or inside one.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

struct kentry {
	const char *name;
	void (*fn)(void **);
	const char *kinds; /* one letter per parameter: p, i, f, d */
};
extern const struct kentry lp_kernels[];
extern const int lp_nkernels;

enum { OP_ALLOC = 1, OP_FREE, OP_HTOD, OP_DTOH, OP_DTOD, OP_LAUNCH, OP_GEMM, OP_SYNC, OP_QUIT };

struct gemm {
	int32_t ta, tb, m, n, k, lda, ldb, ldc, batch, pad;
	float alpha, beta;
	uint64_t a, b, c;
	int64_t sa, sb, sc;
};

static struct {
	uintptr_t base;
	size_t size;
} *allocs;
static int nallocs, capallocs;

static int read_full(void *p, size_t n)
{
	char *b = p;
	while (n > 0) {
		ssize_t r = read(0, b, n);
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static void write_full(const void *p, size_t n)
{
	const char *b = p;
	while (n > 0) {
		ssize_t r = write(1, b, n);
		if (r <= 0)
			exit(3);
		b += r;
		n -= (size_t)r;
	}
}

static void reply(uint32_t status, const void *data, uint64_t n)
{
	uint32_t h[2] = {status, 0};
	write_full(h, sizeof h);
	write_full(&n, sizeof n);
	if (n)
		write_full(data, n);
}

static void fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n >= (int)sizeof buf)
		n = sizeof buf - 1;
	reply(1, buf, (uint64_t)n);
}

/* inside reports whether [p, p+n) lies inside one allocation. */
static int inside(uint64_t p, uint64_t n)
{
	for (int i = 0; i < nallocs; i++)
		if (p >= allocs[i].base && p - allocs[i].base <= allocs[i].size && n <= allocs[i].size - (p - allocs[i].base))
			return 1;
	return 0;
}

/* extent in bytes of a column-major r x c matrix, batch times with stride s. */
static uint64_t extent(int r, int c, int ld, int64_t s, int batch)
{
	if (r == 0 || c == 0)
		return 0;
	return 4 * ((uint64_t)(batch - 1) * (uint64_t)s + (uint64_t)(c - 1) * (uint64_t)ld + (uint64_t)r);
}

/*
 * C = alpha op(A) op(B) + beta C, column-major, as cublasSgemm (C is not
 * read when beta is 0). op(A) is packed into a contiguous column-major m x k
 * copy, so that the inner loop runs down a column (vectorisable).
 */
static void sgemm(const struct gemm *g)
{
	int m = g->m, n = g->n, k = g->k;
	float *acc = malloc(sizeof(float) * (size_t)(m > 0 ? m : 1));
	float *bcol = malloc(sizeof(float) * (size_t)(k > 0 ? k : 1));
	float *ap = malloc(sizeof(float) * (size_t)(m > 0 && k > 0 ? (size_t)m * k : 1));
	for (int bi = 0; bi < g->batch; bi++) {
		const float *A = (const float *)(uintptr_t)g->a + bi * g->sa;
		const float *B = (const float *)(uintptr_t)g->b + bi * g->sb;
		float *C = (float *)(uintptr_t)g->c + bi * g->sc;
		for (int l = 0; l < k; l++)
			for (int r = 0; r < m; r++)
				ap[(size_t)l * m + r] = g->ta ? A[l + (int64_t)r * g->lda] : A[r + (int64_t)l * g->lda];
		for (int j = 0; j < n; j++) {
			for (int l = 0; l < k; l++)
				bcol[l] = g->tb ? B[j + (int64_t)l * g->ldb] : B[l + (int64_t)j * g->ldb];
			for (int r = 0; r < m; r++)
				acc[r] = 0.0f;
			for (int l = 0; l < k; l++) {
				const float *a = ap + (size_t)l * m;
				float bv = bcol[l];
				for (int r = 0; r < m; r++)
					acc[r] += a[r] * bv;
			}
			float *c = C + (int64_t)j * g->ldc;
			for (int r = 0; r < m; r++)
				c[r] = g->beta == 0.0f ? g->alpha * acc[r] : g->alpha * acc[r] + g->beta * c[r];
		}
	}
	free(acc);
	free(bcol);
	free(ap);
}

int main(void)
{
	/* Handshake: the kernel count and names, one per line. */
	printf("ladderpose-emu %d\n", lp_nkernels);
	for (int i = 0; i < lp_nkernels; i++)
		printf("%s %s\n", lp_kernels[i].name, lp_kernels[i].kinds);
	fflush(stdout);

	size_t cap = 1 << 16;
	char *buf = malloc(cap);
	for (;;) {
		uint32_t h[2];
		uint64_t n;
		if (read_full(h, sizeof h) || read_full(&n, sizeof n))
			return 0; /* the Go side closed the pipe */
		if (n > cap) {
			free(buf);
			cap = n;
			buf = malloc(cap);
			if (!buf)
				return 4;
		}
		if (n && read_full(buf, n))
			return 2;
		uint64_t *u = (uint64_t *)buf;
		switch (h[0]) {
		case OP_ALLOC: {
			void *p = malloc(u[0] ? u[0] : 1);
			if (!p) {
				fail("out of host memory allocating %llu bytes", (unsigned long long)u[0]);
				break;
			}
			memset(p, 0xff, u[0]);
			if (nallocs == capallocs) {
				capallocs = capallocs ? 2 * capallocs : 64;
				allocs = realloc(allocs, sizeof *allocs * (size_t)capallocs);
			}
			allocs[nallocs].base = (uintptr_t)p;
			allocs[nallocs].size = u[0];
			nallocs++;
			uint64_t ptr = (uintptr_t)p;
			reply(0, &ptr, 8);
			break;
		}
		case OP_FREE: {
			int i;
			for (i = 0; i < nallocs && allocs[i].base != u[0]; i++)
				;
			if (i == nallocs) {
				fail("free of %#llx, which is no allocation", (unsigned long long)u[0]);
				break;
			}
			free((void *)allocs[i].base);
			allocs[i] = allocs[--nallocs];
			reply(0, NULL, 0);
			break;
		}
		case OP_HTOD:
			if (!inside(u[0], n - 8)) {
				fail("upload of %llu bytes to %#llx outside every allocation", (unsigned long long)(n - 8), (unsigned long long)u[0]);
				break;
			}
			memcpy((void *)(uintptr_t)u[0], buf + 8, n - 8);
			reply(0, NULL, 0);
			break;
		case OP_DTOH:
			if (!inside(u[0], u[1])) {
				fail("download of %llu bytes from %#llx outside every allocation", (unsigned long long)u[1], (unsigned long long)u[0]);
				break;
			}
			reply(0, (void *)(uintptr_t)u[0], u[1]);
			break;
		case OP_DTOD:
			if (!inside(u[0], u[2]) || !inside(u[1], u[2])) {
				fail("copy of %llu bytes from %#llx to %#llx outside the allocations", (unsigned long long)u[2], (unsigned long long)u[1], (unsigned long long)u[0]);
				break;
			}
			memmove((void *)(uintptr_t)u[0], (void *)(uintptr_t)u[1], u[2]);
			reply(0, NULL, 0);
			break;
		case OP_LAUNCH: {
			uint32_t *w = (uint32_t *)buf;
			uint32_t k = w[0], nargs = w[7];
			uint64_t *args = (uint64_t *)(buf + 32);
			if (k >= (uint32_t)lp_nkernels) {
				fail("no kernel %u", k);
				break;
			}
			const struct kentry *e = &lp_kernels[k];
			if (nargs != strlen(e->kinds) || nargs > 64) {
				fail("%s takes %d arguments, got %u", e->name, (int)strlen(e->kinds), nargs);
				break;
			}
			int bad = -1;
			for (uint32_t i = 0; i < nargs; i++)
				if (e->kinds[i] == 'p' && args[i] != 0 && !inside(args[i], 4))
					bad = (int)i;
			if (bad >= 0) {
				fail("%s: pointer argument %d = %#llx lies outside every allocation", e->name, bad, (unsigned long long)args[bad]);
				break;
			}
			void *params[64];
			for (uint32_t i = 0; i < nargs; i++)
				params[i] = &args[i];
			gridDim.x = w[1], gridDim.y = w[2], gridDim.z = w[3];
			blockDim.x = w[4], blockDim.y = w[5], blockDim.z = w[6];
			for (unsigned bz = 0; bz < gridDim.z; bz++)
				for (unsigned by = 0; by < gridDim.y; by++)
					for (unsigned bx = 0; bx < gridDim.x; bx++) {
						blockIdx.x = bx, blockIdx.y = by, blockIdx.z = bz;
						for (unsigned tz = 0; tz < blockDim.z; tz++)
							for (unsigned ty = 0; ty < blockDim.y; ty++)
								for (unsigned tx = 0; tx < blockDim.x; tx++) {
									threadIdx.x = tx, threadIdx.y = ty, threadIdx.z = tz;
									e->fn(params);
								}
					}
			reply(0, NULL, 0);
			break;
		}
		case OP_GEMM: {
			struct gemm g;
			memcpy(&g, buf, sizeof g);
			int ar = g.ta ? g.k : g.m, ac = g.ta ? g.m : g.k;
			int br = g.tb ? g.n : g.k, bc = g.tb ? g.k : g.n;
			if (g.batch < 1 || (g.k > 0 && (!inside(g.a, extent(ar, ac, g.lda, g.sa, g.batch)) ||
						       !inside(g.b, extent(br, bc, g.ldb, g.sb, g.batch)))) ||
				!inside(g.c, extent(g.m, g.n, g.ldc, g.sc, g.batch))) {
				fail("gemm %dx%dx%d batch %d: an operand lies outside the allocations", g.m, g.n, g.k, g.batch);
				break;
			}
			sgemm(&g);
			reply(0, NULL, 0);
			break;
		}
		case OP_SYNC:
			reply(0, NULL, 0);
			break;
		case OP_QUIT:
			reply(0, NULL, 0);
			return 0;
		default:
			fail("unknown request %u", h[0]);
		}
	}
}
