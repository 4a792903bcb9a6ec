package nn

import (
	"math"

	"github.com/ladderpose/ladderpose/ops"
)

// BNEps is BatchNorm's epsilon (SPEC.md: 1e-5, momentum 0.1).
const BNEps = 1e-5

// BNMomentum is the weight of a new batch in the running statistics.
const BNMomentum = 0.1

// BatchNorm is a 2-D BatchNorm over the channels of NCHW maps.
type BatchNorm struct {
	C                       int
	Gamma, Beta             *Param
	RunningMean, RunningVar *Param // buffers
}

// NewBatchNorm returns a BatchNorm with gamma 1, beta 0, running mean 0 and
// running variance 1 (PyTorch's initial state), named name.weight,
// name.bias, name.running_mean, name.running_var.
func NewBatchNorm(name string, c int) *BatchNorm {
	bn := &BatchNorm{C: c, Gamma: NewParam(name+".weight", c), Beta: NewParam(name+".bias", c),
		RunningMean: NewParam(name+".running_mean", c), RunningVar: NewParam(name+".running_var", c)}
	bn.RunningMean.Buffer, bn.RunningVar.Buffer = true, true
	for i := 0; i < c; i++ {
		bn.Gamma.Data[i] = 1
		bn.RunningVar.Data[i] = 1
	}
	return bn
}

// Params lists the parameters and the running statistics.
func (bn *BatchNorm) Params() []*Param {
	return []*Param{bn.Gamma, bn.Beta, bn.RunningMean, bn.RunningVar}
}

// ScaleShift returns the inference form y = x*scale + shift.
func (bn *BatchNorm) ScaleShift() (scale, shift []float32, err error) {
	scale, shift = make([]float32, bn.C), make([]float32, bn.C)
	err = ops.BatchNormScaleShift(scale, shift, bn.Gamma.Data, bn.Beta.Data, bn.RunningMean.Data, bn.RunningVar.Data, BNEps)
	return scale, shift, err
}

// Apply is the layer on a Tape for x [n, C, hw]. In training mode it
// normalises with the batch's mean and biased variance over (n, hw) and
// updates the running statistics (momentum BNMomentum, unbiased variance,
// as PyTorch); otherwise it uses the running statistics. Backward (training
// mode): dx = gamma*rstd/m * (m*dy - sum dy - xhat*sum dy*xhat) over the
// m = n*hw values of each channel.
func (bn *BatchNorm) Apply(t *Tape, x *Var, n, hw int) *Var {
	c := bn.C
	mustLen("BatchNorm", x, n*c*hw)
	gamma, beta := t.Param(bn.Gamma), t.Param(bn.Beta)
	y := t.out(anyGrad(x, gamma, beta), x.Shape()...)
	xd, yd := x.Data(), y.Data()
	scale, shift := t.Floats(c), t.Floats(c)
	if !t.Train {
		if err := ops.BatchNormScaleShift(scale, shift, bn.Gamma.Data, bn.Beta.Data, bn.RunningMean.Data, bn.RunningVar.Data, BNEps); err != nil {
			panic(err)
		}
		ops.BatchNorm(yd, xd, n, c, hw, scale, shift, ops.ActNone)
		if y.Grad != nil {
			t.record(func() {
				for q := 0; q < n*c; q++ {
					ch := q % c
					g := y.Grad[q*hw : (q+1)*hw]
					if x.Grad != nil {
						dx := x.Grad[q*hw : (q+1)*hw]
						for i, v := range g {
							dx[i] += v * scale[ch]
						}
					}
					var sb, sg float32
					xs := xd[q*hw : (q+1)*hw]
					for i, v := range g {
						sb += v
						sg += v * (xs[i] - bn.RunningMean.Data[ch])
					}
					if beta.Grad != nil {
						beta.Grad[ch] += sb
					}
					if gamma.Grad != nil {
						gamma.Grad[ch] += sg / float32(math.Sqrt(float64(bn.RunningVar.Data[ch])+BNEps))
					}
				}
			})
		}
		return y
	}
	m := n * hw
	mean, rstd := t.Floats(c), t.Floats(c)
	ops.ParallelFor(c, 1, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var s float64
			for b := 0; b < n; b++ {
				for _, v := range xd[(b*c+ch)*hw : (b*c+ch+1)*hw] {
					s += float64(v)
				}
			}
			mu := s / float64(m)
			var ss float64
			for b := 0; b < n; b++ {
				for _, v := range xd[(b*c+ch)*hw : (b*c+ch+1)*hw] {
					d := float64(v) - mu
					ss += d * d
				}
			}
			v := ss / float64(m)
			mean[ch] = float32(mu)
			rstd[ch] = float32(1 / math.Sqrt(v+BNEps))
			scale[ch] = bn.Gamma.Data[ch] * rstd[ch]
			shift[ch] = bn.Beta.Data[ch] - mean[ch]*scale[ch]
			unbiased := v
			if m > 1 {
				unbiased = ss / float64(m-1)
			}
			bn.RunningMean.Data[ch] = float32((1-BNMomentum)*float64(bn.RunningMean.Data[ch]) + BNMomentum*mu)
			bn.RunningVar.Data[ch] = float32((1-BNMomentum)*float64(bn.RunningVar.Data[ch]) + BNMomentum*unbiased)
		}
	})
	ops.ParallelFor(n*c, 4, func(lo, hi int) {
		for q := lo; q < hi; q++ {
			ch := q % c
			mu, rs, g, b := mean[ch], rstd[ch], bn.Gamma.Data[ch], bn.Beta.Data[ch]
			src, dst := xd[q*hw:(q+1)*hw], yd[q*hw:(q+1)*hw]
			for i, v := range src {
				dst[i] = (v-mu)*rs*g + b
			}
		}
	})
	if y.Grad != nil {
		t.record(func() {
			ops.ParallelFor(c, 1, func(lo, hi int) {
				for ch := lo; ch < hi; ch++ {
					mu, rs := mean[ch], rstd[ch]
					var sdy, sdyx float64
					for b := 0; b < n; b++ {
						xs := xd[(b*c+ch)*hw : (b*c+ch+1)*hw]
						for i, g := range y.Grad[(b*c+ch)*hw : (b*c+ch+1)*hw] {
							sdy += float64(g)
							sdyx += float64(g) * float64((xs[i]-mu)*rs)
						}
					}
					if gamma.Grad != nil {
						gamma.Grad[ch] += float32(sdyx)
					}
					if beta.Grad != nil {
						beta.Grad[ch] += float32(sdy)
					}
					if x.Grad == nil {
						continue
					}
					k := bn.Gamma.Data[ch] * rs / float32(m)
					a, bb := float32(sdy), float32(sdyx)
					for b := 0; b < n; b++ {
						xs := xd[(b*c+ch)*hw : (b*c+ch+1)*hw]
						dx := x.Grad[(b*c+ch)*hw : (b*c+ch+1)*hw]
						for i, g := range y.Grad[(b*c+ch)*hw : (b*c+ch+1)*hw] {
							dx[i] += k * (float32(m)*g - a - (xs[i]-mu)*rs*bb)
						}
					}
				}
			})
		})
	}
	return y
}
