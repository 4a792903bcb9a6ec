package weights

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse. Nothing may panic; a rejection
// must be a *FormatError naming the file; an accepted file must be
// self-consistent, readable, and survive a write and re-read unchanged.
// Seeds: testdata/fuzz/FuzzParse (from tools/gen_weights_testdata.py) and
// the validation table of the tests.
func FuzzParse(f *testing.F) {
	for _, tc := range parseErrorCases() {
		f.Add(tc.data)
	}
	f.Add(rawFile(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"__metadata__":{"k":"v"}}`, []byte{1, 0x7c, 0, 0x80}))
	f.Add(rawFile(`{"q":{"dtype":"I8","shape":[2,3],"data_offsets":[4,10]},"s":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, []byte{0, 0, 0x80, 0x3f, 1, 0xff, 0x80, 0x7f, 0, 63}))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.safetensors", data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "weights fuzz.safetensors: ") {
				t.Fatalf("rejection %q (%T) is not a FormatError naming the file", err, err)
			}
			return
		}
		defer file.Close()
		if file.Size() != int64(len(data)) {
			t.Fatalf("Size %d, file has %d bytes", file.Size(), len(data))
		}
		var covered int64
		convertible := true
		var tensors []Tensor
		for _, name := range file.Names() {
			info, ok := file.Info(name)
			if !ok || name == "" {
				t.Fatalf("listed name %q has no info", name)
			}
			if info.Bytes() != info.NumElements()*int64(info.DType.Size()) || info.Begin < 0 {
				t.Fatalf("%q: %+v inconsistent", name, info)
			}
			covered += info.Bytes()
			raw, err := file.Raw(name)
			if err != nil || int64(len(raw)) != info.Bytes() {
				t.Fatalf("%q: Raw gave %d bytes, %v", name, len(raw), err)
			}
			if info.DType == I8 {
				codes, shape, err := file.Int8(name)
				if err != nil || int64(len(codes)) != info.NumElements() || len(shape) != len(info.Shape) {
					t.Fatalf("%q: Int8 gave %d values, shape %v, %v", name, len(codes), shape, err)
				}
				tensors = append(tensors, Tensor{Name: name, DType: I8, Shape: shape, Int8: codes})
				continue
			} else if _, _, err := file.Int8(name); err == nil {
				t.Fatalf("%q: Int8 read dtype %s", name, info.DType)
			}
			vals, shape, err := file.Float32(name)
			if !info.DType.IsFloat32Convertible() {
				if !errors.Is(err, ErrNotConvertible) {
					t.Fatalf("%q: Float32 on %s: %v", name, info.DType, err)
				}
				convertible = false
				continue
			}
			if err != nil || int64(len(vals)) != info.NumElements() || len(shape) != len(info.Shape) {
				t.Fatalf("%q: Float32 gave %d values, shape %v, %v", name, len(vals), shape, err)
			}
			tensors = append(tensors, Tensor{Name: name, DType: info.DType, Shape: shape, Data: vals})
		}
		if covered != file.Size()-8-file.HeaderSize() {
			t.Fatalf("tensors cover %d bytes of a %d-byte data section", covered, file.Size()-8-file.HeaderSize())
		}
		if !convertible {
			return
		}
		// Every F32/F16/BF16 value is exact in float32, so writing the tensors
		// back in their own dtype must reproduce them.
		again, err := Encode(tensors, file.Metadata())
		if err != nil {
			t.Fatalf("re-encoding a valid file: %v", err)
		}
		file2, err := Parse("again", again)
		if err != nil {
			t.Fatalf("re-parsing the re-encoded file: %v", err)
		}
		if !maps.Equal(file2.Metadata(), file.Metadata()) {
			t.Fatalf("metadata %v became %v", file.Metadata(), file2.Metadata())
		}
		for _, tn := range tensors {
			if tn.DType == I8 {
				codes, _, err := file2.Int8(tn.Name)
				if err != nil || !slices.Equal(codes, tn.Int8) {
					t.Fatalf("%q: I8 values %v became %v after a write (%v)", tn.Name, tn.Int8, codes, err)
				}
				continue
			}
			vals, _, err := file2.Float32(tn.Name)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				w := tn.Data[i]
				if w != w && v != v {
					continue
				}
				if math.Float32bits(v) != math.Float32bits(w) {
					t.Fatalf("%q[%d]: %v became %v after a write", tn.Name, i, w, v)
				}
			}
		}
	})
}
