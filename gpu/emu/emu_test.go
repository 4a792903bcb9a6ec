package emu_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/gpu/emu"
)

func open(t *testing.T) *gpu.Device {
	t.Helper()
	d, err := emu.Open()
	if errors.Is(err, emu.ErrNoCompiler) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestHarnessChecks checks the emulated device's own checks: copies and
// pointers outside every allocation are refused with an error naming
// them, new memory reads as NaN, and Close is idempotent.
func TestHarnessChecks(t *testing.T) {
	d := open(t)
	defer d.Close()
	if got := d.Info().Backend; got != "emulator" {
		t.Errorf("backend %q", got)
	}
	b, err := d.Alloc(4)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, 4)
	if err := d.Download(v, b); err != nil {
		t.Fatal(err)
	}
	for _, x := range v {
		if x == x {
			t.Fatalf("new memory reads %v, want NaN", v)
		}
	}
	// A buffer claiming more than its allocation: the harness refuses.
	over := gpu.Buf{Ptr: b.Ptr, N: 8}
	err = d.Upload(over, make([]float32, 8))
	t.Logf("upload past the allocation: %v", err)
	if err == nil || !strings.Contains(err.Error(), "outside every allocation") {
		t.Errorf("upload past the allocation: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestNoCompiler checks the error without a C compiler.
func TestNoCompiler(t *testing.T) {
	t.Setenv("CC", "")
	t.Setenv("PATH", t.TempDir())
	_, err := emu.Open()
	t.Logf("Open without a compiler: %v", err)
	if !errors.Is(err, emu.ErrNoCompiler) {
		t.Errorf("Open without a compiler: %v, want ErrNoCompiler", err)
	}
}
