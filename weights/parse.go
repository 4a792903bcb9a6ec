package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxHeaderSize is the largest JSON header accepted (100 MiB), a guard against
// corrupt length fields; real headers are a few hundred kilobytes at most.
const MaxHeaderSize = 100 << 20

// metadataKey is the header entry holding the file's string metadata.
const metadataKey = "__metadata__"

// FormatError reports a file that is not valid safetensors.
type FormatError struct {
	File   string // the path given to Open, or the name given to Parse
	Tensor string // the tensor concerned, or "" for the file as a whole
	Reason string // what is wrong
}

// Error formats the error as `weights FILE: tensor "NAME": REASON`.
func (e *FormatError) Error() string {
	if e.Tensor != "" {
		return fmt.Sprintf("weights %s: tensor %q: %s", e.File, e.Tensor, e.Reason)
	}
	return fmt.Sprintf("weights %s: %s", e.File, e.Reason)
}

// Info describes one tensor of a file.
type Info struct {
	Name  string
	DType DType
	Shape []int // nil or empty for a scalar
	// Begin and End are the tensor's byte range, relative to the start of the
	// data section (End-Begin = elements * DType.Size()).
	Begin, End int64
}

// NumElements returns the number of elements (1 for a scalar).
func (i Info) NumElements() int64 {
	n := int64(1)
	for _, d := range i.Shape {
		n *= int64(d)
	}
	return n
}

// Bytes returns the size of the tensor's data in bytes.
func (i Info) Bytes() int64 { return i.End - i.Begin }

// Parse validates data as a safetensors file and returns it as a File; name is
// used in error messages and returned by Path. The File keeps data and Float32
// and Raw may return slices aliasing it, so data must not change afterwards.
// Close on such a File only marks it closed.
func Parse(name string, data []byte) (*File, error) {
	return parse(name, data, nil)
}

// parser holds the state of one header validation.
type parser struct {
	file  string
	dec   *json.Decoder
	infos map[string]Info
	order []string // tensor names in header order (for deterministic errors)
	meta  map[string]string
}

func (p *parser) errf(tensor, format string, args ...any) error {
	return &FormatError{File: p.file, Tensor: tensor, Reason: fmt.Sprintf(format, args...)}
}

// parse validates data and builds the File around it; release (may be nil) is
// called by Close.
func parse(name string, data []byte, release func() error) (*File, error) {
	p := &parser{file: name}
	if len(data) < 8 {
		return nil, p.errf("", "file is %d bytes, shorter than the 8-byte header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderSize {
		return nil, p.errf("", "header length %d exceeds the limit of %d bytes (100 MiB)", n, MaxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return nil, p.errf("", "header length %d exceeds the %d bytes after the length field (file truncated?)", n, len(data)-8)
	}
	header := data[8 : 8+n]
	body := data[8+n:]
	if err := p.parseHeader(header); err != nil {
		return nil, err
	}
	if err := p.checkLayout(int64(len(body))); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(p.infos))
	for k := range p.infos {
		names = append(names, k)
	}
	sort.Strings(names)
	return &File{
		path:      name,
		data:      data,
		body:      body,
		headerLen: int64(n),
		size:      int64(len(data)),
		infos:     p.infos,
		names:     names,
		meta:      p.meta,
		release:   release,
	}, nil
}

// parseHeader walks the JSON header token by token, which (unlike decoding
// into a map) sees duplicate keys.
func (p *parser) parseHeader(header []byte) error {
	if len(header) == 0 {
		return p.errf("", "header is empty (expected a JSON object)")
	}
	if header[0] != '{' {
		return p.errf("", "header does not start with '{' (found byte 0x%02x)", header[0])
	}
	if !utf8.Valid(header) {
		return p.errf("", "header is not valid UTF-8")
	}
	p.dec = json.NewDecoder(bytes.NewReader(header))
	p.dec.UseNumber()
	p.infos = map[string]Info{}
	if _, err := p.dec.Token(); err != nil { // the '{' checked above
		return p.jsonErr("", err)
	}
	seenMeta := false
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return p.jsonErr("", err)
		}
		key, ok := tok.(string)
		if !ok { // the decoder returns object keys as strings; be safe anyway
			return p.errf("", "header is not valid JSON: key %v is not a string", tok)
		}
		if key == metadataKey {
			if seenMeta {
				return p.errf("", "duplicate %s entry", metadataKey)
			}
			seenMeta = true
			if err := p.parseMetadata(); err != nil {
				return err
			}
			continue
		}
		if key == "" {
			return p.errf("", "tensor with an empty name")
		}
		if _, dup := p.infos[key]; dup {
			return p.errf(key, "duplicate tensor name")
		}
		info, err := p.parseEntry(key)
		if err != nil {
			return err
		}
		p.infos[key] = info
		p.order = append(p.order, key)
	}
	if _, err := p.dec.Token(); err != nil { // the closing '}'
		return p.jsonErr("", err)
	}
	if tok, err := p.dec.Token(); err != io.EOF {
		if err != nil {
			return p.jsonErr("", err)
		}
		return p.errf("", "header has data after its JSON object (found %v)", tok)
	}
	return nil
}

// jsonErr turns a decoder error into a FormatError.
func (p *parser) jsonErr(tensor string, err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return p.errf(tensor, "header is not valid JSON: unexpected end of header")
	}
	return p.errf(tensor, "header is not valid JSON: %v", err)
}

// parseMetadata reads the value of "__metadata__": null or an object whose
// values are all strings.
func (p *parser) parseMetadata() error {
	tok, err := p.dec.Token()
	if err != nil {
		return p.jsonErr("", err)
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('{') {
		return p.errf("", "%s is %s, not an object of strings", metadataKey, describe(tok))
	}
	p.meta = map[string]string{}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return p.jsonErr("", err)
		}
		key, ok := tok.(string)
		if !ok {
			return p.errf("", "%s: key %v is not a string", metadataKey, tok)
		}
		if _, dup := p.meta[key]; dup {
			return p.errf("", "%s: duplicate key %q", metadataKey, key)
		}
		tok, err = p.dec.Token()
		if err != nil {
			return p.jsonErr("", err)
		}
		v, ok := tok.(string)
		if !ok {
			return p.errf("", "%s: value of %q is %s, not a string", metadataKey, key, describe(tok))
		}
		p.meta[key] = v
	}
	if _, err := p.dec.Token(); err != nil {
		return p.jsonErr("", err)
	}
	return nil
}

// parseEntry reads one tensor's {"dtype", "shape", "data_offsets"} object.
func (p *parser) parseEntry(name string) (Info, error) {
	info := Info{Name: name}
	tok, err := p.dec.Token()
	if err != nil {
		return info, p.jsonErr(name, err)
	}
	if tok != json.Delim('{') {
		return info, p.errf(name, "entry is %s, not an object", describe(tok))
	}
	var haveDType, haveShape, haveOffsets bool
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return info, p.jsonErr(name, err)
		}
		field, ok := tok.(string)
		if !ok {
			return info, p.errf(name, "entry key %v is not a string", tok)
		}
		switch field {
		case "dtype":
			if haveDType {
				return info, p.errf(name, "duplicate field \"dtype\"")
			}
			haveDType = true
			tok, err := p.dec.Token()
			if err != nil {
				return info, p.jsonErr(name, err)
			}
			s, ok := tok.(string)
			if !ok {
				return info, p.errf(name, "dtype is %s, not a string", describe(tok))
			}
			info.DType = DType(s)
			if !info.DType.Known() {
				return info, p.errf(name, "unknown dtype %q", s)
			}
		case "shape":
			if haveShape {
				return info, p.errf(name, "duplicate field \"shape\"")
			}
			haveShape = true
			dims, err := p.intArray(name, "shape", -1)
			if err != nil {
				return info, err
			}
			info.Shape = make([]int, len(dims))
			for i, d := range dims {
				if d > math.MaxInt {
					return info, p.errf(name, "shape dimension %d overflows this platform's int", d)
				}
				info.Shape[i] = int(d)
			}
		case "data_offsets":
			if haveOffsets {
				return info, p.errf(name, "duplicate field \"data_offsets\"")
			}
			haveOffsets = true
			off, err := p.intArray(name, "data_offsets", 2)
			if err != nil {
				return info, err
			}
			info.Begin, info.End = off[0], off[1]
		default:
			return info, p.errf(name, "unknown field %q (expected dtype, shape, data_offsets)", field)
		}
	}
	if _, err := p.dec.Token(); err != nil {
		return info, p.jsonErr(name, err)
	}
	switch {
	case !haveDType:
		return info, p.errf(name, "missing field \"dtype\"")
	case !haveShape:
		return info, p.errf(name, "missing field \"shape\"")
	case !haveOffsets:
		return info, p.errf(name, "missing field \"data_offsets\"")
	}
	return info, nil
}

// intArray reads a JSON array of non-negative integers; want >= 0 demands
// that many elements.
func (p *parser) intArray(name, field string, want int) ([]int64, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.jsonErr(name, err)
	}
	if tok != json.Delim('[') {
		return nil, p.errf(name, "%s is %s, not an array of integers", field, describe(tok))
	}
	out := []int64{}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, p.jsonErr(name, err)
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, p.errf(name, "%s holds %s, not an integer", field, describe(tok))
		}
		v, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			if strings.HasPrefix(string(num), "-") && errors.Is(err, strconv.ErrRange) {
				return nil, p.errf(name, "%s holds the negative number %s", field, num)
			}
			if errors.Is(err, strconv.ErrRange) {
				return nil, p.errf(name, "%s holds %s, too large", field, num)
			}
			return nil, p.errf(name, "%s holds %s, not an integer", field, num)
		}
		if v < 0 {
			return nil, p.errf(name, "%s holds the negative number %d", field, v)
		}
		out = append(out, v)
	}
	if _, err := p.dec.Token(); err != nil {
		return nil, p.jsonErr(name, err)
	}
	if want >= 0 && len(out) != want {
		return nil, p.errf(name, "%s has %d elements, want %d", field, len(out), want)
	}
	return out, nil
}

// describe names the JSON kind of a decoder token for error messages.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "the number " + string(t)
	case string:
		return fmt.Sprintf("the string %q", t)
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		return "an array"
	}
	return fmt.Sprintf("%v", tok)
}

// checkLayout checks each tensor's size against its shape and dtype, and that
// the byte ranges tile the data section of bodyLen bytes exactly.
func (p *parser) checkLayout(bodyLen int64) error {
	for _, name := range p.order {
		info := p.infos[name]
		if info.Begin > info.End {
			return p.errf(name, "data_offsets [%d, %d]: begin %d is after end %d", info.Begin, info.End, info.Begin, info.End)
		}
		if info.End > bodyLen {
			return p.errf(name, "data_offsets [%d, %d] reach past the end of the %d-byte data section (file truncated?)", info.Begin, info.End, bodyLen)
		}
		need, ok := byteSize(info.Shape, info.DType.Size())
		if !ok {
			return p.errf(name, "shape %s of %s overflows (too many elements)", shapeString(info.Shape), info.DType)
		}
		if have := info.End - info.Begin; have != need {
			return p.errf(name, "data_offsets [%d, %d] hold %d bytes, shape %s of %s needs %d", info.Begin, info.End, have, shapeString(info.Shape), info.DType, need)
		}
	}
	sorted := append([]string(nil), p.order...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := p.infos[sorted[i]], p.infos[sorted[j]]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		if a.End != b.End {
			return a.End < b.End
		}
		return a.Name < b.Name
	})
	var pos int64
	prev := ""
	for _, name := range sorted {
		info := p.infos[name]
		switch {
		case info.Begin < pos:
			return p.errf(name, "data_offsets [%d, %d] overlap tensor %q, which ends at %d", info.Begin, info.End, prev, pos)
		case info.Begin > pos && prev == "":
			return p.errf(name, "data_offsets [%d, %d] leave a gap of %d bytes at the start of the data section", info.Begin, info.End, info.Begin-pos)
		case info.Begin > pos:
			return p.errf(name, "data_offsets [%d, %d] leave a gap of %d bytes after tensor %q, which ends at %d", info.Begin, info.End, info.Begin-pos, prev, pos)
		}
		pos, prev = info.End, name
	}
	if pos != bodyLen {
		return p.errf("", "%d trailing bytes after the last tensor's data (data section is %d bytes, tensors cover %d)", bodyLen-pos, bodyLen, pos)
	}
	return nil
}

// byteSize returns product(shape) * elemSize, or false if it overflows int64
// (or, for the element count, int). Dimensions are non-negative. A shape with
// a zero dimension has size 0, but its other dimensions must still not
// overflow, whatever their order.
func byteSize(shape []int, elemSize int) (int64, bool) {
	n, zero := int64(1), false
	for _, d := range shape {
		if d == 0 {
			zero = true
			continue
		}
		if n > math.MaxInt64/int64(d) {
			return 0, false
		}
		n *= int64(d)
	}
	if n > math.MaxInt || n > math.MaxInt64/int64(elemSize) {
		return 0, false
	}
	if zero {
		return 0, true
	}
	return n * int64(elemSize), true
}

// shapeString formats a shape as [2,3] ([] for a scalar).
func shapeString(shape []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range shape {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteByte(']')
	return b.String()
}
