package weights

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"testing"
	"unsafe"
)

// sampleExpect is testdata/weights_sample.json, written with
// testdata/sample.safetensors by tools/gen_weights_testdata.py.
type sampleExpect struct {
	HeaderOrder []string          `json:"header_order"`
	DataOrder   []string          `json:"data_order"`
	Metadata    map[string]string `json:"metadata"`
	Tensors     map[string]struct {
		DType       DType    `json:"dtype"`
		Shape       []int    `json:"shape"`
		DataOffsets [2]int64 `json:"data_offsets"`
		SourceBits  []uint32 `json:"source_bits"` // float32 values given to PyTorch
		StoredBits  []uint32 `json:"stored_bits"` // stored patterns (16 or 32 bits)
		ValueBits   []uint32 `json:"value_bits"`  // what they decode to, as float32 bits
	} `json:"tensors"`
}

const (
	samplePath       = "../testdata/sample.safetensors"
	sampleExpectPath = "../testdata/weights_sample.json"
)

func loadSampleExpect(t *testing.T) sampleExpect {
	t.Helper()
	b, err := os.ReadFile(sampleExpectPath)
	if err != nil {
		t.Fatal(err)
	}
	var e sampleExpect
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Tensors) == 0 {
		t.Fatal("no tensors in " + sampleExpectPath)
	}
	return e
}

// sameFloat reports whether got is want bit for bit, or both are NaN (NaN
// payloads are not part of any contract here).
func sameFloat(got, want float32) bool {
	if want != want {
		return got != got
	}
	return math.Float32bits(got) == math.Float32bits(want)
}

// TestSample reads the file written by the independent Python writer and
// compares everything with the values the writer recorded: exact, bit for bit
// (NaN compared as NaN).
func TestSample(t *testing.T) {
	want := loadSampleExpect(t)
	f, err := Open(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := f.Names()
	wantNames := slices.Sorted(func(yield func(string) bool) {
		for n := range want.Tensors {
			if !yield(n) {
				return
			}
		}
	})
	if !slices.Equal(names, wantNames) {
		t.Fatalf("names %v, want %v", names, wantNames)
	}
	meta := f.Metadata()
	if len(meta) != len(want.Metadata) || meta["format"] != "pt" || meta["ladderpose.config"] != want.Metadata["ladderpose.config"] {
		t.Errorf("metadata %v, want %v", meta, want.Metadata)
	}
	for name, w := range want.Tensors {
		info, ok := f.Info(name)
		if !ok {
			t.Fatalf("tensor %q missing", name)
		}
		if info.DType != w.DType || !slices.Equal(info.Shape, w.Shape) || info.Begin != w.DataOffsets[0] || info.End != w.DataOffsets[1] {
			t.Errorf("%s: info %+v, want %s %v %v", name, info, w.DType, w.Shape, w.DataOffsets)
		}
		vals, shape, err := f.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(shape, w.Shape) || len(vals) != len(w.ValueBits) || int64(len(vals)) != info.NumElements() {
			t.Fatalf("%s: %d values of shape %v, want %d of %v", name, len(vals), shape, len(w.ValueBits), w.Shape)
		}
		for i, v := range vals {
			if !sameFloat(v, math.Float32frombits(w.ValueBits[i])) {
				t.Errorf("%s[%d] = %v (%#08x), want %#08x", name, i, v, math.Float32bits(v), w.ValueBits[i])
			}
		}
		raw, err := f.Raw(name)
		if err != nil {
			t.Fatal(err)
		}
		size := w.DType.Size()
		for i, bits := range w.StoredBits {
			var got uint32
			if size == 2 {
				got = uint32(binary.LittleEndian.Uint16(raw[2*i:]))
			} else {
				got = binary.LittleEndian.Uint32(raw[4*i:])
			}
			if got != bits {
				t.Errorf("%s: stored element %d is %#x, want %#x", name, i, got, bits)
			}
		}
	}
}

// TestFloat32Aliasing checks the zero-copy rule on the sample: aligned F32
// data is returned as a view of the file, unaligned F32 data is copied.
func TestFloat32Aliasing(t *testing.T) {
	if !hostLittleEndian() {
		t.Skip("big-endian host: F32 data is always converted")
	}
	f, err := Open(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		name  string
		alias bool
	}{
		{"backbone.blocks.0.attn.qkv.weight", true},
		{"side.scale", true},
		{"unaligned.f32", false},
		{"rounding.f16", false},
	} {
		raw, _ := f.Raw(tc.name)
		vals, _, err := f.Float32(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		aligned := uintptr(unsafe.Pointer(unsafe.SliceData(raw)))%4 == 0
		if tc.name == "unaligned.f32" && aligned {
			t.Fatalf("%s is 4-byte aligned in the sample; the test needs it unaligned", tc.name)
		}
		same := unsafe.Pointer(unsafe.SliceData(vals)) == unsafe.Pointer(unsafe.SliceData(raw))
		if same != tc.alias {
			t.Errorf("%s: Float32 aliases the file: %v, want %v", tc.name, same, tc.alias)
		}
	}
}

// TestMappedReadOnly checks that the documented fault on writing to a
// returned slice happens (the mapping is read-only), on the systems that map.
func TestMappedReadOnly(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("files are read, not mapped, on " + runtime.GOOS)
	}
	f, err := Open(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vals, _, err := f.Float32("backbone.blocks.0.attn.qkv.weight")
	if err != nil {
		t.Fatal(err)
	}
	faulted := func() (faulted bool) {
		defer func() { faulted = recover() != nil }()
		old := debug.SetPanicOnFault(true)
		defer debug.SetPanicOnFault(old)
		vals[0] = 1
		return false
	}()
	if !faulted {
		t.Error("writing to a mapped F32 slice did not fault")
	}
}

// goldensDir is the shared reference data (../shared/goldens from the
// project root), written by the Hugging Face safetensors library.
var goldensDir = filepath.Join("..", "..", "shared", "goldens", "decode")

func openGolden(t *testing.T, name string) *File {
	t.Helper()
	path := filepath.Join(goldensDir, name)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		t.Skipf("%s not present (the shared goldens are outside the repository)", path)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestGoldenFiles reads real-world files written by the Hugging Face
// safetensors library and checks names, dtypes, shapes and that values are
// sane.
func TestGoldenFiles(t *testing.T) {
	type want struct {
		dtype DType
		shape []int
	}
	cases := []struct {
		file    string
		tensors map[string]want
	}{
		{"decode.safetensors", map[string]want{
			"heatmaps":       {F32, []int{10, 17, 64, 48}},
			"center":         {F32, []int{10, 2}},
			"scale_px":       {F32, []int{10, 2}},
			"maxvals":        {F32, []int{10, 17}},
			"preds_dark_udp": {F32, []int{10, 17, 2}},
			"preds_default":  {F32, []int{10, 17, 2}},
		}},
		{"warp.safetensors", map[string]want{
			"boxes_xywh": {F16, []int{6, 4}},
			"center":     {F16, []int{6, 2}},
			"scale_px":   {F16, []int{6, 2}},
			"matrix":     {F16, []int{6, 2, 3}},
			"image":      {F16, []int{240, 320, 3}},
			"crops":      {F16, []int{6, 256, 192, 3}},
		}},
		{"warp_params.safetensors", map[string]want{
			"boxes_xywh": {F32, []int{6, 4}},
			"center":     {F32, []int{6, 2}},
			"scale_px":   {F32, []int{6, 2}},
			"matrix":     {F32, []int{6, 2, 3}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			f := openGolden(t, tc.file)
			if len(f.Names()) != len(tc.tensors) {
				t.Errorf("names %v, want %d tensors", f.Names(), len(tc.tensors))
			}
			for name, w := range tc.tensors {
				vals, shape, err := f.Float32(name)
				if err != nil {
					t.Fatal(err)
				}
				info, _ := f.Info(name)
				if info.DType != w.dtype || !slices.Equal(shape, w.shape) {
					t.Errorf("%s: %s %v, want %s %v", name, info.DType, shape, w.dtype, w.shape)
				}
				for i, v := range vals {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("%s[%d] = %v", name, i, v)
					}
				}
			}
		})
	}
	t.Run("values", func(t *testing.T) {
		warp := openGolden(t, "warp.safetensors")
		for _, name := range []string{"image", "crops"} {
			vals, _, _ := warp.Float32(name)
			lo, hi := float32(255), float32(0)
			for i, v := range vals {
				if v != float32(math.Round(float64(v))) || v < 0 || v > 255 {
					t.Fatalf("warp %s[%d] = %v, want an integer in 0..255", name, i, v)
				}
				lo, hi = min(lo, v), max(hi, v)
			}
			if lo != 0 || hi != 255 {
				t.Errorf("warp %s spans %v..%v, want 0..255", name, lo, hi)
			}
		}
		// The F16 parameters are the F32 ones rounded to float16 (relative
		// error at most 2^-11).
		params := openGolden(t, "warp_params.safetensors")
		for _, name := range []string{"boxes_xywh", "center", "scale_px", "matrix"} {
			h, _, _ := warp.Float32(name)
			s, _, _ := params.Float32(name)
			for i := range s {
				if d := math.Abs(float64(h[i] - s[i])); d > math.Abs(float64(s[i]))*0x1p-11 {
					t.Errorf("warp %s[%d] = %v, F32 file has %v", name, i, h[i], s[i])
				}
			}
		}
		dec := openGolden(t, "decode.safetensors")
		scale, _, _ := dec.Float32("scale_px")
		maxv, _, _ := dec.Float32("maxvals")
		for i, v := range scale {
			if v <= 0 || v > 1e4 {
				t.Errorf("decode scale_px[%d] = %v, want a positive box size in pixels", i, v)
			}
		}
		pos := 0
		for _, v := range maxv {
			if v > 0 {
				pos++
			}
			if v > 1.5 {
				t.Errorf("decode maxvals holds %v, more than a heatmap peak", v)
			}
		}
		if pos == 0 || pos == len(maxv) {
			t.Errorf("decode maxvals: %d of %d positive; the README promises both kinds", pos, len(maxv))
		}
	})
}
