package weights

// DType is a safetensors element type, spelled as in the file header ("F32",
// "BF16", ...). F32, F16 and BF16 can be read as float32 (Float32) and written
// (Write); I8 can be read (File.Int8) and written (Tensor.Int8) as int8; the
// other known types can be listed and read as raw bytes (Raw).
// A header naming a type not in this list is rejected when the file is parsed.
type DType string

// The float types this package converts to and from float32.
const (
	F32  DType = "F32"  // IEEE 754 binary32
	F16  DType = "F16"  // IEEE 754 binary16
	BF16 DType = "BF16" // bfloat16: the upper half of a binary32
)

// Other safetensors types: known (their files parse and Raw returns their
// bytes) but not convertible to float32.
const (
	F64    DType = "F64"
	F8E4M3 DType = "F8_E4M3"
	F8E5M2 DType = "F8_E5M2"
	F8E8M0 DType = "F8_E8M0"
	C64    DType = "C64"
	I64    DType = "I64"
	I32    DType = "I32"
	I16    DType = "I16"
	I8     DType = "I8"
	U64    DType = "U64"
	U32    DType = "U32"
	U16    DType = "U16"
	U8     DType = "U8"
	BOOL   DType = "BOOL"
)

// dtypeSizes holds the element size in bytes of every known dtype (a constant
// table). The sub-byte types of newer safetensors versions (F4, F6_E2M3,
// F6_E3M2) are not listed: their files are rejected as "unknown dtype".
var dtypeSizes = map[DType]int{
	F32: 4, F16: 2, BF16: 2,
	F64: 8, F8E4M3: 1, F8E5M2: 1, F8E8M0: 1, C64: 8,
	I64: 8, I32: 4, I16: 2, I8: 1,
	U64: 8, U32: 4, U16: 2, U8: 1,
	BOOL: 1,
}

// Size returns the size of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int { return dtypeSizes[d] }

// Known reports whether d is a safetensors dtype this package can parse.
func (d DType) Known() bool { return dtypeSizes[d] != 0 }

// IsFloat32Convertible reports whether values of this dtype can be read with
// Float32 and written with Write (F32, F16 and BF16).
func (d DType) IsFloat32Convertible() bool { return d == F32 || d == F16 || d == BF16 }
