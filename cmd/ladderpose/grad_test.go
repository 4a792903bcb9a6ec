package main

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/weights"
)

// TestGradCommand runs "ladderpose grad" on the side_tiny_train test model
// and compares the loss and gradients it writes with PyTorch's float64
// gradients (testdata/models/side_tiny_train.grad.safetensors): the loss
// within 1e-5 relative, every full-size gradient within 1e-4 (||d||/||g||)
// unless PyTorch float32 itself is further than a third of that.
func TestGradCommand(t *testing.T) {
	models := filepath.Join("..", "..", "testdata", "models")
	man, err := testmodel.Read(filepath.Join(models, "side_tiny_train.manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "m.safetensors")
	if err := man.WriteCheckpoint(ckpt, false, true); err != nil {
		t.Fatal(err)
	}
	ref, err := weights.Open(filepath.Join(models, "side_tiny_train.grad.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	kp, kshape, _ := ref.Float32("keypoints")
	img, ishape := man.InputData()
	in, tg, out := filepath.Join(dir, "in.safetensors"), filepath.Join(dir, "t.safetensors"), filepath.Join(dir, "out.safetensors")
	if err := weights.Write(in, []weights.Tensor{{Name: "image", DType: weights.F32, Shape: ishape, Data: img}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := weights.Write(tg, []weights.Tensor{{Name: "keypoints", DType: weights.F32, Shape: kshape, Data: kp}}, nil); err != nil {
		t.Fatal(err)
	}
	var so, se bytes.Buffer
	if code := run([]string{"grad", "-weights", ckpt, "-input", in, "-targets", tg, "-output", out}, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	got, err := weights.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	for _, name := range []string{"loss", "loss_k", "loss_s"} {
		g, _, _ := got.Float32(name)
		w, _, _ := ref.Float32(name)
		if math.Abs(float64(g[0]-w[0])) > 1e-5*math.Abs(float64(w[0])) {
			t.Errorf("%s = %v, PyTorch %v", name, g[0], w[0])
		}
	}
	n := 0
	for _, name := range got.Names() {
		pname, ok := strings.CutPrefix(name, "grad.")
		if !ok {
			continue
		}
		n++
		want, _, err := ref.Float32("grad." + pname)
		if err != nil {
			continue // a large tensor the golden stores subsampled (posemodel's test covers it)
		}
		g, _, _ := got.Float32(name)
		var dn, wn float64
		for i := range want {
			d := float64(g[i] - want[i])
			dn += d * d
			wn += float64(want[i]) * float64(want[i])
		}
		pt, _, _ := ref.Float32("pterr." + pname)
		if wn > 0 && math.Sqrt(dn/wn) > math.Max(1e-4, 3*float64(pt[0])) && !strings.HasSuffix(pname, ".k.bias") {
			t.Errorf("%s: relative error %.3g", name, math.Sqrt(dn/wn))
		}
	}
	if n != 212 {
		t.Errorf("%d gradients written, want 212 (every side.* and keypoint_head.* tensor)", n)
	}

	// Errors: wrong keypoint shape, missing tensor.
	bad := filepath.Join(dir, "bad.safetensors")
	weights.Write(bad, []weights.Tensor{{Name: "keypoints", DType: weights.F32, Shape: []int{2, 17, 3}, Data: make([]float32, 102)}}, nil)
	se.Reset()
	if code := run([]string{"grad", "-weights", ckpt, "-input", in, "-targets", bad, "-output", out}, &so, &se); code == 0 || !strings.Contains(se.String(), "[2 17 3]") {
		t.Errorf("wrong keypoint shape: exit %d, %q", code, se.String())
	}
	se.Reset()
	if code := run([]string{"grad", "-weights", ckpt, "-input", tg, "-targets", tg, "-output", out}, &so, &se); code == 0 || !strings.Contains(se.String(), `"image"`) {
		t.Errorf("missing image tensor: exit %d, %q", code, se.String())
	}
}
