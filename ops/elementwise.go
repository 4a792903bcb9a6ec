package ops

// Element-wise activations on float32 slices. dst and src have the same
// length (dst may be src itself, for in-place use); any length is allowed.

// AddInPlace computes dst[i] += src[i] (src at least as long as dst; AVX2
// where the CPU has it, the same sums as plain Go).
func AddInPlace(dst, src []float32) { addVec(dst, src) }

// GatherEven writes dst[i] = src[2*i] (src holding at least 2*len(dst)-1
// values; AVX2 where the CPU has it).
func GatherEven(dst, src []float32) { gatherEven(dst, src) }

// ReLU computes dst[i] = max(src[i], 0) (NaN stays NaN).
func ReLU(dst, src []float32) {
	src = src[:len(dst)]
	done := reluBody(dst, src) // AVX2 where the CPU has it
	reluGeneric(dst[done:], src[done:])
}

// reluGeneric is ReLU in plain Go (the reference for the assembly).
func reluGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = max(v, 0)
	}
}

// LeakyReLU computes dst[i] = src[i] if src[i] > 0, else slope*src[i], as
// torch.nn.functional.leaky_relu.
func LeakyReLU(dst, src []float32, slope float32) {
	src = src[:len(dst)]
	for i, v := range src {
		if v > 0 {
			dst[i] = v
		} else {
			dst[i] = v * slope
		}
	}
}

// GELU computes the exact-erf GELU dst[i] = x/2 * (1 + erf(x/sqrt2)) with
// x = src[i], as torch.nn.functional.gelu with approximate="none". The erf
// is a float32 approximation accurate to 1e-7 absolute, and 1 + erf keeps
// its relative accuracy for negative x (GELU(x) ~ 0 for x < -8.4).
func GELU(dst, src []float32) { gelu(dst, src[:len(dst)]) }

// Exp computes dst[i] = exp(src[i]), within 1 ulp of the correctly rounded
// result over the whole float32 range (0 below about -103.97, +Inf above
// about 88.72, NaN for NaN).
func Exp(dst, src []float32) { expAffine(dst, src[:len(dst)], 1, 0) }

// Sigmoid computes dst[i] = 1 / (1 + exp(-src[i])), within a few ulp.
func Sigmoid(dst, src []float32) { sigmoidWith(dst, src, expAffine) }

// sigmoidWith is Sigmoid with a given exp kernel (tests pass each path).
func sigmoidWith(dst, src []float32, exp func(dst, src []float32, a, b float32) float32) {
	exp(dst, src[:len(dst)], -1, 0)
	for i, e := range dst {
		dst[i] = 1 / (1 + e)
	}
}

// SiLU computes dst[i] = src[i] * s[i] (torch.nn.SiLU), s[i] being
// Sigmoid's value for src[i]: bit-identical to calling Sigmoid on the whole
// of src and multiplying, whatever the length (Sigmoid's values do not
// depend on where a slice starts or ends). dst may be src.
func SiLU(dst, src []float32) {
	src = src[:len(dst)]
	var buf [256]float32
	for len(dst) > 0 {
		n := min(len(dst), len(buf))
		e := buf[:n]
		expAffine(e, src[:n], -1, 0) // Sigmoid's exp(-x)
		siluFinish(dst[:n], src[:n], e)
		dst, src = dst[n:], src[n:]
	}
}

// applyAct applies an activation in place.
func applyAct(x []float32, act Act) {
	switch act {
	case ActReLU:
		ReLU(x, x)
	case ActGELU:
		GELU(x, x)
	case ActSiLU:
		SiLU(x, x)
	}
}
