package nn

import (
	"fmt"

	"github.com/ladderpose/ladderpose/tensor"
)

// Var is a value computed on a Tape, with its gradient when one flows to it.
// Values and gradients live in the tape's arena (or alias a Param): they are
// valid until the tape's next Reset.
type Var struct {
	Val  tensor.Tensor // contiguous
	Grad []float32     // same length as Val; nil when no gradient is needed
}

// Data returns the value's elements.
func (v *Var) Data() []float32 { return v.Val.Data() }

// Shape returns the value's shape.
func (v *Var) Shape() []int { return v.Val.Shape() }

// Dim returns dimension i of the value (negative i counts from the end).
func (v *Var) Dim(i int) int { return v.Val.Dim(i) }

// Len returns the number of elements.
func (v *Var) Len() int { return v.Val.Len() }

// NeedsGrad reports whether a gradient flows to v.
func (v *Var) NeedsGrad() bool { return v.Grad != nil }

// Tape records a computation so that Backward can run it in reverse: each
// operation computes its value on the kernels of package ops and, when a
// gradient flows to one of its inputs, records a closure that adds that
// operation's contribution to the inputs' gradients. The forward and the
// backward of every operation are written together, in the operation's
// method.
//
// In training mode (Train) BatchNorm uses batch statistics and updates its
// running statistics; otherwise it uses the running statistics. A Tape is
// not safe for concurrent use; the operations themselves run on several
// goroutines with results independent of their number.
type Tape struct {
	Train bool
	arena *tensor.Arena
	back  []func()
}

// NewTape returns an empty tape.
func NewTape(train bool) *Tape { return &Tape{Train: train, arena: tensor.NewArena(0)} }

// Reset forgets the recorded computation and frees every Var for reuse.
func (t *Tape) Reset() {
	t.arena.Reset()
	clear(t.back)
	t.back = t.back[:0]
}

// Peak returns the largest number of float32 values the tape's arena has
// held (activations, gradients and scratch of one step).
func (t *Tape) Peak() int { return t.arena.Peak() }

// Floats returns n scratch values (unspecified contents) valid until Reset.
func (t *Tape) Floats(n int) []float32 { return t.arena.Floats(n) }

// Value returns a new Var of the given shape (contents unspecified, no
// gradient), to be filled by the caller: an input.
func (t *Tape) Value(shape ...int) *Var { return &Var{Val: t.arena.Alloc(shape...)} }

// Const wraps data (not copied) as a Var without gradient.
func (t *Tape) Const(data []float32, shape ...int) *Var {
	return &Var{Val: tensor.FromSlice(data, shape...)}
}

// Param wraps a parameter: its value is p.Data and gradients accumulate
// into p.Grad (none when p.Grad is nil: a frozen parameter).
func (t *Tape) Param(p *Param) *Var {
	return &Var{Val: tensor.FromSlice(p.Data, p.Shape...), Grad: p.Grad}
}

// out allocates an operation's result, with a zero gradient when needGrad.
func (t *Tape) out(needGrad bool, shape ...int) *Var {
	v := &Var{Val: t.arena.Alloc(shape...)}
	if needGrad {
		v.Grad = t.arena.AllocZero(shape...).Data()
	}
	return v
}

// record adds a backward step.
func (t *Tape) record(f func()) { t.back = append(t.back, f) }

// Record adds a backward step for an operation defined outside this package
// (a loss): f must add the operation's contribution to its inputs' Grad
// from its output's Grad. Steps run in reverse order of recording.
func (t *Tape) Record(f func()) { t.record(f) }

// anyGrad reports whether a gradient flows to any of vs.
func anyGrad(vs ...*Var) bool {
	for _, v := range vs {
		if v != nil && v.Grad != nil {
			return true
		}
	}
	return false
}

// Backward propagates the gradient of the scalar loss (a one-element Var)
// through the recorded operations, in reverse order, accumulating into the
// gradients of every Var and Param that needs one. It may run once per
// recorded computation.
func (t *Tape) Backward(loss *Var) error {
	if loss.Len() != 1 {
		return fmt.Errorf("backward: loss has shape %v, want one element", loss.Shape())
	}
	if loss.Grad == nil {
		return fmt.Errorf("backward: no gradient flows to the loss (no trainable parameter in its computation)")
	}
	loss.Grad[0] = 1
	for i := len(t.back) - 1; i >= 0; i-- {
		t.back[i]()
	}
	clear(t.back)
	t.back = t.back[:0]
	return nil
}

// shapeOf returns the product of a shape and checks it against n values.
func mustLen(op string, v *Var, n int) {
	if v.Len() != n {
		panic(fmt.Sprintf("nn.%s: input has shape %v (%d values), want %d values", op, v.Shape(), v.Len(), n))
	}
}
