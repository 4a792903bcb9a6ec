package nn

import "github.com/ladderpose/ladderpose/ops"

// LayerNorm normalises each row of [rows, dim] and applies gamma and beta.
type LayerNorm struct {
	Dim         int
	Eps         float32
	Gamma, Beta *Param
}

// NewLayerNorm returns a LayerNorm with gamma 1 and beta 0.
func NewLayerNorm(name string, dim int, eps float32) *LayerNorm {
	l := &LayerNorm{Dim: dim, Eps: eps, Gamma: NewParam(name+".weight", dim), Beta: NewParam(name+".bias", dim)}
	for i := range l.Gamma.Data {
		l.Gamma.Data[i] = 1
	}
	return l
}

// Params lists the layer's parameters.
func (l *LayerNorm) Params() []*Param { return []*Param{l.Gamma, l.Beta} }

// Forward normalises x [rows, dim] into y (which may be x).
func (l *LayerNorm) Forward(y, x []float32) {
	ops.LayerNorm(y, x, l.Dim, l.Gamma.Data, l.Beta.Data, l.Eps)
}

// Apply is the layer on a Tape, over rows of Dim values. Backward, with
// xhat = (x - mean)*rstd: dgamma += sum dy*xhat, dbeta += sum dy,
// dx = rstd * (g - mean(g) - xhat*mean(g*xhat)) with g = dy*gamma.
func (l *LayerNorm) Apply(t *Tape, x *Var) *Var {
	n := l.Dim
	rows := x.Len() / n
	mustLen("LayerNorm", x, rows*n)
	gamma, beta := t.Param(l.Gamma), t.Param(l.Beta)
	y := t.out(anyGrad(x, gamma, beta), x.Shape()...)
	if y.Grad == nil {
		ops.LayerNorm(y.Data(), x.Data(), n, l.Gamma.Data, l.Beta.Data, l.Eps)
		return y
	}
	mean, rstd := t.Floats(rows), t.Floats(rows)
	ops.LayerNormStats(y.Data(), x.Data(), n, l.Gamma.Data, l.Beta.Data, l.Eps, mean, rstd)
	t.record(func() {
		xd, gd := x.Data(), l.Gamma.Data
		if x.Grad != nil {
			ops.ParallelFor(rows, max(1, 2048/n), func(lo, hi int) {
				for r := lo; r < hi; r++ {
					xr, dy, dx := xd[r*n:(r+1)*n], y.Grad[r*n:(r+1)*n], x.Grad[r*n:(r+1)*n]
					mu, rs := mean[r], rstd[r]
					var sg, sgx float32
					for i, v := range xr {
						g := dy[i] * gd[i]
						xh := (v - mu) * rs
						sg += g
						sgx += g * xh
					}
					sg /= float32(n)
					sgx /= float32(n)
					for i, v := range xr {
						xh := (v - mu) * rs
						dx[i] += rs * (dy[i]*gd[i] - sg - xh*sgx)
					}
				}
			})
		}
		if gamma.Grad != nil || beta.Grad != nil {
			ops.ParallelFor(n, 64, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					var sg, sb float32
					for r := 0; r < rows; r++ {
						dy := y.Grad[r*n+i]
						sg += dy * (xd[r*n+i] - mean[r]) * rstd[r]
						sb += dy
					}
					if gamma.Grad != nil {
						gamma.Grad[i] += sg
					}
					if beta.Grad != nil {
						beta.Grad[i] += sb
					}
				}
			})
		}
	})
	return y
}
