package weights

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestEvictKeepsData: after Evict the tensor still reads the same values
// (the pages come back from the file), and unknown names are errors.
func TestEvictKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.safetensors")
	data := make([]float32, 50000) // several pages
	for i := range data {
		data[i] = float32(i)
	}
	if err := Write(path, []Tensor{{Name: "big", DType: F32, Shape: []int{len(data)}, Data: data}}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, _, err := f.Float32("big")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Evict("big"); err != nil {
		t.Fatal(err)
	}
	for i, x := range v {
		if x != float32(i) {
			t.Fatalf("after Evict, value %d reads %v", i, x)
		}
	}
	if err := f.Evict("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Evict of a missing tensor: %v", err)
	}
	f.Close()
	if err := f.Evict("big"); !errors.Is(err, ErrClosed) {
		t.Errorf("Evict after Close: %v", err)
	}
}
