package nn

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestAdamWMatchesPyTorch replays six steps of torch.optim.AdamW (weight
// decay 1e-2 on the matrix, none on the vector; lr 5e-2) with
// clip_grad_norm_(5.0), from testdata/train/adamw.json: parameters within
// 1e-6 relative, norms within 1e-6.
func TestAdamWMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "train", "adamw.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		W0, B0 []float64
		Steps  []struct {
			GW, GB, W, B []float64
			Norm         float64
		}
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	f32 := func(v []float64) []float32 {
		o := make([]float32, len(v))
		for i, x := range v {
			o[i] = float32(x)
		}
		return o
	}
	w := &Param{Name: "w", Shape: []int{3, 4}, Data: f32(c.W0)}
	b := &Param{Name: "b", Shape: []int{4}, Data: f32(c.B0)}
	w.EnableGrad()
	b.EnableGrad()
	opt := NewAdamW([]*Param{w, b}, 5e-2)
	opt.WeightDecay = 1e-2
	for i, s := range c.Steps {
		copy(w.Grad, f32(s.GW))
		copy(b.Grad, f32(s.GB))
		norm := ClipGradNorm(opt.Params(), 5)
		if math.Abs(norm-s.Norm) > 1e-6*s.Norm {
			t.Errorf("step %d: norm %v, PyTorch %v", i, norm, s.Norm)
		}
		opt.Update()
		for j, want := range s.W {
			if math.Abs(float64(w.Data[j])-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Fatalf("step %d: w[%d] = %v, PyTorch %v", i, j, w.Data[j], want)
			}
		}
		for j, want := range s.B {
			if math.Abs(float64(b.Data[j])-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Fatalf("step %d: b[%d] = %v, PyTorch %v", i, j, b.Data[j], want)
			}
		}
	}
}

func TestSchedule(t *testing.T) {
	s := Schedule{Base: 1, MinLR: 0, Warmup: 10, Total: 110}
	if got := s.At(0); math.Abs(got-0.1) > 1e-12 {
		t.Errorf("warm-up step 0: %v, want 0.1", got)
	}
	if got := s.At(9); got != 1 {
		t.Errorf("end of warm-up: %v, want 1", got)
	}
	if got := s.At(60); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("cosine midpoint: %v, want 0.5", got)
	}
	if got := s.At(500); math.Abs(got) > 1e-12 {
		t.Errorf("after the end: %v, want 0", got)
	}
	st := Schedule{Base: 1, Warmup: 0, Steps: []int{5, 8}, Gamma: 0.1}
	if st.At(4) != 1 || math.Abs(st.At(5)-0.1) > 1e-12 || math.Abs(st.At(9)-0.01) > 1e-12 {
		t.Errorf("step decay: %v %v %v", st.At(4), st.At(5), st.At(9))
	}
}
