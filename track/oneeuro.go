package track

import (
	"fmt"
	"math"
)

// OneEuroParams are the One-Euro filter's parameters, with frequencies in
// cycles per time unit of the time stamps given to the filter.
type OneEuroParams struct {
	MinCutoff float64 // the cutoff frequency when the signal is still (less: less jitter)
	Beta      float64 // how fast the cutoff rises with speed (more: less lag)
	DCutoff   float64 // the cutoff frequency of the derivative's low-pass filter
}

// MMPoseOneEuro are mmpose's OneEuroFilter defaults, in cycles per frame
// (mmpose's filter advances its time by one per frame).
var MMPoseOneEuro = OneEuroParams{MinCutoff: 0.004, Beta: 0.7, DCutoff: 1.0}

// Check reports parameters that are not finite and > 0 (Beta may be 0).
func (p OneEuroParams) Check() error {
	ok := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !ok(p.MinCutoff) || !ok(p.Beta) || !ok(p.DCutoff) || p.MinCutoff <= 0 || p.DCutoff <= 0 || p.Beta < 0 {
		return fmt.Errorf("track: One-Euro parameters %+v: cutoffs must be finite and > 0, beta finite and >= 0", p)
	}
	return nil
}

// OneEuro is the One-Euro filter of one signal (see the package doc for its
// equations). The zero value with Params set is ready; the first value it
// sees passes unchanged.
type OneEuro struct {
	Params  OneEuroParams
	started bool
	xPrev   float64
	dxPrev  float64
	tPrev   float64
}

// NewOneEuro returns a filter with parameters p.
func NewOneEuro(p OneEuroParams) (*OneEuro, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	return &OneEuro{Params: p}, nil
}

// smoothingFactor is alpha(te, fc) = r / (r + 1), r = 2 pi fc te.
func smoothingFactor(te, cutoff float64) float64 {
	r := 2 * math.Pi * cutoff * te
	return r / (r + 1)
}

// Filter takes value x at time t and returns the filtered value. Times must
// increase from call to call; x and t must be finite.
func (f *OneEuro) Filter(x, t float64) (float64, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(t) || math.IsInf(t, 0) {
		return 0, fmt.Errorf("track: One-Euro filter: value %v at time %v is not finite", x, t)
	}
	if !f.started {
		f.started = true
		f.xPrev, f.dxPrev, f.tPrev = x, 0, t
		return x, nil
	}
	te := t - f.tPrev
	if !(te > 0) {
		return 0, fmt.Errorf("track: One-Euro filter: time %v does not follow %v", t, f.tPrev)
	}
	aD := smoothingFactor(te, f.Params.DCutoff)
	dx := (x - f.xPrev) / te
	dxHat := aD*dx + (1-aD)*f.dxPrev
	cutoff := f.Params.MinCutoff + f.Params.Beta*math.Abs(dxHat)
	a := smoothingFactor(te, cutoff)
	xHat := a*x + (1-a)*f.xPrev
	f.xPrev, f.dxPrev, f.tPrev = xHat, dxHat, t
	return xHat, nil
}

// Reset forgets the signal: the next value passes unchanged.
func (f *OneEuro) Reset() {
	f.started = false
	f.xPrev, f.dxPrev, f.tPrev = 0, 0, 0
}
