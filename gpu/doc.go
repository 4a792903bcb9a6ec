// Package gpu is ladderpose's GPU backend: a CUDA device reached through
// the NVIDIA driver API, cuBLAS and NVRTC, all loaded at run time with
// dlopen (libcuda.so.1; libcublas.so.13/.12/.11; libnvrtc.so.13/.12/.11.2)
// from our own minimal C declarations, so that the package builds on any
// machine with a C compiler and no CUDA toolkit. Built with CGO_ENABLED=0
// (or on another OS) it keeps its API and Open returns an error saying so.
//
// A Device holds memory (Alloc, Upload, Download, an Arena for a forward
// pass's activations), runs single-precision matrix products through cuBLAS
// (Gemm, GemmStrided; IEEE float32 unless Options.TF32) and the kernels of
// kernels.cu, which NVRTC compiles for the device at their first use:
// LayerNorm, softmax, bias and activation epilogues (exact-erf GELU),
// attention, convolutions (im2col + GEMM, direct depthwise), transposed
// convolutions (GEMM + col2im), the Haar transform, pooling, bilinear
// resizing, layout changes and the fusion and graph operations of SPEC.md
// sections 5-6. Package gpumodel builds the network from them.
//
// Every operation checks its buffers' sizes before it queues work, and
// every CUDA, cuBLAS and NVRTC status is checked and returned as an *Error
// carrying the status's name: a failing GPU (out of memory, a driver error)
// is an error, never a crash. A failure of queued work makes the device
// refuse further work (the CUDA context is then unusable).
//
// Determinism: the kernels use no atomics and no cross-thread reductions
// (each reduction runs in one thread in a fixed order), and all work runs
// in order on one stream with one cuBLAS handle whose atomics mode is off,
// which cuBLAS documents as bit-wise reproducible from run to run on the
// same GPU model and library version (CUBLAS_WORKSPACE_CONFIG matters only
// for several streams sharing a handle, which this package never does).
// Results may differ between GPU models, cuBLAS versions and batch sizes
// (cuBLAS picks its algorithm by shape), within float32 rounding.
//
// Select maps a user's choice ("auto", "cpu", "cuda") to a device or the
// CPU with one line for the log. Package gpu/emu runs the same kernels on
// the CPU for tests.
package gpu
