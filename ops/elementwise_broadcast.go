package ops

import (
	"fmt"

	"github.com/ladderpose/ladderpose/tensor"
)

// Add computes dst = a + b element-wise with NumPy broadcasting: shapes are
// aligned at their last dimension, and a dimension of size 1 (or a missing
// leading one) repeats along the other operand's. dst must have the
// broadcast shape; any of the three may be a strided view, and dst may be a
// or b itself (the same view) for in-place use. Common layouts (same shape,
// a per-channel or per-row operand, a scalar) run as flat loops over
// contiguous runs. It returns an error if the shapes do not broadcast.
func Add(dst, a, b tensor.Tensor) error { return binaryOp(dst, a, b, opAdd) }

// Mul computes dst = a * b element-wise with NumPy broadcasting (see Add).
func Mul(dst, a, b tensor.Tensor) error { return binaryOp(dst, a, b, opMul) }

type binOp uint8

const (
	opAdd binOp = iota
	opMul
)

// String names the operation for error messages.
func (op binOp) String() string {
	if op == opMul {
		return "ops.Mul"
	}
	return "ops.Add"
}

// bcast is an operand viewed with dst's dimensions: broadcast dimensions
// have stride 0.
type bcast struct {
	data   []float32
	off    int
	stride [tensor.MaxDims]int
}

// BroadcastShape returns the NumPy broadcast of two shapes, or an error
// naming the dimensions that do not match.
func BroadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 1; i <= n; i++ {
		da, db := 1, 1
		if i <= len(a) {
			da = a[len(a)-i]
		}
		if i <= len(b) {
			db = b[len(b)-i]
		}
		switch {
		case da == db || db == 1:
			out[n-i] = da
		case da == 1:
			out[n-i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast (dimension %d: %d vs %d)", a, b, n-i, da, db)
		}
	}
	return out, nil
}

func binaryOp(dst, a, b tensor.Tensor, op binOp) error {
	shape, err := BroadcastShape(a.Shape(), b.Shape())
	if err != nil {
		return fmt.Errorf("%v: %w", op, err)
	}
	if !dst.HasShape(shape...) {
		return fmt.Errorf("%v: result has shape %v, dst %v", op, shape, dst.Shape())
	}
	for _, d := range shape {
		if d == 0 {
			return nil
		}
	}
	nd := len(shape)
	va, vb := expand(a, nd), expand(b, nd)
	vd := expand(dst, nd)
	// Collapse dimensions: drop those of size 1, and merge a dimension into
	// the next one when all three operands step through them as one.
	var dims [tensor.MaxDims]int
	var sd, sa, sb [tensor.MaxDims]int
	k := 0
	for i := 0; i < nd; i++ {
		if shape[i] == 1 {
			continue
		}
		if k > 0 && sd[k-1] == vd.stride[i]*shape[i] && sa[k-1] == va.stride[i]*shape[i] && sb[k-1] == vb.stride[i]*shape[i] {
			dims[k-1] *= shape[i]
			sd[k-1], sa[k-1], sb[k-1] = vd.stride[i], va.stride[i], vb.stride[i]
			continue
		}
		dims[k], sd[k], sa[k], sb[k] = shape[i], vd.stride[i], va.stride[i], vb.stride[i]
		k++
	}
	if k == 0 { // a single element
		dims[0], k = 1, 1
	}
	inner := dims[k-1]
	outer := 1
	for i := 0; i < k-1; i++ {
		outer *= dims[i]
	}
	grain := max(1, 32768/inner)
	ParallelFor(outer, grain, func(lo, hi int) {
		// Odometer over the outer dimensions, starting at index lo.
		var idx [tensor.MaxDims]int
		rem := lo
		for i := k - 2; i >= 0; i-- {
			idx[i] = rem % dims[i]
			rem /= dims[i]
		}
		for r := lo; r < hi; r++ {
			pd, pa, pb := vd.off, va.off, vb.off
			for i := 0; i < k-1; i++ {
				pd += idx[i] * sd[i]
				pa += idx[i] * sa[i]
				pb += idx[i] * sb[i]
			}
			binaryRun(op, vd.data, pd, sd[k-1], va.data, pa, sa[k-1], vb.data, pb, sb[k-1], inner)
			for i := k - 2; i >= 0; i-- {
				idx[i]++
				if idx[i] < dims[i] {
					break
				}
				idx[i] = 0
			}
		}
	})
	return nil
}

// expand views t with nd dimensions aligned at the last one; dimensions of
// size 1 and missing leading ones get stride 0.
func expand(t tensor.Tensor, nd int) bcast {
	v := bcast{data: t.Storage(), off: t.Offset()}
	lead := nd - t.NDim()
	for i := lead; i < nd; i++ {
		if t.Dim(i-lead) != 1 {
			v.stride[i] = t.Stride(i - lead)
		}
	}
	return v
}

// binaryRun computes n results d[pd+i*sd] = a[pa+i*sa] op b[pb+i*sb], with
// flat loops for the unit-stride and broadcast-scalar cases.
func binaryRun(op binOp, d []float32, pd, sd int, a []float32, pa, sa int, b []float32, pb, sb, n int) {
	if sd == 1 && sa == 1 && sb == 1 {
		x, y, z := d[pd:pd+n], a[pa:pa+n], b[pb:pb+n]
		if op == opAdd {
			for i := range x {
				x[i] = y[i] + z[i]
			}
		} else {
			for i := range x {
				x[i] = y[i] * z[i]
			}
		}
		return
	}
	if sd == 1 && (sa == 0 && sb == 1 || sa == 1 && sb == 0) {
		x := d[pd : pd+n]
		var y []float32
		var s float32
		if sa == 0 {
			s, y = a[pa], b[pb:pb+n]
		} else {
			s, y = b[pb], a[pa:pa+n]
		}
		if op == opAdd {
			for i := range x {
				x[i] = y[i] + s
			}
		} else {
			for i := range x {
				x[i] = y[i] * s
			}
		}
		return
	}
	for i := 0; i < n; i++ {
		u, v := a[pa+i*sa], b[pb+i*sb]
		if op == opAdd {
			d[pd+i*sd] = u + v
		} else {
			d[pd+i*sd] = u * v
		}
	}
}
