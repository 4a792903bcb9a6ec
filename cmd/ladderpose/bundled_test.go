package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose"
	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/train"
)

// TestPredictAnywhere builds the command and runs "ladderpose predict" on
// the sample image from a folder outside the repository: the bundled demo
// model is built in, so it needs no file of the repository but the image.
// Its results are those of -weights naming the demo model's file, bit for
// bit.
func TestPredictAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	img, err := filepath.Abs(sampleImage)
	if err != nil {
		t.Fatal(err)
	}
	demo, err := filepath.Abs(filepath.Join("..", "..", ladderpose.DemoWeights))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "ladderpose")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := filepath.Join(tmp, "elsewhere")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "predict", "-box", "174.5,61.5,80,130", "-box", "57.5,55.5,110,132", "-out", "r.json", img)
	cmd.Dir = work
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ladderpose predict in %s: %v\n%s", work, err, stderr.String())
	}
	got, err := os.ReadFile(filepath.Join(work, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rs []coco.Result
	if err := json.Unmarshal(got, &rs); err != nil || len(rs) != 2 {
		t.Fatalf("r.json: %d results, err %v:\n%s", len(rs), err, got)
	}
	for i, r := range rs {
		if len(r.Keypoints) != 3*17 || !(r.Score > 0) {
			t.Errorf("result %d: %d keypoint values, score %v", i, len(r.Keypoints), r.Score)
		}
	}

	ref := filepath.Join(tmp, "ref.json")
	code, _, errOut := runCommand("predict", "-weights", demo, "-box", "174.5,61.5,80,130", "-box", "57.5,55.5,110,132", "-out", ref, img)
	if code != 0 {
		t.Fatalf("predict -weights %s: exit %d: %s", demo, code, errOut)
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the default model's results differ from the demo model file's:\n%s\n%s", got, want)
	}
}

// TestDemoQuickBundled checks the demo's choice of starting model from a
// folder outside the repository: -quick without -backbone writes the
// bundled pretrained model (the file's bytes, which load as the demo's
// model without a side network) into the working folder and starts from it
// (so no pretraining), an existing copy is kept or, if it differs,
// replaced; -backbone is used as given; a full run pretrains.
func TestDemoQuickBundled(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "..", ladderpose.DemoPretrained))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())

	var stderr bytes.Buffer
	bb, err := demoBackbone(true, "", "demo-out", &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if wantPath := filepath.Join("demo-out", bundledPretrainedFile); bb != wantPath {
		t.Fatalf("quick run starts from %q, want %q", bb, wantPath)
	}
	if !strings.Contains(stderr.String(), "bundled pretrained model") {
		t.Errorf("stderr %q does not name the bundled model", stderr.String())
	}
	got, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s holds %d bytes, not the bundled pretrained model's %d", bb, len(got), len(want))
	}
	m, err := posemodel.Load(bb, posemodel.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dc := train.DemoConfig()
	dc.Side = nil
	if m.Cfg.JSON() != dc.JSON() {
		t.Errorf("config %s, want the demo's without a side network %s", m.Cfg.JSON(), dc.JSON())
	}

	// A damaged copy is replaced; a good one kept.
	if err := os.WriteFile(bb, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if bb2, err := demoBackbone(true, "", "demo-out", &stderr); err != nil || bb2 != bb {
		t.Fatalf("second quick run: %q, %v", bb2, err)
	}
	if got, _ := os.ReadFile(bb); !bytes.Equal(got, want) {
		t.Fatalf("the damaged copy was not replaced")
	}
	if bb3, err := demoBackbone(true, "", "demo-out", &stderr); err != nil || bb3 != bb {
		t.Fatalf("third quick run: %q, %v", bb3, err)
	}
	if entries, _ := os.ReadDir("demo-out"); len(entries) != 1 {
		t.Errorf("demo-out holds %d entries, want only %s", len(entries), bundledPretrainedFile)
	}

	for _, tc := range []struct {
		quick          bool
		backbone, want string
	}{
		{true, "mine.safetensors", "mine.safetensors"},
		{false, "mine.safetensors", "mine.safetensors"},
		{false, "", ""}, // the full run pretrains
	} {
		got, err := demoBackbone(tc.quick, tc.backbone, "full-out", &stderr)
		if err != nil || got != tc.want {
			t.Errorf("quick %v backbone %q: %q, %v; want %q", tc.quick, tc.backbone, got, err, tc.want)
		}
	}
	if _, err := os.Stat("full-out"); !os.IsNotExist(err) {
		t.Errorf("a run with -backbone or without -quick wrote the bundled model (%v)", err)
	}

	// A working folder that cannot be made is an error, not a panic.
	if err := os.WriteFile("blocked", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := demoBackbone(true, "", filepath.Join("blocked", "out"), &stderr); err == nil || !strings.Contains(err.Error(), "bundled pretrained model") {
		t.Errorf("working folder under a file: error %v", err)
	}
}
