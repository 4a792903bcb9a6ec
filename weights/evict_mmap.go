//go:build linux || darwin

package weights

import "golang.org/x/sys/unix"

// evict tells the kernel that the mapped pages wholly inside b are not
// needed now: they leave the process's resident set (they are clean file
// pages, read back from the file if touched again).
func evict(b []byte, mapped bool) error {
	if !mapped || len(b) == 0 {
		return nil
	}
	page := unix.Getpagesize()
	start := uintptr(unsafePointer(b))
	lo := (start + uintptr(page) - 1) &^ (uintptr(page) - 1)
	hi := (start + uintptr(len(b))) &^ (uintptr(page) - 1)
	if hi <= lo {
		return nil
	}
	return unix.Madvise(b[lo-start:hi-start], unix.MADV_DONTNEED)
}
