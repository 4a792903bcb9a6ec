package weights

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rawFile builds a safetensors file from a literal header and data section,
// without going through this package's writer.
func rawFile(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

// withLength returns a file that is only a header length field (and rest).
func withLength(n uint64, rest string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

// on64 returns msg on 64-bit platforms; on 32-bit ones the dimensions of the
// overflow cases are already too large for an int.
func on64(msg string) string {
	if strconv.IntSize == 32 {
		return "overflows this platform's int"
	}
	return msg
}

type parseErrorCase struct {
	name   string
	data   []byte
	tensor string   // the tensor the error must name ("" for none)
	want   []string // substrings of the message
}

// parseErrorCases lists one input per validation rule (also seeds FuzzParse).
func parseErrorCases() []parseErrorCase {
	b16 := make([]byte, 16)
	e := func(dtype, shape, offsets string) string {
		return `{"dtype":"` + dtype + `","shape":` + shape + `,"data_offsets":` + offsets + `}`
	}
	return []parseErrorCase{
		{"empty file", nil, "", []string{"file is 0 bytes", "shorter than the 8-byte header length"}},
		{"7 bytes", []byte{2, 0, 0, 0, 0, 0, 0}, "", []string{"file is 7 bytes"}},
		{"header past end", withLength(100, "{}"), "", []string{"header length 100 exceeds the 2 bytes", "truncated"}},
		{"header over limit", withLength(200<<20, "{}"), "", []string{"header length 209715200", "100 MiB"}},
		{"header length max u64", withLength(1<<64-1, "{}"), "", []string{"header length 18446744073709551615", "100 MiB"}},
		{"empty header", withLength(0, ""), "", []string{"header is empty"}},
		{"array header", rawFile(`[1]`, nil), "", []string{"does not start with '{'"}},
		{"leading space", rawFile(` {}`, nil), "", []string{"does not start with '{'", "0x20"}},
		{"invalid utf8", rawFile("{\"\xff\":1}", nil), "", []string{"not valid UTF-8"}},
		{"truncated json", rawFile(`{"a":{"dtype":"F32",`, nil), "a", []string{"not valid JSON", "unexpected end"}},
		{"json syntax", rawFile(`{"a" 1}`, nil), "a", []string{"not valid JSON", "invalid character"}},
		{"unquoted key", rawFile(`{a:1}`, nil), "", []string{"not valid JSON"}},
		{"second object", rawFile(`{}{}`, nil), "", []string{"data after its JSON object"}},
		{"trailing garbage", rawFile(`{} x`, nil), "", []string{"not valid JSON"}},
		{"trailing nul padding", rawFile("{}\x00\x00", nil), "", []string{"not valid JSON"}},
		{"metadata string", rawFile(`{"__metadata__":"x"}`, nil), "", []string{"__metadata__ is the string \"x\", not an object of strings"}},
		{"metadata array", rawFile(`{"__metadata__":[]}`, nil), "", []string{"__metadata__ is an array"}},
		{"metadata number value", rawFile(`{"__metadata__":{"epochs":3}}`, nil), "", []string{`value of "epochs" is the number 3, not a string`}},
		{"metadata object value", rawFile(`{"__metadata__":{"cfg":{"a":1}}}`, nil), "", []string{`value of "cfg" is an object, not a string`}},
		{"metadata null value", rawFile(`{"__metadata__":{"k":null}}`, nil), "", []string{`value of "k" is null`}},
		{"metadata duplicate key", rawFile(`{"__metadata__":{"k":"a","k":"b"}}`, nil), "", []string{`__metadata__: duplicate key "k"`}},
		{"metadata twice", rawFile(`{"__metadata__":{},"__metadata__":{}}`, nil), "", []string{"duplicate __metadata__"}},
		{"duplicate name", rawFile(`{"a":`+e("F32", "[2]", "[0,8]")+`,"a":`+e("F32", "[2]", "[8,16]")+`}`, b16), "a", []string{"duplicate tensor name"}},
		{"empty name", rawFile(`{"":`+e("F32", "[4]", "[0,16]")+`}`, b16), "", []string{"empty name"}},
		{"entry array", rawFile(`{"a":[1]}`, nil), "a", []string{"entry is an array, not an object"}},
		{"entry string", rawFile(`{"a":"F32"}`, nil), "a", []string{`entry is the string "F32"`}},
		{"unknown dtype", rawFile(`{"a":`+e("F31", "[4]", "[0,16]")+`}`, b16), "a", []string{`unknown dtype "F31"`}},
		{"lower-case dtype", rawFile(`{"a":`+e("f32", "[4]", "[0,16]")+`}`, b16), "a", []string{`unknown dtype "f32"`}},
		{"sub-byte dtype", rawFile(`{"a":`+e("F4", "[4]", "[0,2]")+`}`, b16[:2]), "a", []string{`unknown dtype "F4"`}},
		{"dtype number", rawFile(`{"a":{"dtype":4,"shape":[4],"data_offsets":[0,16]}}`, b16), "a", []string{"dtype is the number 4, not a string"}},
		{"dtype twice", rawFile(`{"a":{"dtype":"F32","dtype":"F16","shape":[4],"data_offsets":[0,16]}}`, b16), "a", []string{`duplicate field "dtype"`}},
		{"shape twice", rawFile(`{"a":{"dtype":"F32","shape":[4],"shape":[2],"data_offsets":[0,16]}}`, b16), "a", []string{`duplicate field "shape"`}},
		{"offsets twice", rawFile(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"data_offsets":[0,16]}}`, b16), "a", []string{`duplicate field "data_offsets"`}},
		{"missing dtype", rawFile(`{"a":{"shape":[4],"data_offsets":[0,16]}}`, b16), "a", []string{`missing field "dtype"`}},
		{"missing shape", rawFile(`{"a":{"dtype":"F32","data_offsets":[0,16]}}`, b16), "a", []string{`missing field "shape"`}},
		{"missing offsets", rawFile(`{"a":{"dtype":"F32","shape":[4]}}`, b16), "a", []string{`missing field "data_offsets"`}},
		{"unknown field", rawFile(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"strides":[1]}}`, b16), "a", []string{`unknown field "strides"`}},
		{"shape number", rawFile(`{"a":`+e("F32", "4", "[0,16]")+`}`, b16), "a", []string{"shape is the number 4, not an array of integers"}},
		{"shape of strings", rawFile(`{"a":`+e("F32", `["4"]`, "[0,16]")+`}`, b16), "a", []string{`shape holds the string "4", not an integer`}},
		{"shape nested", rawFile(`{"a":`+e("F32", `[[4]]`, "[0,16]")+`}`, b16), "a", []string{"shape holds an array, not an integer"}},
		{"negative dim", rawFile(`{"a":`+e("F32", "[-1,-4]", "[0,16]")+`}`, b16), "a", []string{"shape holds the negative number -1"}},
		{"huge negative dim", rawFile(`{"a":`+e("F32", "[-99999999999999999999]", "[0,16]")+`}`, b16), "a", []string{"negative number -99999999999999999999"}},
		{"fractional dim", rawFile(`{"a":`+e("F32", "[2.5]", "[0,10]")+`}`, b16[:10]), "a", []string{"shape holds 2.5, not an integer"}},
		{"exponent dim", rawFile(`{"a":`+e("F32", "[4e0]", "[0,16]")+`}`, b16), "a", []string{"shape holds 4e0, not an integer"}},
		{"dim beyond int64", rawFile(`{"a":`+e("F32", "[99999999999999999999]", "[0,16]")+`}`, b16), "a", []string{"shape holds 99999999999999999999, too large"}},
		{"element count overflows", rawFile(`{"a":`+e("F32", "[1099511627776,1099511627776]", "[0,0]")+`}`, nil), "a", []string{on64("shape [1099511627776,1099511627776] of F32 overflows")}},
		{"overflow hidden by a zero", rawFile(`{"a":`+e("F32", "[0,1099511627776,1099511627776]", "[0,0]")+`}`, nil), "a", []string{on64("overflows")}},
		{"byte size overflows", rawFile(`{"a":`+e("F64", "[2305843009213693952]", "[0,0]")+`}`, nil), "a", []string{on64("shape [2305843009213693952] of F64 overflows")}},
		{"offsets number", rawFile(`{"a":`+e("F32", "[4]", "16")+`}`, b16), "a", []string{"data_offsets is the number 16, not an array"}},
		{"one offset", rawFile(`{"a":`+e("F32", "[4]", "[16]")+`}`, b16), "a", []string{"data_offsets has 1 elements, want 2"}},
		{"three offsets", rawFile(`{"a":`+e("F32", "[4]", "[0,8,16]")+`}`, b16), "a", []string{"data_offsets has 3 elements, want 2"}},
		{"negative offset", rawFile(`{"a":`+e("F32", "[4]", "[-16,0]")+`}`, b16), "a", []string{"data_offsets holds the negative number -16"}},
		{"offset not integer", rawFile(`{"a":`+e("F32", "[4]", "[0,16.0]")+`}`, b16), "a", []string{"data_offsets holds 16.0, not an integer"}},
		{"begin after end", rawFile(`{"a":`+e("F32", "[0]", "[16,0]")+`}`, b16), "a", []string{"data_offsets [16, 0]: begin 16 is after end 0"}},
		{"past data end", rawFile(`{"a":`+e("F32", "[8]", "[0,32]")+`}`, b16), "a", []string{"data_offsets [0, 32] reach past the end of the 16-byte data section"}},
		{"size too small", rawFile(`{"a":`+e("F32", "[2,3]", "[0,16]")+`}`, b16), "a", []string{"data_offsets [0, 16] hold 16 bytes, shape [2,3] of F32 needs 24"}},
		{"size too large", rawFile(`{"a":`+e("F16", "[4]", "[0,16]")+`}`, b16), "a", []string{"hold 16 bytes, shape [4] of F16 needs 8"}},
		{"scalar size", rawFile(`{"a":`+e("F32", "[]", "[0,8]")+`}`, b16[:8]), "a", []string{"hold 8 bytes, shape [] of F32 needs 4"}},
		{"overlap", rawFile(`{"a":`+e("F32", "[2]", "[0,8]")+`,"b":`+e("F32", "[2]", "[4,12]")+`}`, b16[:12]), "b", []string{`data_offsets [4, 12] overlap tensor "a", which ends at 8`}},
		{"same range twice", rawFile(`{"a":`+e("F32", "[2]", "[0,8]")+`,"b":`+e("F32", "[2]", "[0,8]")+`}`, b16[:8]), "b", []string{`overlap tensor "a"`}},
		{"zero-size inside another", rawFile(`{"a":`+e("F32", "[4]", "[0,16]")+`,"z":`+e("F32", "[0]", "[8,8]")+`}`, b16), "z", []string{`data_offsets [8, 8] overlap tensor "a"`}},
		{"gap", rawFile(`{"a":`+e("F32", "[1]", "[0,4]")+`,"b":`+e("F32", "[2]", "[8,16]")+`}`, b16), "b", []string{`gap of 4 bytes after tensor "a", which ends at 4`}},
		{"gap at start", rawFile(`{"a":`+e("F32", "[3]", "[4,16]")+`}`, b16), "a", []string{"gap of 4 bytes at the start of the data section"}},
		{"trailing bytes", rawFile(`{"a":`+e("F32", "[3]", "[0,12]")+`}`, b16), "", []string{"4 trailing bytes after the last tensor"}},
		{"data without tensors", rawFile(`{}`, b16), "", []string{"16 trailing bytes"}},
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("model.safetensors", tc.data)
			if err == nil {
				t.Fatalf("Parse accepted the file; tensors %v", f.Names())
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "weights model.safetensors: ") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			if fe.Tensor != tc.tensor {
				t.Errorf("error names tensor %q, want %q (%s)", fe.Tensor, tc.tensor, msg)
			}
			if tc.tensor != "" && !strings.Contains(msg, "tensor "+strconv.Quote(tc.tensor)+": ") {
				t.Errorf("error %q does not name tensor %q", msg, tc.tensor)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

// TestParseErrorMessage pins one complete message, the form every error has.
func TestParseErrorMessage(t *testing.T) {
	data := rawFile(`{"blocks.0.attn.qkv.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,12]}}`, make([]byte, 12))
	_, err := Parse("model.safetensors", data)
	want := `weights model.safetensors: tensor "blocks.0.attn.qkv.weight": data_offsets [0, 12] hold 12 bytes, shape [2,3] of F32 needs 24`
	if err == nil || err.Error() != want {
		t.Fatalf("got error\n  %v\nwant\n  %s", err, want)
	}
}

func TestParseValid(t *testing.T) {
	one := []byte{0, 0, 0x80, 0x3f} // 1.0 as F32
	tests := []struct {
		name  string
		data  []byte
		infos []Info
		meta  map[string]string
	}{
		{"no tensors", rawFile(`{}`, nil), nil, nil},
		{"padded header", rawFile(`{}      `, nil), nil, nil},
		{"json whitespace", rawFile("{ \"a\" :\n\t{\"dtype\":\"F32\", \"shape\":[ ], \"data_offsets\":[0,4]} }\r\n", one),
			[]Info{{Name: "a", DType: F32, Shape: []int{}, Begin: 0, End: 4}}, nil},
		{"scalar", rawFile(`{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, one),
			[]Info{{Name: "s", DType: F32, Shape: []int{}, Begin: 0, End: 4}}, nil},
		{"zero-size tensors share an offset", rawFile(`{"z1":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"s":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"z2":{"dtype":"BF16","shape":[5,0,3],"data_offsets":[4,4]}}`, one),
			[]Info{{Name: "s", DType: F32, Shape: []int{1}, End: 4}, {Name: "z1", DType: F32, Shape: []int{0}, Begin: 4, End: 4}, {Name: "z2", DType: BF16, Shape: []int{5, 0, 3}, Begin: 4, End: 4}}, nil},
		{"metadata null", rawFile(`{"__metadata__":null}`, nil), nil, nil},
		{"metadata", rawFile(`{"s":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"__metadata__":{"format":"pt","a\"b":"\u00e9\n"}}`, one),
			[]Info{{Name: "s", DType: U8, Shape: []int{4}, End: 4}}, map[string]string{"format": "pt", "a\"b": "é\n"}},
		{"escaped name", rawFile(`{"a\u002eb\/c":{"dtype":"BOOL","shape":[4],"data_offsets":[0,4]}}`, one),
			[]Info{{Name: "a.b/c", DType: BOOL, Shape: []int{4}, End: 4}}, nil},
		{"other dtypes", rawFile(`{"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"c":{"dtype":"C64","shape":[1],"data_offsets":[8,16]},"f8":{"dtype":"F8_E4M3","shape":[2,2],"data_offsets":[16,20]}}`, make([]byte, 20)),
			[]Info{{Name: "c", DType: C64, Shape: []int{1}, Begin: 8, End: 16}, {Name: "f8", DType: F8E4M3, Shape: []int{2, 2}, Begin: 16, End: 20}, {Name: "i", DType: I64, Shape: []int{1}, End: 8}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("x.safetensors", tc.data)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			names := f.Names()
			if len(names) != len(tc.infos) {
				t.Fatalf("names %v, want %d tensors", names, len(tc.infos))
			}
			for i, want := range tc.infos {
				if names[i] != want.Name {
					t.Fatalf("names %v not sorted or wrong; want %q at %d", names, want.Name, i)
				}
				got, ok := f.Info(want.Name)
				if !ok || !f.Has(want.Name) {
					t.Fatalf("Info(%q) missing", want.Name)
				}
				if got.DType != want.DType || got.Begin != want.Begin || got.End != want.End || shapeString(got.Shape) != shapeString(want.Shape) {
					t.Errorf("Info(%q) = %+v, want %+v", want.Name, got, want)
				}
				raw, err := f.Raw(want.Name)
				if err != nil || int64(len(raw)) != want.End-want.Begin {
					t.Errorf("Raw(%q) = %d bytes, %v", want.Name, len(raw), err)
				}
			}
			meta := f.Metadata()
			if meta == nil || len(meta) != len(tc.meta) {
				t.Fatalf("metadata %v, want %v", meta, tc.meta)
			}
			for k, v := range tc.meta {
				if meta[k] != v {
					t.Errorf("metadata[%q] = %q, want %q", k, meta[k], v)
				}
			}
			if f.Size() != int64(len(tc.data)) || f.Path() != "x.safetensors" {
				t.Errorf("Size %d Path %q, want %d x.safetensors", f.Size(), f.Path(), len(tc.data))
			}
		})
	}
}

// TestAccessorsCopy checks that callers cannot change the File's state
// through the slices and maps it returns.
func TestAccessorsCopy(t *testing.T) {
	f, err := Parse("x", rawFile(`{"__metadata__":{"k":"v"},"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, []byte{0, 0x3c, 0, 0xc0}))
	if err != nil {
		t.Fatal(err)
	}
	f.Names()[0] = "zzz"
	info, _ := f.Info("a")
	info.Shape[0] = 99
	f.Metadata()["k"] = "changed"
	vals, shape, err := f.Float32("a")
	if err != nil {
		t.Fatal(err)
	}
	shape[0] = 7
	if f.Names()[0] != "a" || f.Metadata()["k"] != "v" {
		t.Errorf("Names or Metadata changed through a returned value")
	}
	if info2, _ := f.Info("a"); info2.Shape[0] != 2 {
		t.Errorf("Info shape changed through a returned value: %v", info2.Shape)
	}
	if vals[0] != 1 || vals[1] != -2 {
		t.Errorf("F16 values %v, want [1 -2]", vals)
	}
}

func TestAccessErrors(t *testing.T) {
	data := rawFile(`{"f":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"i":{"dtype":"I32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8))
	f, err := Parse("m.safetensors", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Float32("nope"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `weights m.safetensors: tensor "nope"`) {
		t.Errorf("Float32 of a missing tensor: %v", err)
	}
	if _, err := f.Raw("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Raw of a missing tensor: %v", err)
	}
	if _, _, err := f.Float32("i"); !errors.Is(err, ErrNotConvertible) || !strings.Contains(err.Error(), `tensor "i"`) || !strings.Contains(err.Error(), "I32") {
		t.Errorf("Float32 of an I32 tensor: %v", err)
	}
	if raw, err := f.Raw("i"); err != nil || len(raw) != 4 {
		t.Errorf("Raw of an I32 tensor: %d bytes, %v", len(raw), err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, _, err := f.Float32("f"); !errors.Is(err, ErrClosed) {
		t.Errorf("Float32 after Close: %v", err)
	}
	if _, err := f.Raw("f"); !errors.Is(err, ErrClosed) {
		t.Errorf("Raw after Close: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.safetensors")); !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "weights "+dir) {
		t.Errorf("Open of a missing file: %v", err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Open of a folder: %v", err)
	}
	empty := filepath.Join(dir, "empty.safetensors")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(empty); err == nil || err.Error() != "weights "+empty+": file is 0 bytes, shorter than the 8-byte header length" {
		t.Errorf("Open of an empty file: %v", err)
	}
	bad := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(bad, rawFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}`, make([]byte, 8)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), "weights "+bad+`: tensor "a": data_offsets [0, 12] reach past the end`) {
		t.Errorf("Open of a truncated file: %v", err)
	}
}

// TestFuzzCorpus checks that the seed corpus written by
// tools/gen_weights_testdata.py is what its file names say: valid_* files
// parse, bad_* files are rejected for the named reason.
func TestFuzzCorpus(t *testing.T) {
	reasons := map[string]string{
		"bad_short_file":          "shorter than the 8-byte header length",
		"bad_header_past_end":     "header length 1000 exceeds",
		"bad_header_over_limit":   "100 MiB",
		"bad_invalid_json":        "not valid JSON",
		"bad_not_object":          "data after its JSON object",
		"bad_header_no_brace":     "does not start with '{'",
		"bad_utf8":                "not valid UTF-8",
		"bad_metadata_not_object": "__metadata__ is an array",
		"bad_metadata_value":      `value of "epochs" is the number 3`,
		"bad_metadata_duplicate":  `duplicate key "k"`,
		"bad_duplicate_name":      "duplicate tensor name",
		"bad_unknown_dtype":       `unknown dtype "F31"`,
		"bad_negative_dim":        "negative number -1",
		"bad_overflow_shape":      "overflows",
		"bad_size_mismatch":       "hold 16 bytes, shape [2,3] of F32 needs 24",
		"bad_begin_after_end":     "begin 16 is after end 0",
		"bad_past_data_end":       "reach past the end",
		"bad_overlap":             "overlap",
		"bad_gap":                 "gap of 4 bytes after",
		"bad_gap_at_start":        "gap of 4 bytes at the start",
		"bad_trailing_bytes":      "4 trailing bytes",
		"bad_empty_name":          "empty name",
		"bad_missing_offsets":     `missing field "data_offsets"`,
		"bad_unknown_field":       `unknown field "strides"`,
		"bad_fractional_dim":      "4.0, not an integer",
		"bad_three_offsets":       "3 elements, want 2",
		"bad_dtype_not_string":    "dtype is the number 4",
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		name := e.Name()
		data := readCorpusFile(t, filepath.Join(dir, name))
		_, err := Parse(name, data)
		switch {
		case strings.HasPrefix(name, "valid_"):
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case strings.HasPrefix(name, "bad_"):
			seen++
			want, ok := reasons[name]
			if !ok {
				t.Errorf("%s: no expected reason listed in this test", name)
			} else if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want one containing %q", name, err, want)
			}
		}
	}
	if seen != len(reasons) {
		t.Errorf("found %d bad_* seeds, want %d (run tools/gen_weights_testdata.py)", seen, len(reasons))
	}
}

// readCorpusFile decodes a "go test fuzz v1" file holding one []byte.
func readCorpusFile(t *testing.T, path string) []byte {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(text)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
		t.Fatalf("%s: not a go test fuzz v1 file with one []byte", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}
