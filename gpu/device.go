package gpu

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"unsafe"
)

// Ptr is an address in device memory (a CUdeviceptr); 0 is the null
// pointer.
type Ptr uint64

// Buf is a float32 array in device memory: its address and its length in
// elements. The zero Buf is the null pointer (a kernel's optional input
// left out).
type Buf struct {
	Ptr Ptr
	N   int
}

// Slice returns elements [off, off+n) of b. Like a Go slice expression it
// panics when they are not inside b: buffer arithmetic is the caller's
// invariant, not input to validate.
func (b Buf) Slice(off, n int) Buf {
	if off < 0 || n < 0 || off+n > b.N {
		panic(fmt.Sprintf("gpu: slice [%d:%d] of a buffer of %d values", off, off+n, b.N))
	}
	return Buf{Ptr: b.Ptr + Ptr(4*off), N: n}
}

// From returns b without its first off elements.
func (b Buf) From(off int) Buf { return b.Slice(off, b.N-off) }

// IsNull reports whether b is the null pointer.
func (b Buf) IsNull() bool { return b.Ptr == 0 }

// Dim3 is the shape of a launch grid or block.
type Dim3 struct{ X, Y, Z uint32 }

// GemmArgs is a single-precision matrix product in cuBLAS's column-major
// convention, batched with strides (cublasSgemmStridedBatched; Batch 1 is a
// plain cublasSgemm_v2): for i < Batch,
//
//	C_i = Alpha * op(A_i) * op(B_i) + Beta * C_i
//
// with op(A_i) M x K, op(B_i) K x N and C_i M x N, column-major with leading
// dimensions LDA, LDB, LDC, and X_i at X + i*StrideX elements (a stride may
// be 0 to reuse one matrix). When Beta is 0, C is not read.
type GemmArgs struct {
	TransA, TransB   bool
	M, N, K          int
	Alpha, Beta      float32
	A, B, C          Ptr
	LDA, LDB, LDC    int
	StrideA, StrideB int64
	StrideC          int64
	Batch            int
}

// Info describes a device.
type Info struct {
	Backend      string // "cuda", "emulator" or "dry run"
	Name         string // e.g. "NVIDIA H100 80GB HBM3"
	Ordinal      int    // CUDA device number
	ComputeMajor int    // compute capability
	ComputeMinor int
	MemoryBytes  int64  // total device memory
	Versions     string // driver and library versions in words
}

// String describes the device in one line.
func (i Info) String() string {
	s := fmt.Sprintf("%s %d: %s", i.Backend, i.Ordinal, i.Name)
	if i.ComputeMajor > 0 {
		s += fmt.Sprintf(" (compute %d.%d", i.ComputeMajor, i.ComputeMinor)
		if i.MemoryBytes > 0 {
			s += fmt.Sprintf(", %.1f GiB", float64(i.MemoryBytes)/(1<<30))
		}
		s += ")"
	}
	if i.Versions != "" {
		s += ", " + i.Versions
	}
	return s
}

// Backend executes the device operations behind a Device: the CUDA driver
// and cuBLAS (Open), the CPU emulator of package gpu/emu, or a dry run that
// only checks arguments. Addresses and sizes are in bytes. Device serialises
// the calls; a backend need not be safe for concurrent use.
type Backend interface {
	// Info describes the device.
	Info() Info
	// Alloc allocates bytes of device memory.
	Alloc(bytes int64) (Ptr, error)
	// Free releases memory from Alloc.
	Free(p Ptr) error
	// Upload copies host bytes to the device, Download device bytes to the
	// host (after all work queued before it), Copy device to device; all
	// in the order of the queued work.
	Upload(dst Ptr, src []byte) error
	Download(dst []byte, src Ptr) error
	Copy(dst, src Ptr, bytes int64) error
	// LoadKernels prepares the kernels of source (KernelSource), whose
	// signatures are sigs; Launch names a kernel by its index in sigs.
	LoadKernels(source string, sigs []KernelSig) error
	// Launch queues a kernel with one 8-byte slot per parameter holding the
	// value's bits (4-byte types in the low half).
	Launch(kernel int, grid, block Dim3, args []uint64) error
	// Gemm queues a matrix product.
	Gemm(g GemmArgs) error
	// Synchronize waits for the queued work and reports its errors.
	Synchronize() error
	// Close releases the device.
	Close() error
}

// Device is a GPU (or an emulated one) with ladderpose's kernels: memory,
// copies, matrix products and the operations of this package. Its methods
// are safe for concurrent use (they are serialised). Work is queued in
// order on one stream; Download waits for it. After an error in queued
// work the device refuses further work and every call returns that error.
type Device struct {
	mu     sync.Mutex
	be     Backend
	info   Info
	sigs   []KernelSig
	index  map[string]int
	loaded bool
	broken error // sticky: the first failure of queued work
	closed bool
}

// NewDevice wraps a backend. Open calls it for CUDA; package gpu/emu for
// the emulator.
func NewDevice(be Backend) (*Device, error) {
	sigs, err := ParseKernels(KernelSource)
	if err != nil {
		return nil, err
	}
	d := &Device{be: be, info: be.Info(), sigs: sigs, index: make(map[string]int, len(sigs))}
	for i, s := range sigs {
		d.index[s.Name] = i
	}
	return d, nil
}

// Info describes the device.
func (d *Device) Info() Info { return d.info }

// Close releases the device and its memory.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.be.Close()
}

// begin locks the device and returns an error when it cannot take work.
func (d *Device) begin() error {
	d.mu.Lock()
	switch {
	case d.closed:
		d.mu.Unlock()
		return errors.New("gpu: device is closed")
	case d.broken != nil:
		d.mu.Unlock()
		return fmt.Errorf("gpu: device unusable after an earlier failure: %w", d.broken)
	}
	return nil
}

// end records a failure of queued work (sticky), unlocks and returns err.
func (d *Device) end(err error) error {
	if err != nil && d.broken == nil {
		d.broken = err
	}
	d.mu.Unlock()
	return err
}

// Alloc allocates n float32 values of device memory (not cleared).
func (d *Device) Alloc(n int) (Buf, error) {
	if n <= 0 {
		return Buf{}, fmt.Errorf("gpu: alloc of %d values", n)
	}
	if err := d.begin(); err != nil {
		return Buf{}, err
	}
	p, err := d.be.Alloc(4 * int64(n))
	d.mu.Unlock() // out of memory leaves the device usable
	if err != nil {
		return Buf{}, fmt.Errorf("gpu: allocating %d values (%.1f MiB): %w", n, float64(n)*4/(1<<20), err)
	}
	return Buf{Ptr: p, N: n}, nil
}

// Free releases a buffer from Alloc.
func (d *Device) Free(b Buf) error {
	if b.IsNull() {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil // the context and its memory are gone already
	}
	return d.be.Free(b.Ptr)
}

func floatBytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

// Upload copies src into the first len(src) values of dst.
func (d *Device) Upload(dst Buf, src []float32) error {
	if len(src) > dst.N {
		return fmt.Errorf("gpu: upload of %d values into a buffer of %d", len(src), dst.N)
	}
	if len(src) == 0 {
		return nil
	}
	if err := d.begin(); err != nil {
		return err
	}
	return d.end(d.be.Upload(dst.Ptr, floatBytes(src)))
}

// Download waits for the queued work and copies the first len(dst) values
// of src into dst.
func (d *Device) Download(dst []float32, src Buf) error {
	if len(dst) > src.N {
		return fmt.Errorf("gpu: download of %d values from a buffer of %d", len(dst), src.N)
	}
	if len(dst) == 0 {
		return nil
	}
	if err := d.begin(); err != nil {
		return err
	}
	return d.end(d.be.Download(floatBytes(dst), src.Ptr))
}

// Copy copies all of src into the start of dst, on the device.
func (d *Device) Copy(dst, src Buf) error {
	if src.N > dst.N {
		return fmt.Errorf("gpu: copy of %d values into a buffer of %d", src.N, dst.N)
	}
	if src.N == 0 {
		return nil
	}
	if err := d.begin(); err != nil {
		return err
	}
	return d.end(d.be.Copy(dst.Ptr, src.Ptr, 4*int64(src.N)))
}

// Synchronize waits for the queued work and returns its first error.
func (d *Device) Synchronize() error {
	if err := d.begin(); err != nil {
		return err
	}
	return d.end(d.be.Synchronize())
}

// blockSize is the threads per block of every launch.
const blockSize = 256

// launch queues kernel name over n threads (one-dimensional, blockSize
// threads a block) with the given arguments: Buf (a pointer), int,
// float32 or float64, checked against the kernel's signature.
func (d *Device) launch(name string, n int, args ...any) error {
	if n <= 0 {
		return nil
	}
	if n > math.MaxInt32 {
		return fmt.Errorf("gpu: %s over %d threads exceeds the 32-bit index range", name, n)
	}
	k, ok := d.index[name]
	if !ok {
		return fmt.Errorf("gpu: no kernel %q", name)
	}
	sig := d.sigs[k]
	if len(args) != len(sig.Params) {
		return fmt.Errorf("gpu: kernel %s takes %d arguments, got %d", name, len(sig.Params), len(args))
	}
	slots := make([]uint64, len(args))
	for i, a := range args {
		p := sig.Params[i]
		var kind ArgKind
		switch v := a.(type) {
		case Buf:
			kind, slots[i] = ArgPtr, uint64(v.Ptr)
		case int:
			if v < math.MinInt32 || v > math.MaxInt32 {
				return fmt.Errorf("gpu: kernel %s: argument %s = %d exceeds 32 bits", name, p.Name, v)
			}
			kind, slots[i] = ArgInt, uint64(uint32(int32(v)))
		case float32:
			kind, slots[i] = ArgFloat, uint64(math.Float32bits(v))
		case float64:
			kind, slots[i] = ArgDouble, math.Float64bits(v)
		default:
			return fmt.Errorf("gpu: kernel %s: argument %s has Go type %T", name, p.Name, a)
		}
		if kind != p.Kind {
			return fmt.Errorf("gpu: kernel %s: argument %s is %s, got a %c value", name, p.Name, p.Type, kind)
		}
	}
	if err := d.begin(); err != nil {
		return err
	}
	if !d.loaded {
		if err := d.be.LoadKernels(KernelSource, d.sigs); err != nil {
			d.mu.Unlock() // a compile failure is reported, not sticky
			return fmt.Errorf("gpu: loading kernels: %w", err)
		}
		d.loaded = true
	}
	grid := Dim3{uint32((n + blockSize - 1) / blockSize), 1, 1}
	if err := d.be.Launch(k, grid, Dim3{blockSize, 1, 1}, slots); err != nil {
		return d.end(fmt.Errorf("gpu: launching %s: %w", name, err))
	}
	d.mu.Unlock()
	return nil
}

// gemm queues a column-major product after checking that every matrix lies
// inside its buffer.
func (d *Device) gemm(g GemmArgs, a, b, c Buf) error {
	if g.M < 0 || g.N < 0 || g.K < 0 || g.Batch < 1 {
		return fmt.Errorf("gpu: gemm %dx%dx%d batch %d", g.M, g.N, g.K, g.Batch)
	}
	if g.M == 0 || g.N == 0 {
		return nil
	}
	for _, v := range []int{g.M, g.N, g.K, g.LDA, g.LDB, g.LDC, g.Batch} {
		if v > math.MaxInt32 {
			return fmt.Errorf("gpu: gemm size %d exceeds cuBLAS's 32-bit range", v)
		}
	}
	// extent of a column-major r x c matrix with leading dimension ld.
	check := func(name string, buf Buf, r, c, ld int, stride int64) error {
		if r == 0 || c == 0 {
			return nil
		}
		if ld < max(r, 1) {
			return fmt.Errorf("gpu: gemm: %s has leading dimension %d < %d rows", name, ld, r)
		}
		if stride < 0 {
			return fmt.Errorf("gpu: gemm: %s has negative batch stride", name)
		}
		need := int64(g.Batch-1)*stride + int64(c-1)*int64(ld) + int64(r)
		if need > int64(buf.N) {
			return fmt.Errorf("gpu: gemm %dx%dx%d batch %d: %s needs %d values, buffer has %d", g.M, g.N, g.K, g.Batch, name, need, buf.N)
		}
		return nil
	}
	ar, ac := g.M, g.K
	if g.TransA {
		ar, ac = g.K, g.M
	}
	br, bc := g.K, g.N
	if g.TransB {
		br, bc = g.N, g.K
	}
	if g.K > 0 {
		if err := check("A", a, ar, ac, g.LDA, g.StrideA); err != nil {
			return err
		}
		if err := check("B", b, br, bc, g.LDB, g.StrideB); err != nil {
			return err
		}
	}
	if err := check("C", c, g.M, g.N, g.LDC, g.StrideC); err != nil {
		return err
	}
	g.A, g.B, g.C = a.Ptr, b.Ptr, c.Ptr
	if err := d.begin(); err != nil {
		return err
	}
	if err := d.be.Gemm(g); err != nil {
		return d.end(fmt.Errorf("gpu: gemm %dx%dx%d batch %d: %w", g.M, g.N, g.K, g.Batch, err))
	}
	d.mu.Unlock()
	return nil
}

// Gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, as
// ops.Sgemm: op(A) is m x k, op(B) is k x n, C is m x n with leading
// dimensions lda, ldb, ldc. When beta is 0, C is not read.
func (d *Device) Gemm(transA, transB bool, m, n, k int, alpha float32, a Buf, lda int, b Buf, ldb int, beta float32, c Buf, ldc int) error {
	return d.GemmStrided(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1)
}

// GemmStrided is Gemm for batch products, the i-th of which reads A, B and
// C at i*sa, i*sb and i*sc elements into their buffers (0 reuses one
// matrix).
func (d *Device) GemmStrided(transA, transB bool, m, n, k int, alpha float32, a Buf, lda, sa int, b Buf, ldb, sb int,
	beta float32, c Buf, ldc, sc, batch int) error {
	// Row-major C = A B is column-major C^T = B^T A^T: swap the operands.
	return d.gemm(GemmArgs{TransA: transB, TransB: transA, M: n, N: m, K: k, Alpha: alpha, Beta: beta,
		LDA: ldb, LDB: lda, LDC: ldc, StrideA: int64(sb), StrideB: int64(sa), StrideC: int64(sc), Batch: batch}, b, a, c)
}

// Arena hands out device buffers from one allocation by bump allocation,
// all released at once by Reset: a forward pass's activations. A measuring
// arena (NewMeasureArena) allocates nothing and records the size a pass
// needs, for a dry run.
type Arena struct {
	dev     *Device
	base    Buf
	off     int
	peak    int
	measure bool
}

// arenaAlign is the alignment of arena buffers, in float32 values (256
// bytes, cudaMalloc's own).
const arenaAlign = 64

// NewArena allocates an arena of n float32 values on the device.
func (d *Device) NewArena(n int) (*Arena, error) {
	b, err := d.Alloc(max(n, arenaAlign))
	if err != nil {
		return nil, err
	}
	return &Arena{dev: d, base: b}, nil
}

// NewMeasureArena returns an arena that records the space a pass asks for
// without allocating: its buffers have fake addresses (use them only with a
// dry-run device, see Device.DryRun).
func NewMeasureArena() *Arena {
	return &Arena{measure: true, base: Buf{Ptr: dryBase, N: math.MaxInt32}}
}

// Alloc returns the next n values of the arena.
func (a *Arena) Alloc(n int) (Buf, error) {
	if n < 0 {
		return Buf{}, fmt.Errorf("gpu: arena alloc of %d values", n)
	}
	start := (a.off + arenaAlign - 1) / arenaAlign * arenaAlign
	if start+n > a.base.N {
		return Buf{}, fmt.Errorf("gpu: arena of %d values full: %d more needed", a.base.N, start+n-a.base.N)
	}
	a.off = start + n
	a.peak = max(a.peak, a.off)
	return a.base.Slice(start, n), nil
}

// Reset makes the whole arena free again.
func (a *Arena) Reset() { a.off = 0 }

// Mark returns the arena's current position, for Release.
func (a *Arena) Mark() int { return a.off }

// Release frees everything allocated since Mark returned mark (a stack
// discipline: scratch of one step reused by the next).
func (a *Arena) Release(mark int) {
	if mark >= 0 && mark <= a.off {
		a.off = mark
	}
}

// Peak returns the most values the arena held at once since it was made.
func (a *Arena) Peak() int { return a.peak }

// Cap returns the arena's size in values.
func (a *Arena) Cap() int { return a.base.N }

// Free releases the arena's memory.
func (a *Arena) Free() error {
	if a.measure || a.dev == nil {
		return nil
	}
	err := a.dev.Free(a.base)
	a.base, a.off = Buf{}, 0
	return err
}

// dryBase is the fake address of dry-run buffers.
const dryBase Ptr = 1 << 44

// DryRun returns a device that checks every call's arguments exactly as d
// does but runs nothing: allocations get fake addresses, downloads leave
// their destination unchanged. With a measuring arena it finds the memory a
// computation needs before it runs.
func (d *Device) DryRun() *Device {
	return &Device{be: &dryBackend{next: dryBase}, info: Info{Backend: "dry run", Name: d.info.Name},
		sigs: d.sigs, index: d.index, loaded: true}
}

// dryBackend does nothing.
type dryBackend struct{ next Ptr }

func (b *dryBackend) Info() Info { return Info{Backend: "dry run"} }
func (b *dryBackend) Alloc(bytes int64) (Ptr, error) {
	p := b.next
	b.next += Ptr((bytes + 255) &^ 255)
	return p, nil
}
func (b *dryBackend) Free(Ptr) error                         { return nil }
func (b *dryBackend) Upload(Ptr, []byte) error               { return nil }
func (b *dryBackend) Download([]byte, Ptr) error             { return nil }
func (b *dryBackend) Copy(Ptr, Ptr, int64) error             { return nil }
func (b *dryBackend) LoadKernels(string, []KernelSig) error  { return nil }
func (b *dryBackend) Launch(int, Dim3, Dim3, []uint64) error { return nil }
func (b *dryBackend) Gemm(GemmArgs) error                    { return nil }
func (b *dryBackend) Synchronize() error                     { return nil }
func (b *dryBackend) Close() error                           { return nil }
