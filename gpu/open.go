package gpu

import (
	"errors"
	"fmt"
	"strings"
)

// Options tune Open.
type Options struct {
	// Ordinal is the CUDA device number (0 for the first GPU).
	Ordinal int
	// TF32 lets cuBLAS use TF32 tensor cores for float32 matrix products
	// (cublasSetMathMode CUBLAS_TF32_TENSOR_OP_MATH): several times faster
	// on Ampere and later GPUs, with products rounded to 10-bit mantissas
	// (about 1e-3 relative), so results no longer match the CPU to 1e-4.
	// Off by default: plain IEEE float32 products.
	TF32 bool
	// LibraryDirs are folders searched for libcuda.so.1, libcublas and
	// libnvrtc before the dynamic loader's own paths (LD_LIBRARY_PATH,
	// ld.so.cache), e.g. a CUDA toolkit's lib64 or a Python environment's
	// nvidia/*/lib.
	LibraryDirs []string
}

// Error is a failure reported by the CUDA driver, cuBLAS or NVRTC: the call,
// its numeric status, the status's name and the library's description.
type Error struct {
	Op   string // e.g. "cuMemAlloc"
	Code int
	Name string // e.g. "CUDA_ERROR_OUT_OF_MEMORY"
	Msg  string
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("%s: %s (%d)", e.Op, e.Name, e.Code)
	}
	return fmt.Sprintf("%s: %s (%s)", e.Op, e.Name, e.Msg)
}

// ErrUnavailable is wrapped by every error of Open that means this host (or
// this build) has no usable GPU, as opposed to a GPU that fails.
var ErrUnavailable = errors.New("no usable GPU")

// unavailableError is an Open error meaning there is no usable GPU; it
// matches ErrUnavailable.
type unavailableError struct{ reason string }

func (e *unavailableError) Error() string        { return "gpu: no usable GPU: " + e.reason }
func (e *unavailableError) Is(target error) bool { return target == ErrUnavailable }

// unavailable returns an error matching ErrUnavailable with the reason.
func unavailable(format string, args ...any) error {
	return &unavailableError{reason: fmt.Sprintf(format, args...)}
}

// cublasStatusNames names cuBLAS's status codes (cublas_api.h).
var cublasStatusNames = map[int]string{
	0: "CUBLAS_STATUS_SUCCESS", 1: "CUBLAS_STATUS_NOT_INITIALIZED", 3: "CUBLAS_STATUS_ALLOC_FAILED",
	7: "CUBLAS_STATUS_INVALID_VALUE", 8: "CUBLAS_STATUS_ARCH_MISMATCH", 11: "CUBLAS_STATUS_MAPPING_ERROR",
	13: "CUBLAS_STATUS_EXECUTION_FAILED", 14: "CUBLAS_STATUS_INTERNAL_ERROR", 15: "CUBLAS_STATUS_NOT_SUPPORTED",
	16: "CUBLAS_STATUS_LICENSE_ERROR",
}

// cublasError converts a cuBLAS status.
func cublasError(op string, code int) error {
	name, ok := cublasStatusNames[code]
	if !ok {
		name = "CUBLAS_STATUS_UNKNOWN"
	}
	return &Error{Op: op, Code: code, Name: name}
}

// Device choices for Select.
const (
	ChoiceAuto = "auto" // the GPU when one is usable, else the CPU
	ChoiceCPU  = "cpu"
	ChoiceCUDA = "cuda" // the GPU, or an error
)

// Select resolves a device choice (ChoiceAuto, ChoiceCPU or ChoiceCUDA):
// it returns the opened GPU, or nil for the CPU, and one line saying which
// was chosen and why, for the log. "auto" falls back to the CPU when Open
// fails for any reason (the reason is in the line); "cuda" returns Open's
// error instead. Any other choice is an error.
func Select(choice string, opts Options) (*Device, string, error) {
	switch strings.ToLower(choice) {
	case ChoiceCPU:
		return nil, "device: CPU (as asked)", nil
	case ChoiceAuto, "":
		d, err := Open(opts)
		if err != nil {
			reason := err.Error()
			if u, ok := err.(*unavailableError); ok {
				reason = "no usable GPU: " + u.reason
			}
			return nil, "device: CPU (" + reason + ")", nil
		}
		return d, "device: GPU " + d.Info().String(), nil
	case ChoiceCUDA:
		d, err := Open(opts)
		if err != nil {
			return nil, "", err
		}
		return d, "device: GPU " + d.Info().String(), nil
	}
	return nil, "", fmt.Errorf("gpu: unknown device %q (want auto, cpu or cuda)", choice)
}
