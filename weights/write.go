package weights

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Tensor is a tensor to write: Data holds product(Shape) values (1 for a
// scalar, Shape nil or empty), row-major, which Write stores as DType (F32,
// F16 or BF16). An I8 tensor holds its values in Int8 instead (Data nil),
// stored as they are (quantized weights, say).
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []float32
	Int8  []int8 // the values of an I8 tensor
}

// values returns the number of values t holds for its dtype.
func (t Tensor) values() int {
	if t.DType == I8 {
		return len(t.Int8)
	}
	return len(t.Data)
}

// Write stores tensors and metadata (nil or empty for none) as a safetensors
// file at path, atomically: the bytes go to a temporary file in the same
// folder, which is synced and then renamed over path, so that path holds
// either its old content or the whole new file. The bytes are those of Encode.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	l, err := layout(tensors, metadata)
	if err != nil {
		return fmt.Errorf("weights %s: %w", path, err)
	}
	if err := writeAtomic(path, l.writeTo); err != nil {
		return fmt.Errorf("weights %s: %w", path, err)
	}
	return nil
}

// Encode returns the safetensors bytes of tensors and metadata: names sorted,
// data contiguous in that order, header padded with spaces so that the data
// section starts at a multiple of 8 bytes.
func Encode(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	l, err := layout(tensors, metadata)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(int(l.size))
	if err := l.writeTo(&buf); err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	return buf.Bytes(), nil
}

// fileLayout is a validated set of tensors in file order with its header.
type fileLayout struct {
	tensors []Tensor // sorted by name
	header  []byte   // JSON, padded
	size    int64    // total file size
}

// layout validates the tensors and builds the header.
func layout(tensors []Tensor, metadata map[string]string) (*fileLayout, error) {
	sorted := slices.Clone(tensors)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var h bytes.Buffer
	h.WriteByte('{')
	first := true
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(metadata[k]) {
				return nil, fmt.Errorf("metadata %q: key or value is not valid UTF-8", k)
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		h.WriteString(jsonString(metadataKey))
		h.WriteString(":{")
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			h.WriteString(jsonString(k))
			h.WriteByte(':')
			h.WriteString(jsonString(metadata[k]))
		}
		h.WriteByte('}')
		first = false
	}
	var offset int64
	for i, t := range sorted {
		if err := checkTensor(t); err != nil {
			return nil, err
		}
		if i > 0 && sorted[i-1].Name == t.Name {
			return nil, fmt.Errorf("tensor %q: duplicate name", t.Name)
		}
		n := int64(t.values()) * int64(t.DType.Size())
		if !first {
			h.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&h, `%s:{"dtype":%s,"shape":[%s],"data_offsets":[%d,%d]}`,
			jsonString(t.Name), jsonString(string(t.DType)), strings.Trim(shapeString(t.Shape), "[]"), offset, offset+n)
		offset += n
	}
	h.WriteByte('}')
	for (8+h.Len())%8 != 0 {
		h.WriteByte(' ')
	}
	return &fileLayout{tensors: sorted, header: h.Bytes(), size: 8 + int64(h.Len()) + offset}, nil
}

// checkTensor validates one tensor to write.
func checkTensor(t Tensor) error {
	switch {
	case t.Name == "":
		return fmt.Errorf("tensor with an empty name")
	case t.Name == metadataKey:
		return fmt.Errorf("tensor %q: the name is reserved for metadata", t.Name)
	case !utf8.ValidString(t.Name):
		return fmt.Errorf("tensor %q: name is not valid UTF-8", t.Name)
	case !t.DType.IsFloat32Convertible() && t.DType != I8:
		return fmt.Errorf("tensor %q: cannot write dtype %q (F32, F16, BF16 and I8 can be written)", t.Name, t.DType)
	case t.DType == I8 && t.Data != nil:
		return fmt.Errorf("tensor %q: an I8 tensor holds its values in Int8, not Data", t.Name)
	case t.DType != I8 && t.Int8 != nil:
		return fmt.Errorf("tensor %q: Int8 values need dtype I8, not %s", t.Name, t.DType)
	}
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q: shape %s has a negative dimension", t.Name, shapeString(t.Shape))
		}
	}
	need, ok := byteSize(t.Shape, 1)
	if !ok {
		return fmt.Errorf("tensor %q: shape %s overflows", t.Name, shapeString(t.Shape))
	}
	if int64(t.values()) != need {
		return fmt.Errorf("tensor %q: %d values for shape %s, which needs %d", t.Name, t.values(), shapeString(t.Shape), need)
	}
	return nil
}

// jsonString returns s, valid UTF-8, as a JSON string literal: quote,
// backslash and control characters escaped, everything else as is.
func jsonString(s string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeTo writes the whole file, converting the data in chunks.
func (l *fileLayout) writeTo(w io.Writer) error {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(l.header)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(l.header); err != nil {
		return err
	}
	const chunk = 16 << 10 // values per conversion
	buf := make([]byte, chunk*4)
	for _, t := range l.tensors {
		if t.DType == I8 {
			for start := 0; start < len(t.Int8); start += len(buf) {
				src := t.Int8[start:min(start+len(buf), len(t.Int8))]
				dst := buf[:len(src)]
				for i, v := range src {
					dst[i] = byte(v)
				}
				if _, err := w.Write(dst); err != nil {
					return err
				}
			}
			continue
		}
		size := t.DType.Size()
		for start := 0; start < len(t.Data); start += chunk {
			src := t.Data[start:min(start+chunk, len(t.Data))]
			dst := buf[:len(src)*size]
			switch t.DType {
			case F32:
				encodeF32(dst, src)
			case F16:
				encodeF16(dst, src)
			case BF16:
				encodeBF16(dst, src)
			}
			if _, err := w.Write(dst); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeAtomic creates path with the bytes fill writes: into a temporary file
// in the same folder, synced, then renamed over path. On any failure the
// temporary file is removed and path is left as it was.
func writeAtomic(path string, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = fill(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable where the system allows it. Errors
// are ignored: some systems and file systems cannot sync a directory, and the
// file itself is already complete and synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
