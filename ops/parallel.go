package ops

import "runtime"

// Workers returns the number of goroutines a parallel kernel uses: GOMAXPROCS.
func Workers() int { return runtime.GOMAXPROCS(0) }

// ParallelFor calls fn on disjoint ranges [lo, hi) covering [0, n), on up to
// Workers() goroutines, and returns when all are done. Each index is handled by
// exactly one call, so a kernel whose outputs for index i depend only on i
// gives the same bits whatever the number of workers: parallelise over output
// tiles, never over the terms of one sum. grain is the smallest range worth a
// goroutine of its own.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	w := Workers()
	if m := (n + grain - 1) / grain; m < w {
		w = m
	}
	if w <= 1 {
		fn(0, n)
		return
	}
	fork(w, func(t int) { fn(t*n/w, (t+1)*n/w) })
}
