// Package tensor provides ladderpose's dense float32 tensor: a shape and strides
// over a shared backing slice, with views (reshape, permute, transpose, narrow)
// that never copy.
//
// # Ownership
//
// A Tensor is a small value (no pointers but the backing slice), so copying a
// Tensor copies the view, never the data: two Tensors may share storage, and a
// write through one is visible through the other. Functions that return views
// say so; Contiguous and Clone are the only operations that may allocate. A
// Tensor obtained from an Arena is valid until that Arena's next Reset; using it
// afterwards reads whatever the next user of the arena wrote. Tensors that wrap
// caller memory (FromSlice) or mapped weights alias that memory for their whole
// life.
//
// Shapes have at most MaxDims dimensions; they live inside the Tensor value, so
// making views allocates nothing.
package tensor

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxDims is the largest number of dimensions a Tensor can have.
const MaxDims = 6

// Tensor is a strided view of float32 storage. The zero value is an empty
// tensor with no dimensions and no storage.
type Tensor struct {
	data   []float32
	off    int
	ndim   int
	shape  [MaxDims]int
	stride [MaxDims]int
}

// New allocates a zero-filled contiguous tensor of the given shape.
func New(shape ...int) Tensor {
	n := checkShape(shape)
	return FromSlice(make([]float32, n), shape...)
}

// FromSlice wraps data (without copying) as a contiguous tensor of the given
// shape. It panics if len(data) is smaller than the shape's element count: that
// is a programming error, not bad input.
func FromSlice(data []float32, shape ...int) Tensor {
	n := checkShape(shape)
	if len(data) < n {
		panic(fmt.Sprintf("tensor.FromSlice: %d values for shape %s (%d needed)", len(data), shapeString(shape), n))
	}
	var t Tensor
	t.data = data[:n:n]
	t.ndim = len(shape)
	copy(t.shape[:], shape)
	t.setContiguousStrides()
	return t
}

func checkShape(shape []int) int {
	if len(shape) > MaxDims {
		panic(fmt.Sprintf("tensor: %d dimensions (at most %d)", len(shape), MaxDims))
	}
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic("tensor: negative dimension in shape " + shapeString(shape))
		}
		n *= d
	}
	return n
}

// shapeString formats a shape without letting the slice escape (so that
// variadic shapes stay on the caller's stack).
func shapeString(shape []int) string {
	var buf [MaxDims * 8]byte
	b := append(buf[:0], '[')
	for i, d := range shape {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(d), 10)
	}
	return string(append(b, ']'))
}

func (t *Tensor) setContiguousStrides() {
	s := 1
	for i := t.ndim - 1; i >= 0; i-- {
		t.stride[i] = s
		s *= t.shape[i]
	}
}

// NDim returns the number of dimensions.
func (t Tensor) NDim() int { return t.ndim }

// Dim returns the size of dimension i; negative i counts from the end.
func (t Tensor) Dim(i int) int {
	if i < 0 {
		i += t.ndim
	}
	return t.shape[i]
}

// Stride returns the stride (in elements) of dimension i; negative i counts
// from the end.
func (t Tensor) Stride(i int) int {
	if i < 0 {
		i += t.ndim
	}
	return t.stride[i]
}

// Shape returns a copy of the shape.
func (t Tensor) Shape() []int { return append([]int(nil), t.shape[:t.ndim]...) }

// Strides returns a copy of the strides, in elements.
func (t Tensor) Strides() []int { return append([]int(nil), t.stride[:t.ndim]...) }

// Offset returns the index of element (0, ..., 0) in Storage.
func (t Tensor) Offset() int { return t.off }

// Storage returns the whole backing slice the tensor views.
func (t Tensor) Storage() []float32 { return t.data }

// Len returns the number of elements.
func (t Tensor) Len() int {
	n := 1
	for i := 0; i < t.ndim; i++ {
		n *= t.shape[i]
	}
	return n
}

// SameShape reports whether t and u have the same shape.
func (t Tensor) SameShape(u Tensor) bool {
	if t.ndim != u.ndim {
		return false
	}
	for i := 0; i < t.ndim; i++ {
		if t.shape[i] != u.shape[i] {
			return false
		}
	}
	return true
}

// HasShape reports whether t has exactly the given shape.
func (t Tensor) HasShape(shape ...int) bool {
	if t.ndim != len(shape) {
		return false
	}
	for i, d := range shape {
		if t.shape[i] != d {
			return false
		}
	}
	return true
}

// IsContiguous reports whether the elements are laid out densely in row-major
// order, so that Data returns all of them.
func (t Tensor) IsContiguous() bool {
	s := 1
	for i := t.ndim - 1; i >= 0; i-- {
		if t.shape[i] != 1 && t.stride[i] != s {
			return false
		}
		s *= t.shape[i]
	}
	return true
}

// Data returns the elements of a contiguous tensor as a slice aliasing its
// storage. It panics on a non-contiguous view (call Contiguous first).
func (t Tensor) Data() []float32 {
	if !t.IsContiguous() {
		panic("tensor.Data: tensor is not contiguous")
	}
	n := t.Len()
	return t.data[t.off : t.off+n : t.off+n]
}

func (t Tensor) index(idx []int) int {
	if len(idx) != t.ndim {
		panic(fmt.Sprintf("tensor: %d indices for %d dimensions", len(idx), t.ndim))
	}
	p := t.off
	for i, v := range idx {
		if v < 0 || v >= t.shape[i] {
			panic(fmt.Sprintf("tensor: index %v out of range for shape %v", idx, t.Shape()))
		}
		p += v * t.stride[i]
	}
	return p
}

// At returns the element at the given index.
func (t Tensor) At(idx ...int) float32 { return t.data[t.index(idx)] }

// Set stores v at the given index.
func (t Tensor) Set(v float32, idx ...int) { t.data[t.index(idx)] = v }

// Reshape returns a view with a new shape of the same element count. One
// dimension may be -1 and is inferred. The tensor must be contiguous; it
// returns an error otherwise (use Contiguous first).
func (t Tensor) Reshape(shape ...int) (Tensor, error) {
	if len(shape) > MaxDims {
		return Tensor{}, fmt.Errorf("tensor.Reshape: %d dimensions (at most %d)", len(shape), MaxDims)
	}
	if !t.IsContiguous() {
		return Tensor{}, fmt.Errorf("tensor.Reshape: shape %v is not contiguous", t.Shape())
	}
	n, infer, known := t.Len(), -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return Tensor{}, fmt.Errorf("tensor.Reshape: bad shape %v", shape)
		default:
			known *= d
		}
	}
	var r Tensor
	r.data, r.off, r.ndim = t.data, t.off, len(shape)
	copy(r.shape[:], shape)
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			return Tensor{}, fmt.Errorf("tensor.Reshape: cannot reshape %v to %v", t.Shape(), shape)
		}
		r.shape[infer] = n / known
		known *= r.shape[infer]
	}
	if known != n {
		return Tensor{}, fmt.Errorf("tensor.Reshape: cannot reshape %v (%d elements) to %v", t.Shape(), n, shape)
	}
	r.setContiguousStrides()
	return r, nil
}

// MustReshape is Reshape for shapes known to be valid; it panics on error.
func (t Tensor) MustReshape(shape ...int) Tensor {
	r, err := t.Reshape(shape...)
	if err != nil {
		panic(err)
	}
	return r
}

// Permute returns a view with the dimensions reordered: dimension i of the
// result is dimension perm[i] of t.
func (t Tensor) Permute(perm ...int) Tensor {
	if len(perm) != t.ndim {
		panic(fmt.Sprintf("tensor.Permute: %d axes for %d dimensions", len(perm), t.ndim))
	}
	var seen [MaxDims]bool
	r := t
	for i, p := range perm {
		if p < 0 || p >= t.ndim || seen[p] {
			panic(fmt.Sprintf("tensor.Permute: bad permutation %v", perm))
		}
		seen[p] = true
		r.shape[i], r.stride[i] = t.shape[p], t.stride[p]
	}
	return r
}

// Transpose returns a view with dimensions i and j swapped.
func (t Tensor) Transpose(i, j int) Tensor {
	if i < 0 {
		i += t.ndim
	}
	if j < 0 {
		j += t.ndim
	}
	r := t
	r.shape[i], r.shape[j] = t.shape[j], t.shape[i]
	r.stride[i], r.stride[j] = t.stride[j], t.stride[i]
	return r
}

// Narrow returns a view of elements start..start+length-1 along dimension dim.
func (t Tensor) Narrow(dim, start, length int) Tensor {
	if dim < 0 {
		dim += t.ndim
	}
	if start < 0 || length < 0 || start+length > t.shape[dim] {
		panic(fmt.Sprintf("tensor.Narrow: [%d, %d) out of range for dimension %d of %v", start, start+length, dim, t.Shape()))
	}
	r := t
	r.off += start * t.stride[dim]
	r.shape[dim] = length
	return r
}

// Index returns the view at position i of the first dimension, with that
// dimension removed.
func (t Tensor) Index(i int) Tensor {
	if t.ndim == 0 || i < 0 || i >= t.shape[0] {
		panic(fmt.Sprintf("tensor.Index: %d out of range for shape %v", i, t.Shape()))
	}
	var r Tensor
	r.data, r.off, r.ndim = t.data, t.off+i*t.stride[0], t.ndim-1
	copy(r.shape[:], t.shape[1:t.ndim])
	copy(r.stride[:], t.stride[1:t.ndim])
	return r
}

// Contiguous returns t itself if it is contiguous, else a contiguous copy in
// freshly allocated memory.
func (t Tensor) Contiguous() Tensor {
	if t.IsContiguous() {
		return t
	}
	return t.Clone()
}

// Clone returns a contiguous copy in freshly allocated memory.
func (t Tensor) Clone() Tensor {
	r := New(t.shape[:t.ndim]...)
	CopyInto(r, t)
	return r
}

// CopyInto copies src into dst element by element; the shapes must match.
func CopyInto(dst, src Tensor) {
	if !dst.SameShape(src) {
		panic(fmt.Sprintf("tensor.CopyInto: shape %v into %v", src.Shape(), dst.Shape()))
	}
	if dst.IsContiguous() && src.IsContiguous() {
		copy(dst.Data(), src.Data())
		return
	}
	if src.ndim == 0 {
		dst.data[dst.off] = src.data[src.off]
		return
	}
	var idx [MaxDims]int
	last := src.ndim - 1
	n := src.shape[last]
	if n == 0 || src.Len() == 0 {
		return
	}
	for {
		ps, pd := src.off, dst.off
		for i := 0; i < last; i++ {
			ps += idx[i] * src.stride[i]
			pd += idx[i] * dst.stride[i]
		}
		ss, sd := src.stride[last], dst.stride[last]
		for j := 0; j < n; j++ {
			dst.data[pd+j*sd] = src.data[ps+j*ss]
		}
		i := last - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < src.shape[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// String formats the shape and strides, for debugging.
func (t Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v", t.Shape())
	if !t.IsContiguous() {
		fmt.Fprintf(&b, " strides %v", t.Strides())
	}
	return b.String()
}
