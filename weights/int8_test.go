package weights

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestInt8RoundTrip writes I8 tensors (every value, and more values than
// one write chunk holds) beside F32 ones and reads them back through Open
// and Parse, bytes and values.
func TestInt8RoundTrip(t *testing.T) {
	codes := make([]int8, 70007)
	for i := range codes {
		codes[i] = int8(i*7 + i/256)
	}
	all := make([]int8, 256)
	for i := range all {
		all[i] = int8(i - 128)
	}
	tensors := []Tensor{
		{Name: "w", DType: I8, Shape: []int{7, 10001}, Int8: codes},
		{Name: "w_scale", DType: F32, Shape: []int{7}, Data: []float32{1, 2, 3, 4, 5, 6, 0.5}},
		{Name: "all", DType: I8, Shape: []int{256}, Int8: all},
		{Name: "one", DType: I8, Int8: []int8{-63}},
	}
	path := filepath.Join(t.TempDir(), "q.safetensors")
	if err := Write(path, tensors, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	enc, err := Encode(tensors, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := Parse("mem", enc)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []*File{f, p} {
		for _, tn := range tensors {
			info, _ := file.Info(tn.Name)
			if info.DType != tn.DType {
				t.Fatalf("%s: dtype %s, want %s", tn.Name, info.DType, tn.DType)
			}
			if tn.DType != I8 {
				continue
			}
			got, shape, err := file.Int8(tn.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tn.Int8) || len(shape) != len(tn.Shape) || !slices.Equal(shape, tn.Shape) {
				t.Fatalf("%s: values or shape %v differ after a round trip", tn.Name, shape)
			}
			raw, _ := file.Raw(tn.Name)
			for i, b := range raw {
				if int8(b) != tn.Int8[i] {
					t.Fatalf("%s: byte %d is %#x, want %d", tn.Name, i, b, tn.Int8[i])
				}
			}
			if _, _, err := file.Float32(tn.Name); !errors.Is(err, ErrNotConvertible) {
				t.Fatalf("%s: Float32 on I8: %v", tn.Name, err)
			}
		}
		if _, _, err := file.Int8("w_scale"); err == nil || !strings.Contains(err.Error(), "dtype F32, not I8") {
			t.Fatalf("Int8 on an F32 tensor: %v", err)
		}
		if _, _, err := file.Int8("missing"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Int8 on a missing tensor: %v", err)
		}
	}
}

// TestInt8WriteErrors: I8 values in the wrong field or of the wrong count
// are refused, naming the tensor.
func TestInt8WriteErrors(t *testing.T) {
	for _, tc := range []struct {
		t    Tensor
		want string
	}{
		{Tensor{Name: "a", DType: I8, Shape: []int{2}, Data: []float32{1, 2}}, `tensor "a": an I8 tensor holds its values in Int8`},
		{Tensor{Name: "b", DType: F32, Shape: []int{2}, Int8: []int8{1, 2}}, `tensor "b": Int8 values need dtype I8`},
		{Tensor{Name: "c", DType: I8, Shape: []int{3}, Int8: []int8{1, 2}}, `tensor "c": 2 values for shape [3], which needs 3`},
		{Tensor{Name: "d", DType: I32, Shape: []int{1}, Data: []float32{1}}, `cannot write dtype "I32"`},
	} {
		_, err := Encode([]Tensor{tc.t}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.t.Name, err, tc.want)
		}
	}
}
