package tensor

// Arena is a scratch allocator for the activations of one forward (or
// backward) pass. Alloc hands out consecutive pieces of one large slice; Reset
// makes all of it available again. After a pass has run once, the arena has
// learnt its size and later passes of the same shapes allocate nothing.
//
// Tensors from an arena alias its memory: they are valid until the next Reset.
// An Arena is not safe for concurrent use; give each goroutine its own.
type Arena struct {
	buf   []float32   // current chunk
	used  int         // elements of buf handed out
	extra [][]float32 // chunks allocated since the last Reset, when buf overflowed
	spare [][]float32 // the last pass's chunks, served again in order
	next  int         // next spare chunk
	fresh bool        // this pass allocated a chunk
	total int         // elements handed out since the last Reset
	peak  int         // largest total seen
}

// alignment of every allocation, in float32 elements (64 bytes, one cache line
// and one AVX-512 register).
const arenaAlign = 16

// NewArena returns an arena with room for n float32 values before it grows.
func NewArena(n int) *Arena {
	return &Arena{buf: make([]float32, n)}
}

func (a *Arena) alloc(n int) []float32 {
	r := (n + arenaAlign - 1) &^ (arenaAlign - 1)
	a.total += r
	if a.used+r <= len(a.buf) {
		s := a.buf[a.used : a.used+n : a.used+n]
		a.used += r
		return s
	}
	// Overflow: serve this pass from a private chunk; Reset will replace
	// buf by one slice large enough for the whole pass.
	var c []float32
	if a.next < len(a.spare) && len(a.spare[a.next]) == r {
		c = a.spare[a.next]
		a.next++
	} else {
		c = make([]float32, r)
		a.fresh = true
	}
	a.extra = append(a.extra, c)
	return c[:n:n]
}

// Alloc returns a contiguous tensor of the given shape whose contents are
// unspecified (whatever the arena held): the caller must write every element.
func (a *Arena) Alloc(shape ...int) Tensor {
	return FromSlice(a.alloc(checkShape(shape)), shape...)
}

// AllocZero returns a zero-filled contiguous tensor of the given shape.
func (a *Arena) AllocZero(shape ...int) Tensor {
	s := a.alloc(checkShape(shape))
	clear(s)
	return FromSlice(s, shape...)
}

// Floats returns n float32 values of unspecified contents.
func (a *Arena) Floats(n int) []float32 { return a.alloc(n) }

// Reset makes the whole arena available again. Tensors handed out before are
// invalid afterwards. If the last pass overflowed, the arena grows (once) to
// the size that pass needed.
func (a *Arena) Reset() {
	if a.total > a.peak {
		a.peak = a.total
	}
	switch {
	case len(a.extra) > 0 && !a.fresh:
		// The pass was served by the previous pass's chunks: keep them.
		a.spare, a.extra = a.extra, a.spare[:0]
	case len(a.extra) > 0 && len(a.spare) == 0:
		// First pass: keep its chunks for the next one.
		a.spare, a.extra = a.extra, nil
	case len(a.extra) > 0 || a.peak > len(a.buf):
		a.buf = make([]float32, a.peak)
		a.extra, a.spare = nil, nil
	}
	a.used, a.total, a.next, a.fresh = 0, 0, 0, false
}

// Peak returns the largest number of float32 values one pass has used.
func (a *Arena) Peak() int {
	if a.total > a.peak {
		return a.total
	}
	return a.peak
}
