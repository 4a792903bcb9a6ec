package train

import (
	"container/list"
	"sync"

	"github.com/ladderpose/ladderpose/pipeline"
)

// CacheStats count the decoded-image cache's work.
type CacheStats struct {
	Hits, Misses, Evictions int64
	Images                  int   // images held now
	Bytes                   int64 // their pixel bytes
	Limit                   int64 // the bound on Bytes
}

// imageCache keeps decoded images in memory up to a bound on their pixel
// bytes, evicting the least recently used. Concurrent requests for the same
// image wait for one decode. Failed decodes are not kept.
type imageCache struct {
	mu      sync.Mutex
	limit   int64
	entries map[int]*cacheEntry
	lru     list.List // of *cacheEntry, most recently used at the front
	stats   CacheStats
}

type cacheEntry struct {
	key   int
	img   *pipeline.RGB
	err   error
	ready chan struct{} // closed when img or err is set
	elem  *list.Element // nil until ready and kept
	size  int64
}

func newImageCache(limit int64) *imageCache {
	return &imageCache{limit: max(limit, 0), entries: map[int]*cacheEntry{}, stats: CacheStats{Limit: max(limit, 0)}}
}

// get returns image key, calling load if it is not held.
func (c *imageCache) get(key int, load func() (*pipeline.RGB, error)) (*pipeline.RGB, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.stats.Hits++
		if e.elem != nil {
			c.lru.MoveToFront(e.elem)
		}
		c.mu.Unlock()
		<-e.ready
		return e.img, e.err
	}
	c.stats.Misses++
	if c.limit == 0 {
		c.mu.Unlock()
		return load()
	}
	e := &cacheEntry{key: key, ready: make(chan struct{})}
	c.entries[key] = e
	c.mu.Unlock()

	img, err := load()

	c.mu.Lock()
	e.img, e.err = img, err
	if err != nil || int64(len(img.Pix)) > c.limit {
		delete(c.entries, key) // waiters still get the result from e
	} else {
		e.size = int64(len(img.Pix))
		e.elem = c.lru.PushFront(e)
		c.stats.Bytes += e.size
		c.stats.Images++
		for c.stats.Bytes > c.limit {
			old := c.lru.Back().Value.(*cacheEntry)
			c.lru.Remove(old.elem)
			delete(c.entries, old.key)
			c.stats.Bytes -= old.size
			c.stats.Images--
			c.stats.Evictions++
		}
	}
	close(e.ready)
	c.mu.Unlock()
	return img, err
}

func (c *imageCache) snapshot() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}
