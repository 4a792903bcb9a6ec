//go:build cgo && linux

package gpu_test

import "os"

// cgoBuild reports whether this test binary has the CUDA backend.
const cgoBuild = true

// libcudaLoadable reports whether a libcuda.so.1 exists in the usual
// places (a driver install or a container's mounted driver).
func libcudaLoadable() bool {
	for _, dir := range []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
		"/usr/local/nvidia/lib64", "/usr/local/cuda/compat", "/usr/lib/wsl/lib"} {
		if _, err := os.Stat(dir + "/libcuda.so.1"); err == nil {
			return true
		}
	}
	return os.Getenv("LD_LIBRARY_PATH") != "" // cannot tell: do not insist on the message
}
