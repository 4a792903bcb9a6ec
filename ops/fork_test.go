package ops

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFork checks that fork runs every index exactly once and returns only
// when all are done: from many goroutines at once, nested (a task that
// forks), with helpers that are still polling and with helpers that have
// parked (calls further apart than helperSpin).
func TestFork(t *testing.T) {
	check := func(n int, nested bool) {
		hits := make([]atomic.Int32, n)
		var inner atomic.Int32
		fork(n, func(i int) {
			hits[i].Add(1)
			if nested {
				fork(3, func(int) { inner.Add(1) })
			}
		})
		for i := range hits {
			if h := hits[i].Load(); h != 1 {
				t.Errorf("fork(%d): index %d ran %d times", n, i, h)
			}
		}
		if nested && inner.Load() != int32(3*n) {
			t.Errorf("fork(%d) nested: %d inner runs, want %d", n, inner.Load(), 3*n)
		}
	}
	for _, n := range []int{0, 1, 2, 3, 8} {
		check(n, false)
		check(n, true)
	}
	// Parked helpers: wait longer than they poll.
	for range 3 {
		time.Sleep(3 * helperSpin)
		check(4, false)
	}
	// Many callers at once.
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				check(3, g%2 == 0)
			}
		}()
	}
	wg.Wait()
	// fork writes before it returns are visible to the caller.
	out := make([]int, 64)
	for r := range 100 {
		fork(len(out), func(i int) { out[i] = r + i })
		for i, v := range out {
			if v != r+i {
				t.Fatalf("round %d: out[%d] = %d, want %d", r, i, v, r+i)
			}
		}
	}
}
