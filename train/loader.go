package train

import (
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/ladderpose/ladderpose/coco"
)

// splitmix64 is a bijective 64-bit mixer (the SplitMix64 finaliser).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// Stream tags keep the generators of the permutation and of the samples
// apart.
const (
	streamOrder  = 0x6f72646572 // "order"
	streamSample = 0x73616d706c // "sampl"
)

// SampleRNG returns the generator of sample index's augmentation in the
// given epoch of a run with this seed: it depends on (seed, epoch, index)
// alone, so a sample's augmentation does not depend on the batch it falls
// in, the number of workers or where a run resumed.
func SampleRNG(seed uint64, epoch, index int) *rand.Rand {
	a := splitmix64(seed ^ streamSample)
	b := splitmix64(a ^ uint64(epoch))
	return rand.New(rand.NewPCG(splitmix64(b^uint64(index)), splitmix64(b+splitmix64(uint64(index)))))
}

// Order returns the sample order of an epoch: a permutation of 0..n-1 that
// depends on (seed, epoch) alone (Fisher-Yates with Lemire's unbiased
// bounded integers on PCG, written out so that it does not depend on the
// Go release).
func Order(seed uint64, epoch, n int) []int {
	a := splitmix64(seed ^ streamOrder)
	src := rand.NewPCG(splitmix64(a^uint64(epoch)), splitmix64(a+splitmix64(uint64(epoch))))
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := boundedUint64(src, uint64(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// boundedUint64 is a uniform integer in [0, n) (Lemire's method).
func boundedUint64(src *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}

// Loader cuts a dataset into shuffled, augmented batches. Batch i of an
// epoch holds the samples Order(seed, epoch, Len)[i*batch : (i+1)*batch];
// the last partial batch of an epoch is dropped. Sample j is augmented with
// SampleRNG(seed, epoch, j), so a batch is bit-identical whatever the number
// of workers or GOMAXPROCS, and resuming at (epoch, i) gives the batches an
// uninterrupted run would have had.
//
// After each Batch call the loader prepares the next batch (the next index,
// or batch 0 of the next epoch) in the background, so that loading overlaps
// the training step; Close stops that work.
type Loader struct {
	d       *Dataset
	batch   int
	seed    uint64
	aug     Augment
	workers int

	mu        sync.Mutex
	orderFor  int   // epoch of order
	order     []int // cached permutation
	pre       *prefetch
	preBuf    [2][]float32 // image and keypoint buffers of the prefetch
	closed    bool
	prefetchN int // batches served from the prefetch (for tests)
}

// prefetch is one batch being prepared in the background.
type prefetch struct {
	epoch, i int
	cancel   context.CancelFunc
	done     chan struct{}
	err      error
}

// NewLoader returns a loader of batches of batch samples from d, with
// augmentation aug, shuffled and augmented from seed, on workers
// goroutines (0: GOMAXPROCS).
func NewLoader(d *Dataset, batch int, seed uint64, aug Augment, workers int) *Loader {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Loader{d: d, batch: batch, seed: seed, aug: aug, workers: workers, orderFor: -1}
}

// Batches is the number of batches per epoch: floor(Len / batch) (the last
// partial batch is dropped, so every batch has the same size). It is the
// same for every epoch.
func (l *Loader) Batches(epoch int) int {
	if l.batch <= 0 {
		return 0
	}
	return l.d.Len() / l.batch
}

// BatchSize is the number of samples per batch.
func (l *Loader) BatchSize() int { return l.batch }

// Indices returns the sample indices of batch i of the epoch.
func (l *Loader) Indices(epoch, i int) ([]int, error) {
	if err := l.check(epoch, i); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.orderLocked(epoch)[i*l.batch:(i+1)*l.batch]...), nil
}

func (l *Loader) orderLocked(epoch int) []int {
	if l.orderFor != epoch {
		l.order = Order(l.seed, epoch, l.d.Len())
		l.orderFor = epoch
	}
	return l.order
}

func (l *Loader) check(epoch, i int) error {
	if l.batch <= 0 {
		return fmt.Errorf("train: loader: batch size %d must be positive", l.batch)
	}
	if epoch < 0 {
		return fmt.Errorf("train: loader: epoch %d must not be negative", epoch)
	}
	if n := l.Batches(epoch); i < 0 || i >= n {
		return fmt.Errorf("train: loader: batch %d out of range [0, %d) (%d samples, batch %d)", i, n, l.d.Len(), l.batch)
	}
	return l.aug.Check()
}

// Batch fills img ([batch*3*H*W]) and kpts ([batch*17*3]) with batch i of
// the epoch (see Dataset.Sample for the layout of one sample), then starts
// preparing the following batch.
func (l *Loader) Batch(ctx context.Context, epoch, i int, img, kpts []float32) error {
	if err := l.check(epoch, i); err != nil {
		return err
	}
	h, w := l.d.InputSize()
	per, perK := 3*h*w, 3*coco.NumKeypoints
	if len(img) != l.batch*per || len(kpts) != l.batch*perK {
		return fmt.Errorf("train: loader: buffers of %d and %d values, want %d and %d for a batch of %d",
			len(img), len(kpts), l.batch*per, l.batch*perK, l.batch)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return fmt.Errorf("train: loader: closed")
	}
	p := l.pre
	l.pre = nil
	l.mu.Unlock()

	served := false
	if p != nil {
		if p.epoch == epoch && p.i == i {
			select {
			case <-p.done:
			case <-ctx.Done():
				p.cancel()
				<-p.done
				return ctx.Err()
			}
			if p.err == nil {
				copy(img, l.preBuf[0])
				copy(kpts, l.preBuf[1])
				served = true
				l.mu.Lock()
				l.prefetchN++
				l.mu.Unlock()
			}
		} else {
			p.cancel()
			<-p.done
		}
	}
	if !served {
		if err := l.fill(ctx, epoch, i, img, kpts); err != nil {
			return err
		}
	}
	l.startPrefetch(epoch, i)
	return nil
}

// startPrefetch begins preparing the batch after (epoch, i).
func (l *Loader) startPrefetch(epoch, i int) {
	ne, ni := epoch, i+1
	if ni >= l.Batches(epoch) {
		ne, ni = epoch+1, 0
	}
	h, w := l.d.InputSize()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if l.preBuf[0] == nil {
		l.preBuf[0] = make([]float32, l.batch*3*h*w)
		l.preBuf[1] = make([]float32, l.batch*3*coco.NumKeypoints)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &prefetch{epoch: ne, i: ni, cancel: cancel, done: make(chan struct{})}
	l.pre = p
	img, kpts := l.preBuf[0], l.preBuf[1]
	go func() {
		defer close(p.done)
		p.err = l.fill(ctx, ne, ni, img, kpts)
	}()
}

// fill computes batch i of the epoch into img and kpts on the loader's
// workers.
func (l *Loader) fill(ctx context.Context, epoch, i int, img, kpts []float32) error {
	idx, err := l.Indices(epoch, i)
	if err != nil {
		return err
	}
	h, w := l.d.InputSize()
	per, perK := 3*h*w, 3*coco.NumKeypoints
	errs := make([]error, len(idx))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(l.workers, len(idx)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				s := next
				next++
				mu.Unlock()
				if s >= len(idx) || ctx.Err() != nil {
					return
				}
				j := idx[s]
				errs[s] = l.d.Sample(j, SampleRNG(l.seed, epoch, j), l.aug, img[s*per:(s+1)*per], kpts[s*perK:(s+1)*perK])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for s, err := range errs {
		if err != nil {
			return fmt.Errorf("train: epoch %d batch %d item %d: %w", epoch, i, s, err)
		}
	}
	return nil
}

// Close stops the background preparation of the next batch and waits for
// it. Batch fails after Close.
func (l *Loader) Close() error {
	l.mu.Lock()
	p := l.pre
	l.pre = nil
	l.closed = true
	l.mu.Unlock()
	if p != nil {
		p.cancel()
		<-p.done
	}
	return nil
}
