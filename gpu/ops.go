package gpu

import (
	"fmt"
	"math"

	"github.com/ladderpose/ladderpose/ops"
)

// The operations below queue kernels of kernels.cu. Each checks that every
// buffer holds the values the kernel will touch before it launches, so that
// a wrong size is an error here rather than a stray access on the device.
// Shapes follow package ops: NCHW maps, row-major [rows, features] matrices.

// need checks that b holds at least n values, and that n is within the
// kernels' 32-bit indexing.
func need(op, name string, b Buf, n int) error {
	if n > math.MaxInt32 {
		return fmt.Errorf("gpu: %s: %s spans %d values, more than the kernels' 32-bit indices reach: use a smaller batch", op, name, n)
	}
	if n > 0 && b.N < n {
		return fmt.Errorf("gpu: %s: %s has %d values, needs %d", op, name, b.N, n)
	}
	return nil
}

// needAll checks several buffers: name, buffer, count triples.
func needAll(op string, checks ...any) error {
	for i := 0; i+2 < len(checks); i += 3 {
		if err := need(op, checks[i].(string), checks[i+1].(Buf), checks[i+2].(int)); err != nil {
			return err
		}
	}
	return nil
}

// positive checks that sizes are positive.
func positive(op string, sizes ...int) error {
	for _, s := range sizes {
		if s <= 0 {
			return fmt.Errorf("gpu: %s: sizes %v must be positive", op, sizes)
		}
	}
	return nil
}

// actCode maps an activation to the kernels' code.
func actCode(a ops.Act) (int, error) {
	switch a {
	case ops.ActNone:
		return 0, nil
	case ops.ActReLU:
		return 1, nil
	case ops.ActGELU:
		return 2, nil
	}
	return 0, fmt.Errorf("gpu: unknown activation %d", a)
}

// BiasAct computes y[i] = act(y[i] + bias[(i/inner) % nbias]) for i < n:
// a linear layer's bias (inner 1, nbias its width) or a convolution's
// (inner the plane size, nbias the channels). bias may be the null Buf.
func (d *Device) BiasAct(y Buf, n int, bias Buf, inner, nbias int, act ops.Act) error {
	code, err := actCode(act)
	if err != nil {
		return err
	}
	if err := positive("BiasAct", inner, nbias); err != nil {
		return err
	}
	if err := needAll("BiasAct", "y", y, n); err != nil {
		return err
	}
	if !bias.IsNull() {
		if err := need("BiasAct", "bias", bias, nbias); err != nil {
			return err
		}
	}
	return d.launch("bias_act", n, y, bias, n, inner, nbias, code)
}

// Linear computes y = act(x W^T + bias + beta*y) for x [rows, in], W [out,
// in] (PyTorch layout) and y [rows, out], all contiguous; bias may be null.
func (d *Device) Linear(y, x Buf, rows, in, out int, w, bias Buf, beta float32, act ops.Act) error {
	if err := d.Gemm(false, true, rows, out, in, 1, x, in, w, in, beta, y, out); err != nil {
		return err
	}
	if bias.IsNull() && act == ops.ActNone {
		return nil
	}
	return d.BiasAct(y, rows*out, bias, 1, out, act)
}

// maxLanes bounds the partial results per row of the row reductions
// (LayerNorm, softmax, means): a warp's worth, so that a row's values are
// read by neighbouring threads.
const maxLanes = 32

// lanes returns the partial results per row for rows of n values: about 8
// values a lane, at most maxLanes lanes.
func lanes(n int) int { return min(maxLanes, max(1, (n+7)/8)) }

// cosineLanes is the number of partial sums per sample of CosineLevel.
const cosineLanes = 256

// ReduceScratch returns the scratch values LayerNorm, Softmax, MGAMix and
// GlobalAvgPool need for rows rows (MGAProject: rows = b*v).
func ReduceScratch(rows int) int { return rows * (2*maxLanes + 4) }

// CosineScratch returns the scratch values CosineLevel needs for b samples.
func CosineScratch(b int) int { return 2 * 3 * b * cosineLanes }

// checkScratch checks a scratch buffer's size and its 8-byte alignment (it
// holds float64 partials).
func checkScratch(op string, s Buf, n int) error {
	if err := need(op, "scratch", s, n); err != nil {
		return err
	}
	if s.Ptr%8 != 0 {
		return fmt.Errorf("gpu: %s: scratch at %#x is not 8-byte aligned", op, s.Ptr)
	}
	return nil
}

// rowStats computes each row's mean (float64) of x [rows, n] into stats
// [rows, 2] (first of each pair) and, with rstd, 1/sqrt(variance + eps)
// (second), in coalesced partials.
func (d *Device) rowStats(stats, part, x Buf, rows, n int, rstd bool, eps float32) error {
	L := lanes(n)
	if err := d.launch("row_partials", rows*L, part, x, Buf{}, rows, n, L); err != nil {
		return err
	}
	if err := d.launch("row_stats", rows, stats, part, rows, n, L, 0, eps); err != nil {
		return err
	}
	if !rstd {
		return nil
	}
	if err := d.launch("row_partials", rows*L, part, x, stats, rows, n, L); err != nil {
		return err
	}
	return d.launch("row_stats", rows, stats, part, rows, n, L, 1, eps)
}

// LayerNorm normalises the rows of x [rows, n] into y (which may be x), as
// ops.LayerNorm: mean and biased variance in float64 (two passes of
// coalesced partial sums), each output computed in float64; gamma and
// beta of n values. scratch holds ReduceScratch(rows) values.
func (d *Device) LayerNorm(y, x Buf, rows, n int, gamma, beta Buf, eps float32, scratch Buf) error {
	if err := positive("LayerNorm", rows, n); err != nil {
		return err
	}
	if err := needAll("LayerNorm", "x", x, rows*n, "y", y, rows*n, "gamma", gamma, n, "beta", beta, n); err != nil {
		return err
	}
	if err := checkScratch("LayerNorm", scratch, ReduceScratch(rows)); err != nil {
		return err
	}
	part, stats := scratch.Slice(0, 2*rows*maxLanes), scratch.Slice(2*rows*maxLanes, 4*rows)
	if err := d.rowStats(stats, part, x, rows, n, true, eps); err != nil {
		return err
	}
	return d.launch("layernorm_apply", rows*n, y, x, stats, gamma, beta, rows, n)
}

// Softmax replaces each row of x [rows, n] by its softmax (stable form:
// exp(x - max) * (1/sum)), the maximum and the sum from coalesced
// partials. scratch holds ReduceScratch(rows) values.
func (d *Device) Softmax(x Buf, rows, n int, scratch Buf) error {
	if err := positive("Softmax", rows, n); err != nil {
		return err
	}
	if err := need("Softmax", "x", x, rows*n); err != nil {
		return err
	}
	if err := checkScratch("Softmax", scratch, ReduceScratch(rows)); err != nil {
		return err
	}
	L := lanes(n)
	part, stats := scratch.Slice(0, rows*L), scratch.Slice(2*rows*maxLanes, 2*rows)
	for _, l := range []struct {
		name string
		n    int
		args []any
	}{
		{"row_max_partials", rows * L, []any{part, x, rows, n, L}},
		{"row_max_combine", rows, []any{stats, part, rows, L}},
		{"row_expsum_partials", rows * L, []any{part, x, stats, rows, n, L}},
		{"row_sum_combine", rows, []any{stats, part, rows, L}},
		{"softmax_apply", rows * n, []any{x, stats, rows, n}},
	} {
		if err := d.launch(l.name, l.n, l.args...); err != nil {
			return err
		}
	}
	return nil
}

// TransposeBatch writes dst[i][k][j] = src[i][j][k] for b matrices of r x c.
func (d *Device) TransposeBatch(dst, src Buf, b, r, c int) error {
	if err := positive("TransposeBatch", b, r, c); err != nil {
		return err
	}
	if err := needAll("TransposeBatch", "src", src, b*r*c, "dst", dst, b*r*c); err != nil {
		return err
	}
	return d.launch("transpose_batch", b*r*c, dst, src, b, r, c)
}

// PatchTokens turns the patch convolution's output pe [b, dim, n] (no bias)
// into tokens x [b*n, dim] = ((pe + bias) + pos[1+t]) + pos[0], pos being
// the position embedding [1+n, dim] (SPEC.md section 1.2).
func (d *Device) PatchTokens(x, pe, bias, pos Buf, b, dim, n int) error {
	if err := positive("PatchTokens", b, dim, n); err != nil {
		return err
	}
	if err := needAll("PatchTokens", "x", x, b*n*dim, "pe", pe, b*n*dim, "bias", bias, dim, "pos", pos, (1+n)*dim); err != nil {
		return err
	}
	return d.launch("patch_tokens", b*n*dim, x, pe, bias, pos, b, dim, n)
}

// SplitHeads gathers dst [b, heads, n, hd] from columns off.. of src
// [b*n, lds].
func (d *Device) SplitHeads(dst, src Buf, lds, off, b, n, heads, hd int) error {
	if err := positive("SplitHeads", b, n, heads, hd); err != nil {
		return err
	}
	if off < 0 || off+heads*hd > lds {
		return fmt.Errorf("gpu: SplitHeads: columns %d..%d outside rows of %d", off, off+heads*hd, lds)
	}
	if err := needAll("SplitHeads", "dst", dst, b*heads*n*hd, "src", src, (b*n-1)*lds+off+heads*hd); err != nil {
		return err
	}
	return d.launch("split_heads", b*heads*n*hd, dst, src, lds, off, b, n, heads, hd)
}

// MergeHeads scatters src [b, heads, n, hd] into columns off.. of dst
// [b*n, ldd].
func (d *Device) MergeHeads(dst Buf, ldd, off int, src Buf, b, n, heads, hd int) error {
	if err := positive("MergeHeads", b, n, heads, hd); err != nil {
		return err
	}
	if off < 0 || off+heads*hd > ldd {
		return fmt.Errorf("gpu: MergeHeads: columns %d..%d outside rows of %d", off, off+heads*hd, ldd)
	}
	if err := needAll("MergeHeads", "src", src, b*heads*n*hd, "dst", dst, (b*n-1)*ldd+off+heads*hd); err != nil {
		return err
	}
	return d.launch("merge_heads", b*heads*n*hd, dst, ldd, off, src, b, n, heads, hd)
}

// AttentionScratch returns the scratch values Attention needs.
func AttentionScratch(b, nq, nk, heads, hd int) int {
	return b*heads*(2*nq*hd+2*nk*hd+nq*nk) + ReduceScratch(b*heads*nq)
}

// Attention computes multi-head scaled dot-product attention, as
// nn.Attention: for batch item i and head h, with Q_ih the rows i*nq.. of
// q (row stride ldq) at columns qo + h*hd .. (K, V likewise with nk rows per
// item),
//
//	O_ih = softmax(Q_ih K_ih^T * scale) V_ih
//
// written into out (row stride ldo) at columns oo + h*hd. scratch holds
// AttentionScratch values. The products run as strided batched GEMMs over
// all (item, head) pairs, the softmax one row per thread.
func (d *Device) Attention(out Buf, ldo, oo int, q Buf, ldq, qo int, k Buf, ldk, ko int, v Buf, ldv, vo int,
	b, nq, nk, heads, hd int, scale float32, scratch Buf) error {
	if err := positive("Attention", b, nq, nk, heads, hd); err != nil {
		return err
	}
	if err := need("Attention", "scratch", scratch, AttentionScratch(b, nq, nk, heads, hd)); err != nil {
		return err
	}
	bh := b * heads
	qs := scratch.Slice(0, bh*nq*hd)
	ks := scratch.Slice(bh*nq*hd, bh*nk*hd)
	vs := scratch.Slice(bh*(nq+nk)*hd, bh*nk*hd)
	ps := scratch.Slice(bh*(nq+2*nk)*hd, bh*nq*nk)
	ohs := scratch.Slice(bh*((nq+2*nk)*hd+nq*nk), bh*nq*hd)
	red := scratch.From(bh * (2*nq*hd + 2*nk*hd + nq*nk))
	for _, f := range []func() error{
		func() error { return d.SplitHeads(qs, q, ldq, qo, b, nq, heads, hd) },
		func() error { return d.SplitHeads(ks, k, ldk, ko, b, nk, heads, hd) },
		func() error { return d.SplitHeads(vs, v, ldv, vo, b, nk, heads, hd) },
		func() error {
			return d.GemmStrided(false, true, nq, nk, hd, scale, qs, hd, nq*hd, ks, hd, nk*hd, 0, ps, nk, nq*nk, bh)
		},
		func() error { return d.Softmax(ps, bh*nq, nk, red) },
		func() error {
			return d.GemmStrided(false, false, nq, hd, nk, 1, ps, nk, nq*nk, vs, hd, nk*hd, 0, ohs, hd, nq*hd, bh)
		},
		func() error { return d.MergeHeads(out, ldo, oo, ohs, b, nq, heads, hd) },
	} {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// HaarDWT computes one level of the Haar transform (ops.HaarDWT): src [n,
// c, h, w] into dst [n, 4c, (h+1)/2, (w+1)/2], subbands LL, LH, HL, HH.
func (d *Device) HaarDWT(dst, src Buf, n, c, h, w int) error {
	if err := positive("HaarDWT", n, c, h, w); err != nil {
		return err
	}
	ohw := ((h + 1) / 2) * ((w + 1) / 2)
	if err := needAll("HaarDWT", "src", src, n*c*h*w, "dst", dst, n*4*c*ohw); err != nil {
		return err
	}
	return d.launch("haar_dwt", n*c*ohw, dst, src, n, c, h, w)
}

// FreqMix computes the frequency path's sums from the subbands sub [b, 4c,
// hw]: sl = (LL + LH) + HL and sh = (HH + LH) + HL, each [b, c, hw].
func (d *Device) FreqMix(sl, sh, sub Buf, b, c, hw int) error {
	if err := positive("FreqMix", b, c, hw); err != nil {
		return err
	}
	if err := needAll("FreqMix", "sub", sub, b*4*c*hw, "sl", sl, b*c*hw, "sh", sh, b*c*hw); err != nil {
		return err
	}
	return d.launch("freq_mix", b*c*hw, sl, sh, sub, b, c, hw)
}

// ChannelSoftmaxMul sets s = softmax over the ch channels of (s + t), times
// u, at each pixel of the NCHW maps [b, ch, hw].
func (d *Device) ChannelSoftmaxMul(s, t, u Buf, b, ch, hw int) error {
	if err := positive("ChannelSoftmaxMul", b, ch, hw); err != nil {
		return err
	}
	n := b * ch * hw
	if err := needAll("ChannelSoftmaxMul", "s", s, n, "t", t, n, "u", u, n); err != nil {
		return err
	}
	return d.launch("channel_softmax_mul", b*hw, s, t, u, b, ch, hw)
}

// GlobalAvgPool averages each row of src [rows, n] into dst[row]
// (ops.GlobalAvgPool, float64 sums). scratch holds ReduceScratch(rows)
// values.
func (d *Device) GlobalAvgPool(dst, src Buf, rows, n int, scratch Buf) error {
	if err := positive("GlobalAvgPool", rows, n); err != nil {
		return err
	}
	if err := needAll("GlobalAvgPool", "src", src, rows*n, "dst", dst, rows); err != nil {
		return err
	}
	if err := checkScratch("GlobalAvgPool", scratch, ReduceScratch(rows)); err != nil {
		return err
	}
	part, stats := scratch.Slice(0, 2*rows*maxLanes), scratch.Slice(2*rows*maxLanes, 4*rows)
	if err := d.rowStats(stats, part, src, rows, n, false, 0); err != nil {
		return err
	}
	return d.launch("mean_apply", rows, dst, stats, rows)
}

// FillPlanes broadcasts vals [b, c] over planes of hw values: channel ch of
// sample i of dst [b, ctot, hw] (ctot >= c) becomes vals[i][ch].
func (d *Device) FillPlanes(dst, vals Buf, b, c, hw, ctot int) error {
	if err := positive("FillPlanes", b, c, hw); err != nil {
		return err
	}
	if ctot < c {
		return fmt.Errorf("gpu: FillPlanes: %d channels into maps of %d", c, ctot)
	}
	if err := needAll("FillPlanes", "vals", vals, b*c, "dst", dst, ((b-1)*ctot+c)*hw); err != nil {
		return err
	}
	return d.launch("fill_planes", b*c*hw, dst, vals, b, c, hw, ctot)
}

// CopyCols copies a rows x cols block: dst[r*ldd + j] = src[r*lds + j].
func (d *Device) CopyCols(dst Buf, ldd int, src Buf, lds, rows, cols int) error {
	if err := positive("CopyCols", rows, cols); err != nil {
		return err
	}
	if cols > ldd || cols > lds {
		return fmt.Errorf("gpu: CopyCols: %d columns in rows of %d and %d", cols, ldd, lds)
	}
	if err := needAll("CopyCols", "src", src, (rows-1)*lds+cols, "dst", dst, (rows-1)*ldd+cols); err != nil {
		return err
	}
	return d.launch("copy_cols", rows*cols, dst, ldd, src, lds, rows, cols)
}

// LadderGates computes out = ((flast + g0*t0) + g1*t1) + g2*t2 over n
// values (SPEC.md section 1.5).
func (d *Device) LadderGates(out, flast Buf, taps [3]Buf, g [3]float32, n int) error {
	if err := positive("LadderGates", n); err != nil {
		return err
	}
	if err := needAll("LadderGates", "out", out, n, "flast", flast, n, "t0", taps[0], n, "t1", taps[1], n, "t2", taps[2], n); err != nil {
		return err
	}
	return d.launch("ladder_gates", n, out, flast, taps[0], taps[1], taps[2], g[0], g[1], g[2], n)
}

// CosineLevel computes, per sample of x and y [b, m], the cosine
// similarity (float64 sums; 0 if a norm is 0) into sims [b] and the fusion
// level 1..4 of SPEC.md section 5.2 into levels [b]. scratch holds
// CosineScratch(b) values.
func (d *Device) CosineLevel(sims, levels, x, y Buf, b, m int, scratch Buf) error {
	if err := positive("CosineLevel", b, m); err != nil {
		return err
	}
	if err := needAll("CosineLevel", "x", x, b*m, "y", y, b*m, "sims", sims, b, "levels", levels, b); err != nil {
		return err
	}
	if err := checkScratch("CosineLevel", scratch, CosineScratch(b)); err != nil {
		return err
	}
	if err := d.launch("cosine_partials", b*cosineLanes, scratch, x, y, b, m, cosineLanes); err != nil {
		return err
	}
	return d.launch("cosine_level", b, sims, levels, scratch, b, cosineLanes)
}

// StripSelect writes, for each token row r of b samples of n = gh*gw
// tokens, dst[r][j] = resid[r][j] + src[r][m*e + j] (j < e), m being the
// strip of the sample's level (levels [b], 1..4; torch.tensor_split of the
// gh grid rows) that holds the token's grid row: the ASF output of the
// cross-attention module that owns the token (SPEC.md section 5.4).
func (d *Device) StripSelect(dst Buf, ldd int, resid Buf, ldr int, src Buf, lds int, levels Buf, b, gh, gw, e int) error {
	if err := positive("StripSelect", b, gh, gw, e); err != nil {
		return err
	}
	n := gh * gw
	if e > ldd || e > ldr || 4*e > lds {
		return fmt.Errorf("gpu: StripSelect: width %d in rows of %d, %d and %d", e, ldd, ldr, lds)
	}
	if err := needAll("StripSelect", "dst", dst, (b*n-1)*ldd+e, "resid", resid, (b*n-1)*ldr+e,
		"src", src, (b*n-1)*lds+4*e, "levels", levels, b); err != nil {
		return err
	}
	return d.launch("strip_select", b*n*e, dst, ldd, resid, ldr, src, lds, levels, b, n, gh, gw, e)
}

// MeanTokens averages x [b*n, w] over each sample's n tokens into mean [b,
// w] (float32 sums in token order, then / n).
func (d *Device) MeanTokens(mean, x Buf, b, n, w int) error {
	if err := positive("MeanTokens", b, n, w); err != nil {
		return err
	}
	if err := needAll("MeanTokens", "x", x, b*n*w, "mean", mean, b*w); err != nil {
		return err
	}
	return d.launch("mean_tokens", b*w, mean, x, b, n, w)
}

// GateMul scales x [b*n, w] by sigmoid(gate [b, w]) of its sample.
func (d *Device) GateMul(x, gate Buf, b, n, w int) error {
	if err := positive("GateMul", b, n, w); err != nil {
		return err
	}
	if err := needAll("GateMul", "x", x, b*n*w, "gate", gate, b*w); err != nil {
		return err
	}
	return d.launch("gate_mul", b*n*w, x, gate, b, n, w)
}

// MGAMix computes t1 *= softmax over channels of (t2 + jt) for rows of c
// values (SPEC.md section 6.2); t2 is overwritten. scratch holds
// ReduceScratch(rows) values.
func (d *Device) MGAMix(t1, t2, jt Buf, rows, c int, scratch Buf) error {
	if err := positive("MGAMix", rows, c); err != nil {
		return err
	}
	if err := needAll("MGAMix", "t1", t1, rows*c, "t2", t2, rows*c, "j", jt, rows*c); err != nil {
		return err
	}
	if err := d.launch("add_inplace", rows*c, t2, jt, rows*c); err != nil {
		return err
	}
	if err := d.Softmax(t2, rows, c, scratch); err != nil {
		return err
	}
	return d.launch("mul_inplace", rows*c, t1, t2, rows*c)
}

// MGAProject computes the graph projection of SPEC.md section 6.3,
// transposed: pt [b, v, n] = softmax over the n tokens of the adaptive
// average pool of xt [b*n, c] into v channel bins. scratch holds
// ReduceScratch(b*v) values.
func (d *Device) MGAProject(pt, xt Buf, b, n, c, v int, scratch Buf) error {
	if err := positive("MGAProject", b, n, c, v); err != nil {
		return err
	}
	if err := needAll("MGAProject", "xt", xt, b*n*c, "pt", pt, b*v*n); err != nil {
		return err
	}
	if err := d.launch("aap_tokens", b*v*n, pt, xt, b, n, c, v); err != nil {
		return err
	}
	return d.Softmax(pt, b*v, n, scratch)
}

// MGAScores computes s1[r] = z[r] . a[:c] and s2[r] = z[r] . a[c:] for z
// [rows, c] and a [2c] (SPEC.md section 6.4).
func (d *Device) MGAScores(s1, s2, z, a Buf, rows, c int) error {
	if err := positive("MGAScores", rows, c); err != nil {
		return err
	}
	if err := needAll("MGAScores", "z", z, rows*c, "a", a, 2*c, "s1", s1, rows, "s2", s2, rows); err != nil {
		return err
	}
	return d.launch("mga_scores", rows, s1, s2, z, a, rows, c)
}

// MGAEdges computes the fused edge scores fe [b, v, v] = (be0*e_0 +
// be1*e_1) + be2*e_2, e_k[i][j] = LeakyReLU_0.2(s1[k][i] + s2[k][j]), from
// the scores [b, v] of the three kinds (SPEC.md sections 6.4-6.5).
func (d *Device) MGAEdges(fe Buf, s1, s2 [3]Buf, beta [3]float32, b, v int) error {
	if err := positive("MGAEdges", b, v); err != nil {
		return err
	}
	if err := needAll("MGAEdges", "fe", fe, b*v*v, "s1[0]", s1[0], b*v, "s1[1]", s1[1], b*v, "s1[2]", s1[2], b*v,
		"s2[0]", s2[0], b*v, "s2[1]", s2[1], b*v, "s2[2]", s2[2], b*v); err != nil {
		return err
	}
	return d.launch("mga_edges", b*v*v, fe, s1[0], s2[0], s1[1], s2[1], s1[2], s2[2], beta[0], beta[1], beta[2], b, v)
}

// WeightedSum3 computes out = (a0*g0 + a1*g1) + a2*g2 over n values.
func (d *Device) WeightedSum3(out Buf, g [3]Buf, a [3]float32, n int) error {
	if err := positive("WeightedSum3", n); err != nil {
		return err
	}
	if err := needAll("WeightedSum3", "out", out, n, "g0", g[0], n, "g1", g[1], n, "g2", g[2], n); err != nil {
		return err
	}
	return d.launch("weighted_sum3", n, out, g[0], g[1], g[2], a[0], a[1], a[2], n)
}

// Mean3 computes out = ((p0 + p1) + p2) / 3 over n values.
func (d *Device) Mean3(out, p0, p1, p2 Buf, n int) error {
	if err := positive("Mean3", n); err != nil {
		return err
	}
	if err := needAll("Mean3", "out", out, n, "p0", p0, n, "p1", p1, n, "p2", p2, n); err != nil {
		return err
	}
	return d.launch("mean3", n, out, p0, p1, p2, n)
}

// ResizeBilinear resizes nc planes [nc, h, w] to [nc, oh, ow] as
// ops.ResizeBilinear (align_corners false).
func (d *Device) ResizeBilinear(dst, src Buf, nc, h, w, oh, ow int) error {
	if err := positive("ResizeBilinear", nc, h, w, oh, ow); err != nil {
		return err
	}
	if err := needAll("ResizeBilinear", "src", src, nc*h*w, "dst", dst, nc*oh*ow); err != nil {
		return err
	}
	return d.launch("resize_bilinear", nc*oh*ow, dst, src, nc, h, w, oh, ow, float32(h)/float32(oh), float32(w)/float32(ow))
}
