package main

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/coco"
)

// TestSynthWritesDataset runs the command and checks the files it writes:
// the images decode at the requested size and the annotation files read
// back as valid COCO datasets with the requested split.
func TestSynthWritesDataset(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"synth", "-out", dir, "-n", "5", "-seed", "3", "-val", "0.4", "-size", "160x120",
		"-interference", "heavy", "-people", "2-3", "-workers", "2"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "wrote 5 images (160x120, interference heavy)") {
		t.Errorf("stdout %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "synth: 5/5 images") || !strings.Contains(stderr.String(), "images/s, ETA") {
		t.Errorf("no final progress line with rate and ETA on stderr: %q", stderr.String())
	}
	train, err := coco.ReadDataset(filepath.Join(dir, "train.json"))
	if err != nil {
		t.Fatal(err)
	}
	val, err := coco.ReadDataset(filepath.Join(dir, "val.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(train.Images) != 3 || len(val.Images) != 2 {
		t.Fatalf("split %d/%d images, want 3/2", len(train.Images), len(val.Images))
	}
	perImage := map[int64]int{}
	for _, d := range []*coco.Dataset{train, val} {
		if d.Info["interference"] != "heavy" {
			t.Errorf("info %v", d.Info)
		}
		for _, im := range d.Images {
			f, err := os.Open(filepath.Join(dir, "images", im.FileName))
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpeg.Decode(f)
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", im.FileName, err)
			}
			if b := img.Bounds(); b.Dx() != 160 || b.Dy() != 120 || im.Width != 160 || im.Height != 120 {
				t.Errorf("%s: %v, listed %dx%d", im.FileName, b, im.Width, im.Height)
			}
		}
		for _, a := range d.Annotations {
			perImage[a.ImageID]++
		}
	}
	for id, n := range perImage {
		if n > 3 {
			t.Errorf("image %d has %d people, -people 2-3", id, n)
		}
	}
}

// TestSynthSheet checks that -sheet alone writes a PNG contact sheet.
func TestSynthSheet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sheet.png")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"synth", "-sheet", path, "-sheet-rows", "2", "-size", "128x96"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// Three columns and two rows of 128x96 tiles with 4-pixel gaps and a
	// 24-pixel title strip.
	if b := img.Bounds(); b.Dx() != 3*128+4*4 || b.Dy() != 24+2*(96+4) {
		t.Errorf("sheet size %v", b)
	}
}

// TestSynthBadFlags checks that bad flags exit with status 2 and a message
// naming the problem, without writing anything.
func TestSynthBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "need -out DIR"},
		{[]string{"-out", "X", "-interference", "light"}, `unknown interference level "light"`},
		{[]string{"-out", "X", "-size", "100"}, `-size "100"`},
		{[]string{"-out", "X", "-size", "32x32"}, "image size 32x32"},
		{[]string{"-out", "X", "-people", "3-1"}, "people per image 3 to 1"},
		{[]string{"-out", "X", "-people", "a"}, `-people "a"`},
		{[]string{"-out", "X", "-people", "0"}, "the maximum must be at least 1"},
		{[]string{"-out", "X", "-val", "2"}, "validation fraction 2"},
		{[]string{"-out", "X", "-quality", "0"}, "-quality 0"},
		{[]string{"-out", "X", "-workers", "-1"}, "workers -1"},
		{[]string{"-out", "X", "-n", "-3"}, "-n -3"},
		{[]string{"-out", "X", "extra"}, "unexpected arguments"},
		{[]string{"-bogus"}, "flag provided but not defined"},
	} {
		dir := t.TempDir()
		args := append([]string{"synth"}, tc.args...)
		if !strings.Contains(strings.Join(tc.args, " "), "-n ") {
			args = append(args[:1], append([]string{"-n", "1"}, args[1:]...)...) // never a long run
		}
		for i, a := range args {
			if a == "X" {
				args[i] = filepath.Join(dir, "out")
			}
		}
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
			t.Errorf("%v: output folder created", tc.args)
		}
	}
}

// FuzzSynthSizeFlag checks that -size either fails with an error naming
// the flag or gives a size that reads back the same when written out.
func FuzzSynthSizeFlag(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		w, h, err := parseSize(s)
		if err != nil {
			if !strings.Contains(err.Error(), "-size") {
				t.Fatalf("error %v does not name the flag", err)
			}
			return
		}
		w2, h2, err := parseSize(fmt.Sprintf("%dx%d", w, h))
		if err != nil || w2 != w || h2 != h {
			t.Fatalf("parseSize(%q) = %d, %d, which reads back as %d, %d, %v", s, w, h, w2, h2, err)
		}
	})
}
