package train

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// A feature cache file holds float32 blobs per sample (for example a
// backbone's outputs for each un-augmented training crop), written once
// and read many times:
//
//	header   "LPFCACH1", key length (uint32), key bytes
//	records  per sample, its blobs' float32 values back to back
//	index    entry count (uint64), then per entry: sample (uint64),
//	         record offset (uint64), CRC-32C of the record (uint32), blob
//	         count (uint32), each blob's length in values (uint64)
//	trailer  index offset (uint64), index length (uint64), CRC-32C of the
//	         index (uint32), 4 zero bytes, "LPFCEND1"
//
// All integers and floats are little-endian. A file without a valid
// trailer (cut short, or never finished) or with a bad checksum is
// reported as ErrCacheInvalid.
const (
	featureMagic    = "LPFCACH1"
	featureEndMagic = "LPFCEND1"
	featureTrailer  = 8 + 8 + 4 + 4 + 8
	maxFeatureKey   = 1 << 16
	maxFeatureBlobs = 1 << 10
)

// ErrCacheInvalid marks a feature cache file that cannot be used: cut
// short, corrupt, or made for another key (ErrCacheStale). The remedy is to
// build it again.
var ErrCacheInvalid = errors.New("feature cache is invalid")

// ErrCacheStale marks a feature cache built for another key (another
// backbone, dataset or input size). It wraps ErrCacheInvalid.
var ErrCacheStale = fmt.Errorf("%w: built for another key", ErrCacheInvalid)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type featureEntry struct {
	sample int64
	off    int64
	crc    uint32
	lens   []int64
}

func (e *featureEntry) bytes() int64 {
	var n int64
	for _, l := range e.lens {
		n += 4 * l
	}
	return n
}

// FeatureCacheWriter builds a feature cache file. It writes to a temporary
// file beside the final path, which Commit renames into place, so the path
// only ever holds a complete cache. Its methods may be called from several
// goroutines.
type FeatureCacheWriter struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	off     int64
	entries []featureEntry
	seen    map[int64]bool
	buf     []byte
	err     error // sticky write error
}

// CreateFeatureCache starts a cache for path, labelled with key (anything
// that identifies what the blobs were computed from; OpenFeatureCache
// rejects a file with another key).
func CreateFeatureCache(path, key string) (*FeatureCacheWriter, error) {
	if len(key) > maxFeatureKey {
		return nil, fmt.Errorf("train: feature cache %s: key of %d bytes (at most %d)", path, len(key), maxFeatureKey)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("train: feature cache: %w", err)
	}
	hdr := make([]byte, 0, 12+len(key))
	hdr = append(hdr, featureMagic...)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(key)))
	hdr = append(hdr, key...)
	if _, err := f.Write(hdr); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("train: feature cache %s: %w", path, err)
	}
	return &FeatureCacheWriter{path: path, f: f, off: int64(len(hdr)), seen: map[int64]bool{}}, nil
}

// Put stores the blobs of sample i (each sample at most once; the number
// and lengths of blobs may differ between samples).
func (w *FeatureCacheWriter) Put(i int, blobs ...[]float32) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("train: feature cache %s: Put after Commit or Abort", w.path)
	}
	if w.err != nil {
		return w.err
	}
	if i < 0 {
		return fmt.Errorf("train: feature cache %s: sample %d is negative", w.path, i)
	}
	if w.seen[int64(i)] {
		return fmt.Errorf("train: feature cache %s: sample %d stored twice", w.path, i)
	}
	if len(blobs) > maxFeatureBlobs {
		return fmt.Errorf("train: feature cache %s: %d blobs for sample %d (at most %d)", w.path, len(blobs), i, maxFeatureBlobs)
	}
	e := featureEntry{sample: int64(i), off: w.off, lens: make([]int64, len(blobs))}
	n := 0
	for k, b := range blobs {
		e.lens[k] = int64(len(b))
		n += 4 * len(b)
	}
	if cap(w.buf) < n {
		w.buf = make([]byte, n)
	}
	buf := w.buf[:n]
	p := 0
	for _, b := range blobs {
		for _, v := range b {
			binary.LittleEndian.PutUint32(buf[p:], math.Float32bits(v))
			p += 4
		}
	}
	e.crc = crc32.Checksum(buf, castagnoli)
	if _, err := w.f.Write(buf); err != nil {
		w.err = fmt.Errorf("train: feature cache %s: %w", w.path, err)
		return w.err
	}
	w.off += int64(n)
	w.entries = append(w.entries, e)
	w.seen[int64(i)] = true
	return nil
}

// Commit writes the index, syncs the file and renames it to the path.
func (w *FeatureCacheWriter) Commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("train: feature cache %s: already committed or aborted", w.path)
	}
	if w.err != nil {
		w.abortLocked()
		return w.err
	}
	sort.Slice(w.entries, func(a, b int) bool { return w.entries[a].sample < w.entries[b].sample })
	idx := binary.LittleEndian.AppendUint64(nil, uint64(len(w.entries)))
	for _, e := range w.entries {
		idx = binary.LittleEndian.AppendUint64(idx, uint64(e.sample))
		idx = binary.LittleEndian.AppendUint64(idx, uint64(e.off))
		idx = binary.LittleEndian.AppendUint32(idx, e.crc)
		idx = binary.LittleEndian.AppendUint32(idx, uint32(len(e.lens)))
		for _, l := range e.lens {
			idx = binary.LittleEndian.AppendUint64(idx, uint64(l))
		}
	}
	tr := binary.LittleEndian.AppendUint64(nil, uint64(w.off))
	tr = binary.LittleEndian.AppendUint64(tr, uint64(len(idx)))
	tr = binary.LittleEndian.AppendUint32(tr, crc32.Checksum(idx, castagnoli))
	tr = binary.LittleEndian.AppendUint32(tr, 0)
	tr = append(tr, featureEndMagic...)
	err := func() error {
		if _, err := w.f.Write(append(idx, tr...)); err != nil {
			return err
		}
		if err := w.f.Sync(); err != nil {
			return err
		}
		if err := w.f.Close(); err != nil {
			return err
		}
		return os.Rename(w.f.Name(), w.path)
	}()
	if err != nil {
		w.abortLocked()
		return fmt.Errorf("train: feature cache %s: %w", w.path, err)
	}
	w.f = nil
	if d, derr := os.Open(filepath.Dir(w.path)); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Abort discards the cache being written.
func (w *FeatureCacheWriter) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.abortLocked()
}

func (w *FeatureCacheWriter) abortLocked() {
	if w.f == nil {
		return
	}
	w.f.Close()
	os.Remove(w.f.Name())
	w.f = nil
}

// FeatureCache reads a feature cache file. Its methods may be called from
// several goroutines.
type FeatureCache struct {
	path    string
	f       *os.File
	entries map[int64]*featureEntry
	bufs    sync.Pool
}

// OpenFeatureCache opens the cache at path and checks its structure and
// key. A file that is cut short, corrupt or unfinished gives an error
// wrapping ErrCacheInvalid, one with another key ErrCacheStale (both mean:
// build it again); a missing file gives an error wrapping os.ErrNotExist.
func OpenFeatureCache(path, key string) (*FeatureCache, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: feature cache: %w", err)
	}
	c, err := readFeatureIndex(f, key)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("train: feature cache %s: %w", path, err)
	}
	c.path, c.f = path, f
	return c, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCacheInvalid, fmt.Sprintf(format, args...))
}

func readFeatureIndex(f *os.File, key string) (*FeatureCache, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	hdrLen := int64(12)
	if size < hdrLen+featureTrailer {
		return nil, invalid("%d bytes, too short to be a cache (cut short?)", size)
	}
	hdr := make([]byte, hdrLen)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return nil, err
	}
	if string(hdr[:8]) != featureMagic {
		return nil, invalid("not a feature cache file (bad magic %q)", hdr[:8])
	}
	keyLen := int64(binary.LittleEndian.Uint32(hdr[8:]))
	if keyLen > maxFeatureKey || hdrLen+keyLen+featureTrailer > size {
		return nil, invalid("key length %d does not fit the file", keyLen)
	}
	tr := make([]byte, featureTrailer)
	if _, err := f.ReadAt(tr, size-featureTrailer); err != nil {
		return nil, err
	}
	if string(tr[24:]) != featureEndMagic {
		return nil, invalid("no end marker: the file was cut short or never finished")
	}
	fileKey := make([]byte, keyLen)
	if _, err := f.ReadAt(fileKey, hdrLen); err != nil {
		return nil, err
	}
	if string(fileKey) != key {
		return nil, fmt.Errorf("%w (file key %q, want %q)", ErrCacheStale, fileKey, key)
	}
	dataStart := hdrLen + keyLen
	idxOff := int64(binary.LittleEndian.Uint64(tr[0:]))
	idxLen := int64(binary.LittleEndian.Uint64(tr[8:]))
	if idxOff < dataStart || idxLen < 8 || idxOff > size-featureTrailer || idxLen != size-featureTrailer-idxOff {
		return nil, invalid("index at %d (%d bytes) does not fit the file of %d bytes", idxOff, idxLen, size)
	}
	idx := make([]byte, idxLen)
	if _, err := f.ReadAt(idx, idxOff); err != nil {
		return nil, err
	}
	if crc32.Checksum(idx, castagnoli) != binary.LittleEndian.Uint32(tr[16:]) {
		return nil, invalid("index checksum mismatch (corrupt file)")
	}
	n := binary.LittleEndian.Uint64(idx)
	if n > uint64(idxLen)/24 {
		return nil, invalid("index claims %d entries in %d bytes", n, idxLen)
	}
	c := &FeatureCache{entries: make(map[int64]*featureEntry, n)}
	p := idx[8:]
	for k := uint64(0); k < n; k++ {
		if len(p) < 24 {
			return nil, invalid("index entry %d is cut short", k)
		}
		e := &featureEntry{
			sample: int64(binary.LittleEndian.Uint64(p)),
			off:    int64(binary.LittleEndian.Uint64(p[8:])),
			crc:    binary.LittleEndian.Uint32(p[16:]),
		}
		nb := binary.LittleEndian.Uint32(p[20:])
		p = p[24:]
		if nb > maxFeatureBlobs || uint64(len(p)) < 8*uint64(nb) {
			return nil, invalid("index entry %d: %d blobs do not fit the index", k, nb)
		}
		e.lens = make([]int64, nb)
		var total uint64
		for b := range e.lens {
			l := binary.LittleEndian.Uint64(p)
			p = p[8:]
			if l > uint64(size) {
				return nil, invalid("index entry %d: blob of %d values in a file of %d bytes", k, l, size)
			}
			e.lens[b] = int64(l)
			total += 4 * l
		}
		if e.sample < 0 || e.off < dataStart || total > uint64(idxOff-e.off) {
			return nil, invalid("index entry %d (sample %d): record at %d of %d bytes outside the data", k, e.sample, e.off, total)
		}
		if _, dup := c.entries[e.sample]; dup {
			return nil, invalid("sample %d listed twice", e.sample)
		}
		c.entries[e.sample] = e
	}
	if len(p) != 0 {
		return nil, invalid("%d stray bytes after the index", len(p))
	}
	return c, nil
}

// Len is the number of samples in the cache.
func (c *FeatureCache) Len() int { return len(c.entries) }

// Has reports whether sample i is in the cache.
func (c *FeatureCache) Has(i int) bool { _, ok := c.entries[int64(i)]; return ok }

// Lengths returns the lengths of sample i's blobs (nil if it is absent).
func (c *FeatureCache) Lengths(i int) []int {
	e, ok := c.entries[int64(i)]
	if !ok {
		return nil
	}
	out := make([]int, len(e.lens))
	for k, l := range e.lens {
		out[k] = int(l)
	}
	return out
}

// Get reads sample i's blobs into dst, one slice per blob of exactly the
// stored length, after checking the record's checksum (a mismatch wraps
// ErrCacheInvalid).
func (c *FeatureCache) Get(i int, dst ...[]float32) error {
	e, ok := c.entries[int64(i)]
	if !ok {
		return fmt.Errorf("train: feature cache %s: sample %d is not in the cache", c.path, i)
	}
	if len(dst) != len(e.lens) {
		return fmt.Errorf("train: feature cache %s: sample %d has %d blobs, %d buffers given", c.path, i, len(e.lens), len(dst))
	}
	for k, d := range dst {
		if int64(len(d)) != e.lens[k] {
			return fmt.Errorf("train: feature cache %s: sample %d blob %d has %d values, buffer %d", c.path, i, k, e.lens[k], len(d))
		}
	}
	n := e.bytes()
	bp, _ := c.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer c.bufs.Put(bp)
	if int64(cap(*bp)) < n {
		*bp = make([]byte, n)
	}
	buf := (*bp)[:n]
	if _, err := c.f.ReadAt(buf, e.off); err != nil {
		if errors.Is(err, io.EOF) {
			err = invalid("record cut short")
		}
		return fmt.Errorf("train: feature cache %s: sample %d: %w", c.path, i, err)
	}
	if crc32.Checksum(buf, castagnoli) != e.crc {
		return fmt.Errorf("train: feature cache %s: sample %d: %w", c.path, i, invalid("record checksum mismatch (corrupt file)"))
	}
	p := 0
	for _, d := range dst {
		for j := range d {
			d[j] = math.Float32frombits(binary.LittleEndian.Uint32(buf[p:]))
			p += 4
		}
	}
	return nil
}

// Close closes the file.
func (c *FeatureCache) Close() error {
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}
