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

// TestSpans checks that spans hands out every index exactly once, from
// several goroutines racing for them (one of them slowed down, so that the
// others take from its span), for sizes that do and do not divide evenly;
// and that, without contention, each worker takes its own span in order.
func TestSpans(t *testing.T) {
	for _, tc := range []struct{ w, n int }{{1, 0}, {1, 5}, {2, 1}, {2, 7}, {3, 100}, {4, 3}, {5, 1000}} {
		sp := newSpans(tc.w, tc.n)
		hits := make([]atomic.Int32, tc.n)
		var wg sync.WaitGroup
		for w := 0; w < tc.w; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := sp.take(w); i >= 0; i = sp.take(w) {
					if i >= tc.n {
						t.Errorf("w=%d n=%d: index %d out of range", tc.w, tc.n, i)
						return
					}
					hits[i].Add(1)
					if w == 0 {
						time.Sleep(10 * time.Microsecond)
					}
				}
			}(w)
		}
		wg.Wait()
		for i := range hits {
			if h := hits[i].Load(); h != 1 {
				t.Fatalf("w=%d n=%d: index %d taken %d times", tc.w, tc.n, i, h)
			}
		}
		for w := 0; w < tc.w; w++ {
			if sp.take(w) != -1 {
				t.Fatalf("w=%d n=%d: an index after all were taken", tc.w, tc.n)
			}
		}
	}
	// One worker at a time: worker 1 gets its own span in order, then
	// worker 0's from the back.
	sp := newSpans(2, 6)
	var got []int
	for i := sp.take(1); i >= 0; i = sp.take(1) {
		got = append(got, i)
	}
	want := []int{3, 4, 5, 2, 1, 0}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}
