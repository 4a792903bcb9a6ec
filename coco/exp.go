package coco

import (
	"math"
	"math/big"
)

// expCR returns e^x correctly rounded to the nearest float64 (ties to even,
// which never occur for x != 0). The OKS uses it in place of math.Exp:
// numpy's exp (glibc's, on the machines the references come from) is
// correctly rounded for all but about 0.1% of arguments, while Go's
// math.Exp differs from it for about 13%, and a correctly rounded exp also
// gives every platform the same bits.
//
// Method: x = k ln2 + r with |r| <= ln2/2 in double-double arithmetic;
// t = r/1024; e^t - 1 by its Taylor series to degree 8; ten doublings
// u <- 2u + u^2 give u = e^r - 1; e^x = (1 + u) 2^k. The relative error of
// the double-double result is below 2^-90, so when it is farther than
// 2^-85 from a rounding boundary its leading part is the correctly rounded
// result (for a subnormal result, the same test on the last place kept);
// otherwise (about one argument in 2^30), and for x > 709, expSlow
// recomputes it with 320-bit big.Float.
func expCR(x float64) float64 {
	switch {
	case x != x || math.IsInf(x, 1):
		return x
	case x < -745.2: // e^x < 2^-1075: rounds to 0
		return 0
	case math.Abs(x) < 0x1p-54: // e^x within half an ulp of 1
		return 1
	case x > 709:
		return expSlow(x)
	}
	k := math.RoundToEven(x * invLn2)
	// r = x - k ln2, ln2 = ln2Hi + ln2Mid + ln2Lo.
	ph, pl := twoProd(k, ln2Hi)
	mh, ml := twoProd(k, ln2Mid)
	rh, rl := twoSum(x, -ph)
	rh, rl = ddAddExact(rh, rl, -pl, 0)
	rh, rl = ddAddExact(rh, rl, -mh, -ml)
	rh, rl = fastTwoSum(rh, rl-k*ln2Lo)

	// u = e^t - 1 for t = r/1024, |t| < 3.4e-4.
	th, tl := rh*0x1p-10, rl*0x1p-10
	p := c5 + th*(c6+th*(c7+th*c8))
	qh, ql := twoProd(th, p)
	qh, ql = ddAdd(c4Hi, c4Lo, qh, ql)
	qh, ql = ddMul(th, tl, qh, ql)
	qh, ql = ddAdd(c3Hi, c3Lo, qh, ql)
	qh, ql = ddMul(th, tl, qh, ql)
	qh, ql = ddAdd(0.5, 0, qh, ql)
	qh, ql = ddMul(th, tl, qh, ql)
	qh, ql = ddMul(th, tl, qh, ql)
	uh, ul := ddAdd(th, tl, qh, ql)
	// (1+u)^2 - 1 = 2u + u^2, ten times: u = e^r - 1.
	for i := 0; i < 10; i++ {
		sh, sl := ddMul(uh, ul, uh, ul)
		uh, ul = ddAdd(2*uh, 2*ul, sh, sl)
	}
	yh, yl := ddAdd(1, 0, uh, ul) // in [0.70, 1.42]
	ki := int(k)
	if ki >= -1021 {
		// A normal result: yh is the rounded value unless yh+yl may lie
		// beyond a midpoint.
		err := yh * 0x1p-85
		below := (yh - math.Nextafter(yh, 0)) / 2
		above := (math.Nextafter(yh, math.Inf(1)) - yh) / 2
		if yl-err <= -below || yl+err >= above {
			return expSlow(x)
		}
		return math.Ldexp(yh, ki) // exact
	}
	// A subnormal result (or 0): e^x = n 2^-1074 with n the integer
	// nearest to Y + L = (yh + yl) 2^(k+1074) < 2^53.
	s := ki + 1074
	Y, L := math.Ldexp(yh, s), math.Ldexp(yl, s)
	n := math.RoundToEven(Y)
	frac := (Y - n) + L // Y - n is exact
	err := Y*0x1p-85 + 0x1p-200
	switch {
	case math.Abs(frac)+err < .5:
	case frac-err > .5:
		n++
	case frac+err < -.5:
		n--
	default:
		return expSlow(x)
	}
	return math.Ldexp(n, -1074) // exact
}

// Double-double constants, from Python's decimal module at 100 digits:
// ln 2 = ln2Hi + ln2Mid + ln2Lo, 1/6 = c3Hi + c3Lo, 1/24 = c4Hi + c4Lo.
const (
	ln2Hi  = 0x1.62e42fefa39efp-1
	ln2Mid = 0x1.abc9e3b39803fp-56
	ln2Lo  = 0x1.7b57a079a1934p-111
	invLn2 = 0x1.71547652b82fep+0 // only picks k
	c3Hi   = 0x1.5555555555555p-3
	c3Lo   = 0x1.5555555555555p-57
	c4Hi   = 0x1.5555555555555p-5
	c4Lo   = 0x1.5555555555555p-59
	c5     = 1.0 / 120
	c6     = 1.0 / 720
	c7     = 1.0 / 5040
	c8     = 1.0 / 40320
)

// twoSum returns s = fl(a+b) and the exact error e = a+b-s.
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return s, e
}

// fastTwoSum is twoSum for |a| >= |b| (or a = 0).
func fastTwoSum(a, b float64) (s, e float64) {
	s = a + b
	e = b - (s - a)
	return s, e
}

// twoProd returns p = fl(a*b) and the exact error e = a*b-p.
func twoProd(a, b float64) (p, e float64) {
	p = a * b
	e = math.FMA(a, b, -p)
	return p, e
}

// ddAdd adds double-doubles whose sum does not cancel badly.
func ddAdd(ah, al, bh, bl float64) (float64, float64) {
	s, e := twoSum(ah, bh)
	e += al + bl
	return fastTwoSum(s, e)
}

// ddAddExact adds double-doubles accurately even when they cancel.
func ddAddExact(ah, al, bh, bl float64) (float64, float64) {
	s, e := twoSum(ah, bh)
	t, f := twoSum(al, bl)
	e += t
	s, e = fastTwoSum(s, e)
	e += f
	return fastTwoSum(s, e)
}

// ddMul multiplies double-doubles.
func ddMul(ah, al, bh, bl float64) (float64, float64) {
	p, e := twoProd(ah, bh)
	e += float64(ah*bl) + float64(al*bh)
	return fastTwoSum(p, e)
}

// expPrec is the working precision of expSlow in bits.
const expPrec = 320

// expSlow computes e^x with expPrec-bit arithmetic and rounds once, to the
// nearest float64 (subnormal, zero or infinite results included).
func expSlow(x float64) float64 {
	newF := func() *big.Float { return new(big.Float).SetPrec(expPrec) }
	// ln 2 = 2 atanh(1/3) = 2 sum (1/3)^(2n+1) / (2n+1).
	ln2, pow, term := newF(), newF().Quo(newF().SetInt64(1), newF().SetInt64(3)), newF()
	eps := newF().SetMantExp(newF().SetInt64(1), -expPrec-8)
	for n := int64(0); ; n++ {
		term.Quo(pow, newF().SetInt64(2*n+1))
		ln2.Add(ln2, term)
		if term.Cmp(eps) < 0 {
			break
		}
		pow.Quo(pow, newF().SetInt64(9))
	}
	ln2.Mul(ln2, newF().SetInt64(2))
	k := math.RoundToEven(x * invLn2)
	r := newF().SetFloat64(x)
	r.Sub(r, newF().Mul(ln2, newF().SetFloat64(k)))
	// e^r = sum r^n / n!, |r| < 0.35.
	sum, rn := newF().SetInt64(1), newF().SetInt64(1)
	for n := int64(1); ; n++ {
		rn.Mul(rn, r)
		rn.Quo(rn, newF().SetInt64(n))
		sum.Add(sum, rn)
		if newF().Abs(rn).Cmp(eps) < 0 {
			break
		}
	}
	sum.SetMantExp(sum, int(k))
	f, _ := sum.Float64()
	return f
}
