package weights

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// ErrNotFound is wrapped by the error of Float32 and Raw for a name the file
// does not hold.
var ErrNotFound = errors.New("no such tensor")

// ErrClosed is wrapped by the error of a method called after Close.
var ErrClosed = errors.New("file is closed")

// ErrNotConvertible is wrapped by the error of Float32 for a tensor whose
// dtype is not F32, F16 or BF16.
var ErrNotConvertible = errors.New("dtype cannot be read as float32")

// File is a validated safetensors file, opened by Open or Parse.
// See the package documentation for the lifetime of the slices it returns.
type File struct {
	path      string
	data      []byte // the whole file: a read-only mapping or a buffer
	body      []byte // the data section, data[8+headerLen:]
	headerLen int64
	size      int64 // len(data), kept after Close
	infos     map[string]Info
	names     []string // sorted
	meta      map[string]string
	release   func() error // unmaps data; nil when there is nothing to free
	closed    bool
}

// Open maps (Linux, macOS) or reads (elsewhere) the file at path and validates
// it. Call Close when done with the File and every slice it returned.
func Open(path string) (*File, error) {
	data, release, err := load(path)
	if err != nil {
		return nil, fmt.Errorf("weights %s: %w", path, err)
	}
	f, err := parse(path, data, release)
	if err != nil {
		if release != nil {
			release()
		}
		return nil, err
	}
	return f, nil
}

// Close releases the file's memory. Slices returned by Float32 (F32 without a
// copy) and Raw become invalid: the memory they refer to is unmapped. Close
// is idempotent.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	f.data, f.body = nil, nil
	if f.release != nil {
		if err := f.release(); err != nil {
			return fmt.Errorf("weights %s: unmapping: %w", f.path, err)
		}
	}
	return nil
}

// Path returns the path given to Open or the name given to Parse.
func (f *File) Path() string { return f.path }

// Size returns the file size in bytes: 8 + HeaderSize + the data section.
func (f *File) Size() int64 { return f.size }

// HeaderSize returns the length of the JSON header in bytes (padding
// included).
func (f *File) HeaderSize() int64 { return f.headerLen }

// Names returns the tensor names, sorted.
func (f *File) Names() []string { return slices.Clone(f.names) }

// Info returns the description of the named tensor.
func (f *File) Info(name string) (Info, bool) {
	info, ok := f.infos[name]
	if ok {
		info.Shape = slices.Clone(info.Shape)
	}
	return info, ok
}

// Has reports whether the file holds a tensor of this name.
func (f *File) Has(name string) bool {
	_, ok := f.infos[name]
	return ok
}

// Metadata returns a copy of the file's "__metadata__" map (empty, not nil,
// if the file has none).
func (f *File) Metadata() map[string]string {
	m := make(map[string]string, len(f.meta))
	maps.Copy(m, f.meta)
	return m
}

// Raw returns the named tensor's bytes as stored (little-endian elements),
// whatever its dtype. The slice aliases the file: read-only, valid until
// Close.
func (f *File) Raw(name string) ([]byte, error) {
	info, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	return f.body[info.Begin:info.End:info.End], nil
}

// Float32 returns the named tensor's values as float32, with its shape.
//
// F32 data that is 4-byte aligned on a little-endian host is returned without
// copying: the slice aliases the file's memory, is read-only (writing to a
// mapped file's slice faults) and is valid only until Close. F16 and BF16
// data, and F32 data that cannot be aliased, are converted exactly into a new
// slice owned by the caller. Other dtypes give an error wrapping
// ErrNotConvertible.
func (f *File) Float32(name string) ([]float32, []int, error) {
	info, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	raw := f.body[info.Begin:info.End]
	var out []float32
	switch info.DType {
	case F32:
		if out = aliasF32(raw); out == nil {
			out = make([]float32, len(raw)/4)
			decodeF32(out, raw)
		}
	case F16:
		out = make([]float32, len(raw)/2)
		decodeF16(out, raw)
	case BF16:
		out = make([]float32, len(raw)/2)
		decodeBF16(out, raw)
	default:
		return nil, nil, fmt.Errorf("weights %s: tensor %q: %w (dtype %s; F32, F16 and BF16 can)", f.path, name, ErrNotConvertible, info.DType)
	}
	return out[:len(out):len(out)], slices.Clone(info.Shape), nil
}

// Int8 returns the values of the named I8 tensor, with its shape. The slice
// aliases the file's memory: read-only and valid only until Close. Other
// dtypes are an error naming the tensor's dtype.
func (f *File) Int8(name string) ([]int8, []int, error) {
	info, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	if info.DType != I8 {
		return nil, nil, fmt.Errorf("weights %s: tensor %q: dtype %s, not I8", f.path, name, info.DType)
	}
	raw := f.body[info.Begin:info.End:info.End]
	return aliasI8(raw), slices.Clone(info.Shape), nil
}

func (f *File) lookup(name string) (Info, error) {
	if f.closed {
		return Info{}, fmt.Errorf("weights %s: tensor %q: %w", f.path, name, ErrClosed)
	}
	info, ok := f.infos[name]
	if !ok {
		return Info{}, fmt.Errorf("weights %s: tensor %q: %w", f.path, name, ErrNotFound)
	}
	return info, nil
}
