package weights

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/x448/float16"
)

// hostLittleEndian reports whether the machine stores integers little-endian,
// the byte order of safetensors data.
func hostLittleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// aliasF32 returns src viewed as float32 values without copying, or nil when
// that is not possible (big-endian host, or src not 4-byte aligned).
// len(src) must be a multiple of 4.
func aliasF32(src []byte) []float32 {
	if len(src) == 0 {
		return []float32{}
	}
	p := unsafe.Pointer(unsafe.SliceData(src))
	if !hostLittleEndian() || uintptr(p)%4 != 0 {
		return nil
	}
	return unsafe.Slice((*float32)(p), len(src)/4)
}

// aliasI8 returns src viewed as int8 values (same bytes, any alignment).
func aliasI8(src []byte) []int8 {
	if len(src) == 0 {
		return []int8{}
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(src))), len(src))
}

// decodeF32 converts little-endian binary32 values; len(src) == 4*len(dst).
func decodeF32(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

// decodeF16 converts little-endian binary16 values exactly (every binary16
// value, subnormals included, is a binary32 value; NaN stays NaN).
// len(src) == 2*len(dst).
func decodeF16(dst []float32, src []byte) {
	src = src[:2*len(dst)]
	for i := range dst {
		h := uint32(src[2*i]) | uint32(src[2*i+1])<<8
		if e := h & 0x7c00; e != 0 && e != 0x7c00 {
			// normal: rebias the exponent (15 -> 127) and widen the mantissa
			dst[i] = math.Float32frombits((h&0x8000)<<16 | ((h&0x7fff)+(127-15)<<10)<<13)
			continue
		}
		dst[i] = float16.Frombits(uint16(h)).Float32() // zero, subnormal, inf, NaN
	}
}

// decodeBF16 converts little-endian bfloat16 values exactly: a bfloat16 is the
// upper 16 bits of a binary32. len(src) == 2*len(dst).
func decodeBF16(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
	}
}

// encodeF32 stores src as little-endian binary32; len(dst) == 4*len(src).
func encodeF32(dst []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

// encodeF16 stores src as little-endian binary16, rounding to nearest even;
// values beyond the binary16 range become infinities and NaN stays NaN.
// len(dst) == 2*len(src).
func encodeF16(dst []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], float16.Fromfloat32(v).Bits())
	}
}

// encodeBF16 stores src as little-endian bfloat16; len(dst) == 2*len(src).
func encodeBF16(dst []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], bf16FromFloat32(v))
	}
}

// bf16FromFloat32 rounds v to bfloat16 to nearest, ties to even. A NaN keeps
// its sign and upper payload bits and gets the quiet bit set, so that dropping
// the low payload bits cannot turn it into an infinity.
func bf16FromFloat32(v float32) uint16 {
	b := math.Float32bits(v)
	if b&0x7fffffff > 0x7f800000 { // NaN
		return uint16(b>>16) | 0x0040
	}
	// Adding 0x7fff rounds up exactly when the dropped half is above 0x8000;
	// the extra lsb of the kept half breaks a tie towards even. A carry into
	// the exponent is correct (it may round up to infinity).
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}
