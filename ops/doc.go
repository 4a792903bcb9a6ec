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
// Winograd3x3 computes 3x3 stride-1 convolutions with Winograd's F(2x2,
// 3x3): 16 GEMMs on the same kernels over transformed 4x4 tiles (input and
// output transforms in AVX2 assembly with pure-Go twins), 2.25 times fewer
// multiply-adds than Conv2D's im2col GEMM. It is not bit-identical to
// Conv2D (the same sum in another order; its error against float64 stays
// within a small multiple of Conv2D's) but is as deterministic.
//
// Int8 GEMM (GemmInt8, for dynamically quantized linear layers): weights
// quantized symmetrically per output channel to 7-bit codes in [-63, 63]
// (QuantizeWeights, once), activations per row to 8-bit codes in
// [-127, 127] at each call, exact int32 sums (VPMADDUBSW+VPMADDWD on AVX2,
// VPDPBUSD on AVX-VNNI and AVX-512 VNNI, SDOT on NEON, a pure-Go twin), and
// a float32 epilogue y = float32(float32(S)*s_w)*s_x + bias with the
// optional activation: bit-identical on every path and thread count. The
// exact rules (rounding, the 7-bit answer to VPMADDUBSW's saturation, the
// zero point 128) are at the top of qgemm.go; Int8Path names the kernel in
// use, and LADDERPOSE_NOVNNI=1 forces the AVX2 one.
//
// Layouts follow PyTorch: matrices are row-major with explicit strides, images
// and feature maps NCHW, convolution weights [out, in/groups, kh, kw].
package ops
