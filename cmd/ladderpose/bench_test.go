package main

import (
	"bytes"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/internal/benchmodel"
	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/posemodel"
)

// tinyCheckpoint writes testdata/models' tiny plain ViTPose (D=48, depth 4)
// as a checkpoint with its config in the metadata.
func tinyCheckpoint(t *testing.T) string {
	t.Helper()
	man, err := testmodel.Read("../../testdata/models/vitpose_tiny.manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "tiny.safetensors")
	if err := man.WriteCheckpoint(p, false, true); err != nil {
		t.Fatal(err)
	}
	return p
}

var benchRow = regexp.MustCompile(`(?m)^(\S+) +([0-9.]+) +([0-9.]+%|-) +([0-9.-]+) +([0-9.-]+)$`)

// TestBenchTable runs the command on small models and checks the table:
// the stages a model has (and only those), shares that add up to 100%, the
// FLOP column against benchmodel's count, and the summary line.
func TestBenchTable(t *testing.T) {
	ckpt := tinyCheckpoint(t)
	for _, tc := range []struct {
		name   string
		args   []string
		stages []string
		batch  int
	}{
		{"plain checkpoint", []string{"-weights", ckpt, "-iters", "3", "-warmup", "1", "-batch", "2"},
			[]string{"backbone", "head"}, 2},
		{"checkpoint with a fresh side network", []string{"-weights", ckpt, "-side", "-iters", "2"},
			posemodel.Stages, 1},
		{"random ViT-S", []string{"-size", "S", "-iters", "1", "-warmup", "0"}, []string{"backbone", "head"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(append([]string{"bench"}, tc.args...), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d, stderr %s", code, stderr.String())
			}
			out := stdout.String()
			for _, want := range []string{"CPU: ", "kernel path ", "GOMAXPROCS ", "peak resident memory: "} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if !strings.Contains(stderr.String(), "passes/s, ETA") {
				t.Errorf("no progress on stderr: %s", stderr.String())
			}
			rows := benchRow.FindAllStringSubmatch(out, -1)
			var names []string
			var shares, stageFlops float64
			var fwd []string
			for _, r := range rows {
				names = append(names, r[1])
				if r[1] == "forward" {
					fwd = r
					continue
				}
				shares += parse(t, strings.TrimSuffix(r[3], "%"))
				if r[4] != "-" {
					stageFlops += parse(t, r[4])
				}
			}
			want := append(append([]string{}, tc.stages...), "(untimed)", "forward")
			if strings.Join(names, " ") != strings.Join(want, " ") {
				t.Fatalf("rows %v, want %v in\n%s", names, want, out)
			}
			// Each share is rounded to 0.1%.
			if math.Abs(shares-100) > 0.05*float64(len(rows))+1e-9 {
				t.Errorf("shares add up to %.1f%%:\n%s", shares, out)
			}
			total := parse(t, fwd[4])
			if math.Abs(stageFlops-total) > 0.0005*float64(len(rows)) {
				t.Errorf("stage GFLOPs add up to %.3f, forward %.3f", stageFlops, total)
			}
			if len(tc.stages) == 2 { // plain: the count needs no fusion levels
				cfg := tinyOrS(t, tc.args)
				f, err := benchmodel.BatchFLOPs(cfg, tc.batch, nil)
				if err != nil {
					t.Fatal(err)
				}
				if w := float64(benchmodel.Total(f)) / 1e9; math.Abs(total-w) > 0.0005 {
					t.Errorf("forward: %.3f GFLOP per batch, want %.3f", total, w)
				}
			}
			// Summary: ms/image = forward ms / batch, images/s its inverse.
			m := regexp.MustCompile(`\n([0-9.]+) ms/image, ([0-9.]+) images/s, ([0-9.]+) GFLOP/s`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no summary line in\n%s", out)
			}
			perImage, ips := parse(t, m[1]), parse(t, m[2])
			if wantMS := parse(t, fwd[2]) / float64(tc.batch); math.Abs(perImage-wantMS) > 0.05+0.01*wantMS {
				t.Errorf("%.1f ms/image, forward row says %.2f ms per batch of %d", perImage, parse(t, fwd[2]), tc.batch)
			}
			if math.Abs(ips*perImage/1e3-1) > 0.01 {
				t.Errorf("%v images/s and %v ms/image disagree", ips, perImage)
			}
		})
	}
}

// tinyOrS returns the config a test case times.
func tinyOrS(t *testing.T, args []string) posemodel.Config {
	t.Helper()
	size := "S"
	for i, a := range args {
		if a == "-weights" {
			m, err := posemodel.Load(args[i+1], posemodel.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return m.Cfg
		}
		if a == "-size" {
			size = args[i+1]
		}
	}
	cfg, err := posemodel.StandardConfig(size)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func parse(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

// TestBenchErrors: bad flags exit 2 with a message naming the flag; a
// missing checkpoint exits 1 naming the file.
func TestBenchErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.safetensors")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"batch 0", []string{"-batch", "0"}, 2, "-batch 0"},
		{"iters 0", []string{"-iters", "0"}, 2, "-iters 0"},
		{"negative warm-up", []string{"-warmup", "-1"}, 2, "-warmup -1"},
		{"unknown size", []string{"-size", "XL"}, 2, `"XL"`},
		{"size with weights", []string{"-weights", missing, "-size", "S"}, 2, "-size is for random weights"},
		{"argument", []string{"extra"}, 2, "no arguments"},
		{"unknown flag", []string{"-frobnicate"}, 2, "frobnicate"},
		{"missing checkpoint", []string{"-weights", missing}, 1, "none.safetensors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"bench"}, tc.args...), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.want)
			}
		})
	}
}
