package posemodel_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/ladderpose/ladderpose/internal/benchmodel"
	"github.com/ladderpose/ladderpose/posemodel"
)

// Allocation budget of one Forward once its workspace has seen the batch
// (issue 4: no allocation per call after warm-up). Activations come from the
// workspace's arena; what remains is O(number of kernel calls), never
// O(tokens, rows or heads): the func literals handed to ops.ParallelFor
// escape to the heap even when it runs them serially, and with more than one
// worker ParallelFor and the GEMM driver start goroutines (a closure and a
// WaitGroup each). A per-row or per-tile allocation (thousands per image)
// breaks the budget.
const (
	maxAllocsSerial   = 256      // objects per Forward at GOMAXPROCS 1 (testing.AllocsPerRun)
	maxAllocsParallel = 1024     // objects per Forward at GOMAXPROCS 2
	maxBytesSecond    = 64 << 10 // bytes allocated by the second Forward
)

// allocModel is a ViT with the real input size, the real side network and
// head, but a narrow, shallow backbone (D=192, depth 4), so that every code
// path of ViTPose-S/B runs at a fraction of the cost.
func allocModel(t testing.TB, side bool) *posemodel.Model {
	t.Helper()
	cfg := posemodel.Config{Dim: 192, Depth: 4, Heads: 3, MLPRatio: 4, LNEps: 1e-6, Head: "classic",
		Keypoints: 17, Input: [2]int{256, 192}}
	if side {
		s := posemodel.DefaultSide
		cfg.Side = &s
	}
	m, err := posemodel.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := benchmodel.Fill(m, 1); err != nil {
		t.Fatal(err)
	}
	return m
}

// mallocs runs fn once and returns the objects and bytes it allocated (all
// goroutines).
func mallocs(fn func()) (objects, bytes uint64) {
	var s0, s1 runtime.MemStats
	runtime.ReadMemStats(&s0)
	fn()
	runtime.ReadMemStats(&s1)
	return s1.Mallocs - s0.Mallocs, s1.TotalAlloc - s0.TotalAlloc
}

// TestForwardAllocs: after a first Forward has sized the workspace, a second
// one with the same batch allocates (almost) nothing, and so does every
// later one, at GOMAXPROCS 1 and 2. On failure, find the lines with
//
//	go test -run '^$' -bench ForwardAllocs -benchtime 20x -cpu 1 -memprofile mem.prof -memprofilerate 1 ./posemodel
//	go tool pprof -sample_index=alloc_objects -focus 'Model..Forward' -lines -top mem.prof
func TestForwardAllocs(t *testing.T) {
	for _, side := range []bool{false, true} {
		m := allocModel(t, side)
		for _, batch := range []int{1, 2} {
			t.Run(fmt.Sprintf("side=%v/batch%d", side, batch), func(t *testing.T) {
				in := benchmodel.Input(m.Cfg, batch, 1)
				ws := posemodel.NewWorkspace()
				forward := func() {
					if _, err := m.Forward(ws, in); err != nil {
						t.Fatal(err)
					}
				}
				// Warm-up: the first call sizes the arena; the GEMM's packing
				// buffers (ops' scratch cache) each grow once to their full
				// size (up to 3 MB) when first used, which can take a second
				// call. The cache survives garbage collections, so the test
				// may collect: runtime.GC between the calls checks it.
				forward()
				runtime.GC()
				forward()
				objs, bytes := mallocs(forward)
				if bytes > maxBytesSecond {
					t.Errorf("after warm-up, a Forward allocated %d bytes in %d objects, want at most %d bytes", bytes, objs, maxBytesSecond)
				}
				serial := testing.AllocsPerRun(3, forward) // at GOMAXPROCS 1
				if serial > maxAllocsSerial {
					t.Errorf("Forward allocates %.0f objects per call at GOMAXPROCS 1, want at most %d", serial, maxAllocsSerial)
				}
				prev := runtime.GOMAXPROCS(2)
				defer runtime.GOMAXPROCS(prev)
				forward()
				par, parBytes := mallocs(func() {
					for range 3 {
						forward()
					}
				})
				if par/3 > maxAllocsParallel {
					t.Errorf("Forward allocates %d objects (%d bytes) per call at GOMAXPROCS 2, want at most %d", par/3, parBytes/3, maxAllocsParallel)
				}
				t.Logf("allocations per Forward: second call %d objects, %d bytes; then %.0f objects at GOMAXPROCS 1, %d objects (%d bytes) at GOMAXPROCS 2",
					objs, bytes, serial, par/3, parBytes/3)
			})
		}
	}
}

// BenchmarkForwardAllocs reports allocs/op of a Forward after warm-up (two
// calls), for the memory profile named in TestForwardAllocs.
func BenchmarkForwardAllocs(b *testing.B) {
	for _, side := range []bool{false, true} {
		b.Run(fmt.Sprintf("side=%v", side), func(b *testing.B) {
			m := allocModel(b, side)
			in := benchmodel.Input(m.Cfg, 1, 1)
			ws := posemodel.NewWorkspace()
			run := func() {
				if _, err := m.Forward(ws, in); err != nil {
					b.Fatal(err)
				}
			}
			run()
			run()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				run()
			}
		})
	}
}
