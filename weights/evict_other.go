//go:build !(linux || darwin)

package weights

// evict does nothing where files are read into memory rather than mapped.
func evict(b []byte, mapped bool) error { return nil }
