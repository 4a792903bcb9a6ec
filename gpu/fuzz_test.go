package gpu_test

import (
	"regexp"
	"testing"

	"github.com/ladderpose/ladderpose/gpu"
)

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// FuzzParseKernels checks that the kernel signature parser never panics and
// that what it accepts is usable: identifiers for names, unique kernels,
// one of the four argument kinds per parameter. The seed corpus is in
// testdata/fuzz/FuzzParseKernels (the real kernel source among it).
func FuzzParseKernels(f *testing.F) {
	f.Add(gpu.KernelSource)
	f.Add("KERNEL k(float *x, const float *y, int n, float a, double d)\n")
	f.Fuzz(func(t *testing.T, src string) {
		sigs, err := gpu.ParseKernels(src)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, s := range sigs {
			if !identifier.MatchString(s.Name) || seen[s.Name] {
				t.Fatalf("kernel name %q (seen %v)", s.Name, seen[s.Name])
			}
			seen[s.Name] = true
			for _, p := range s.Params {
				if !identifier.MatchString(p.Name) {
					t.Fatalf("kernel %s: parameter name %q", s.Name, p.Name)
				}
				switch p.Kind {
				case gpu.ArgPtr, gpu.ArgInt, gpu.ArgFloat, gpu.ArgDouble:
				default:
					t.Fatalf("kernel %s: parameter %s has kind %q", s.Name, p.Name, p.Kind)
				}
			}
		}
	})
}
