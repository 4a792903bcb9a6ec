//go:build !cgo || !linux

package gpu

import "runtime"

// Open opens a CUDA GPU. This build has no CUDA backend: it returns an
// error wrapping ErrUnavailable.
func Open(opts Options) (*Device, error) {
	if runtime.GOOS != "linux" {
		return nil, unavailable("the CUDA backend supports Linux only (this is %s)", runtime.GOOS)
	}
	return nil, unavailable("built without cgo (CGO_ENABLED=0); the CUDA backend needs cgo to load libcuda.so.1")
}
