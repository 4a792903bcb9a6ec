package weights

import (
	"fmt"
	"unsafe"
)

func unsafePointer(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// Evict drops the memory pages holding a tensor's data from the process's
// resident set, for a caller that has copied (or packed) the tensor and will
// not read it again soon: loading a large model tensor by tensor then keeps
// only one copy of the weights resident. On a mapped file the data stays
// valid (the pages are read again from the file if touched); on a file read
// into memory (or given to Parse) Evict does nothing.
func (f *File) Evict(name string) error {
	if f.closed {
		return fmt.Errorf("weights %s: %w", f.path, ErrClosed)
	}
	info, ok := f.infos[name]
	if !ok {
		return fmt.Errorf("weights %s: tensor %q: %w", f.path, name, ErrNotFound)
	}
	if err := evict(f.body[info.Begin:info.End], f.release != nil); err != nil {
		return fmt.Errorf("weights %s: tensor %q: evict: %w", f.path, name, err)
	}
	return nil
}
