package train

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// writeCache builds a cache of n samples (sample i holds blobs of lengths
// 5+i and 3, except sample 2 which holds one blob) with seeded values.
func writeCache(t testing.TB, path, key string, n int) map[int][][]float32 {
	t.Helper()
	w, err := CreateFeatureCache(path, key)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[int][][]float32{}
	for _, i := range rng.Perm(n) { // any order
		lens := []int{5 + i, 3}
		if i == 2 {
			lens = []int{7}
		}
		var blobs [][]float32
		for _, l := range lens {
			b := make([]float32, l)
			for k := range b {
				b[k] = float32(rng.NormFloat64())
			}
			blobs = append(blobs, b)
		}
		if i == 0 {
			blobs[0][0] = float32(math.NaN()) // stored bit for bit
			blobs[0][1] = float32(math.Inf(-1))
		}
		want[i] = blobs
		if err := w.Put(i, blobs...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return want
}

func TestFeatureCacheRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feat.cache")
	want := writeCache(t, path, "vitpose-b 256x192 train.json", 6)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the folder holds %d files after Commit, want only the cache", len(entries))
	}
	c, err := OpenFeatureCache(path, "vitpose-b 256x192 train.json")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Len() != 6 || !c.Has(5) || c.Has(6) || c.Has(-1) {
		t.Fatalf("Len %d, Has(5) %v, Has(6) %v", c.Len(), c.Has(5), c.Has(6))
	}
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ { // concurrent readers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, blobs := range want {
				lens := c.Lengths(i)
				if len(lens) != len(blobs) {
					t.Errorf("sample %d: lengths %v", i, lens)
					return
				}
				dst := make([][]float32, len(lens))
				for k, l := range lens {
					dst[k] = make([]float32, l)
				}
				if err := c.Get(i, dst...); err != nil {
					t.Error(err)
					return
				}
				for k := range blobs {
					if !equalF32(dst[k], blobs[k]) {
						t.Errorf("sample %d blob %d differs", i, k)
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"absent", c.Get(9, make([]float32, 1)), "not in the cache"},
		{"blob count", c.Get(1, make([]float32, 6)), "2 blobs, 1 buffers"},
		{"blob length", c.Get(1, make([]float32, 6), make([]float32, 4)), "blob 1 has 3 values"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, tc.err, tc.want)
		}
	}
}

func TestFeatureCacheWriterErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.cache")
	w, err := CreateFeatureCache(path, "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put(1, []float32{1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Put(1, []float32{2}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate sample: %v", err)
	}
	if err := w.Put(-1, []float32{2}); err == nil {
		t.Error("negative sample accepted")
	}
	w.Abort()
	if err := w.Put(2, []float32{1}); err == nil {
		t.Error("Put after Abort accepted")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Abort left %d files", len(entries))
	}
	if _, err := OpenFeatureCache(path, "k"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing cache: error %v, want os.ErrNotExist", err)
	}
	// An empty cache is valid.
	w, _ = CreateFeatureCache(path, "")
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	c, err := OpenFeatureCache(path, "")
	if err != nil || c.Len() != 0 {
		t.Fatalf("empty cache: %v", err)
	}
	c.Close()
}

// TestFeatureCacheCorruption cuts and damages a cache file in every region
// and checks that opening or reading it reports ErrCacheInvalid (never a
// panic, never wrong values), and that another key is ErrCacheStale.
func TestFeatureCacheCorruption(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feat.cache")
	const key = "key-1"
	want := writeCache(t, path, key, 5)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFeatureCache(path, "key-2"); !errors.Is(err, ErrCacheStale) || !errors.Is(err, ErrCacheInvalid) {
		t.Errorf("other key: error %v, want ErrCacheStale", err)
	}
	// readAll opens the damaged file and reads every sample; it returns the
	// first error.
	readAll := func(data []byte) error {
		p := filepath.Join(dir, "bad.cache")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := OpenFeatureCache(p, key)
		if err != nil {
			return err
		}
		defer c.Close()
		for i, blobs := range want {
			dst := make([][]float32, len(blobs))
			for k := range blobs {
				dst[k] = make([]float32, len(blobs[k]))
			}
			if err := c.Get(i, dst...); err != nil {
				return err
			}
			for k := range blobs {
				if !equalF32(dst[k], blobs[k]) {
					t.Fatalf("damaged file gave wrong values for sample %d without an error", i)
				}
			}
		}
		return nil
	}
	if err := readAll(good); err != nil {
		t.Fatal(err)
	}
	for cut := 0; cut < len(good); cut += 1 + cut/7 {
		if err := readAll(good[:cut]); !errors.Is(err, ErrCacheInvalid) {
			t.Fatalf("file cut to %d of %d bytes: error %v, want ErrCacheInvalid", cut, len(good), err)
		}
	}
	for pos := 0; pos < len(good); pos++ {
		bad := append([]byte(nil), good...)
		bad[pos] ^= 0x10
		err := readAll(bad)
		if pos >= 12 && pos < 12+len(key) { // the key itself
			if !errors.Is(err, ErrCacheStale) {
				t.Fatalf("byte %d (key) flipped: error %v, want ErrCacheStale", pos, err)
			}
			continue
		}
		if pos >= len(good)-featureTrailer+20 && pos < len(good)-8 { // the 4 unused trailer bytes
			continue
		}
		if !errors.Is(err, ErrCacheInvalid) {
			t.Fatalf("byte %d of %d flipped: error %v, want ErrCacheInvalid", pos, len(good), err)
		}
	}
}

func FuzzFeatureCache(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.cache")
	writeCache(f, path, "k", 3)
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(featureMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.cache")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := OpenFeatureCache(p, "k")
		if err != nil {
			if !errors.Is(err, ErrCacheInvalid) {
				t.Fatalf("error %v does not wrap ErrCacheInvalid", err)
			}
			return
		}
		defer c.Close()
		for i := 0; i < 8; i++ {
			lens := c.Lengths(i)
			if lens == nil {
				continue
			}
			dst := make([][]float32, len(lens))
			for k, l := range lens {
				dst[k] = make([]float32, l)
			}
			if err := c.Get(i, dst...); err != nil && !errors.Is(err, ErrCacheInvalid) {
				t.Fatalf("Get: %v", err)
			}
		}
	})
}
