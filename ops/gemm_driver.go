package ops

import (
	"slices"
	"sync"
)

// The GEMM follows the BLIS structure. For a worker's share of C:
//
//	for jc over N in steps of NC:            B block (KC x NC) lives in L3
//	  for pc over K in steps of KC:          pack B[pc:pc+KC, jc:jc+NC] (unless pre-packed)
//	    for ic over M in steps of MC:        A[ic:ic+MC, pc:pc+KC] lives in L2
//	      for jr over the block's NR panels: B micro-panel (KC x NR) lives in L1
//	        for ir over the block's MR panels:
//	          micro-kernel: C[ir:ir+MR, jr:jr+NR] (+)= alpha * Apanel * Bpanel
//
// The micro-kernels read A through its strides, so A is only packed for a
// ragged last row panel (or once, by PackA, for weights). Work is split
// between workers by whole MR x NR tiles of C (a range of row
// panels or of column panels), and every tile sums its K blocks in the same
// order, so results do not depend on the number of workers.

// kernel describes one micro-kernel and the block sizes tuned for it.
type kernel struct {
	name       string
	mr, nr     int // micro-tile
	kc, mc, nc int // cache blocks; mc is a multiple of mr, nc of nr
	// micro computes the full mr x nr tile
	// acc = sum_p a[i*ars+p*aks] * b[p*nr+j] over p < kc, then
	// c[i*ldc+j] = alpha*acc + beta*c[i*ldc+j]; with beta == 0, c is not
	// read. A packed A panel has ars=1, aks=mr; an unpacked A is read in
	// place through its strides.
	micro func(kc int, a []float32, ars, aks int, b, c []float32, ldc int, alpha, beta float32)
	// aReuse, if set, replaces packAReuse for this kernel.
	aReuse int
	// packedA is set when micro reads A only as packed panels (ars=1,
	// aks=mr); the driver then packs each MC x KC block of A once.
	packedA bool
	// microN, if set, is micro over np full row panels stacked in C (the
	// rows of panel i+1 follow those of panel i), panel i reading A at
	// a[i*apanel:]; the driver uses it for runs of full tiles.
	microN func(np, kc int, a []float32, ars, aks, apanel int, b, c []float32, ldc int, alpha, beta float32)
	// microRows, if set, is micro on the first rows (1 to 8) of the tile
	// only (reading at most 8 rows of A), storing those, bit for bit
	// micro's values; the driver uses it for a ragged last row panel of
	// at most 8 rows (a convolution with 32, 64, 128 or 256 output
	// channels) instead of a full tile and a merge.
	microRows func(kc int, a []float32, ars, aks int, b, c []float32, ldc int, alpha, beta float32, rows int)
	// microInd, if set, is micro with B read in place (row p of the panel
	// is b[boff[p] : boff[p]+nr]) on the first rows (1 to mr) of a tile,
	// storing only those, bit for bit micro's values. The driver uses it
	// for the panels a bFiller leaves in place (see directB); the caller
	// guarantees that the rows lie in b.
	microInd func(kc int, a []float32, ars, aks int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32, rows int)
	// microIndN, if set, is microInd over np full row panels stacked in C
	// (as microN is micro).
	microIndN func(np, kc int, a []float32, ars, aks, apanel int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32)
}

// activeKernel is the micro-kernel of the path chosen at init (part of the
// dispatch table, set by cpu.go's init after the CPU flags).
var activeKernel = genericKernel

// genericKernel is the pure-Go micro-kernel, always available.
var genericKernel = &kernel{name: PathGeneric, mr: 4, nr: 4, kc: 256, mc: 128, nc: 1024, micro: microGeneric, microInd: microIndGeneric}

// scratch holds one worker's packing buffers; cached so that steady-state
// calls allocate nothing. The cache only keeps memory: no result depends on
// it.
type scratch struct {
	a, b []float32
	tile [maxTile]float32
	// The description of a K block's panels read in place (gemmTile).
	dir      directB
	dirSrc   [maxDirectPanels]int
	dirBases [256]int
	// Winograd3x3's transformed input and products for one block.
	wino winoBufs
}

// scratchCache keeps the workers' packing buffers (up to 3 MB each, see
// grow) between calls. Unlike a sync.Pool it is neither emptied by garbage
// collections nor tied to the P a goroutine last ran on (a buffer put back
// on one P was invisible to a Get on another, which then allocated a fresh
// one), so a model's forward pass allocates nothing once as many buffers
// exist as tiles ever ran at once. It keeps at most maxCachedScratch.
var scratchCache struct {
	mu   sync.Mutex
	free []*scratch
}

// maxCachedScratch bounds the cache (a few buffers per core on any machine
// this runs on; more concurrent GEMMs than that allocate and drop theirs).
const maxCachedScratch = 64

func getScratch() *scratch {
	c := &scratchCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.free); n > 0 {
		s := c.free[n-1]
		c.free = c.free[:n-1]
		return s
	}
	return new(scratch)
}

func putScratch(s *scratch) {
	c := &scratchCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.free) < maxCachedScratch {
		c.free = append(c.free, s)
	}
}

// grow returns s resized to n values; when it must allocate, it makes room
// for full values (the largest block of its kind), so that a pooled buffer
// grows once and later calls of any size allocate nothing.
func grow(s []float32, n, full int) []float32 {
	if cap(s) < n {
		return make([]float32, n, max(n, full))
	}
	return s[:n]
}

// gemmTask is one worker's rectangle of C, in micro-panels.
type gemmTask struct{ ip0, ip1, jp0, jp1 int }

func gemm(m, n, k int, alpha float32, a Mat, pa *PackedA, b Mat, pb *PackedB, beta float32, c Mat, ep Epilogue) {
	kn := activeKernel
	if pa != nil {
		kn = pa.kern
	}
	if pb != nil {
		kn = pb.kern
	}
	gemmK(kn, 0, m, n, k, alpha, a, pa, b, pb, beta, c, ep)
}

// gemmK runs the GEMM with kernel kn on at most maxWorkers goroutines
// (0: Workers()).
func gemmK(kn *kernel, maxWorkers, m, n, k int, alpha float32, a Mat, pa *PackedA, b Mat, pb *PackedB, beta float32, c Mat, ep Epilogue) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c)
		applyEpilogue(c, ep, 0, m, 0, n)
		return
	}
	mp := (m + kn.mr - 1) / kn.mr
	np := (n + kn.nr - 1) / kn.nr
	w := Workers()
	if maxWorkers > 0 {
		w = min(w, maxWorkers)
	}
	// Below about a million multiply-adds a second goroutine costs more than
	// it saves.
	if flops := m * n * k; flops < 1<<20 {
		w = 1
	}
	if w <= 1 {
		gemmTile(kn, gemmTask{0, mp, 0, np}, m, n, k, alpha, a, pa, b, pb, beta, c, ep, nil, nil)
		return
	}
	// Split the dimension with more panels, so each worker gets a balanced,
	// contiguous range of tiles.
	split := func(t int) gemmTask {
		if np >= mp || np >= 2*w {
			return gemmTask{0, mp, t * np / w, (t + 1) * np / w}
		}
		return gemmTask{t * mp / w, (t + 1) * mp / w, 0, np}
	}
	fork(w, func(t int) {
		if tk := split(t); tk.ip0 < tk.ip1 && tk.jp0 < tk.jp1 {
			gemmTile(kn, tk, m, n, k, alpha, a, pa, b, pb, beta, c, ep, nil, nil)
		}
	})
}

// bFiller writes rows pc..pc+kcb-1 of column panels jp0..jp1-1 of an
// implicit B (one that exists only as a rule, as a convolution's patch
// matrix) into dst as consecutive kcb x NR panels, the layout packBBlock
// writes, zero-padding the columns of the last panel past n. With dir
// non-nil (the kernel reads B in place), it may instead leave a panel
// unwritten and say where its rows are (see directB).
type bFiller func(dst []float32, pc, kcb, jp0, jp1 int, dir *directB)

// directB describes the panels of one K block that a bFiller leaves in
// place: panel jp (of jp0..jp1-1) with src[jp-jp0] >= 0 has its row p (of
// the kcb rows) at x[src[jp-jp0]+bases[p] :][:NR], the others (src -1)
// are packed in dst. A convolution on a zero-padded input reads a panel of
// output positions within one output row this way (the patch row of one
// channel and tap is a contiguous run of the input), so no patch panel is
// written for it. gemmTile sets src to -1 and bases to kcb entries before
// each fill; the filler sets x, bases (when it leaves a panel in place) and
// src.
type directB struct {
	x     []float32
	bases []int
	src   []int
}

// maxDirectPanels bounds the column panels of one block read in place
// (blocks with more panels are packed).
const maxDirectPanels = 128

// kRange is the range [lo, hi) of rows of B that may be non-zero in one
// column panel; the rows outside it are zero in the whole panel.
type kRange struct{ lo, hi int }

// gemmTile runs the blocked loops over one worker's rectangle of C. With
// fill non-nil, B is not read: each K block of B panels is written by fill
// just before it is used (while it is in this core's L2). With kr non-nil,
// kr[jp] bounds the rows of B that may be non-zero in column panel jp (a
// convolution's taps that fall in the padding for every position of the
// panel), and the micro-kernels skip the zero rows at the start and the end
// of each K block. That leaves every sum unchanged: the kernels accumulate
// one product after the other, and adding the skipped products (exact
// zeros, for finite A) does not change a non-zero sum.
func gemmTile(kn *kernel, tk gemmTask, m, n, k int, alpha float32, a Mat, pa *PackedA, b Mat, pb *PackedB, beta float32, c Mat, ep Epilogue, fill bFiller, kr []kRange) {
	mr, nr := kn.mr, kn.nr
	mp := (m + mr - 1) / mr
	np := (n + nr - 1) / nr
	sc := getScratch()
	defer putScratch(sc)
	tile := &sc.tile
	ncp, mcp := kn.nc/nr, kn.mc/mr // block sizes in panels
	// Panels read in place (see directB): with a filler and a kernel that
	// can, pre-packed A (full row panels padded with zeros) and beta 0 or 1
	// (the kernels store the first rows of a tile directly).
	var dir *directB
	srcBuf, baseBuf := sc.dirSrc[:], sc.dirBases[:]
	if kn.microInd != nil && pa != nil && pb == nil && c.CS == 1 && (beta == 0 || beta == 1) && kn.kc <= len(baseBuf) &&
		(fill != nil || b.CS == 1) {
		dir = &sc.dir
	}

	for jc := tk.jp0; jc < tk.jp1; jc += ncp {
		jcEnd := min(jc+ncp, tk.jp1)
		for pc := 0; pc < k; pc += kn.kc {
			kcb := min(kn.kc, k-pc)
			var bblk []float32 // panels jc..jcEnd, each kcb x nr
			if pb != nil {
				bblk = pb.data[pc*np*nr+jc*kcb*nr : pc*np*nr+jcEnd*kcb*nr]
			} else {
				sc.b = grow(sc.b, (jcEnd-jc)*kcb*nr, kn.kc*kn.nc)
				bblk = sc.b
				// This K block's panels read in place, if any (d).
				var d *directB
				if dir != nil {
					*dir = directB{}
					if jcEnd-jc <= len(srcBuf) {
						d = dir
						*d = directB{bases: baseBuf[:kcb], src: srcBuf[:jcEnd-jc]}
						for i := range d.src {
							d.src[i] = -1
						}
					}
				}
				switch {
				case fill != nil:
					fill(bblk, pc, kcb, jc, jcEnd, d)
				case d != nil:
					// Row-major B (a 1x1 convolution's input): every full
					// panel's row p is b's row pc+p at the panel's column;
					// the ragged last panel is packed.
					d.x = b.Data
					for p := range d.bases {
						d.bases[p] = (pc + p) * b.RS
					}
					for jp := jc; jp < jcEnd; jp++ {
						if (jp+1)*nr <= n {
							d.src[jp-jc] = jp * nr
						} else {
							packBBlock(bblk[(jp-jc)*kcb*nr:], b, pc, kcb, jp, jp+1, n, nr)
						}
					}
				default:
					packBBlock(bblk, b, pc, kcb, jc, jcEnd, n, nr)
				}
			}
			cbeta := beta
			if pc > 0 {
				cbeta = 1
			}
			// The extent of the rows of in-place panels, for their bounds
			// check.
			var dirLo, dirHi int
			inPlace := dir != nil && dir.x != nil
			if inPlace {
				dirLo, dirHi = slices.Min(dir.bases), slices.Max(dir.bases)
			}
			last := pc+kn.kc >= k
			for ic := tk.ip0; ic < tk.ip1; ic += mcp {
				icEnd := min(ic+mcp, tk.ip1)
				// A block: pre-packed, packed now (kernels that need it),
				// or read in place panel by panel.
				var ablk []float32
				switch {
				case pa != nil:
					ablk = pa.data[pc*mp*mr+ic*kcb*mr : pc*mp*mr+icEnd*kcb*mr]
				case kn.packedA || jcEnd-jc >= kn.packAReuse():
					sc.a = grow(sc.a, (icEnd-ic)*kcb*mr, kn.kc*kn.mc)
					ablk = sc.a
					for ip := ic; ip < icEnd; ip++ {
						o := (ip - ic) * kcb * mr
						packA(ablk[o:o+kcb*mr], a, ip*mr, min(mr, m-ip*mr), pc, kcb, mr)
					}
				}
				epFrom := jc // first panel not yet through the epilogue
				for jp := jc; jp < jcEnd; jp++ {
					bp := bblk[(jp-jc)*kcb*nr : (jp-jc+1)*kcb*nr]
					j0 := jp * nr
					nn := min(nr, n-j0)
					p0, p1 := 0, kcb // rows of this K block to multiply
					if kr != nil {
						p0, p1 = min(max(kr[jp].lo-pc, 0), kcb), min(max(kr[jp].hi-pc, 0), kcb)
					}
					ip := ic
					if inPlace && dir.src[jp-jc] >= 0 {
						// Read in place: every row panel of A against the
						// input's rows (full column panel, pre-packed A).
						s := dir.src[jp-jc]
						if nn != nr || s+dirLo < 0 || s+dirHi+nr > len(dir.x) {
							panic("ops: gemmTile: panel read in place out of bounds")
						}
						if full := min(icEnd, m/mr); kn.microIndN != nil && p0 < p1 && full > ip {
							// The full row panels in one call.
							off := ip*mr*c.RS + j0
							rows := (full-ip)*mr - 1
							kn.microIndN(full-ip, p1-p0, ablk[(ip-ic)*kcb*mr+p0*mr:], 1, mr, kcb*mr, dir.x[s:], dir.bases[p0:p1], c.Data[off:off+rows*c.RS+nr], c.RS, alpha, cbeta)
							ip = full
						}
						for ; ip < icEnd; ip++ {
							i0 := ip * mr
							mm := min(mr, m-i0)
							off := i0*c.RS + j0
							if p0 >= p1 {
								if cbeta == 0 {
									zeroTile(c, off, mm, nn)
								}
								continue
							}
							ap := ablk[(ip-ic)*kcb*mr : (ip-ic+1)*kcb*mr]
							kn.microInd(p1-p0, ap[p0*mr:], 1, mr, dir.x[s:], dir.bases[p0:p1], c.Data[off:off+(mm-1)*c.RS+nr], c.RS, alpha, cbeta, mm)
						}
					}
					// Full tiles of a stored C: one call for the run.
					if full := min(icEnd, m/mr); kn.microN != nil && nn == nr && c.CS == 1 && p0 < p1 && full > ip && (ablk != nil || !kn.packedA) {
						off := ip*mr*c.RS + j0
						rows := (full-ip)*mr - 1
						cs := c.Data[off : off+rows*c.RS+nr]
						if ablk != nil {
							kn.microN(full-ip, p1-p0, ablk[p0*mr:], 1, mr, kcb*mr, bp[p0*nr:], cs, c.RS, alpha, cbeta)
						} else {
							kn.microN(full-ip, p1-p0, a.Data[ip*mr*a.RS+(pc+p0)*a.CS:], a.RS, a.CS, mr*a.RS, bp[p0*nr:], cs, c.RS, alpha, cbeta)
						}
						ip = full
					}
					for ; ip < icEnd; ip++ {
						i0 := ip * mr
						mm := min(mr, m-i0)
						var ap []float32
						ars, aks := 1, mr
						switch {
						case ablk != nil:
							ap = ablk[(ip-ic)*kcb*mr : (ip-ic+1)*kcb*mr]
						case mm == mr:
							o := i0*a.RS + pc*a.CS
							ap = a.Data[o : o+(mr-1)*a.RS+(kcb-1)*a.CS+1]
							ars, aks = a.RS, a.CS
						default: // ragged last panel: pack it with zero rows
							sc.a = grow(sc.a, kcb*mr, kn.kc*kn.mc)
							ap = sc.a
							packA(ap, a, i0, mm, pc, kcb, mr)
						}
						off := i0*c.RS + j0*c.CS
						switch {
						case p0 >= p1: // all of B's rows are zero here
							if cbeta == 0 {
								zeroTile(c, off, mm, nn)
							}
						case mm == mr && nn == nr && c.CS == 1:
							kn.micro(p1-p0, ap[p0*aks:], ars, aks, bp[p0*nr:], c.Data[off:off+(mr-1)*c.RS+nr], c.RS, alpha, cbeta)
						case kn.microRows != nil && mm <= 8 && nn == nr && c.CS == 1 && (cbeta == 0 || cbeta == 1):
							// A ragged row panel of 8 rows at most, straight
							// into C (the same values as the full tile merged
							// below, for beta 0 or 1).
							kn.microRows(p1-p0, ap[p0*aks:], ars, aks, bp[p0*nr:], c.Data[off:off+(mm-1)*c.RS+nr], c.RS, alpha, cbeta, mm)
						default:
							kn.micro(p1-p0, ap[p0*aks:], ars, aks, bp[p0*nr:], tile[:mr*nr], nr, alpha, 0)
							mergeTile(tile[:], nr, c, off, mm, nn, cbeta)
						}
					}
					// In the last K block, the epilogue runs on every
					// epiloguePanels finished column panels of the block:
					// rows long enough to amortise a call per row (a
					// 16-wide tile row does not), while the strip
					// (mc x 128 values for AVX2) is still in L2; after the
					// whole mc x nc block it came back from L3.
					if last && (jp+1-epFrom == epiloguePanels || jp == jcEnd-1) {
						i0, j0 := ic*mr, epFrom*nr
						applyEpilogue(c, ep, i0, min(icEnd*mr, m)-i0, j0, min((jp+1)*nr, n)-j0)
						epFrom = jp + 1
					}
				}
			}
		}
	}
}

// epiloguePanels is the number of finished column panels the epilogue
// (bias, activation) runs on at a time.
const epiloguePanels = 8

// packAReuse is the number of column panels from which packing an A block
// (once per K block) pays: below it the micro-kernel reads A in place.
const packAReuse = 8

// packAReuse returns the kernel's packing threshold: packAReuse, or its
// own (aReuse) where it was measured to differ.
func (kn *kernel) packAReuse() int {
	if kn.aReuse > 0 {
		return kn.aReuse
	}
	return packAReuse
}

// maxTile bounds mr*nr over all kernels.
const maxTile = 16 * 32

// zeroTile sets the mm x nn block of C at off to zero.
func zeroTile(c Mat, off, mm, nn int) {
	for i := 0; i < mm; i++ {
		for j := 0; j < nn; j++ {
			c.Data[off+i*c.RS+j*c.CS] = 0
		}
	}
}

// mergeTile writes c = t + beta*c for the valid mm x nn corner of a tile.
func mergeTile(t []float32, ldt int, c Mat, off, mm, nn int, beta float32) {
	for i := 0; i < mm; i++ {
		row := t[i*ldt : i*ldt+nn]
		p := off + i*c.RS
		switch beta {
		case 0:
			for j, v := range row {
				c.Data[p+j*c.CS] = v
			}
		case 1:
			for j, v := range row {
				c.Data[p+j*c.CS] += v
			}
		default:
			for j, v := range row {
				q := p + j*c.CS
				c.Data[q] = v + beta*c.Data[q]
			}
		}
	}
}

// scaleC computes C = beta*C (C not read when beta is 0).
func scaleC(m, n int, beta float32, c Mat) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			q := i*c.RS + j*c.CS
			if beta == 0 {
				c.Data[q] = 0
			} else {
				c.Data[q] *= beta
			}
		}
	}
}

// applyEpilogue adds the bias and applies the activation to an mm x nn block
// of C at (i0, j0).
func applyEpilogue(c Mat, ep Epilogue, i0, mm, j0, nn int) {
	if ep.Bias == nil && ep.Act == ActNone {
		return
	}
	for i := i0; i < i0+mm; i++ {
		p := i*c.RS + j0*c.CS
		if c.CS == 1 {
			row := c.Data[p : p+nn]
			if ep.Bias != nil {
				if ep.BiasPerRow {
					addScalar(row, ep.Bias[i])
				} else {
					addVec(row, ep.Bias[j0:j0+nn])
				}
			}
			switch ep.Act {
			case ActReLU:
				ReLU(row, row)
			case ActGELU:
				GELU(row, row)
			case ActSiLU:
				SiLU(row, row)
			}
			continue
		}
		for j := 0; j < nn; j++ {
			q := p + j*c.CS
			v := c.Data[q]
			if ep.Bias != nil {
				if ep.BiasPerRow {
					v += ep.Bias[i]
				} else {
					v += ep.Bias[j0+j]
				}
			}
			switch ep.Act {
			case ActReLU:
				v = max(v, 0)
			case ActGELU:
				var t [1]float32
				t[0] = v
				GELU(t[:], t[:])
				v = t[0]
			case ActSiLU:
				var t [1]float32
				t[0] = v
				SiLU(t[:], t[:])
				v = t[0]
			}
			c.Data[q] = v
		}
	}
}

// packA copies rows i0..i0+mm-1, columns p0..p0+kcb-1 of a into dst as kcb
// groups of mr values (column p of the panel), zero-padding rows mm..mr-1.
func packA(dst []float32, a Mat, i0, mm, p0, kcb, mr int) {
	dst = dst[:kcb*mr]
	if mm < mr {
		clear(dst)
	}
	if a.CS == 1 && mm == mr && (mr == 6 || mr == 12) {
		// Full panels of the amd64 kernels: read the rows side by side
		// so that each destination group is written once, contiguously.
		packARows(dst, a, i0, p0, kcb, mr)
		return
	}
	if a.CS == 1 {
		for i := 0; i < mm; i++ {
			src := a.Data[(i0+i)*a.RS+p0 : (i0+i)*a.RS+p0+kcb]
			for p, v := range src {
				dst[p*mr+i] = v
			}
		}
		return
	}
	for p := 0; p < kcb; p++ {
		base := i0*a.RS + (p0+p)*a.CS
		d := dst[p*mr : p*mr+mm]
		for i := range d {
			d[i] = a.Data[base+i*a.RS]
		}
	}
}

// packARows is packA for a full panel of 6 or 12 rows with unit column
// stride: p outer, so the destination streams and the mr source rows are
// read in step.
func packARows(dst []float32, a Mat, i0, p0, kcb, mr int) {
	row := func(i int) []float32 {
		o := (i0+i)*a.RS + p0
		return a.Data[o : o+kcb : o+kcb]
	}
	r0, r1, r2, r3, r4, r5 := row(0), row(1), row(2), row(3), row(4), row(5)
	if mr == 6 {
		dst = dst[:kcb*6]
		for p := range r0 {
			d := (*[6]float32)(dst[p*6:])
			d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
		}
		return
	}
	r6, r7, r8, r9, r10, r11 := row(6), row(7), row(8), row(9), row(10), row(11)
	dst = dst[:kcb*12]
	for p := range r0 {
		d := (*[12]float32)(dst[p*12:])
		d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
		d[6], d[7], d[8], d[9], d[10], d[11] = r6[p], r7[p], r8[p], r9[p], r10[p], r11[p]
	}
}

// packBBlock packs rows pc..pc+kcb-1 of b, column panels jp0..jp1-1, into
// consecutive kcb x nr panels. For a row-major B it walks groups of rows
// across all panels, so that reads stream along B's rows (8 streams) and
// each panel receives a contiguous run of 8 rows, instead of walking one
// 64-byte piece per row down a column (one cache line and often one TLB page
// per row).
func packBBlock(dst []float32, b Mat, pc, kcb, jp0, jp1, n, nr int) {
	if b.CS != 1 {
		for jp := jp0; jp < jp1; jp++ {
			o := (jp - jp0) * kcb * nr
			packB(dst[o:o+kcb*nr], b, pc, kcb, jp*nr, min(nr, n-jp*nr), nr)
		}
		return
	}
	const group = 8
	for p0 := 0; p0 < kcb; p0 += group {
		g := min(group, kcb-p0)
		for jp := jp0; jp < jp1; jp++ {
			o := (jp-jp0)*kcb*nr + p0*nr
			packB(dst[o:o+g*nr], b, pc+p0, g, jp*nr, min(nr, n-jp*nr), nr)
		}
	}
}

// packB copies rows p0..p0+kcb-1, columns j0..j0+nn-1 of b into dst as kcb
// rows of nr values, zero-padding columns nn..nr-1.
func packB(dst []float32, b Mat, p0, kcb, j0, nn, nr int) {
	dst = dst[:kcb*nr]
	if nn < nr {
		clear(dst)
	}
	if b.CS == 1 {
		o := p0*b.RS + j0
		switch {
		case nn == 16 && nr == 16:
			// Four 4-value moves: a 64-byte array assignment between
			// slices compiles to a memmove call per row.
			for p := 0; p < kcb; p, o = p+1, o+b.RS {
				copy16(dst[p*16:p*16+16], b.Data[o:o+16])
			}
		case nn == 32 && nr == 32:
			for p := 0; p < kcb; p, o = p+1, o+b.RS {
				copy16(dst[p*32:p*32+16], b.Data[o:o+16])
				copy16(dst[p*32+16:p*32+32], b.Data[o+16:o+32])
			}
		default:
			for p := 0; p < kcb; p, o = p+1, o+b.RS {
				copy(dst[p*nr:p*nr+nn], b.Data[o:o+nn])
			}
		}
		return
	}
	if b.RS == 1 && nn == 16 && nr == 16 {
		packBT16(dst, b, p0, kcb, j0)
		return
	}
	if b.RS == 1 {
		// A transposed row-major matrix: column j of the panel is a
		// contiguous run of the source. Read the nn runs side by side, p
		// outer, so each destination row is written once, contiguously.
		var src [32][]float32
		for j := 0; j < nn; j++ {
			o := (j0+j)*b.CS + p0
			src[j] = b.Data[o : o+kcb]
		}
		for p := 0; p < kcb; p++ {
			row := dst[p*nr : p*nr+nn]
			for j := range row {
				row[j] = src[j][p]
			}
		}
		return
	}
	for j := 0; j < nn; j++ {
		base := p0*b.RS + (j0+j)*b.CS
		for p := 0; p < kcb; p++ {
			dst[p*nr+j] = b.Data[base+p*b.RS]
		}
	}
}

// packBT16 is packB for a full 16-column panel of a transposed row-major
// matrix (b.RS == 1: column j0+j is a contiguous run starting at
// (j0+j)*b.CS): a transpose of 16 runs (packT16; AVX2: 8x8 blocks in
// registers).
func packBT16(dst []float32, b Mat, p0, kcb, j0 int) {
	packT16(dst, b.Data[j0*b.CS+p0:], b.CS, kcb)
}

// microGeneric is the pure-Go 4x4 micro-kernel.
func microGeneric(kc int, a []float32, ars, aks int, b, c []float32, ldc int, alpha, beta float32) {
	microGeneric4(kc, a, ars, aks, b[:kc*4], nil, c, ldc, alpha, beta, 4)
}

// microIndGeneric is microGeneric with B read in place (row p at
// b[boff[p]:]), storing the first rows (1 to 4) of the tile.
func microIndGeneric(kc int, a []float32, ars, aks int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32, rows int) {
	microGeneric4(kc, a, ars, aks, b, boff[:kc], c, ldc, alpha, beta, rows)
}

// microGeneric4 computes a 4x4 tile, B's row p at b[p*4:] (boff nil) or
// b[boff[p]:], and stores its first rows.
func microGeneric4(kc int, a []float32, ars, aks int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32, rows int) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	_ = a[3*ars+(kc-1)*aks]
	for p := 0; p < kc; p++ {
		o := p * 4
		if boff != nil {
			o = boff[p]
		}
		bv := b[o : o+4 : o+4]
		o = p * aks
		a0, a1, a2, a3 := a[o], a[o+ars], a[o+2*ars], a[o+3*ars]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [16]float32{c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33}
	for i := 0; i < rows; i++ {
		row := c[i*ldc : i*ldc+4]
		for j := range row {
			if beta == 0 {
				row[j] = alpha * acc[i*4+j]
			} else {
				row[j] = alpha*acc[i*4+j] + beta*row[j]
			}
		}
	}
}
