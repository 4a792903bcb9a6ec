// Package nn holds ladderpose's layers: each file has a layer's parameters,
// its forward pass and (for training) its backward pass, with the tensor
// shapes in comments, built on the kernels of package ops.
//
// Layers work on float32 slices in the layouts of SPEC.md: token sequences
// [rows, features] row-major, feature maps NCHW. Callers own the activation
// buffers (typically from a tensor.Arena); layers own their parameters.
package nn

import "fmt"

// Param is a named parameter tensor. Grad is nil for frozen parameters and
// for buffers that are not trained (BatchNorm running statistics).
type Param struct {
	Name  string
	Shape []int
	Data  []float32
	Grad  []float32
	// Buffer marks state that is saved but not trained (running statistics).
	Buffer bool
}

// NewParam allocates a zero parameter of the given shape.
func NewParam(name string, shape ...int) *Param {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Param{Name: name, Shape: append([]int(nil), shape...), Data: make([]float32, n)}
}

// Len returns the number of elements.
func (p *Param) Len() int { return len(p.Data) }

// Set copies values of the given shape into the parameter, checking the
// shape; the error names the parameter and both shapes.
func (p *Param) Set(data []float32, shape []int) error {
	if !sameShape(p.Shape, shape) || len(data) != len(p.Data) {
		return fmt.Errorf("tensor %q: shape %v, want %v", p.Name, shape, p.Shape)
	}
	copy(p.Data, data)
	return nil
}

// EnableGrad allocates the gradient buffer (zero), making the parameter
// trainable.
func (p *Param) EnableGrad() {
	if p.Grad == nil {
		p.Grad = make([]float32, len(p.Data))
	}
}

// ZeroGrad clears the gradient.
func (p *Param) ZeroGrad() { clear(p.Grad) }

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
