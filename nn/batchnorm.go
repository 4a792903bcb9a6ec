package nn

import "github.com/ladderpose/ladderpose/ops"

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
