// Package weights reads and writes tensors in the safetensors format.
//
// A safetensors file is an 8-byte little-endian unsigned header length N, N
// bytes of JSON header, and the data section. The header maps each tensor name
// to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
// data section) and may hold "__metadata__", an object of string values.
//
// Open and Parse validate a file completely before returning it: the header
// must be valid JSON without duplicate names, every dtype known, every shape
// consistent with its byte range, and the byte ranges, sorted by offset, must
// tile the data section exactly (no overlaps, gaps or trailing bytes). Every
// error names the file and, where one is involved, the tensor.
//
// # Ownership
//
// On Linux and macOS, Open maps the file into memory read-only; elsewhere it
// reads the file. Float32 returns F32 data without copying when the data is
// 4-byte aligned and the host is little-endian: the slice then aliases the
// mapping (or the buffer given to Parse). Such slices and those from Raw are
// read-only: writing to one faults (the mapping is not writable) or, for
// Parse, changes the caller's buffer. They are valid only until Close; after
// Close they refer to unmapped memory and touching them crashes the program.
// Copy what must outlive the File. F16 and BF16 data (and unaligned F32) is
// converted into a new slice that belongs to the caller.
//
// A File is safe for concurrent use by several goroutines, except that Close
// must not run concurrently with any other method. Changing the file on disk
// while it is mapped (truncating it in particular) is undefined behaviour, as
// for any memory-mapped file.
//
// Write and Encode produce F32, F16 (round to nearest even, via
// github.com/x448/float16), BF16 (round to nearest even, NaN kept NaN) and I8
// (int8 values as they are; File.Int8 reads them back) tensors with names sorted and the header padded with spaces so that the data
// section starts 8-byte aligned. Write is atomic: it writes a temporary file in
// the target's folder, syncs it and renames it over the target.
package weights
