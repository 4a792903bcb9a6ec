package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Example_featureCache shows the open-or-rebuild pattern: a missing, cut
// short, corrupt or stale cache is built again.
func Example_featureCache() {
	dir, _ := os.MkdirTemp("", "features")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "train.features")
	key := "ViTPose-B sha256:1234 train.json 256x192" // what the features depend on

	build := func() error {
		w, err := CreateFeatureCache(path, key)
		if err != nil {
			return err
		}
		for i := 0; i < 4; i++ {
			last, tap := []float32{float32(i), 1, 2}, []float32{float32(-i)} // stands in for the backbone
			if err := w.Put(i, last, tap); err != nil {
				w.Abort()
				return err
			}
		}
		fmt.Println("built the cache")
		return w.Commit()
	}
	for run := 0; run < 2; run++ {
		c, err := OpenFeatureCache(path, key)
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrCacheInvalid) {
			if err = build(); err == nil {
				c, err = OpenFeatureCache(path, key)
			}
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		last, tap := make([]float32, 3), make([]float32, 1)
		if err := c.Get(2, last, tap); err != nil {
			fmt.Println(err)
		}
		fmt.Println(c.Len(), "samples; sample 2:", last, tap)
		c.Close()
	}
	// Output:
	// built the cache
	// 4 samples; sample 2: [2 1 2] [-2]
	// 4 samples; sample 2: [2 1 2] [-2]
}
