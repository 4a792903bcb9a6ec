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
