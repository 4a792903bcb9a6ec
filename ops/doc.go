// Package ops holds ladderpose's compute kernels on float32 slices: SGEMM with
// packed panels and assembly micro-kernels (AVX2/FMA, AVX-512, NEON), the
// convolutions built on it, and the element-wise, normalisation, pooling and
// resampling kernels the networks use.
//
// Every kernel has a pure-Go twin that is the reference and the fall-back; the
// assembly is chosen once at init (see Path) and LADDERPOSE_NOASM=1 or the
// noasm build tag forces the pure-Go path everywhere. Kernels that run on
// several goroutines split their work by output tiles with a fixed
// partition, so their results are bit-identical for any GOMAXPROCS. Those
// goroutines are kept between calls (at most one per concurrent share of
// work): after a task each polls for the next one for 200 microseconds, as
// BLAS threads spin, then parks until it is needed, costing no CPU. The
// GEMM's packing buffers (up to a few MB per worker) are likewise kept for
// reuse.
//
// Layouts follow PyTorch: matrices are row-major with explicit strides, images
// and feature maps NCHW, convolution weights [out, in/groups, kh, kw].
package ops
