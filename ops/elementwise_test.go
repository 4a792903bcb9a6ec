package ops

import (
	"fmt"
	"math"
	"testing"

	"github.com/ladderpose/ladderpose/tensor"
)

// TestActivations checks ReLU, LeakyReLU and Sigmoid (on every exp path)
// against float64 on ragged lengths, with guards, in place and out of place.
func TestActivations(t *testing.T) {
	r := newRand(7)
	type act struct {
		name string
		run  func(dst, src []float32)
		ref  func(x float64) float64
		tol  float64
	}
	acts := []act{
		{"relu", ReLU, func(x float64) float64 { return max(x, 0) }, 0},
		{"leaky0.2", func(d, s []float32) { LeakyReLU(d, s, 0.2) }, func(x float64) float64 {
			if x > 0 {
				return x
			}
			return float64(float32(0.2)) * x
		}, 1e-7},
	}
	for _, im := range expImpls(t) {
		acts = append(acts, act{"sigmoid/" + im.name, func(d, s []float32) { sigmoidWith(d, s, im.expAll) },
			func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 3e-7})
	}
	for _, a := range acts {
		for _, n := range raggedSizes {
			name := fmt.Sprintf("%s/n=%d", a.name, n)
			src := randNormal(r, n, 5)
			dst, buf := guarded(n)
			a.run(dst, src)
			checkGuards(t, name, buf)
			for i, x := range src {
				w := a.ref(float64(x))
				if d := math.Abs(float64(dst[i]) - w); d > a.tol*max(math.Abs(w), 1e-30) {
					t.Fatalf("%s: f(%g) = %g, want %g", name, x, dst[i], w)
				}
			}
			inp := append([]float32(nil), src...)
			a.run(inp, inp)
			for i := range inp {
				if math.Float32bits(inp[i]) != math.Float32bits(dst[i]) {
					t.Fatalf("%s: in place differs at %d", name, i)
				}
			}
		}
	}
	// Extremes: sigmoid saturates to exactly 0 and 1, NaN stays NaN.
	for _, im := range expImpls(t) {
		x := []float32{-200, -104, 30, 200, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
		y := make([]float32, len(x))
		sigmoidWith(y, x, im.expAll)
		want := []float32{0, 0, 1, 1, 1, 0}
		for i, w := range want {
			if y[i] != w && math.Abs(float64(y[i]-w)) > 1e-38 {
				t.Errorf("%s: sigmoid(%g) = %g, want %g", im.name, x[i], y[i], w)
			}
		}
		if y[6] == y[6] {
			t.Errorf("%s: sigmoid(NaN) = %g", im.name, y[6])
		}
	}
	y := make([]float32, 1)
	ReLU(y, []float32{float32(math.NaN())})
	if y[0] == y[0] {
		t.Errorf("ReLU(NaN) = %g", y[0])
	}
}

// bcastRef computes a op b in float64 by walking dst's indices.
func bcastRef(a, b tensor.Tensor, shape []int, op binOp) []float64 {
	n := 1
	for _, d := range shape {
		n *= d
	}
	out := make([]float64, n)
	idx := make([]int, len(shape))
	at := func(t tensor.Tensor) float64 {
		sub := make([]int, t.NDim())
		lead := len(shape) - t.NDim()
		for i := range sub {
			if t.Dim(i) != 1 {
				sub[i] = idx[lead+i]
			}
		}
		return float64(t.At(sub...))
	}
	for k := 0; k < n; k++ {
		rem := k
		for i := len(shape) - 1; i >= 0; i-- {
			idx[i] = rem % shape[i]
			rem /= shape[i]
		}
		if op == opAdd {
			out[k] = at(a) + at(b)
		} else {
			out[k] = at(a) * at(b)
		}
	}
	return out
}

// view returns a tensor of the given shape with random values; if strided,
// a non-contiguous view (a narrowed, transposed slice of a larger tensor,
// at an offset) of the same shape.
func view(r interface{ NormFloat64() float64 }, shape []int, strided bool) tensor.Tensor {
	if !strided || len(shape) < 2 {
		t := tensor.New(shape...)
		fill(t, r)
		return t
	}
	// Build a bigger tensor with the last two dimensions swapped and one
	// extra row, then transpose and narrow it back.
	big := append([]int(nil), shape...)
	nd := len(big)
	big[nd-2], big[nd-1] = shape[nd-1]+1, shape[nd-2]
	t := tensor.New(big...)
	fill(t, r)
	return t.Narrow(nd-2, 1, shape[nd-1]).Transpose(nd-2, nd-1)
}

func fill(t tensor.Tensor, r interface{ NormFloat64() float64 }) {
	for i := range t.Storage() {
		t.Storage()[i] = float32(r.NormFloat64())
	}
}

// TestBroadcast checks Add and Mul on broadcasting shape pairs (same shape,
// per channel, per row, scalar, both sides broadcasting, up to 6
// dimensions), with contiguous and non-contiguous operands and output,
// against a float64 reference; the results must be exact.
func TestBroadcast(t *testing.T) {
	r := newRand(8)
	pairs := [][2][]int{
		{{2, 3, 4, 5}, {2, 3, 4, 5}},
		{{2, 7, 3, 5}, {1, 7, 1, 1}},
		{{2, 7, 3, 5}, {7, 1, 1}},
		{{3, 17, 33}, {33}},
		{{3, 17, 33}, {17, 1}},
		{{5, 1}, {1, 6}},
		{{1}, {4, 3}},
		{{}, {2, 2}},
		{{2, 1, 3, 1, 5, 1}, {1, 4, 1, 2, 1, 3}},
		{{1, 1, 1}, {1, 1, 1}},
		{{7, 65}, {7, 65}},
	}
	for _, op := range []binOp{opAdd, opMul} {
		f := Add
		if op == opMul {
			f = Mul
		}
		for _, pr := range pairs {
			for _, strided := range []bool{false, true} {
				for _, swap := range []bool{false, true} {
					sa, sb := pr[0], pr[1]
					if swap {
						sa, sb = sb, sa
					}
					name := fmt.Sprintf("%v/%v%v/strided=%v", op, sa, sb, strided)
					shape, err := BroadcastShape(sa, sb)
					if err != nil {
						t.Fatal(err)
					}
					a, b := view(r, sa, strided), view(r, sb, strided)
					dst := view(r, shape, strided)
					if err := f(dst, a, b); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					want := bcastRef(a, b, shape, op)
					got := dst.Clone().Data()
					for i := range want {
						if float64(got[i]) != float64(float32(want[i])) {
							t.Fatalf("%s: element %d = %g, want %g", name, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
	// In place: dst is a.
	a := view(r, []int{4, 9}, false)
	b := view(r, []int{9}, false)
	want := bcastRef(a, b, []int{4, 9}, opAdd)
	if err := Add(a, a, b); err != nil {
		t.Fatal(err)
	}
	for i, v := range a.Data() {
		if float64(v) != float64(float32(want[i])) {
			t.Fatalf("in place: element %d = %g, want %g", i, v, want[i])
		}
	}
	// Errors.
	if err := Add(tensor.New(2, 3), tensor.New(2, 3), tensor.New(2)); err == nil {
		t.Error("Add of [2 3] and [2]: no error")
	}
	if err := Mul(tensor.New(2, 2), tensor.New(2, 3), tensor.New(3)); err == nil {
		t.Error("Mul into the wrong shape: no error")
	}
}

// TestAddInPlace checks AddInPlace against plain Go addition, bit for bit,
// on ragged lengths (around the 8-wide AVX2 body), a src longer than dst,
// and guards around dst.
func TestAddInPlace(t *testing.T) {
	r := newRand(45)
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 100, 4099} {
		src := randNormal(r, n+3, 1)
		d0 := randNormal(r, n, 1)
		want := make([]float32, n)
		for i := range want {
			want[i] = d0[i] + src[i]
		}
		got, buf := guarded(n)
		copy(got, d0)
		AddInPlace(got, src)
		checkGuards(t, fmt.Sprint(n), buf)
		requireSameBits(t, fmt.Sprint(n), got, want)
	}
}
