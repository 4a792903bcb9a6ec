package ops

import (
	"fmt"
	"math"
)

// Softmax replaces every row of x (rows of n values; len(x) a multiple of n)
// by its softmax, in the numerically stable form: exp(x - max(row)) / sum.
// Rows are independent and run in parallel, each on one goroutine, so the
// result does not depend on the number of workers. A row holding NaN, or
// only -Inf, becomes all NaN (as in PyTorch).
func Softmax(x []float32, n int) {
	softmaxWith(x, n, expAffine)
}

// softmaxWith is Softmax with a given exp kernel (tests pass each path).
func softmaxWith(x []float32, n int, exp func(dst, src []float32, a, b float32) float32) {
	if n <= 0 || len(x)%n != 0 {
		panic(fmt.Sprintf("ops.Softmax: %d values are not rows of %d", len(x), n))
	}
	rows, grain := len(x)/n, max(1, 16384/n)
	if rows <= grain || Workers() == 1 {
		softmaxRows(x, n, 0, rows, exp)
		return
	}
	ParallelFor(rows, grain, func(lo, hi int) { softmaxRows(x, n, lo, hi, exp) })
}

func softmaxRows(x []float32, n, lo, hi int, exp func(dst, src []float32, a, b float32) float32) {
	for r := lo; r < hi; r++ {
		row := x[r*n : (r+1)*n]
		inv := 1 / exp(row, row, 1, -rowMax(row))
		scaleVec(row, inv)
	}
}

// layerNormRow is the pure-Go LayerNorm of one row (gamma and beta may be
// nil); it returns the row's mean and 1/sqrt(var + eps).
func layerNormRow(y, x, gamma, beta []float32, eps float32) (mean, rstd float32) {
	n := len(x)
	mu := sum64(x) / float64(n)
	q := sumSq64(x, mu)
	rs := 1 / math.Sqrt(q/float64(n)+float64(eps))
	switch {
	case gamma == nil && beta == nil:
		for i, v := range x {
			y[i] = float32((float64(v) - mu) * rs)
		}
	case gamma == nil:
		for i, v := range x {
			y[i] = float32(float64((float64(v)-mu)*rs) + float64(beta[i]))
		}
	case beta == nil:
		for i, v := range x {
			y[i] = float32((float64(v) - mu) * rs * float64(gamma[i]))
		}
	default:
		for i, v := range x {
			y[i] = float32(float64((float64(v)-mu)*rs*float64(gamma[i])) + float64(beta[i]))
		}
	}
	return float32(mu), float32(rs)
}

// sum64 returns the sum of x accumulated in float64, in four interleaved
// partial sums (independent chains of additions, four times the throughput
// of one), added pairwise at the end.
func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float64(v[0])
		s1 += float64(v[1])
		s2 += float64(v[2])
		s3 += float64(v[3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSq64 returns the sum of (x[i] - mu)^2 accumulated in float64 as
// sum64 does.
func sumSq64(x []float32, mu float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(v[0])-mu, float64(v[1])-mu, float64(v[2])-mu, float64(v[3])-mu
		s0 += float64(d0 * d0)
		s1 += float64(d1 * d1)
		s2 += float64(d2 * d2)
		s3 += float64(d3 * d3)
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - mu
		s0 += float64(d * d)
	}
	return (s0 + s1) + (s2 + s3)
}

// LayerNorm normalises every row of src (rows of n values; len(src) a
// multiple of n) over its n values, as torch.nn.LayerNorm over the last
// dimension: dst = (x - mean) / sqrt(var + eps) * gamma + beta, with the
// biased variance. gamma and beta have n values; nil means 1 and 0. The mean
// and the variance are accumulated in float64 in two passes, and each output
// is computed in float64 and rounded once, so the result is within an ulp or
// two of the exact one (PyTorch, accumulating in float32, is within ~1e-6
// relative of it). dst may be src.
func LayerNorm(dst, src []float32, n int, gamma, beta []float32, eps float32) {
	LayerNormStats(dst, src, n, gamma, beta, eps, nil, nil)
}

// LayerNormStats is LayerNorm that also stores each row's mean and
// 1/sqrt(var + eps) (one value per row) in mean and rstd, for a backward
// pass; either may be nil.
func LayerNormStats(dst, src []float32, n int, gamma, beta []float32, eps float32, mean, rstd []float32) {
	if n <= 0 || len(src)%n != 0 || len(dst) != len(src) {
		panic(fmt.Sprintf("ops.LayerNorm: %d values into %d are not rows of %d", len(src), len(dst), n))
	}
	rows := len(src) / n
	if gamma != nil && len(gamma) != n || beta != nil && len(beta) != n {
		panic(fmt.Sprintf("ops.LayerNorm: gamma has %d values and beta %d, want %d", len(gamma), len(beta), n))
	}
	if mean != nil && len(mean) < rows || rstd != nil && len(rstd) < rows {
		panic(fmt.Sprintf("ops.LayerNorm: room for %d means and %d rstds, need %d", len(mean), len(rstd), rows))
	}
	ParallelFor(rows, max(1, 8192/n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x := src[r*n : (r+1)*n]
			y := dst[r*n : (r+1)*n]
			m, s, ok := layerNormRowAsm(y, x, gamma, beta, eps)
			if !ok {
				m, s = layerNormRow(y, x, gamma, beta, eps)
			}
			if mean != nil {
				mean[r] = m
			}
			if rstd != nil {
				rstd[r] = s
			}
		}
	})
}

// BatchNormScaleShift turns inference BatchNorm parameters into a per-channel
// affine map y = x*scale + shift: scale = gamma / sqrt(variance + eps) and
// shift = beta - mean*scale (computed in float64, rounded once). gamma and
// beta may be nil (1 and 0); all slices have one value per channel.
func BatchNormScaleShift(scale, shift, gamma, beta, mean, variance []float32, eps float32) error {
	c := len(mean)
	switch {
	case len(variance) != c:
		return fmt.Errorf("ops.BatchNormScaleShift: running_var has %d values, running_mean %d", len(variance), c)
	case gamma != nil && len(gamma) != c:
		return fmt.Errorf("ops.BatchNormScaleShift: weight has %d values, want %d", len(gamma), c)
	case beta != nil && len(beta) != c:
		return fmt.Errorf("ops.BatchNormScaleShift: bias has %d values, want %d", len(beta), c)
	case len(scale) != c || len(shift) != c:
		return fmt.Errorf("ops.BatchNormScaleShift: room for %d scales and %d shifts, want %d", len(scale), len(shift), c)
	case eps < 0:
		return fmt.Errorf("ops.BatchNormScaleShift: negative eps %g", eps)
	}
	for i := 0; i < c; i++ {
		v := float64(variance[i]) + float64(eps)
		if !(v > 0) {
			return fmt.Errorf("ops.BatchNormScaleShift: channel %d: running_var + eps = %g is not positive", i, v)
		}
		s := 1 / math.Sqrt(v)
		if gamma != nil {
			s *= float64(gamma[i])
		}
		b := -float64(mean[i]) * s
		if beta != nil {
			b += float64(beta[i])
		}
		scale[i], shift[i] = float32(s), float32(b)
	}
	return nil
}

// BatchNorm applies an inference BatchNorm in its affine form (see
// BatchNormScaleShift) and an activation to an NCHW tensor: src and dst are
// [n, c, hw] and dst = act(src*scale[ch] + shift[ch]). dst may be src.
// Planes run in parallel.
func BatchNorm(dst, src []float32, n, c, hw int, scale, shift []float32, act Act) {
	if len(src) != n*c*hw || len(dst) != len(src) || len(scale) != c || len(shift) != c {
		panic(fmt.Sprintf("ops.BatchNorm: %d values into %d for [%d, %d, %d] with %d scales and %d shifts", len(src), len(dst), n, c, hw, len(scale), len(shift)))
	}
	ParallelFor(n*c, max(1, 16384/max(hw, 1)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			ch := p % c
			s, b := scale[ch], shift[ch]
			x := src[p*hw : (p+1)*hw]
			y := dst[p*hw : (p+1)*hw]
			for i, v := range x {
				y[i] = float32(v*s) + b
			}
			applyAct(y, act)
		}
	})
}

// FoldBatchNorm folds an inference BatchNorm (as scale and shift from
// BatchNormScaleShift) that follows a convolution into the convolution's
// weight [out, in/groups, kh, kw] and bias [out], in place: w[o] *= scale[o]
// and bias[o] = bias[o]*scale[o] + shift[o]. A convolution without bias
// passes a zeroed bias slice, which then receives the shift.
func FoldBatchNorm(weight, bias, scale, shift []float32) error {
	out := len(scale)
	switch {
	case len(shift) != out:
		return fmt.Errorf("ops.FoldBatchNorm: %d scales and %d shifts", out, len(shift))
	case len(bias) != out:
		return fmt.Errorf("ops.FoldBatchNorm: bias has %d values, want %d (one per output channel)", len(bias), out)
	case out == 0 || len(weight)%out != 0:
		return fmt.Errorf("ops.FoldBatchNorm: weight of %d values is not %d output channels", len(weight), out)
	}
	per := len(weight) / out
	for o := 0; o < out; o++ {
		s := float64(scale[o])
		w := weight[o*per : (o+1)*per]
		for i, v := range w {
			w[i] = float32(float64(v) * s)
		}
		bias[o] = float32(float64(bias[o])*s + float64(shift[o]))
	}
	return nil
}

// FoldBatchNormTransposed is FoldBatchNorm for a transposed convolution,
// whose weight is [in, out/groups, kh, kw]: output channel o = g*(out/groups)
// + j is column j of every input channel of group g.
func FoldBatchNormTransposed(weight, bias []float32, in, groups int, scale, shift []float32) error {
	out := len(scale)
	switch {
	case len(shift) != out:
		return fmt.Errorf("ops.FoldBatchNormTransposed: %d scales and %d shifts", out, len(shift))
	case len(bias) != out:
		return fmt.Errorf("ops.FoldBatchNormTransposed: bias has %d values, want %d (one per output channel)", len(bias), out)
	case groups <= 0 || in <= 0 || in%groups != 0 || out%groups != 0:
		return fmt.Errorf("ops.FoldBatchNormTransposed: %d input and %d output channels do not split into %d groups", in, out, groups)
	case len(weight)%(in*(out/groups)) != 0 || len(weight) == 0:
		return fmt.Errorf("ops.FoldBatchNormTransposed: weight of %d values is not [%d, %d, kh, kw]", len(weight), in, out/groups)
	}
	og := out / groups
	ig := in / groups
	k := len(weight) / (in * og)
	for i := 0; i < in; i++ {
		g := i / ig
		for j := 0; j < og; j++ {
			s := float64(scale[g*og+j])
			w := weight[(i*og+j)*k : (i*og+j+1)*k]
			for t, v := range w {
				w[t] = float32(float64(v) * s)
			}
		}
	}
	for o := 0; o < out; o++ {
		bias[o] = float32(float64(bias[o])*float64(scale[o]) + float64(shift[o]))
	}
	return nil
}
