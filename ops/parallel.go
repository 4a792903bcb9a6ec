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
// per worker, which the workers take in turn from a shared counter: on a
// machine whose cores run at different speeds (a virtual machine with busy
// neighbours) the faster ones take more, instead of all waiting for the
// slowest. A worker may therefore make several calls.
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
	var next atomic.Int32
	fork(w, func(int) {
		for c := int(next.Add(1) - 1); c < nc; c = int(next.Add(1) - 1) {
			fn(c*n/nc, (c+1)*n/nc)
		}
	})
}

// chunksPerWorker is how many pieces per worker ParallelFor cuts a range
// into (fewer when the grain allows fewer).
const chunksPerWorker = 4
