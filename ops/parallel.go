package ops

import (
	"runtime"
	"sync/atomic"
)

// Workers returns the number of goroutines a parallel kernel uses: GOMAXPROCS.
func Workers() int { return runtime.GOMAXPROCS(0) }

// ParallelFor calls fn on disjoint ranges [lo, hi) covering [0, n), on up to
// Workers() goroutines, and returns when all are done. Each index is handled by
// exactly one call, so a kernel whose outputs for index i depend only on i
// gives the same bits whatever the number of workers: parallelise over output
// tiles, never over the terms of one sum. grain is the smallest range worth a
// goroutine of its own.
//
// With several workers the range is cut into up to chunksPerWorker pieces
// per worker. Each worker takes the pieces of its own share of the range
// first (so that kernels splitting the same range the same way, one after
// the other, find their data in their own core's cache), then helps with
// the others' (see spans): on a machine whose cores run at different
// speeds (a virtual machine with busy neighbours) the faster ones take
// more, instead of all waiting for the slowest. A worker may therefore
// make several calls.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	w := Workers()
	m := (n + grain - 1) / grain // pieces of at least grain
	if m < w {
		w = m
	}
	if w <= 1 {
		fn(0, n)
		return
	}
	nc := min(m, chunksPerWorker*w)
	sp := newSpans(w, nc)
	fork(w, func(t int) {
		for c := sp.take(t); c >= 0; c = sp.take(t) {
			fn(c*n/nc, (c+1)*n/nc)
		}
	})
}

// chunksPerWorker is how many pieces per worker ParallelFor cuts a range
// into (fewer when the grain allows fewer).
const chunksPerWorker = 4

// spans hands out the indices [0, n) to w workers, each index to exactly
// one: worker t owns the contiguous span [t*n/w, (t+1)*n/w) and takes its
// indices in order from the front; when its span is used up it takes from
// the back of the span with the most left. With workers of equal speed
// each keeps to its own share, so that consecutive kernels splitting a
// feature map the same way (a convolution's output rows, the next one's
// input rows) find their data in their own core's cache; a slower worker
// (a busy virtual CPU) leaves the end of its span to the others. Which
// worker takes an index never changes a result.
type spans struct {
	s []span
}

// span is one worker's untaken indices [lo, hi), as lo<<32 | hi, on a
// cache line of its own.
type span struct {
	v atomic.Uint64
	_ [56]byte
}

// newSpans splits [0, n) for w workers (n < 2^32).
func newSpans(w, n int) *spans {
	sp := &spans{s: make([]span, w)}
	for t := range sp.s {
		sp.s[t].v.Store(uint64(t*n/w)<<32 | uint64((t+1)*n/w))
	}
	return sp
}

// take returns worker t's next index, or -1 when every index is taken.
func (sp *spans) take(t int) int {
	own := &sp.s[t].v
	for {
		v := own.Load()
		lo, hi := v>>32, v&0xffffffff
		if lo >= hi {
			break
		}
		if own.CompareAndSwap(v, (lo+1)<<32|hi) {
			return int(lo)
		}
	}
	for {
		var victim *atomic.Uint64
		var most uint64
		for u := range sp.s {
			v := sp.s[u].v.Load()
			if lo, hi := v>>32, v&0xffffffff; hi > lo && hi-lo > most {
				victim, most = &sp.s[u].v, hi-lo
			}
		}
		if victim == nil {
			return -1
		}
		v := victim.Load()
		if lo, hi := v>>32, v&0xffffffff; lo < hi && victim.CompareAndSwap(v, lo<<32|(hi-1)) {
			return int(hi - 1)
		}
	}
}
