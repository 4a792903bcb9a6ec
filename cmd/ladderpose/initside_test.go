package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/weights"
)

// TestInitSide writes a side network for the vitpose_tiny test model and
// checks the file (every side tensor of the model, BatchNorm running
// statistics included; the full config in the metadata; the same bytes for
// the same seed), then that forward with it gives the plain model's
// heatmaps bit for bit and dumps the fusion levels.
func TestInitSide(t *testing.T) {
	dir := t.TempDir()
	ckpt, input := writeTestModel(t, dir, "vitpose_tiny")
	side := filepath.Join(dir, "side.safetensors")
	code, stdout, stderr := runCommand("init-side", "-backbone", ckpt, "-out", side, "-channels", "32", "-nodes", "8", "-seed", "5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "side network C=32 e=16 heads=4 nodes=8") {
		t.Errorf("stdout %q", stdout)
	}

	f, err := weights.Open(side)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := posemodel.ParseConfig(f.Metadata()[posemodel.MetadataKey])
	if err != nil {
		t.Fatal(err)
	}
	want := posemodel.SideConfig{Channels: 32, FusionWidth: 16, FusionHeads: 4, Nodes: 8}
	if cfg.Side == nil || *cfg.Side != want || cfg.Dim != 48 || cfg.Depth != 4 || cfg.Heads != 3 || cfg.Head != "classic" {
		t.Errorf("config %s", cfg.JSON())
	}
	m, err := posemodel.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range m.Params() {
		if strings.HasPrefix(p.Name, "side.") {
			names = append(names, p.Name)
			if info, ok := f.Info(p.Name); !ok || !slices.Equal(info.Shape, p.Shape) || info.DType != weights.F32 {
				t.Errorf("%s: %+v, want F32 %v", p.Name, info, p.Shape)
			}
		}
	}
	if !slices.Equal(f.Names(), names) {
		t.Errorf("tensors %v, want the model's side tensors %v", f.Names(), names)
	}
	running := 0
	for _, n := range names {
		if strings.HasSuffix(n, ".running_mean") || strings.HasSuffix(n, ".running_var") {
			running++
		}
	}
	if running == 0 {
		t.Error("no BatchNorm running statistics written")
	}
	outProj, _, err := f.Float32("side.out_proj.weight")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range outProj {
		if v != 0 {
			t.Fatal("side.out_proj.weight is not zero")
		}
	}
	f.Close()

	// Deterministic in the seed.
	again := filepath.Join(dir, "again.safetensors")
	other := filepath.Join(dir, "other.safetensors")
	runCommand("init-side", "-backbone", ckpt, "-out", again, "-channels", "32", "-nodes", "8", "-seed", "5")
	runCommand("init-side", "-backbone", ckpt, "-out", other, "-channels", "32", "-nodes", "8", "-seed", "6")
	a, _ := os.ReadFile(side)
	b, _ := os.ReadFile(again)
	c, _ := os.ReadFile(other)
	if !bytes.Equal(a, b) {
		t.Error("the same seed wrote other bytes")
	}
	if bytes.Equal(a, c) {
		t.Error("another seed wrote the same bytes")
	}

	plainOut := filepath.Join(dir, "plain.out.safetensors")
	sideOut := filepath.Join(dir, "side.out.safetensors")
	if code, _, stderr := runCommand("forward", "-weights", ckpt, "-input", input, "-output", plainOut); code != 0 {
		t.Fatalf("forward: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCommand("forward", "-weights", ckpt, "-side", side, "-input", input, "-output", sideOut, "-dump", "level_fre,level_spa"); code != 0 {
		t.Fatalf("forward -side: exit %d: %s", code, stderr)
	}
	for _, name := range []string{"heatmaps", "backbone"} {
		p, _ := readTensor(t, plainOut, name)
		s, _ := readTensor(t, sideOut, name)
		for i := range p {
			if math.Float32bits(p[i]) != math.Float32bits(s[i]) {
				t.Fatalf("%s[%d]: %v with the fresh side network, %v without", name, i, s[i], p[i])
			}
		}
	}
	for _, name := range []string{"level_fre", "level_spa"} {
		lv, shape := readTensor(t, sideOut, name)
		if _, in := readTensor(t, input, "image"); len(shape) != 1 || shape[0] != in[0] {
			t.Fatalf("%s has shape %v", name, shape)
		}
		for _, l := range lv {
			if l < 1 || l > 4 || l != float32(int(l)) {
				t.Errorf("%s = %v", name, lv)
			}
		}
	}
}

// TestInitSideErrors checks bad sizes and flags.
func TestInitSideErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "side.safetensors")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"heads do not divide the width", []string{"-backbone", sampleWeights, "-out", out, "-channels", "30"}, 2, "fusion_width 15 is not divisible by fusion_heads 4"},
		{"width not half the channels", []string{"-backbone", sampleWeights, "-out", out, "-channels", "32", "-fusion-width", "8"}, 2, "must be channels/2"},
		{"too many nodes", []string{"-backbone", sampleWeights, "-out", out, "-channels", "16", "-nodes", "32"}, 2, "nodes 32 exceed channels 16"},
		{"no channels", []string{"-backbone", sampleWeights, "-out", out, "-channels", "0"}, 2, "must be positive"},
		{"missing out", []string{"-backbone", sampleWeights}, 2, "need -backbone and -out"},
		{"backbone not found", []string{"-backbone", filepath.Join(dir, "nope.safetensors"), "-out", out}, 1, "nope.safetensors"},
		{"arguments", []string{"-backbone", sampleWeights, "-out", out, "extra"}, 2, "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCommand(append([]string{"init-side"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr %q, want it to contain %q", code, tc.code, stderr, tc.want)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed init-side wrote its output")
	}
}
