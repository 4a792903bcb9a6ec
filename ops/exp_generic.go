package ops

import "math"

// The vectorised exp and erf kernels. Every path (pure Go below, AVX2/FMA,
// AVX-512 and NEON assembly) evaluates the same formulas with the same
// constants, read from the tables in this file; only the rounding of the
// multiply-adds differs (the assembly fuses them), so the paths agree to an
// ulp or two, and each one is checked against float64 math in the tests.
//
// exp(x): clamp x to [expLo, expHi]; n = round(x*log2(e)) (to nearest even);
// r = x - n*ln2 in two steps (Cody-Waite: n*expC1 is exact, |r| <= ln2/2 + tiny);
// p = 1 + r + r^2*P(r) with the degree-5 Cephes polynomial P; the result is
// p * 2^(n>>1) * 2^(n-(n>>1)), two exact power-of-two scalings that let the
// result reach +Inf above ln(MaxFloat32) and round once into the subnormals
// below ln(SmallestNormal) (exp(expLo) rounds to 0). Error <= 1 ulp against the
// correctly rounded result over the whole float32 range.
//
// erf(z), used by GELU: for |z| < 1, erf(z) = z + z*S(z^2) with a degree-6
// polynomial S; for 1 <= |z| <= 6, erfc(|z|) = exp(L(|z|)) with a degree-9
// polynomial L fitted to log(erfc) (so 1+erf(z) for negative z keeps its
// relative accuracy in the tail), and erfc = 0 beyond 6. The polynomials are
// least-squares fits on Chebyshev nodes with each coefficient rounded to
// float32 in turn (tools/gen_op_goldens.py is not involved; see
// TestErfAccuracy for the measured error: below 1e-7 absolute everywhere).

// expTab holds exp's constants: [0] lo clamp, [1] hi clamp, [2] log2(e),
// [3] C1 = ln2 high part (9 significant bits, so n*C1 is exact), [4] C2 = ln2
// - C1, [5..10] P(r) from the highest power down, [11] 1. Read-only.
var expTab = [12]float32{
	-104,             // exp(-104) < 2^-150: rounds to 0
	88.8,             // exp(88.8) > MaxFloat32: +Inf
	1.44269504088896, // log2(e)
	0.693359375,      // C1
	-2.12194440e-4,   // C2
	1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
	1,
}

// Indices into expTab.
const (
	expLo = iota
	expHi
	expLog2e
	expC1
	expC2
	expP0  // P0..P5 at expP0..expP0+5
	expOne = expP0 + 6
)

// erfTab holds erf's constants: [0] 1/sqrt2, [1] 0.5, [2] 1 (also the
// branch point), [3] 2, [4] 6 (the tail cut), [5..11] S(s) from the highest
// power down, [12..21] L(t) from the highest power down, [22..23] padding
// (the NEON kernel loads whole 4-lane vectors). Read-only.
var erfTab = [24]float32{
	0.70710678118654752, 0.5, 1, 2, 6,
	// S: erf(z) = z + z*S(z*z) for |z| < 1
	8.006519e-05, -8.0536585e-04, 5.192949e-03, -2.6856065e-02, 1.12836346e-01, -3.761263e-01, 1.2837917e-01,
	// L: log(erfc(t)) for 1 <= t <= 6
	-8.3609486e-08, 3.3465533e-06, -6.0730097e-05, 6.648883e-04, -4.9412656e-03, 2.6686676e-02, -1.1022921e-01, -6.319303e-01, -1.130047e+00, 2.4792814e-04,
	0, 0,
}

// Indices into erfTab.
const (
	erfRsqrt2 = iota
	erfHalf
	erfOne
	erfTwo
	erfCut
	erfS0             // S coefficients: erfS0 .. erfS0+6
	erfL0 = erfS0 + 7 // L coefficients: erfL0 .. erfL0+9
)

// expf32 is the scalar pure-Go exp. Every product that feeds an addition,
// here and in the other pure-Go kernels of this file, is rounded by an
// explicit float32 conversion: the Go compiler may otherwise fuse the two
// into a multiply-add (it does on arm64, even across statements), and the
// pure-Go path is meant to give the same bits on every architecture.
func expf32(x float32) float32 {
	t := &expTab
	x = min(max(x, t[expLo]), t[expHi])
	n := float32(math.RoundToEven(float64(float32(x * t[expLog2e]))))
	r := x - float32(n*t[expC1])
	r -= float32(n * t[expC2])
	p := t[expP0]
	for _, c := range t[expP0+1 : expP0+6] {
		p = float32(p*r) + c
	}
	p = float32(p*r) + 1
	p = float32(p*r) + 1
	ni := int32(n)
	n1 := ni >> 1
	n2 := ni - n1
	return float32(float32(p*math.Float32frombits(uint32(n1+127)<<23)) * math.Float32frombits(uint32(n2+127)<<23))
}

// expAffineGeneric computes dst[i] = exp(a*src[i] + b) and returns the sum of
// the results (accumulated in order in float32). It is the pure-Go twin of
// the assembly kernels.
func expAffineGeneric(dst, src []float32, a, b float32) float32 {
	src = src[:len(dst)]
	var sum float32
	for i, v := range src {
		e := expf32(float32(a*v) + b)
		dst[i] = e
		sum += e
	}
	return sum
}

// erfcTail returns erfc(t) for 1 <= t (0 beyond erfTab's cut).
func erfcTail(t float32) float32 {
	e := &erfTab
	if t > e[erfCut] {
		return 0
	}
	l := e[erfL0]
	for _, c := range e[erfL0+1 : erfL0+10] {
		l = float32(l*t) + c
	}
	return expf32(l)
}

// erfSmall returns erf(z) for |z| < 1.
func erfSmall(z float32) float32 {
	e := &erfTab
	s := z * z
	p := e[erfS0]
	for _, c := range e[erfS0+1 : erfS0+7] {
		p = float32(p*s) + c
	}
	return float32(p*z) + z
}

// erf32 is the scalar pure-Go erf (accurate to 1e-7 absolute).
func erf32(z float32) float32 {
	a := float32(math.Abs(float64(z)))
	if a < erfTab[erfOne] {
		return erfSmall(z)
	}
	if a != a {
		return z
	}
	return float32(math.Copysign(float64(1-erfcTail(a)), float64(z)))
}

// geluGeneric computes dst[i] = src[i]/2 * (1 + erf(src[i]/sqrt2)), the pure-Go
// twin of the assembly kernels. 1 + erf(z) is formed without cancellation:
// 1 + erf(z) for |z| < 1, 2 - erfc(z) for z >= 1 and erfc(-z) for z <= -1.
func geluGeneric(dst, src []float32) {
	e := &erfTab
	src = src[:len(dst)]
	for i, x := range src {
		z := float32(x * e[erfRsqrt2])
		a := float32(math.Abs(float64(z)))
		var h float32
		switch {
		case a < e[erfOne]:
			h = 1 + erfSmall(z)
		case z > 0:
			h = e[erfTwo] - erfcTail(a)
		default: // z <= -1 or NaN
			h = erfcTail(a)
		}
		dst[i] = x * e[erfHalf] * h
	}
}
