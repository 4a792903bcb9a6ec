package tensor

import (
	"testing"
)

func seq(shape ...int) Tensor {
	t := New(shape...)
	for i := range t.Data() {
		t.Data()[i] = float32(i)
	}
	return t
}

func TestNewAndAt(t *testing.T) {
	x := seq(2, 3, 4)
	if x.NDim() != 3 || x.Len() != 24 || !x.IsContiguous() {
		t.Fatalf("New: %v len %d contiguous %v", x, x.Len(), x.IsContiguous())
	}
	if got := x.Strides(); got[0] != 12 || got[1] != 4 || got[2] != 1 {
		t.Fatalf("strides %v, want [12 4 1]", got)
	}
	if v := x.At(1, 2, 3); v != 23 {
		t.Fatalf("At(1,2,3) = %v, want 23", v)
	}
	x.Set(-1, 0, 1, 2)
	if x.Data()[6] != -1 {
		t.Fatal("Set did not write element (0,1,2)")
	}
}

func TestViewsShareStorage(t *testing.T) {
	x := seq(2, 3, 4)
	p := x.Permute(2, 0, 1) // [4, 2, 3]
	if !p.HasShape(4, 2, 3) || p.IsContiguous() {
		t.Fatalf("Permute: shape %v contiguous %v", p.Shape(), p.IsContiguous())
	}
	for a := 0; a < 2; a++ {
		for b := 0; b < 3; b++ {
			for c := 0; c < 4; c++ {
				if p.At(c, a, b) != x.At(a, b, c) {
					t.Fatalf("Permute: p[%d,%d,%d] != x[%d,%d,%d]", c, a, b, a, b, c)
				}
			}
		}
	}
	tr := x.Transpose(0, 2) // [4, 3, 2]
	if tr.At(3, 1, 0) != x.At(0, 1, 3) {
		t.Fatal("Transpose: wrong element")
	}
	nw := x.Narrow(2, 1, 2) // [2, 3, 2], columns 1..2
	if nw.At(1, 2, 0) != x.At(1, 2, 1) || nw.IsContiguous() {
		t.Fatal("Narrow: wrong element or contiguity")
	}
	ix := x.Index(1) // [3, 4]
	if ix.At(2, 3) != 23 || !ix.IsContiguous() {
		t.Fatal("Index: wrong element")
	}
	// A write through a view is visible in the original: no copies.
	p.Set(100, 3, 1, 2)
	if x.At(1, 2, 3) != 100 {
		t.Fatal("write through a permuted view not visible in the original")
	}
	nw.Set(200, 0, 0, 0)
	if x.At(0, 0, 1) != 200 {
		t.Fatal("write through a narrowed view not visible in the original")
	}
}

func TestContiguousAndClone(t *testing.T) {
	x := seq(3, 5)
	v := x.Transpose(0, 1).Narrow(0, 1, 3) // [3, 3]: x[:, 1:4]^T
	c := v.Contiguous()
	if !c.IsContiguous() || !c.HasShape(3, 3) {
		t.Fatalf("Contiguous: %v", c)
	}
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			if c.At(i, j) != x.At(j, i+1) {
				t.Fatalf("Contiguous[%d][%d] = %v, want %v", i, j, c.At(i, j), x.At(j, i+1))
			}
		}
	}
	c.Set(-5, 0, 0)
	if x.At(0, 1) == -5 {
		t.Fatal("Contiguous of a non-contiguous view must copy")
	}
	if same := x.Contiguous(); &same.Data()[0] != &x.Data()[0] {
		t.Fatal("Contiguous of a contiguous tensor must not copy")
	}
	cl := x.Clone()
	cl.Set(7, 0, 0)
	if x.At(0, 0) == 7 {
		t.Fatal("Clone shares storage")
	}
}

func TestReshape(t *testing.T) {
	x := seq(2, 3, 4)
	r, err := x.Reshape(6, -1)
	if err != nil || !r.HasShape(6, 4) || r.At(5, 3) != 23 {
		t.Fatalf("Reshape(6,-1) = %v, %v", r, err)
	}
	bad := []struct {
		name  string
		t     Tensor
		shape []int
	}{
		{"count", x, []int{5, 5}},
		{"two inferred", x, []int{-1, -1}},
		{"negative", x, []int{-2, 12}},
		{"not divisible", x, []int{5, -1}},
		{"non-contiguous", x.Transpose(0, 1), []int{24}},
		{"too many dims", x, []int{1, 1, 1, 1, 1, 1, 24}},
	}
	for _, b := range bad {
		if _, err := b.t.Reshape(b.shape...); err == nil {
			t.Errorf("Reshape %s: no error", b.name)
		}
	}
}

func TestCopyInto(t *testing.T) {
	x := seq(4, 6)
	dst := New(6, 4)
	CopyInto(dst.Transpose(0, 1), x) // dst^T = x
	for i := 0; i < 4; i++ {
		for j := 0; j < 6; j++ {
			if dst.At(j, i) != x.At(i, j) {
				t.Fatalf("CopyInto: dst[%d][%d] = %v", j, i, dst.At(j, i))
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("CopyInto with different shapes did not panic")
		}
	}()
	CopyInto(New(2, 2), New(2, 3))
}

func TestIndexOutOfRangePanics(t *testing.T) {
	x := New(2, 2)
	for _, f := range []func(){
		func() { x.At(2, 0) },
		func() { x.At(0) },
		func() { x.Narrow(1, 1, 2) },
		func() { x.Index(-1) },
		func() { FromSlice(make([]float32, 3), 2, 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("out-of-range access did not panic")
				}
			}()
			f()
		}()
	}
}

func TestArena(t *testing.T) {
	a := NewArena(64)
	x := a.Alloc(3, 5)
	y := a.AllocZero(100) // overflows the first chunk
	if !x.HasShape(3, 5) || len(y.Data()) != 100 {
		t.Fatal("Alloc shapes")
	}
	for _, v := range y.Data() {
		if v != 0 {
			t.Fatal("AllocZero not zero")
		}
	}
	// Allocations do not overlap.
	for i := range x.Data() {
		x.Data()[i] = 1
	}
	for _, v := range y.Data() {
		if v != 0 {
			t.Fatal("allocations overlap")
		}
	}
	a.Reset()
	if a.Peak() < 15+100 {
		t.Fatalf("Peak %d < 115", a.Peak())
	}
	// After one pass the arena has grown: the same pass allocates nothing.
	pass := func() {
		a.Reset()
		a.Alloc(3, 5)
		a.AllocZero(100)
		a.Floats(7)
	}
	pass()
	if n := testing.AllocsPerRun(50, pass); n != 0 {
		t.Fatalf("a repeated pass allocates %v times", n)
	}
	// Allocations are 64-byte aligned relative to each other.
	a.Reset()
	p := a.Floats(3)
	q := a.Floats(3)
	if d := cap(p[:cap(p)]) + 0; d != 3 || &q[0] == &p[0] {
		t.Fatal("Floats: capacity must be exact and pieces distinct")
	}
}

func BenchmarkCopyIntoTransposed(b *testing.B) {
	x := seq(768, 192)
	dst := New(192, 768)
	b.SetBytes(int64(4 * x.Len()))
	for i := 0; i < b.N; i++ {
		CopyInto(dst, x.Transpose(0, 1))
	}
}
