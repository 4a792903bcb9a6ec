package train

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/synth"
)

func TestOrder(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 100} {
		p := Order(3, 1, n)
		if len(p) != n {
			t.Fatalf("n %d: %d indices", n, len(p))
		}
		s := slices.Clone(p)
		slices.Sort(s)
		for i, v := range s {
			if v != i {
				t.Fatalf("n %d: %v is not a permutation", n, p)
			}
		}
		if !slices.Equal(p, Order(3, 1, n)) {
			t.Fatalf("n %d: two calls differ", n)
		}
	}
	if slices.Equal(Order(3, 1, 100), Order(3, 2, 100)) || slices.Equal(Order(3, 1, 100), Order(4, 1, 100)) {
		t.Fatal("the order does not change with the epoch or the seed")
	}
	// Uniformity: the 24 orders of 4 items over 24000 epochs, chi-square
	// with 23 degrees of freedom below 60 (p < 1e-4 for a fair shuffle).
	counts := map[string]int{}
	const epochs = 24000
	for e := 0; e < epochs; e++ {
		counts[fmt.Sprint(Order(9, e, 4))]++
	}
	if len(counts) != 24 {
		t.Fatalf("%d distinct orders of 4 items, want 24", len(counts))
	}
	chi := 0.0
	for _, c := range counts {
		d := float64(c) - epochs/24.0
		chi += d * d / (epochs / 24.0)
	}
	if chi > 60 {
		t.Errorf("chi-square %.1f over the 24 orders: not uniform", chi)
	}
}

// loaderBatches returns every batch of the given epochs.
func loaderBatches(t *testing.T, l *Loader, epochs int) [][2][]float32 {
	t.Helper()
	h, w := l.d.InputSize()
	var out [][2][]float32
	for e := 0; e < epochs; e++ {
		for i := 0; i < l.Batches(e); i++ {
			img := make([]float32, l.batch*3*h*w)
			kp := make([]float32, l.batch*51)
			if err := l.Batch(context.Background(), e, i, img, kp); err != nil {
				t.Fatal(err)
			}
			out = append(out, [2][]float32{img, kp})
		}
	}
	return out
}

// TestLoaderDeterminism checks that batches are bit-identical for 1 and 3
// workers, for GOMAXPROCS 1 and 2, with and without the image cache, and
// when a run resumes at (epoch, i); and that every sample of an epoch's
// batches is the one Order and SampleRNG name.
func TestLoaderDeterminism(t *testing.T) {
	dir := synthDir(t, 4, 21)
	aug := DefaultAugment()
	aug.Color, aug.Interference = true, synth.Mixed
	o := DataOptions{InputH: 64, InputW: 48}
	d := openSynth(t, dir, o)
	if d.Len() < 7 {
		t.Fatalf("only %d samples", d.Len())
	}
	const batch = 3
	ref := NewLoader(d, batch, 77, aug, 1)
	defer ref.Close()
	want := loaderBatches(t, ref, 2)
	if got := ref.Batches(0); got != d.Len()/batch || len(want) != 2*got {
		t.Fatalf("%d batches per epoch for %d samples of batch %d", got, d.Len(), batch)
	}
	if ref.prefetchN == 0 {
		t.Error("no batch came from the prefetch")
	}
	// The samples are those of Order and SampleRNG.
	per := 3 * 64 * 48
	img, kp := make([]float32, per), make([]float32, 51)
	order := Order(77, 1, d.Len())
	nb := ref.Batches(1)
	for s := 0; s < batch; s++ {
		j := order[batch+s] // epoch 1, batch 1
		if err := d.Sample(j, SampleRNG(77, 1, j), aug, img, kp); err != nil {
			t.Fatal(err)
		}
		b := want[nb+1]
		if !equalF32(img, b[0][s*per:(s+1)*per]) || !equalF32(kp, b[1][s*51:(s+1)*51]) {
			t.Fatalf("epoch 1 batch 1 item %d is not sample %d", s, j)
		}
	}

	procs := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(procs)
	for _, c := range []struct {
		workers, procs int
		cacheMB        int
	}{{3, 2, 0}, {3, 1, 0}, {1, 2, -1}, {2, 1, 1}} {
		runtime.GOMAXPROCS(c.procs)
		dd := openSynth(t, dir, DataOptions{InputH: 64, InputW: 48, CacheMB: c.cacheMB})
		l := NewLoader(dd, batch, 77, aug, c.workers)
		got := loaderBatches(t, l, 2)
		l.Close()
		for i := range want {
			if !equalF32(got[i][0], want[i][0]) || !equalF32(got[i][1], want[i][1]) {
				t.Fatalf("workers %d, GOMAXPROCS %d, cache %d MiB: batch %d differs", c.workers, c.procs, c.cacheMB, i)
			}
		}
	}
	runtime.GOMAXPROCS(procs)

	// Resume at epoch 1, batch 1, then go on; and ask out of order.
	l := NewLoader(d, batch, 77, aug, 2)
	defer l.Close()
	h, w := d.InputSize()
	bi, bk := make([]float32, batch*3*h*w), make([]float32, batch*51)
	for _, at := range [][2]int{{1, 1}, {1, 2}, {0, 0}, {1, 0}, {1, 1}} {
		if err := l.Batch(context.Background(), at[0], at[1], bi, bk); err != nil {
			t.Fatal(err)
		}
		ref := want[at[0]*nb+at[1]]
		if !equalF32(bi, ref[0]) || !equalF32(bk, ref[1]) {
			t.Fatalf("batch (%d, %d) asked out of order differs", at[0], at[1])
		}
	}
}

func TestLoaderErrors(t *testing.T) {
	d := openSynth(t, synthDir(t, 2, 5), DataOptions{InputH: 32, InputW: 24})
	n := d.Len()
	l := NewLoader(d, 2, 1, DefaultAugment(), 2)
	img, kp := make([]float32, 2*3*32*24), make([]float32, 2*51)
	ctx := context.Background()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"batch index", l.Batch(ctx, 0, n/2, img, kp), "out of range"},
		{"negative epoch", l.Batch(ctx, -1, 0, img, kp), "epoch -1"},
		{"buffers", l.Batch(ctx, 0, 0, img[:10], kp), "buffers"},
		{"zero batch", NewLoader(d, 0, 1, NoAugment(), 1).Batch(ctx, 0, 0, img, kp), "batch size"},
		{"bad augment", NewLoader(d, 2, 1, Augment{HalfBody: 3}, 1).Batch(ctx, 0, 0, img, kp), "half-body"},
	}
	for _, tc := range tests {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
	if NewLoader(d, n+1, 1, NoAugment(), 1).Batches(0) != 0 {
		t.Error("a batch larger than the dataset gives batches")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.Batch(cancelled, 0, 0, img, kp); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v", err)
	}
	if err := l.Batch(ctx, 0, 0, img, kp); err != nil {
		t.Fatal(err)
	}
	// Cancelling while the next batch is prefetched.
	if err := l.Batch(cancelled, 0, 1, img, kp); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context with a prefetch: error %v", err)
	}
	l.Close()
	if err := l.Batch(ctx, 0, 0, img, kp); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Batch after Close: error %v", err)
	}
}
