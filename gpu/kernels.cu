/*
 * ladderpose GPU kernels.
 *
 * Written in the subset of CUDA C that is also plain C, so that the same text
 * compiles with NVRTC on a GPU host (prelude: see nvrtcPrelude in kernels.go)
 * and with the system C compiler for the CPU emulation the tests run (shim:
 * gpu/emu/csrc/shim.h). The rules that keep both meanings equal:
 *
 *   - every kernel is declared "KERNEL name(params)" with parameters of type
 *     int, float, double or a pointer (the Go side parses these signatures);
 *   - no shared memory, no __syncthreads, no warp shuffles, no atomics: every
 *     thread computes its own outputs from inputs no thread of the same launch
 *     writes, so running the threads of a launch one after another (the
 *     emulator) gives the same result as running them in parallel, and the
 *     result never depends on scheduling (deterministic run to run);
 *   - a reduction over a row runs in two steps with no communication
 *     between threads: L "lanes" per row each sum (or take the maximum of)
 *     the values lane, lane+L, lane+2L, ... in order, so that neighbouring
 *     threads read neighbouring values (coalesced), into a partials buffer;
 *     the next launch combines a row's L partials in lane order, one
 *     thread per output element. Small reductions run whole in one thread.
 *     Either way the order is fixed by the launch shape alone;
 *   - launches are one-dimensional: thread t = blockIdx.x*blockDim.x +
 *     threadIdx.x handles item t of n and returns when t >= n;
 *   - indices are 32-bit int once that check passed (64-bit division is
 *     slow on a GPU): the Go side guarantees that every buffer holds fewer
 *     than 2^31 values and every launch fewer than 2^31 threads, so no
 *     index into a buffer overflows.
 *
 * Layouts follow SPEC.md: NCHW maps, [rows, features] token matrices.
 * Activation codes: 0 none, 1 ReLU, 2 GELU (exact erf form).
 */

/* THREAD(t, n): t = this thread's item; return when t >= n (n an int). */
#define THREAD(t, n)                                                                               \
	int t;                                                                                     \
	{                                                                                          \
		unsigned int t_ = blockIdx.x * blockDim.x + threadIdx.x;                           \
		if (t_ >= (unsigned int)(n))                                                       \
			return;                                                                    \
		t = (int)t_;                                                                       \
	}

DEVFN float act_apply(float x, int act)
{
	if (act == 1)
		return x < 0.0f ? 0.0f : x;
	if (act == 2)
		return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f));
	return x;
}

/* y[i] = act(y[i] + bias[(i / inner) % nbias]) for i < n; bias may be NULL. */
KERNEL bias_act(float *y, const float *bias, int n, int inner, int nbias, int act)
{
	THREAD(i, n);
	float v = y[i];
	if (bias)
		v += bias[(i / inner) % nbias];
	y[i] = act_apply(v, act);
}

/*
 * Row partials in L interleaved lanes (LayerNorm, means): part[r*L + l] =
 * the sum over i = l, l+L, l+2L, ... < n of x[r*n + i] (stats NULL), or of
 * (x[r*n + i] - stats[2r])^2, stats[2r] being the row's mean. In double,
 * as ops.LayerNorm.
 */
KERNEL row_partials(double *part, const float *x, const double *stats, int rows, int n, int L)
{
	THREAD(t, rows * L);
	int r = t / L, l = t % L;
	const float *xr = x + r * n;
	double s = 0.0;
	if (stats) {
		double mu = stats[2 * r];
		for (int i = l; i < n; i += L) {
			double d = (double)xr[i] - mu;
			s += d * d;
		}
	} else {
		for (int i = l; i < n; i += L)
			s += (double)xr[i];
	}
	part[t] = s;
}

/*
 * Combines a row's L partials in lane order: with rstd 0, stats[2r] = the
 * mean sum/n; with rstd 1, stats[2r + 1] = 1/sqrt(sum/n + eps) (the partials
 * being squared deviations). One thread per row.
 */
KERNEL row_stats(double *stats, const double *part, int rows, int n, int L, int rstd, float eps)
{
	THREAD(r, rows);
	double s = 0.0;
	for (int j = 0; j < L; j++)
		s += part[r * L + j];
	if (rstd)
		stats[2 * r + 1] = 1.0 / sqrt(s / (double)n + (double)eps);
	else
		stats[2 * r] = s / (double)n;
}

/*
 * LayerNorm of x [rows, n] into y (may be x) from the rows' mean and
 * 1/sqrt(var + eps) in stats: each output computed in double and rounded
 * once (ops.LayerNorm). One thread per element.
 */
KERNEL layernorm_apply(float *y, const float *x, const double *stats, const float *gamma, const float *beta, int rows,
	int n)
{
	THREAD(t, rows * n);
	int r = t / n, i = t % n;
	double mu = stats[2 * r], rs = stats[2 * r + 1];
	y[t] = (float)(((double)x[t] - mu) * rs * (double)gamma[i] + (double)beta[i]);
}

/* dst[r] = (float)stats[2r]: the row means of row_stats. */
KERNEL mean_apply(float *dst, const double *stats, int rows)
{
	THREAD(r, rows);
	dst[r] = (float)stats[2 * r];
}

/*
 * Softmax of the rows of x [rows, n]: the lanes' maxima, the row maximum
 * (stats[2r]), the lanes' sums of exp(x - max), 1/sum (stats[2r + 1]), then
 * x = exp(x - max) * (1/sum).
 */
KERNEL row_max_partials(float *part, const float *x, int rows, int n, int L)
{
	THREAD(t, rows * L);
	int r = t / L, l = t % L;
	const float *xr = x + r * n;
	float m = NEG_INF;
	for (int i = l; i < n; i += L)
		m = fmaxf(m, xr[i]);
	part[t] = m;
}

KERNEL row_max_combine(float *stats, const float *part, int rows, int L)
{
	THREAD(r, rows);
	float m = part[r * L];
	for (int j = 1; j < L; j++)
		m = fmaxf(m, part[r * L + j]);
	stats[2 * r] = m;
}

KERNEL row_expsum_partials(float *part, const float *x, const float *stats, int rows, int n, int L)
{
	THREAD(t, rows * L);
	int r = t / L, l = t % L;
	const float *xr = x + r * n;
	float m = stats[2 * r];
	float s = 0.0f;
	for (int i = l; i < n; i += L)
		s += expf(xr[i] - m);
	part[t] = s;
}

KERNEL row_sum_combine(float *stats, const float *part, int rows, int L)
{
	THREAD(r, rows);
	float s = 0.0f;
	for (int j = 0; j < L; j++)
		s += part[r * L + j];
	stats[2 * r + 1] = 1.0f / s;
}

KERNEL softmax_apply(float *x, const float *stats, int rows, int n)
{
	THREAD(t, rows * n);
	int r = t / n;
	x[t] = expf(x[t] - stats[2 * r]) * stats[2 * r + 1];
}

/* x[i] += y[i] for i < n. */
KERNEL add_inplace(float *x, const float *y, int n)
{
	THREAD(i, n);
	x[i] += y[i];
}

/* x[i] *= y[i] for i < n. */
KERNEL mul_inplace(float *x, const float *y, int n)
{
	THREAD(i, n);
	x[i] *= y[i];
}

/* dst[b][j][i] = src[b][i][j] for b matrices of r x c. One thread per output. */
KERNEL transpose_batch(float *dst, const float *src, int b, int r, int c)
{
	int per = r * c;
	THREAD(t, b * per);
	int bi = t / per, rem = t % per;
	int j = rem / r, i = rem % r;
	dst[t] = src[bi * per + i * c + j];
}

/*
 * Patch tokens: pe is the patch convolution without bias, [b, d, n]; x [b*n,
 * d] gets ((pe + bias) + pos[1+t]) + pos[0] (SPEC.md section 1.2).
 */
KERNEL patch_tokens(float *x, const float *pe, const float *bias, const float *pos, int b, int d, int n)
{
	THREAD(i, b * n * d);
	int j = i % d, t = (i / d) % n, bi = i / (d * n);
	float v = pe[(bi * d + j) * n + t] + bias[j];
	x[i] = (v + pos[(1 + t) * d + j]) + pos[j];
}

/*
 * Heads apart: dst [b, heads, n, hd] from columns off.. of src [b*n, lds]
 * (head h = columns off + h*hd ..). One thread per output.
 */
KERNEL split_heads(float *dst, const float *src, int lds, int off, int b, int n, int heads, int hd)
{
	THREAD(i, b * heads * n * hd);
	int j = i % hd, t = (i / hd) % n, h = (i / (hd * n)) % heads;
	int bi = i / (hd * n * heads);
	dst[i] = src[(bi * n + t) * lds + off + h * hd + j];
}

/* Heads together: the inverse of split_heads, into columns off.. of dst [b*n, ldd]. */
KERNEL merge_heads(float *dst, int ldd, int off, const float *src, int b, int n, int heads, int hd)
{
	THREAD(i, b * heads * n * hd);
	int j = i % hd, t = (i / hd) % n, h = (i / (hd * n)) % heads;
	int bi = i / (hd * n * heads);
	dst[(bi * n + t) * ldd + off + h * hd + j] = src[i];
}

/*
 * im2col for ns samples of x [ns, c, h, w] into col [ns, c*kh*kw, oh*ow]:
 * row (ch*kh + ki)*kw + kj, column oy*ow + ox holds x[ch][oy*sh - ph + ki*dh]
 * [ox*sw - pw + kj*dw], zero outside the input. One thread per output.
 */
KERNEL im2col(float *col, const float *x, int ns, int c, int h, int w, int kh, int kw, int sh, int sw,
	int ph, int pw, int dh, int dw, int oh, int ow)
{
	int ohw = oh * ow, k = c * kh * kw;
	THREAD(i, ns * k * ohw);
	int p = i % ohw, row = (i / ohw) % k, s = i / (ohw * k);
	int ch = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw;
	int oy = p / ow, ox = p % ow;
	int iy = oy * sh - ph + ki * dh, ix = ox * sw - pw + kj * dw;
	float v = 0.0f;
	if (iy >= 0 && iy < h && ix >= 0 && ix < w)
		v = x[((s * c + ch) * h + iy) * w + ix];
	col[i] = v;
}

/*
 * col2im for a transposed convolution, gather form: y [ns, oc, oh, ow] =
 * act(sum of the taps of col [ns, oc*kh*kw, ih*iw] that land on each output
 * + bias[oc]), taps summed in the order (kernel row, kernel column). bias may
 * be NULL. One thread per output, so no two threads write one value.
 */
KERNEL col2im(float *y, const float *col, const float *bias, int ns, int oc, int oh, int ow, int kh, int kw,
	int sh, int sw, int ph, int pw, int dh, int dw, int ih, int iw, int act)
{
	THREAD(i, ns * oc * oh * ow);
	int x = i % ow, yy = (i / ow) % oh;
	int ch = (i / (ow * oh)) % oc, s = i / (ow * oh * oc);
	int ihw = ih * iw;
	const float *base = col + (s * oc + ch) * kh * kw * ihw;
	float sum = 0.0f;
	for (int ki = 0; ki < kh; ki++) {
		int ty = yy + ph - ki * dh;
		if (ty < 0 || ty % sh != 0)
			continue;
		int iy = ty / sh;
		if (iy >= ih)
			continue;
		for (int kj = 0; kj < kw; kj++) {
			int tx = x + pw - kj * dw;
			if (tx < 0 || tx % sw != 0)
				continue;
			int ix = tx / sw;
			if (ix >= iw)
				continue;
			sum += base[(ki * kw + kj) * ihw + iy * iw + ix];
		}
	}
	if (bias)
		sum += bias[ch];
	y[i] = act_apply(sum, act);
}

/*
 * Direct depthwise convolution (groups = c input channels, mult = oc/c
 * outputs each): y [ns, oc, oh, ow] = act(bias + sum over (ki, kj) of
 * x[oc/mult] * w[oc][ki][kj]). bias may be NULL. One thread per output.
 */
KERNEL depthwise_conv(float *y, const float *x, const float *wt, const float *bias, int ns, int c, int mult,
	int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow, int act)
{
	int oc = c * mult;
	THREAD(i, ns * oc * oh * ow);
	int ox = i % ow, oy = (i / ow) % oh;
	int ch = (i / (ow * oh)) % oc, s = i / (ow * oh * oc);
	const float *xp = x + (s * c + ch / mult) * h * w;
	const float *wp = wt + ch * kh * kw;
	float sum = 0.0f;
	for (int ki = 0; ki < kh; ki++) {
		int iy = oy * sh - ph + ki * dh;
		if (iy < 0 || iy >= h)
			continue;
		for (int kj = 0; kj < kw; kj++) {
			int ix = ox * sw - pw + kj * dw;
			if (ix < 0 || ix >= w)
				continue;
			sum += xp[iy * w + ix] * wp[ki * kw + kj];
		}
	}
	if (bias)
		sum += bias[ch];
	y[i] = act_apply(sum, act);
}

/*
 * One level of the Haar DWT (SPEC.md section 3, ops.HaarDWT): src [n, c, h,
 * w] -> dst [n, 4c, oh, ow] in the channel order LL, LH, HL, HH, an odd
 * height or width zero-padded at the bottom/right. One thread per output
 * position (all four subbands).
 */
KERNEL haar_dwt(float *dst, const float *src, int n, int c, int h, int w)
{
	int oh = (h + 1) / 2, ow = (w + 1) / 2;
	int ohw = oh * ow;
	THREAD(t, n * c * ohw);
	int q = t % ohw, u = t / ohw;
	int s = u / c, ch = u % c;
	int i = q / ow, j = q % ow;
	const float *x = src + u * h * w;
	float a = x[2 * i * w + 2 * j], b = 0.0f, cc = 0.0f, d = 0.0f;
	if (2 * j + 1 < w)
		b = x[2 * i * w + 2 * j + 1];
	if (2 * i + 1 < h) {
		cc = x[(2 * i + 1) * w + 2 * j];
		if (2 * j + 1 < w)
			d = x[(2 * i + 1) * w + 2 * j + 1];
	}
	float s1 = a + b, d1 = a - b, s2 = cc + d, d2 = cc - d;
	float *base = dst + s * 4 * c * ohw + ch * ohw + q;
	base[0] = (s1 + s2) * 0.5f;
	base[c * ohw] = (d1 + d2) * 0.5f;
	base[2 * c * ohw] = (s1 - s2) * 0.5f;
	base[3 * c * ohw] = (d1 - d2) * 0.5f;
}

/*
 * The two sums of the frequency path: from sub [b, 4c, hw] (LL, LH, HL, HH)
 * sl = (LL + LH) + HL and sh = (HH + LH) + HL, each [b, c, hw].
 */
KERNEL freq_mix(float *sl, float *sh, const float *sub, int b, int c, int hw)
{
	THREAD(t, b * c * hw);
	int i = t % hw, q = t / hw;
	int bi = q / c, ch = q % c;
	const float *base = sub + bi * 4 * c * hw + i;
	float ll = base[ch * hw], lh = base[(c + ch) * hw], hl = base[(2 * c + ch) * hw], hh = base[(3 * c + ch) * hw];
	sl[t] = (ll + lh) + hl;
	sh[t] = (hh + lh) + hl;
}

/*
 * s = softmax over the ch channels of (s + t), times u, at every pixel of
 * NCHW maps [b, ch, hw]. One thread per (sample, pixel).
 */
KERNEL channel_softmax_mul(float *s, const float *t, const float *u, int b, int ch, int hw)
{
	THREAD(q, b * hw);
	int bi = q / hw, i = q % hw;
	int base = bi * ch * hw + i;
	float m = NEG_INF;
	for (int k = 0; k < ch; k++) {
		float v = s[base + k * hw] + t[base + k * hw];
		s[base + k * hw] = v;
		m = fmaxf(m, v);
	}
	float sum = 0.0f;
	for (int k = 0; k < ch; k++) {
		float e = expf(s[base + k * hw] - m);
		s[base + k * hw] = e;
		sum += e;
	}
	for (int k = 0; k < ch; k++)
		s[base + k * hw] = s[base + k * hw] / sum * u[base + k * hw];
}

/* dst[(bi*ctot + ch)*hw + i] = vals[bi*c + ch]: broadcast c values per sample over planes. */
KERNEL fill_planes(float *dst, const float *vals, int b, int c, int hw, int ctot)
{
	THREAD(t, b * c * hw);
	int i = t % hw, q = t / hw;
	int bi = q / c, ch = q % c;
	dst[(bi * ctot + ch) * hw + i] = vals[q];
}

/* dst[r*ldd + j] = src[r*lds + j] for rows x cols. */
KERNEL copy_cols(float *dst, int ldd, const float *src, int lds, int rows, int cols)
{
	THREAD(t, rows * cols);
	int r = t / cols, j = t % cols;
	dst[r * ldd + j] = src[r * lds + j];
}

/*
 * F_vit = ((F_last + g0*T1) + g1*T2) + g2*T3 (SPEC.md section 1.5), n values.
 */
KERNEL ladder_gates(float *out, const float *flast, const float *t0, const float *t1, const float *t2,
	float g0, float g1, float g2, int n)
{
	THREAD(i, n);
	out[i] = flast[i] + g0 * t0[i] + g1 * t1[i] + g2 * t2[i];
}

DEVFN int fusion_level(double s)
{
	if (s >= 0.75)
		return 1;
	if (s >= 0.5)
		return 2;
	if (s >= 0.25)
		return 3;
	return 4;
}

/*
 * ASF similarity (SPEC.md section 5.2), first step: per sample of x and y
 * ([b, m] each) and lane l < L, the double sums over i = l, l+L, ... of
 * x*y, x*x and y*y into part[(bi*3 + {0,1,2})*L + l].
 */
KERNEL cosine_partials(double *part, const float *x, const float *y, int b, int m, int L)
{
	THREAD(t, b * L);
	int bi = t / L, l = t % L;
	const float *xs = x + bi * m, *ys = y + bi * m;
	double dot = 0.0, nx = 0.0, ny = 0.0;
	for (int i = l; i < m; i += L) {
		double v = (double)xs[i], u = (double)ys[i];
		dot += v * u;
		nx += v * v;
		ny += u * u;
	}
	part[(bi * 3) * L + l] = dot;
	part[(bi * 3 + 1) * L + l] = nx;
	part[(bi * 3 + 2) * L + l] = ny;
}

/*
 * Second step: the cosine (0 if either norm is 0) into sims [b] and the
 * level 1..4 into levels [b]. One thread per sample.
 */
KERNEL cosine_level(float *sims, float *levels, const double *part, int b, int L)
{
	THREAD(bi, b);
	double dot = 0.0, nx = 0.0, ny = 0.0;
	for (int j = 0; j < L; j++) {
		dot += part[(bi * 3) * L + j];
		nx += part[(bi * 3 + 1) * L + j];
		ny += part[(bi * 3 + 2) * L + j];
	}
	double s = 0.0;
	if (nx != 0.0 && ny != 0.0)
		s = dot / (sqrt(nx) * sqrt(ny));
	sims[bi] = (float)s;
	levels[bi] = (float)fusion_level(s);
}

/*
 * ASF strip selection (SPEC.md sections 5.3-5.4): token t of sample bi lies
 * in grid row t/gw, which belongs to strip m of the levels[bi] strips that
 * torch.tensor_split makes of gh rows; the cross-attention module m handled
 * it. dst[r*ldd + j] = resid[r*ldr + j] + src[r*lds + m*e + j] for the rows
 * r < b*n and j < e (src holds the output of all four modules side by side).
 */
KERNEL strip_select(float *dst, int ldd, const float *resid, int ldr, const float *src, int lds,
	const float *levels, int b, int n, int gh, int gw, int e)
{
	THREAD(t, b * n * e);
	int r = t / e, j = t % e;
	int bi = r / n;
	int row = (r % n) / gw;
	int lv = (int)levels[bi];
	int base = gh / lv, extra = gh % lv, end = 0, m = 0;
	for (m = 0; m < lv; m++) {
		end += base + (m < extra ? 1 : 0);
		if (row < end)
			break;
	}
	dst[r * ldd + j] = resid[r * ldr + j] + src[r * lds + m * e + j];
}

/* mean[bi*w + j] = (sum over the n tokens of x[bi*n + t][j]) / n, float sum in token order. */
KERNEL mean_tokens(float *mean, const float *x, int b, int n, int w)
{
	THREAD(q, b * w);
	int bi = q / w, j = q % w;
	float s = 0.0f;
	for (int t = 0; t < n; t++)
		s += x[(bi * n + t) * w + j];
	mean[q] = s / (float)n;
}

/* x[bi*n + t][j] *= sigmoid(gate[bi][j]) for x [b*n, w] (SPEC.md section 5.5). */
KERNEL gate_mul(float *x, const float *gate, int b, int n, int w)
{
	THREAD(i, b * n * w);
	int j = i % w, bi = i / (n * w);
	float g = 1.0f / (1.0f + expf(-gate[bi * w + j]));
	x[i] *= g;
}

/*
 * MGA step 3, pooling: pt [b, v, n] (transposed) = AAP_V of xt [b*n, c]:
 * bin k averages channels floor(k*c/v) .. ceil((k+1)*c/v)-1, summed in
 * double (ops.AdaptiveAvgPool1D). One thread per output; a softmax over
 * the rows of pt follows.
 */
KERNEL aap_tokens(float *pt, const float *xt, int b, int n, int c, int v)
{
	THREAD(q, b * v * n);
	int t = q % n, k = (q / n) % v, bi = q / (n * v);
	int start = k * c / v, end = ((k + 1) * c + v - 1) / v;
	const float *x = xt + (bi * n + t) * c;
	double s = 0.0;
	for (int p = start; p < end; p++)
		s += (double)x[p];
	pt[q] = (float)(s * (1.0 / (double)(end - start)));
}

/* MGA step 4: s1[r] = z[r] . a[0:c], s2[r] = z[r] . a[c:2c] for z [rows, c]. */
KERNEL mga_scores(float *s1, float *s2, const float *z, const float *a, int rows, int c)
{
	THREAD(r, rows);
	const float *zr = z + r * c;
	float x1 = 0.0f, x2 = 0.0f;
	for (int i = 0; i < c; i++) {
		x1 += zr[i] * a[i];
		x2 += zr[i] * a[c + i];
	}
	s1[r] = x1;
	s2[r] = x2;
}

DEVFN float leaky02(float x) { return x > 0.0f ? x : x * 0.2f; }

/*
 * MGA steps 4-5: fe [b, v, v] = (be0*e_vit + be1*e_fv) + be2*e_sv with
 * e_k[i][j] = LeakyReLU_0.2(s1_k[i] + s2_k[j]).
 */
KERNEL mga_edges(float *fe, const float *s1a, const float *s2a, const float *s1b, const float *s2b,
	const float *s1c, const float *s2c, float be0, float be1, float be2, int b, int v)
{
	THREAD(t, b * v * v);
	int j = t % v, i = (t / v) % v, bi = t / (v * v);
	int ri = bi * v + i, rj = bi * v + j;
	float e0 = leaky02(s1a[ri] + s2a[rj]);
	float e1 = leaky02(s1b[ri] + s2b[rj]);
	float e2 = leaky02(s1c[ri] + s2c[rj]);
	fe[t] = (be0 * e0 + be1 * e1) + be2 * e2;
}

/* out = (a0*g0 + a1*g1) + a2*g2 over n values (MGA step 5, the nodes). */
KERNEL weighted_sum3(float *out, const float *g0, const float *g1, const float *g2, float a0, float a1, float a2, int n)
{
	THREAD(i, n);
	out[i] = (a0 * g0[i] + a1 * g1[i]) + a2 * g2[i];
}

/* out = ((p0 + p1) + p2) / 3 over n values (MGA step 7). */
KERNEL mean3(float *out, const float *p0, const float *p1, const float *p2, int n)
{
	THREAD(i, n);
	out[i] = ((p0[i] + p1[i]) + p2[i]) / 3.0f;
}

/*
 * Source index and weights of output position i along one axis of a bilinear
 * resize with align_corners=False (ops.bilinearTaps: the position computed in
 * double from a float step, rounded to float once; equal sizes copy).
 */
DEVFN void bilinear_tap(int i, int in, int out, float step, int *i0, int *i1, float *l0, float *l1)
{
	if (in == out) {
		*i0 = i;
		*i1 = i;
		*l0 = 1.0f;
		*l1 = 0.0f;
		return;
	}
	float r = (float)((double)step * ((double)i + 0.5) - 0.5);
	if (r < 0.0f)
		r = 0.0f;
	int a = (int)r;
	float l = r - (float)a;
	if (l < 0.0f)
		l = 0.0f;
	if (l > 1.0f)
		l = 1.0f;
	*i0 = a;
	*i1 = a < in - 1 ? a + 1 : a;
	*l0 = 1.0f - l;
	*l1 = l;
}

/*
 * Bilinear resize of nc planes [nc, h, w] -> [nc, oh, ow], align_corners
 * False, source steps sy and sx (h/oh and w/ow for a size). One thread per
 * output.
 */
KERNEL resize_bilinear(float *dst, const float *src, int nc, int h, int w, int oh, int ow, float sy, float sx)
{
	THREAD(t, nc * oh * ow);
	int x = t % ow, y = (t / ow) % oh;
	int p = t / (ow * oh);
	int y0, y1, x0, x1;
	float h0, h1, w0, w1;
	bilinear_tap(y, h, oh, sy, &y0, &y1, &h0, &h1);
	bilinear_tap(x, w, ow, sx, &x0, &x1, &w0, &w1);
	const float *in = src + p * h * w;
	const float *r0 = in + y0 * w, *r1 = in + y1 * w;
	float t0 = r0[x0] * w0 + r0[x1] * w1;
	float t1 = r1[x0] * w0 + r1[x1] * w1;
	dst[t] = t0 * h0 + t1 * h1;
}
