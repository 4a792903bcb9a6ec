package ops

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// Int8 GEMM for dynamically quantized linear layers (issue 17).
//
// The scheme. A Linear layer's weights W [N, K] (out x in) are quantized once,
// symmetrically per output channel, to 7 bits:
//
//	s_w[n]   = max_k |W[n,k]| / 63
//	q_w[n,k] = clamp(round(W[n,k] * (63 / max_k |W[n,k]|)), -63, 63)
//
// and the activations X [M, K] (rows are tokens) are quantized per row at
// every call, to 8 bits:
//
//	s_x[m]   = max_k |X[m,k]| / 127
//	q_x[m,k] = clamp(round(X[m,k] * (127 / max_k |X[m,k]|)), -127, 127)
//
// where round is round-half-away-from-zero of the float32 product and the
// quotients are float32 operations. A row whose largest magnitude is below
// 2^-100 (an all-zero row, say) gets scale 0 and all-zero codes. NaN or
// ±Inf in the weights or in an activation row is refused with an error.
//
// The integer product S[m,n] = sum_k q_x[m,k]*q_w[n,k] is exact in int32
// (|S| <= K*127*63; K is limited to 2^16) and every kernel computes the same
// S. Activations are stored as uint8 u = q_x + 128 (zero point 128): AVX2's
// VPMADDUBSW and VPDPBUSD (AVX-512 VNNI, AVX-VNNI) multiply unsigned by
// signed bytes, and the zero point is removed with the column sums 128*sum_k q_w[n,k]
// precomputed when the weights are packed. The weights have 7 bits so that
// VPMADDUBSW's saturating int16 pair sums can never saturate:
// |u0*w0 + u1*w1| <= 2*255*63 = 32130 < 32767 (with 8-bit weights, 2*255*127
// would). All paths use the same 7-bit weights, so all compute the same S.
// The NEON kernel flips the sign bit of u (u XOR 0x80 = q_x as int8) and
// uses SDOT, signed by signed, with no correction.
//
// The epilogue is the same sequence of float32 operations on every path,
// without fused multiply-adds:
//
//	y[m,n] = float32(float32(S) * s_w[n]) * s_x[m] + bias[n]
//
// then the optional activation (ops.GELU or ReLU, as the float32 GEMM's
// epilogue applies them). The integer sums are exact and the float
// operations are IEEE-rounded one at a time, so every kernel path (pure Go,
// AVX2, AVX-VNNI, AVX-512 VNNI, NEON SDOT) and every number of workers gives
// bit-identical outputs (amd64 and arm64 alike). With GELU, the output is
// ops.GELU of those bits, and GELU's SIMD kernels and its pure-Go twin
// differ in the last bits for about 13% of inputs, so fused GELU outputs
// are bit-identical across worker counts and between int8 kernels of one
// float path, not between float paths. ReLU is exact everywhere.

// qMinAmax is the smallest row maximum that is quantized: rows below it
// (all zeros, or nearly) get scale 0 and all-zero codes, so that the
// reciprocal 127/amax never overflows.
const qMinAmax = 0x1p-100

// qMaxK bounds K, so that |S| + 128*|sum q_w| fits in an int32.
const qMaxK = 1 << 16

// Weight and activation code ranges.
const (
	qWeightMax = 63
	qActMax    = 127
)

// qkernel describes one int8 micro-kernel.
type qkernel struct {
	name   string
	mr, nr int
	// micro computes one full mr x nr tile: for i < mr, j < nr,
	//   S = sum_{p < 16*k16} (a[i*lda+p] - 128) * b[(p/4)*4*nr + 4*j + p%4]
	//   c[i*ldc+j] = float32(float32(float32(S)*sw[j])*sx[i]) + bias[j]
	// (corr[j] = 128 * sum of column j's weights, for kernels that use it).
	micro func(k16 int, a []uint8, lda int, b []int8, c []float32, ldc int, sx, sw []float32, corr []int32, bias []float32)
}

// activeQKernel is the int8 micro-kernel of the path chosen at init (part
// of the dispatch table, set by cpu.go's init after the CPU flags).
var activeQKernel = genericQKernel

// Int8Path names the int8 micro-kernel chosen at init: "avx512vnni",
// "avxvnni" (AVX-VNNI without AVX-512, or with LADDERPOSE_NOAVX512=1),
// "avx2" (also with LADDERPOSE_NOVNNI=1, which rules out both VNNI
// kernels), "neon-sdot" or "generic".
func Int8Path() string { return activeQKernel.name }

// QuantizedB is a Linear layer's weight matrix W [N, K] quantized to 7-bit
// codes with one scale per output channel (row of W), packed into the int8
// kernels' panels. It is read-only after creation and safe for concurrent
// use.
type QuantizedB struct {
	n, k int
	k16  int // K rounded up to a multiple of 16
	kern *qkernel
	data []int8    // ceil(N/NR) panels of k16/4 groups of NR x 4 codes
	sw   []float32 // scales, zero-padded to a whole number of panels
	corr []int32   // 128 * column sums, zero-padded
}

// N returns the number of output channels (rows of W).
func (q *QuantizedB) N() int { return q.n }

// K returns the number of input features (columns of W).
func (q *QuantizedB) K() int { return q.k }

// QuantizeWeights quantizes the row-major n x k weights w (a Linear layer's
// [out, in] matrix) per output channel as the package's int8 scheme
// describes, and packs them for GemmInt8. It refuses NaN and Inf.
func QuantizeWeights(w []float32, n, k int) (*QuantizedB, error) {
	if err := checkQDims(n, k); err != nil {
		return nil, err
	}
	if len(w) < n*k {
		return nil, fmt.Errorf("ops.QuantizeWeights: %d x %d weights need %d values, have %d", n, k, n*k, len(w))
	}
	q := make([]int8, n*k)
	scales := make([]float32, n)
	for j := 0; j < n; j++ {
		s, ok := quantizeRowInt8(q[j*k:(j+1)*k], w[j*k:(j+1)*k], qWeightMax)
		if !ok {
			return nil, fmt.Errorf("ops.QuantizeWeights: weight row %d holds NaN or Inf", j)
		}
		scales[j] = s
	}
	return packQuantized(activeQKernel, q, scales, n, k), nil
}

// NewQuantizedB builds a QuantizedB from stored codes q (row-major n x k,
// each in [-63, 63]) and per-row scales (finite, >= 0), as Int8 returns them:
// a file can hold the int8 codes and float32 scales instead of the float
// weights.
func NewQuantizedB(q []int8, scales []float32, n, k int) (*QuantizedB, error) {
	if err := checkQDims(n, k); err != nil {
		return nil, err
	}
	if len(q) != n*k {
		return nil, fmt.Errorf("ops.NewQuantizedB: %d x %d codes expected, have %d", n, k, len(q))
	}
	if len(scales) != n {
		return nil, fmt.Errorf("ops.NewQuantizedB: %d scales expected, have %d", n, len(scales))
	}
	for i, v := range q {
		if v < -qWeightMax || v > qWeightMax {
			return nil, fmt.Errorf("ops.NewQuantizedB: code %d at row %d, column %d is outside [-%d, %d]", v, i/k, i%k, qWeightMax, qWeightMax)
		}
	}
	for i, s := range scales {
		if !(s >= 0) || math.IsInf(float64(s), 0) {
			return nil, fmt.Errorf("ops.NewQuantizedB: scale %d is %v (need finite and >= 0)", i, s)
		}
	}
	return packQuantized(activeQKernel, q, scales, n, k), nil
}

// Int8 returns the codes (row-major N x K, in [-63, 63]) and the per-row
// scales, for storing: NewQuantizedB(q.Int8()) rebuilds an identical
// QuantizedB. W[n,k] is approximately scales[n]*codes[n*K+k].
func (q *QuantizedB) Int8() (codes []int8, scales []float32) {
	codes = make([]int8, q.n*q.k)
	nr := q.kern.nr
	for j := 0; j < q.n; j++ {
		jp, jj := j/nr, j%nr
		panel := q.data[jp*nr*q.k16:]
		for p := 0; p < q.k; p++ {
			codes[j*q.k+p] = panel[(p/4)*4*nr+4*jj+p%4]
		}
	}
	return codes, append([]float32(nil), q.sw[:q.n]...)
}

func checkQDims(n, k int) error {
	if n <= 0 || k <= 0 {
		return fmt.Errorf("ops: int8 weights must have positive dimensions, have %d x %d", n, k)
	}
	if k > qMaxK {
		return fmt.Errorf("ops: int8 GEMM supports K <= %d, have %d", qMaxK, k)
	}
	return nil
}

// packQuantized packs codes q (n x k) for kernel kn.
func packQuantized(kn *qkernel, q []int8, scales []float32, n, k int) *QuantizedB {
	nr := kn.nr
	np := (n + nr - 1) / nr
	k16 := (k + 15) &^ 15
	qb := &QuantizedB{n: n, k: k, k16: k16, kern: kn,
		data: make([]int8, np*nr*k16), sw: make([]float32, np*nr), corr: make([]int32, np*nr)}
	copy(qb.sw, scales)
	for j := 0; j < n; j++ {
		jp, jj := j/nr, j%nr
		panel := qb.data[jp*nr*k16 : (jp+1)*nr*k16]
		row := q[j*k : (j+1)*k]
		var sum int32
		for p, v := range row {
			panel[(p/4)*4*nr+4*jj+p%4] = v
			sum += int32(v)
		}
		qb.corr[j] = 128 * sum
	}
	return qb
}

// QuantizeRows quantizes the m rows of x (k values each, row i at
// x[i*ldx:]) per row as the package's int8 scheme describes: dst[i*k+p] is
// q_x in [-127, 127] and scales[i] is s_x, so that x[i][p] is approximately
// scales[i]*dst[i*k+p]. GemmInt8 quantizes its input the same way. NaN or Inf
// in a row is an error naming the row.
func QuantizeRows(dst []int8, scales []float32, x []float32, m, k, ldx int) error {
	if m < 0 || k <= 0 || ldx < k {
		return fmt.Errorf("ops.QuantizeRows: bad shape %d x %d with row stride %d", m, k, ldx)
	}
	if m == 0 {
		return nil
	}
	if len(dst) < m*k || len(scales) < m || len(x) < (m-1)*ldx+k {
		return fmt.Errorf("ops.QuantizeRows: slices too short for %d x %d (dst %d, scales %d, x %d)", m, k, len(dst), len(scales), len(x))
	}
	for i := 0; i < m; i++ {
		s, ok := quantizeRowInt8(dst[i*k:(i+1)*k], x[i*ldx:i*ldx+k], qActMax)
		if !ok {
			return fmt.Errorf("ops.QuantizeRows: row %d holds NaN or Inf", i)
		}
		scales[i] = s
	}
	return nil
}

// rowAbsMax returns max |x[i]| and false if x holds NaN or ±Inf (compared
// as bit patterns: for non-negative floats their order is the values').
func rowAbsMax(x []float32) (float32, bool) {
	mb := absMaxBits(x)
	return math.Float32frombits(mb), mb < 0x7f800000
}

// absMaxBitsGeneric returns the largest of the bit patterns of |x[i]|.
func absMaxBitsGeneric(x []float32) uint32 {
	var mb uint32
	for _, v := range x {
		mb = max(mb, math.Float32bits(v)&0x7fffffff)
	}
	return mb
}

// quantCode returns clamp(round(v*inv), -qmax, qmax), round being half away
// from zero, for |v*inv| < 2^31. The product is rounded to float32 first
// (the conversion forbids fusing it into the subtraction); y - trunc(y) is
// exact in float32.
func quantCode(v, inv float32, qmax int32) int32 {
	y := float32(v * inv)
	t := int32(y)
	switch d := y - float32(t); {
	case d >= 0.5:
		t++
	case d <= -0.5:
		t--
	}
	return min(max(t, -qmax), qmax)
}

// quantizeRowInt8 writes the codes of x, scaled to [-qmax, qmax], to dst and
// returns the scale.
func quantizeRowInt8(dst []int8, x []float32, qmax int32) (float32, bool) {
	amax, ok := rowAbsMax(x)
	if !ok {
		return 0, false
	}
	dst = dst[:len(x)]
	if amax < qMinAmax {
		clear(dst)
		return 0, true
	}
	inv := float32(qmax) / amax
	for i, v := range x {
		dst[i] = int8(quantCode(v, inv, qmax))
	}
	return amax / float32(qmax), true
}

// quantizeRowU8 is quantizeRowInt8 with qmax 127 writing u = q + 128, and
// 128 (q = 0) in dst[len(x):].
func quantizeRowU8(dst []uint8, x []float32) (float32, bool) {
	amax, ok := rowAbsMax(x)
	if !ok {
		return 0, false
	}
	if amax < qMinAmax {
		for i := range dst {
			dst[i] = 128
		}
		return 0, true
	}
	inv := float32(qActMax) / amax
	quantizeU8(dst[:len(x)], x, inv)
	for i := len(x); i < len(dst); i++ {
		dst[i] = 128
	}
	return amax / float32(qActMax), true
}

// qDequant is the epilogue's arithmetic, the same on every path.
func qDequant(s int32, sx, sw, bias float32) float32 {
	return float32(float32(float32(s)*sw)*sx) + bias
}

// Int8Workspace holds GemmInt8's buffers (the quantized activations, their
// scales, a padded bias and the ragged tiles), so that calls allocate
// nothing once it has grown to the largest layer. A workspace serves one
// call at a time.
type Int8Workspace struct {
	a     []uint8   // quantized rows, padded to whole row panels, k16 apart
	sx    []float32 // row scales, padded
	bias  []float32 // the bias (or zeros), padded to whole column panels
	tiles []float32 // one mr x nr tile per worker
	errs  []int     // first row with NaN/Inf per worker, -1 if none
	job   qjob
	run   func(t int) // bound to job once
}

// qjob is one GemmInt8 call's operands, read by the workers.
type qjob struct {
	m, w     int
	mp, np   int
	rowSplit bool
	x, c     Mat
	qb       *QuantizedB
	act      Act
	ws       *Int8Workspace
}

// int8Spaces caches workspaces for calls that pass none (memory only: no
// result depends on it).
var int8Spaces struct {
	mu   sync.Mutex
	free []*Int8Workspace
}

func getInt8Workspace() *Int8Workspace {
	c := &int8Spaces
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.free); n > 0 {
		ws := c.free[n-1]
		c.free = c.free[:n-1]
		return ws
	}
	return new(Int8Workspace)
}

func putInt8Workspace(ws *Int8Workspace) {
	c := &int8Spaces
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.free) < maxCachedScratch {
		c.free = append(c.free, ws)
	}
}

func growU8(s []uint8, n int) []uint8 {
	if cap(s) < n {
		return make([]uint8, n)
	}
	return s[:n]
}

func growF32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// GemmInt8 computes a quantized Linear layer, C = act(X * W^T + bias), for the
// m x K float32 input x (rows are tokens; unit column stride) and weights
// quantized by QuantizeWeights (N x K): it quantizes x per row, multiplies in
// int8 with int32 sums, and writes the m x N float32 result to c (unit
// column stride) through the epilogue described in the package's int8
// scheme. ep.Bias, if non-nil, holds N values (BiasPerRow is not supported).
// ws may be nil (a cached workspace is used). It runs on Workers()
// goroutines with a fixed split by whole tiles, so the result is
// bit-identical for any number of workers and on every kernel path. A row
// of x holding NaN or Inf is an error (c is then unspecified).
func GemmInt8(m int, x Mat, qb *QuantizedB, c Mat, ep Epilogue, ws *Int8Workspace) error {
	return gemmInt8(0, m, x, qb, c, ep, ws)
}

// gemmInt8 is GemmInt8 on at most maxWorkers goroutines (0: Workers()).
func gemmInt8(maxWorkers, m int, x Mat, qb *QuantizedB, c Mat, ep Epilogue, ws *Int8Workspace) error {
	if qb == nil {
		return errors.New("ops.GemmInt8: nil weights")
	}
	n, k := qb.n, qb.k
	if m < 0 {
		return fmt.Errorf("ops.GemmInt8: negative row count %d", m)
	}
	if m == 0 {
		return nil
	}
	if x.CS != 1 || c.CS != 1 {
		return fmt.Errorf("ops.GemmInt8: X and C need unit column strides (have %d, %d)", x.CS, c.CS)
	}
	if x.RS < k || len(x.Data) < (m-1)*x.RS+k {
		return fmt.Errorf("ops.GemmInt8: X (%d x %d, row stride %d) does not fit its %d values", m, k, x.RS, len(x.Data))
	}
	if c.RS < n || len(c.Data) < (m-1)*c.RS+n {
		return fmt.Errorf("ops.GemmInt8: C (%d x %d, row stride %d) does not fit its %d values", m, n, c.RS, len(c.Data))
	}
	if ep.BiasPerRow {
		return errors.New("ops.GemmInt8: per-row bias is not supported")
	}
	if ep.Bias != nil && len(ep.Bias) < n {
		return fmt.Errorf("ops.GemmInt8: bias has %d values, need %d", len(ep.Bias), n)
	}
	if ws == nil {
		ws = getInt8Workspace()
		defer putInt8Workspace(ws)
	}
	kn := qb.kern
	mr, nr := kn.mr, kn.nr
	mp := (m + mr - 1) / mr
	np := (n + nr - 1) / nr
	w := Workers()
	if maxWorkers > 0 {
		w = min(w, maxWorkers)
	}
	if m*n*k < 1<<21 {
		w = 1
	}
	w = max(1, min(w, max(mp, np)))
	ws.a = growU8(ws.a, mp*mr*qb.k16)
	ws.sx = growF32(ws.sx, mp*mr)
	ws.bias = growF32(ws.bias, np*nr)
	ws.tiles = growF32(ws.tiles, w*mr*nr)
	if cap(ws.errs) < w {
		ws.errs = make([]int, w)
	}
	ws.errs = ws.errs[:w]
	clear(ws.bias)
	if ep.Bias != nil {
		copy(ws.bias, ep.Bias[:n])
	}
	if ws.run == nil {
		ws.run = func(t int) { ws.job.task(t) }
	}
	j := &ws.job
	*j = qjob{m: m, w: w, mp: mp, np: np, x: x, c: c, qb: qb, act: ep.Act, ws: ws}
	// Split the rows when there are enough row panels for every worker
	// (each worker then quantizes its own rows), else the columns (the
	// rows are quantized first, here).
	j.rowSplit = w == 1 || mp >= 2*w || mp >= np
	if !j.rowSplit {
		if bad := j.quantize(0, mp); bad >= 0 {
			return fmt.Errorf("ops.GemmInt8: row %d of X holds NaN or Inf", bad)
		}
	}
	if w == 1 {
		j.task(0)
	} else {
		fork(w, ws.run)
	}
	j.x, j.c, j.qb = Mat{}, Mat{}, nil
	for _, bad := range ws.errs {
		if bad >= 0 {
			return fmt.Errorf("ops.GemmInt8: row %d of X holds NaN or Inf", bad)
		}
	}
	return nil
}

// quantize quantizes row panels ip0..ip1-1 into the workspace; it returns
// the first row holding NaN or Inf, or -1.
func (j *qjob) quantize(ip0, ip1 int) int {
	mr, k16, k := j.qb.kern.mr, j.qb.k16, j.qb.k
	ws := j.ws
	for i := ip0 * mr; i < ip1*mr; i++ {
		dst := ws.a[i*k16 : (i+1)*k16]
		if i >= j.m {
			for p := range dst {
				dst[p] = 128
			}
			ws.sx[i] = 0
			continue
		}
		s, ok := quantizeRowU8(dst, j.x.Data[i*j.x.RS:i*j.x.RS+k])
		if !ok {
			return i
		}
		ws.sx[i] = s
	}
	return -1
}

// task computes worker t's share of C.
func (j *qjob) task(t int) {
	ws := j.ws
	ws.errs[t] = -1
	ip0, ip1, jp0, jp1 := 0, j.mp, 0, j.np
	if j.rowSplit {
		ip0, ip1 = t*j.mp/j.w, (t+1)*j.mp/j.w
		if ip0 >= ip1 {
			return
		}
		if bad := j.quantize(ip0, ip1); bad >= 0 {
			ws.errs[t] = bad
			return
		}
	} else {
		jp0, jp1 = t*j.np/j.w, (t+1)*j.np/j.w
		if jp0 >= jp1 {
			return
		}
	}
	qb := j.qb
	kn := qb.kern
	mr, nr, k16 := kn.mr, kn.nr, qb.k16
	n := qb.n
	tile := ws.tiles[t*mr*nr : (t+1)*mr*nr]
	c := j.c
	// Row blocks of A (up to 512 KB) stay in L2 while each B panel (NR x K
	// codes, in L1 for K up to about 768) multiplies all of them; more rows
	// per block amortise reading a panel from L3 (K = 3072: 147 KB).
	mcp := max(1, (512<<10)/(mr*k16))
	for ic := ip0; ic < ip1; ic += mcp {
		icEnd := min(ic+mcp, ip1)
		for jc := jp0; jc < jp1; jc += epiloguePanels {
			jcEnd := min(jc+epiloguePanels, jp1)
			for jp := jc; jp < jcEnd; jp++ {
				bp := qb.data[jp*nr*k16 : (jp+1)*nr*k16]
				j0 := jp * nr
				nn := min(nr, n-j0)
				sw, corr, bias := qb.sw[j0:j0+nr], qb.corr[j0:j0+nr], ws.bias[j0:j0+nr]
				for ip := ic; ip < icEnd; ip++ {
					i0 := ip * mr
					mm := min(mr, j.m-i0)
					ap := ws.a[i0*k16 : (i0+mr)*k16]
					sx := ws.sx[i0 : i0+mr]
					if mm == mr && nn == nr {
						off := i0*c.RS + j0
						kn.micro(k16/16, ap, k16, bp, c.Data[off:off+(mr-1)*c.RS+nr], c.RS, sx, sw, corr, bias)
						continue
					}
					kn.micro(k16/16, ap, k16, bp, tile, nr, sx, sw, corr, bias)
					for i := 0; i < mm; i++ {
						copy(c.Data[(i0+i)*c.RS+j0:(i0+i)*c.RS+j0+nn], tile[i*nr:i*nr+nn])
					}
				}
			}
			if j.act != ActNone {
				j0, j1 := jc*nr, min(jcEnd*nr, n)
				for i := ic * mr; i < min(icEnd*mr, j.m); i++ {
					applyAct(c.Data[i*c.RS+j0:i*c.RS+j1], j.act)
				}
			}
		}
	}
}
