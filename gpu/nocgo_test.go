//go:build !cgo || !linux

package gpu_test

// cgoBuild reports whether this test binary has the CUDA backend.
const cgoBuild = false

func libcudaLoadable() bool { return false }
