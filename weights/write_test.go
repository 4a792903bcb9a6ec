package weights

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// nearest16 is an independent rounding oracle for a 16-bit float format:
// decode is the exact value of every bit pattern (as float64); it rounds x
// to the nearest representable value with ties to the even pattern, and to
// infinity at or beyond the tie between the largest finite value and the next
// power of two, as IEEE 754 prescribes. It searches all 65536 patterns, with
// no bit tricks.
type nearest16 struct {
	vals []float64 // finite non-negative values, ascending
	bits []uint16  // their patterns
	inf  float64   // where the next value would be (2^(emax+1))
}

func newNearest16(decode func(uint16) float64) *nearest16 {
	n := &nearest16{}
	for u := 0; u < 0x8000; u++ {
		v := decode(uint16(u))
		if math.IsInf(v, 0) || math.IsNaN(v) {
			continue
		}
		n.vals = append(n.vals, v)
		n.bits = append(n.bits, uint16(u))
	}
	sort.Sort(byValue{n})
	top := n.vals[len(n.vals)-1]
	// the next power of two above the largest finite value
	_, e := math.Frexp(top)
	n.inf = math.Ldexp(1, e)
	return n
}

type byValue struct{ n *nearest16 }

func (b byValue) Len() int           { return len(b.n.vals) }
func (b byValue) Less(i, j int) bool { return b.n.vals[i] < b.n.vals[j] }
func (b byValue) Swap(i, j int) {
	b.n.vals[i], b.n.vals[j] = b.n.vals[j], b.n.vals[i]
	b.n.bits[i], b.n.bits[j] = b.n.bits[j], b.n.bits[i]
}

// round returns the correctly rounded value of x (finite or infinite, not
// NaN) as a float32.
func (n *nearest16) round(x float32) float32 {
	a := math.Abs(float64(x))
	sign := float32(1)
	if math.Signbit(float64(x)) {
		sign = -1
	}
	top := len(n.vals) - 1
	if a >= (n.vals[top]+n.inf)/2 { // at or past the tie with "2^(emax+1)": the max pattern is odd
		return sign * float32(math.Inf(1))
	}
	i := sort.SearchFloat64s(n.vals, a) // first >= a
	if i < len(n.vals) && n.vals[i] == a {
		return sign * float32(a)
	}
	lo, hi := i-1, i
	dlo, dhi := a-n.vals[lo], n.vals[hi]-a
	pick := lo
	if dhi < dlo || (dhi == dlo && n.bits[hi]%2 == 0) {
		pick = hi
	}
	if n.vals[pick] == 0 {
		return sign * 0 // keeps the sign of zero
	}
	return sign * float32(n.vals[pick])
}

func decodeF16Exact(u uint16) float64 {
	e := int(u>>10) & 0x1f
	m := float64(u & 0x3ff)
	switch e {
	case 0x1f:
		if m == 0 {
			return math.Inf(1)
		}
		return math.NaN()
	case 0:
		return math.Ldexp(m, -24)
	}
	return math.Ldexp(1024+m, e-25)
}

func decodeBF16Exact(u uint16) float64 {
	e := int(u>>7) & 0xff
	m := float64(u & 0x7f)
	switch e {
	case 0xff:
		if m == 0 {
			return math.Inf(1)
		}
		return math.NaN()
	case 0:
		return math.Ldexp(m, -133)
	}
	return math.Ldexp(128+m, e-134)
}

// testValues returns random float32 values across every magnitude plus the
// special values.
func testValues(n int) []float32 {
	r := rand.New(rand.NewPCG(1, 2))
	out := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.1, 65504, 65520, -65520, 1e6,
		float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, 0x1p-24, 0x1p-25, 0x1p-14, 1 + 0x1p-11, 1 + 0x1p-8, 1 + 3*0x1p-8}
	for len(out) < n {
		switch r.IntN(3) {
		case 0: // any finite bit pattern
			b := r.Uint32()
			if b&0x7f800000 == 0x7f800000 {
				continue
			}
			out = append(out, math.Float32frombits(b))
		case 1: // ordinary weights
			out = append(out, float32(r.NormFloat64()))
		case 2: // exact ties for both formats: few significant bits
			m := float32(r.IntN(1<<12)) * 0x1p-12
			out = append(out, (1+m)*float32(math.Ldexp(1, r.IntN(60)-40)))
		}
	}
	return out
}

// TestRoundTrip writes every dtype and reads it back: F32 exactly, F16 and
// BF16 as the correctly rounded values computed by the brute-force oracle.
func TestRoundTrip(t *testing.T) {
	vals := testValues(20000)
	nan := []float32{float32(math.NaN()), math.Float32frombits(0xff800001), math.Float32frombits(0x7fffffff)}
	oracle := map[DType]*nearest16{F16: newNearest16(decodeF16Exact), BF16: newNearest16(decodeBF16Exact)}
	dir := t.TempDir()
	for _, dt := range []DType{F32, F16, BF16} {
		t.Run(string(dt), func(t *testing.T) {
			data := append(slices.Clone(vals), nan...)
			path := filepath.Join(dir, string(dt)+".safetensors")
			tensors := []Tensor{
				{Name: "x", DType: dt, Shape: []int{len(data)}, Data: data},
				{Name: "scalar", DType: dt, Data: []float32{-2.5}},
				{Name: "empty", DType: dt, Shape: []int{3, 0}},
			}
			if err := Write(path, tensors, map[string]string{"format": "pt"}); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, shape, err := f.Float32("x")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(shape, []int{len(data)}) || len(got) != len(data) {
				t.Fatalf("shape %v, %d values", shape, len(got))
			}
			bad := 0
			for i, x := range data {
				want := x
				if x != x {
					if got[i] == got[i] {
						t.Errorf("NaN %#08x came back as %v", math.Float32bits(x), got[i])
					}
					continue
				}
				if dt != F32 {
					want = oracle[dt].round(x)
				}
				if !sameFloat(got[i], want) {
					if bad++; bad < 10 {
						t.Errorf("%v (%#08x) came back as %v (%#08x), want %v (%#08x)", x, math.Float32bits(x), got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
					}
				}
			}
			s, shape, _ := f.Float32("scalar")
			if len(s) != 1 || s[0] != -2.5 || len(shape) != 0 {
				t.Errorf("scalar: %v shape %v", s, shape)
			}
			e, shape, _ := f.Float32("empty")
			if len(e) != 0 || !slices.Equal(shape, []int{3, 0}) {
				t.Errorf("empty: %v shape %v", e, shape)
			}
		})
	}
}

// TestEncodeMatchesPyTorch encodes the sample's float32 sources and compares
// the stored bits with those PyTorch produced (NaN patterns excepted: PyTorch
// writes its own canonical NaN).
func TestEncodeMatchesPyTorch(t *testing.T) {
	want := loadSampleExpect(t)
	for name, w := range want.Tensors {
		src := make([]float32, len(w.SourceBits))
		for i, b := range w.SourceBits {
			src[i] = math.Float32frombits(b)
		}
		b, err := Encode([]Tensor{{Name: name, DType: w.DType, Shape: w.Shape, Data: src}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse("encoded", b)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := f.Raw(name)
		for i := range src {
			var got uint32
			if w.DType.Size() == 2 {
				got = uint32(binary.LittleEndian.Uint16(raw[2*i:]))
			} else {
				got = binary.LittleEndian.Uint32(raw[4*i:])
			}
			if src[i] != src[i] {
				continue
			}
			if got != w.StoredBits[i] {
				t.Errorf("%s[%d]: %v stored as %#x, PyTorch stored %#x", name, i, src[i], got, w.StoredBits[i])
			}
		}
	}
}

// TestBF16NaN checks that NaNs stay NaN, keep their sign, and that a NaN
// whose payload lies only in the dropped bits does not become infinity.
func TestBF16NaN(t *testing.T) {
	for _, b := range []uint32{0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fffffff, 0x7f80ffff} {
		h := bf16FromFloat32(math.Float32frombits(b))
		if h&0x7f80 != 0x7f80 || h&0x7f == 0 {
			t.Errorf("NaN %#08x became %#04x, not a NaN", b, h)
		}
		if h>>15 != uint16(b>>31) {
			t.Errorf("NaN %#08x became %#04x with another sign", b, h)
		}
	}
}

// TestEncodeLayout checks the byte layout Encode promises: sorted names,
// contiguous offsets, a space-padded header ending where the 8-byte aligned
// data section starts, and that Write stores exactly these bytes.
func TestEncodeLayout(t *testing.T) {
	tensors := []Tensor{
		{Name: "z.last", DType: F16, Shape: []int{3}, Data: []float32{1, 2, 3}},
		{Name: "a.first", DType: F32, Shape: []int{2, 1}, Data: []float32{4, 5}},
		{Name: "m<&>\"\\\n", DType: BF16, Data: []float32{6}},
	}
	meta := map[string]string{"format": "pt", "ladderpose.config": `{"dim": 8}`}
	b, err := Encode(tensors, meta)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	if (8+n)%8 != 0 {
		t.Errorf("data section starts at %d, not 8-byte aligned", 8+n)
	}
	header := string(b[8 : 8+n])
	trimmed := strings.TrimRight(header, " ")
	if !strings.HasSuffix(trimmed, "}") || len(header)-len(trimmed) >= 8 {
		t.Errorf("header %q is not a JSON object padded with fewer than 8 spaces", header)
	}
	if !strings.HasPrefix(header, `{"__metadata__":{"format":"pt","ladderpose.config":"{\"dim\": 8}"},"a.first":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},`) {
		t.Errorf("header %q", header)
	}
	f, err := Parse("encoded", b)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Names(); !slices.Equal(got, []string{"a.first", "m<&>\"\\\n", "z.last"}) {
		t.Errorf("names %q", got)
	}
	var pos int64
	for _, name := range f.Names() {
		info, _ := f.Info(name)
		if info.Begin != pos {
			t.Errorf("%q starts at %d, want %d (contiguous in name order)", name, info.Begin, pos)
		}
		pos = info.End
	}
	if m := f.Metadata(); len(m) != 2 || m["ladderpose.config"] != meta["ladderpose.config"] {
		t.Errorf("metadata %v", m)
	}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := Write(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, b) {
		t.Error("Write and Encode produced different bytes")
	}
	if b2, _ := Encode(tensors, meta); !bytes.Equal(b2, b) {
		t.Error("Encode is not deterministic")
	}
	if b, _ := Encode(nil, nil); string(b[8:]) != "{}      " {
		t.Errorf("empty file %q", b)
	}
}

func TestEncodeErrors(t *testing.T) {
	ok := Tensor{Name: "ok", DType: F32, Shape: []int{1}, Data: []float32{1}}
	tests := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		want    string
	}{
		{"empty name", []Tensor{{DType: F32, Data: []float32{1}}}, nil, "tensor with an empty name"},
		{"reserved name", []Tensor{{Name: "__metadata__", DType: F32, Data: []float32{1}}}, nil, `tensor "__metadata__": the name is reserved`},
		{"duplicate", []Tensor{ok, ok}, nil, `tensor "ok": duplicate name`},
		{"dtype", []Tensor{{Name: "i", DType: I64, Data: []float32{1}}}, nil, `tensor "i": cannot write dtype "I64"`},
		{"no dtype", []Tensor{{Name: "i", Data: []float32{1}}}, nil, `tensor "i": cannot write dtype ""`},
		{"negative dim", []Tensor{{Name: "n", DType: F16, Shape: []int{2, -1}, Data: []float32{1}}}, nil, `tensor "n": shape [2,-1] has a negative dimension`},
		{"too few values", []Tensor{{Name: "s", DType: BF16, Shape: []int{2, 3}, Data: make([]float32, 5)}}, nil, `tensor "s": 5 values for shape [2,3], which needs 6`},
		{"scalar without value", []Tensor{{Name: "s", DType: F32}}, nil, `tensor "s": 0 values for shape [], which needs 1`},
		{"overflow", []Tensor{{Name: "o", DType: F32, Shape: []int{math.MaxInt, 2}}}, nil, `tensor "o": shape [` + strconv.Itoa(math.MaxInt) + `,2] overflows`},
		{"name not utf8", []Tensor{{Name: "a\xff", DType: F32, Data: []float32{1}}}, nil, "not valid UTF-8"},
		{"metadata not utf8", []Tensor{ok}, map[string]string{"k": "\xfe"}, `metadata "k": key or value is not valid UTF-8`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Encode(tc.tensors, tc.meta)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "weights: ") {
				t.Errorf("Encode error %v, want one containing %q", err, tc.want)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "out.safetensors")
			err = Write(path, tc.tensors, tc.meta)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "weights "+path+": ") {
				t.Errorf("Write error %v, want one naming the file and containing %q", err, tc.want)
			}
			assertDirHolds(t, dir)
		})
	}
}

// assertDirHolds fails unless dir holds exactly the given names.
func assertDirHolds(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

// TestWriteAtomic checks that a failed write leaves no temporary file and the
// target as it was (absent, or with its old content).
func TestWriteAtomic(t *testing.T) {
	failing := errors.New("disk on fire")
	t.Run("fill fails midway, no target", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "m.safetensors")
		err := writeAtomic(path, func(w io.Writer) error {
			w.Write(make([]byte, 3<<20)) // more than the buffer: reaches the temp file
			return failing
		})
		if !errors.Is(err, failing) {
			t.Fatalf("error %v", err)
		}
		assertDirHolds(t, dir)
	})
	t.Run("fill fails, old target kept", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "m.safetensors")
		if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := writeAtomic(path, func(w io.Writer) error {
			w.Write([]byte("new and partial"))
			return failing
		})
		if !errors.Is(err, failing) {
			t.Fatalf("error %v", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "old" {
			t.Errorf("target now holds %q", b)
		}
		assertDirHolds(t, dir, "m.safetensors")
	})
	t.Run("rename fails", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "m.safetensors")
		if err := os.Mkdir(path, 0o755); err != nil { // a folder in the way
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(path, "keep"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		err := Write(path, []Tensor{{Name: "a", DType: F32, Data: []float32{1}}}, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "weights "+path+": ") {
			t.Fatalf("error %v", err)
		}
		assertDirHolds(t, dir, "m.safetensors")
		assertDirHolds(t, path, "keep")
	})
	t.Run("missing folder", func(t *testing.T) {
		dir := t.TempDir()
		err := Write(filepath.Join(dir, "no", "m.safetensors"), nil, nil)
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("error %v", err)
		}
		assertDirHolds(t, dir)
	})
	t.Run("replaces the target", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "m.safetensors")
		if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := Write(path, []Tensor{{Name: "a", DType: F32, Data: []float32{1}}}, nil); err != nil {
			t.Fatal(err)
		}
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if v, _, err := f.Float32("a"); err != nil || v[0] != 1 {
			t.Errorf("read back %v, %v", v, err)
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, want 0644", st.Mode().Perm())
		}
		assertDirHolds(t, dir, "m.safetensors")
	})
}

// TestDecodeExhaustive decodes every 16-bit pattern of F16 and BF16 and
// compares with the exact values computed from the format definitions.
func TestDecodeExhaustive(t *testing.T) {
	src := make([]byte, 2<<16)
	for u := range 1 << 16 {
		binary.LittleEndian.PutUint16(src[2*u:], uint16(u))
	}
	for _, tc := range []struct {
		dt     DType
		decode func([]float32, []byte)
		exact  func(uint16) float64
	}{{F16, decodeF16, decodeF16Exact}, {BF16, decodeBF16, decodeBF16Exact}} {
		got := make([]float32, 1<<16)
		tc.decode(got, src)
		for u, v := range got {
			want := float32(tc.exact(uint16(u) & 0x7fff))
			if u&0x8000 != 0 {
				want = -want
			}
			if !sameFloat(v, want) {
				t.Errorf("%s %#04x decoded as %v, want %v", tc.dt, u, v, want)
			}
		}
	}
}
