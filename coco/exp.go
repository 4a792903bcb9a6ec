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
// Method (Tang's): x = (64m + j) ln2/64 + r with |r| <= ln2/128, in
// double-double arithmetic; e^r - 1 by its Taylor series to degree 11;
// e^x = 2^m 2^(j/64) (1 + (e^r - 1)) with 2^(j/64) from a double-double
// table. The relative error of the double-double result is below 2^-95, so
// when it is farther than 2^-85 from a rounding boundary its leading part is
// the correctly rounded result (for a subnormal result, the same test on the
// last place kept); otherwise (about one argument in 2^30), and for x > 709,
// expSlow recomputes it with 320-bit big.Float.
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
	k := math.RoundToEven(x * (64 * invLn2))
	// r = x - k ln2/64, ln2 = ln2Hi + ln2Mid + ln2Lo.
	ph, pl := twoProd(k, ln2Hi/64)
	mh, ml := twoProd(k, ln2Mid/64)
	rh, rl := twoSum(x, -ph)
	rh, rl = ddAddExact(rh, rl, -pl, 0)
	rh, rl = ddAddExact(rh, rl, -mh, -ml)
	rh, rl = fastTwoSum(rh, rl-k*(ln2Lo/64))

	// u = e^r - 1, |r| < 0.0055: the terms from r^6 on need only doubles.
	p := c6 + rh*(c7+rh*(c8+rh*(c9+rh*(c10+rh*c11))))
	qh, ql := twoProd(rh, p)
	qh, ql = ddAdd(c5Hi, c5Lo, qh, ql)
	qh, ql = ddMul(rh, rl, qh, ql)
	qh, ql = ddAdd(c4Hi, c4Lo, qh, ql)
	qh, ql = ddMul(rh, rl, qh, ql)
	qh, ql = ddAdd(c3Hi, c3Lo, qh, ql)
	qh, ql = ddMul(rh, rl, qh, ql)
	qh, ql = ddAdd(0.5, 0, qh, ql)
	qh, ql = ddMul(rh, rl, qh, ql)
	qh, ql = ddMul(rh, rl, qh, ql)
	uh, ul := ddAdd(rh, rl, qh, ql)
	// y = 2^(j/64) (1 + u), in [0.99, 1.99].
	ki := int(k)
	m, t := ki>>6, &exp2Table[ki&63]
	vh, vl := ddMul(t[0], t[1], uh, ul)
	yh, yl := ddAdd(t[0], t[1], vh, vl)
	if m >= -1022 {
		// A normal result: yh is the rounded value unless yh+yl may lie
		// beyond a midpoint.
		err := yh * 0x1p-85
		below := (yh - math.Nextafter(yh, 0)) / 2
		above := (math.Nextafter(yh, math.Inf(1)) - yh) / 2
		if yl-err <= -below || yl+err >= above {
			return expSlow(x)
		}
		return math.Ldexp(yh, m) // exact
	}
	// A subnormal result (or 0): e^x = n 2^-1074 with n the integer
	// nearest to Y + L = (yh + yl) 2^(m+1074) < 2^53.
	sh := m + 1074
	Y, L := math.Ldexp(yh, sh), math.Ldexp(yl, sh)
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
// ln 2 = ln2Hi + ln2Mid + ln2Lo and 1/n! = cnHi + cnLo (TestExpConstants
// checks them).
const (
	ln2Hi  = 0x1.62e42fefa39efp-1
	ln2Mid = 0x1.abc9e3b39803fp-56
	ln2Lo  = 0x1.7b57a079a1934p-111
	invLn2 = 0x1.71547652b82fep+0 // only picks k
	c3Hi   = 0x1.5555555555555p-3
	c3Lo   = 0x1.5555555555555p-57
	c4Hi   = 0x1.5555555555555p-5
	c4Lo   = 0x1.5555555555555p-59
	c5Hi   = 0x1.1111111111111p-7
	c5Lo   = 0x1.1111111111111p-63
	c6     = 1.0 / 720
	c7     = 1.0 / 5040
	c8     = 1.0 / 40320
	c9     = 1.0 / 362880
	c10    = 1.0 / 3628800
	c11    = 1.0 / 39916800
)

// exp2Table[j] is 2^(j/64) as a double-double (hi, lo), from Python's
// decimal module at 80 digits (TestExpConstants checks it).
var exp2Table = [64][2]float64{
	{0x1.0000000000000p+0, 0x0.0p+0}, {0x1.02c9a3e778061p+0, -0x1.19083535b085dp-56},
	{0x1.059b0d3158574p+0, 0x1.d73e2a475b465p-55}, {0x1.0874518759bc8p+0, 0x1.186be4bb284ffp-57},
	{0x1.0b5586cf9890fp+0, 0x1.8a62e4adc610bp-54}, {0x1.0e3ec32d3d1a2p+0, 0x1.03a1727c57b53p-59},
	{0x1.11301d0125b51p+0, -0x1.6c51039449b3ap-54}, {0x1.1429aaea92de0p+0, -0x1.32fbf9af1369ep-54},
	{0x1.172b83c7d517bp+0, -0x1.19041b9d78a76p-55}, {0x1.1a35beb6fcb75p+0, 0x1.e5b4c7b4968e4p-55},
	{0x1.1d4873168b9aap+0, 0x1.e016e00a2643cp-54}, {0x1.2063b88628cd6p+0, 0x1.dc775814a8495p-55},
	{0x1.2387a6e756238p+0, 0x1.9b07eb6c70573p-54}, {0x1.26b4565e27cddp+0, 0x1.2bd339940e9d9p-55},
	{0x1.29e9df51fdee1p+0, 0x1.612e8afad1255p-55}, {0x1.2d285a6e4030bp+0, 0x1.0024754db41d5p-54},
	{0x1.306fe0a31b715p+0, 0x1.6f46ad23182e4p-55}, {0x1.33c08b26416ffp+0, 0x1.32721843659a6p-54},
	{0x1.371a7373aa9cbp+0, -0x1.63aeabf42eae2p-54}, {0x1.3a7db34e59ff7p+0, -0x1.5e436d661f5e3p-56},
	{0x1.3dea64c123422p+0, 0x1.ada0911f09ebcp-55}, {0x1.4160a21f72e2ap+0, -0x1.ef3691c309278p-58},
	{0x1.44e086061892dp+0, 0x1.89b7a04ef80d0p-59}, {0x1.486a2b5c13cd0p+0, 0x1.3c1a3b69062f0p-56},
	{0x1.4bfdad5362a27p+0, 0x1.d4397afec42e2p-56}, {0x1.4f9b2769d2ca7p+0, -0x1.4b309d25957e3p-54},
	{0x1.5342b569d4f82p+0, -0x1.07abe1db13cadp-55}, {0x1.56f4736b527dap+0, 0x1.9bb2c011d93adp-54},
	{0x1.5ab07dd485429p+0, 0x1.6324c054647adp-54}, {0x1.5e76f15ad2148p+0, 0x1.ba6f93080e65ep-54},
	{0x1.6247eb03a5585p+0, -0x1.383c17e40b497p-54}, {0x1.6623882552225p+0, -0x1.bb60987591c34p-54},
	{0x1.6a09e667f3bcdp+0, -0x1.bdd3413b26456p-54}, {0x1.6dfb23c651a2fp+0, -0x1.bbe3a683c88abp-57},
	{0x1.71f75e8ec5f74p+0, -0x1.16e4786887a99p-55}, {0x1.75feb564267c9p+0, -0x1.0245957316dd3p-54},
	{0x1.7a11473eb0187p+0, -0x1.41577ee04992fp-55}, {0x1.7e2f336cf4e62p+0, 0x1.05d02ba15797ep-56},
	{0x1.82589994cce13p+0, -0x1.d4c1dd41532d8p-54}, {0x1.868d99b4492edp+0, -0x1.fc6f89bd4f6bap-54},
	{0x1.8ace5422aa0dbp+0, 0x1.6e9f156864b27p-54}, {0x1.8f1ae99157736p+0, 0x1.5cc13a2e3976cp-55},
	{0x1.93737b0cdc5e5p+0, -0x1.75fc781b57ebcp-57}, {0x1.97d829fde4e50p+0, -0x1.d185b7c1b85d1p-54},
	{0x1.9c49182a3f090p+0, 0x1.c7c46b071f2bep-56}, {0x1.a0c667b5de565p+0, -0x1.359495d1cd533p-54},
	{0x1.a5503b23e255dp+0, -0x1.d2f6edb8d41e1p-54}, {0x1.a9e6b5579fdbfp+0, 0x1.0fac90ef7fd31p-54},
	{0x1.ae89f995ad3adp+0, 0x1.7a1cd345dcc81p-54}, {0x1.b33a2b84f15fbp+0, -0x1.2805e3084d708p-57},
	{0x1.b7f76f2fb5e47p+0, -0x1.5584f7e54ac3bp-56}, {0x1.bcc1e904bc1d2p+0, 0x1.23dd07a2d9e84p-55},
	{0x1.c199bdd85529cp+0, 0x1.11065895048ddp-55}, {0x1.c67f12e57d14bp+0, 0x1.2884dff483cadp-54},
	{0x1.cb720dcef9069p+0, 0x1.503cbd1e949dbp-56}, {0x1.d072d4a07897cp+0, -0x1.cbc3743797a9cp-54},
	{0x1.d5818dcfba487p+0, 0x1.2ed02d75b3707p-55}, {0x1.da9e603db3285p+0, 0x1.c2300696db532p-54},
	{0x1.dfc97337b9b5fp+0, -0x1.1a5cd4f184b5cp-54}, {0x1.e502ee78b3ff6p+0, 0x1.39e8980a9cc8fp-55},
	{0x1.ea4afa2a490dap+0, -0x1.e9c23179c2893p-54}, {0x1.efa1bee615a27p+0, 0x1.dc7f486a4b6b0p-54},
	{0x1.f50765b6e4540p+0, 0x1.9d3e12dd8a18bp-54}, {0x1.fa7c1819e90d8p+0, 0x1.74853f3a5931ep-55},
}

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
