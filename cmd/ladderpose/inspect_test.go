package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const inspectSample = "../../testdata/sample.safetensors"

// TestInspectSample runs the command on the file written by
// tools/gen_weights_testdata.py and checks the table and totals against the
// description that script wrote alongside it.
func TestInspectSample(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"inspect", inspectSample}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr.String())
	}
	out := stdout.String()
	if stderr.Len() != 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
	b, err := os.ReadFile("../../testdata/weights_sample.json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Metadata map[string]string `json:"metadata"`
		Tensors  map[string]struct {
			DType       string   `json:"dtype"`
			Shape       []int    `json:"shape"`
			DataOffsets [2]int64 `json:"data_offsets"`
		} `json:"tensors"`
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	var params, size int64
	for name, w := range want.Tensors {
		n := int64(1)
		dims := make([]string, len(w.Shape))
		for i, d := range w.Shape {
			n *= int64(d)
			dims[i] = fmt.Sprint(d)
		}
		nbytes := w.DataOffsets[1] - w.DataOffsets[0]
		params += n
		size += nbytes
		row := fmt.Sprintf(`(?m)^%s +%s +\[%s\] +%d +%d$`, regexp.QuoteMeta(name), w.DType, strings.Join(dims, ", "), n, nbytes)
		if !regexp.MustCompile(row).MatchString(out) {
			t.Errorf("no row matching %s in\n%s", row, out)
		}
	}
	total := fmt.Sprintf("total: %d tensors, %d parameters, %d bytes\n", len(want.Tensors), params, size)
	if !strings.Contains(out, total) {
		t.Errorf("no line %q in\n%s", total, out)
	}
	// the table's columns line up: every row has DTYPE at the same column
	lines := strings.Split(out, "\n")
	col := -1
	for _, l := range lines {
		if strings.HasPrefix(l, "NAME ") {
			col = strings.Index(l, "DTYPE")
			continue
		}
		if col < 0 || l == "" {
			if col >= 0 {
				break
			}
			continue
		}
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("row %q does not have its dtype at column %d", l, col)
		}
	}
	if col < 0 {
		t.Fatalf("no table header in\n%s", out)
	}
	for _, s := range []string{"\nmetadata:\n", "\n  format: pt\n", "\n  ladderpose.config:\n    {\n      \"dim\": 8,\n", "\n      \"side\": {\n        \"channels\": 8,\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

// TestInspectErrors checks the exit status and message for bad files and
// bad arguments.
func TestInspectErrors(t *testing.T) {
	sample, err := os.ReadFile(inspectSample)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.safetensors")
	if err := os.WriteFile(truncated, sample[:len(sample)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	headerCut := filepath.Join(dir, "header-cut.safetensors")
	if err := os.WriteFile(headerCut, sample[:100], 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"data cut", []string{"inspect", truncated}, 1, "ladderpose inspect: weights " + truncated + `: tensor "side.fusion.proj.weight": data_offsets [300, 330] reach past the end of the 320-byte data section (file truncated?)`},
		{"header cut", []string{"inspect", headerCut}, 1, "ladderpose inspect: weights " + headerCut + ": header length 1032 exceeds the 92 bytes after the length field"},
		{"missing", []string{"inspect", filepath.Join(dir, "nope")}, 1, "no such file"},
		{"no file", []string{"inspect"}, 2, "exactly one file, got 0"},
		{"two files", []string{"inspect", inspectSample, inspectSample}, 2, "exactly one file, got 2"},
		{"bad flag", []string{"inspect", "-x", inspectSample}, 2, "flag provided but not defined: -x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), tc.code, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

func TestInspectHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"inspect", "-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "usage: ladderpose inspect FILE") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestGroupAndShort(t *testing.T) {
	tests := []struct {
		n     int64
		group string
		dec   string
		bin   string
	}{
		{0, "0", "", ""},
		{999, "999", "", ""},
		{1000, "1,000", " (1.0k)", ""},
		{1024, "1,024", " (1.0k)", " (1.0 KiB)"},
		{86567656, "86,567,656", " (86.6M)", " (82.6 MiB)"},
		{1 << 40, "1,099,511,627,776", " (1.1T)", " (1.0 TiB)"},
	}
	for _, tc := range tests {
		if g, d, b := group(tc.n), short(tc.n, 1000, ""), short(tc.n, 1024, "B"); g != tc.group || d != tc.dec || b != tc.bin {
			t.Errorf("%d: %q %q %q, want %q %q %q", tc.n, g, d, b, tc.group, tc.dec, tc.bin)
		}
	}
}
