package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/ladderpose/ladderpose/weights"
)

func init() {
	register(&command{
		name:    "inspect",
		summary: "print the tensors and metadata of a safetensors file",
		run:     runInspect,
	})
}

// runInspect implements "ladderpose inspect FILE": a table of the tensors
// (name, dtype, shape, parameters, bytes) in name order, totals, and the
// metadata, with JSON values (such as ladderpose.config) pretty-printed.
func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ladderpose inspect FILE\n\nPrints the tensors (name, dtype, shape, parameters, bytes), totals and\nmetadata of a safetensors file, after validating it completely.")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: inspect takes exactly one file, got %d arguments", errUsage, fs.NArg())
	}
	f, err := weights.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	var out bytes.Buffer
	printInspect(&out, f)
	_, err = stdout.Write(out.Bytes())
	return err
}

// dtypeTotal accumulates the totals of one dtype.
type dtypeTotal struct {
	tensors       int
	params, bytes int64
}

func printInspect(w io.Writer, f *weights.File) {
	names := f.Names()
	fmt.Fprintf(w, "%s: %d bytes (8-byte length, %d-byte header, %d bytes of data)\n\n",
		f.Path(), f.Size(), f.HeaderSize(), f.Size()-8-f.HeaderSize())

	rows := [][]string{{"NAME", "DTYPE", "SHAPE", "PARAMS", "BYTES"}}
	var total dtypeTotal
	byDType := map[weights.DType]*dtypeTotal{}
	for _, name := range names {
		info, _ := f.Info(name)
		params := info.NumElements()
		rows = append(rows, []string{name, string(info.DType), formatShape(info.Shape),
			group(params), group(info.Bytes())})
		d := byDType[info.DType]
		if d == nil {
			d = &dtypeTotal{}
			byDType[info.DType] = d
		}
		for _, t := range []*dtypeTotal{d, &total} {
			t.tensors++
			t.params += params
			t.bytes += info.Bytes()
		}
	}
	if len(names) > 0 {
		writeTable(w, rows, []bool{false, false, false, true, true})
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "total: %s, %s parameters%s, %s bytes%s\n",
		plural(total.tensors, "tensor"), group(total.params), short(total.params, 1000, ""),
		group(total.bytes), short(total.bytes, 1024, "B"))
	if len(byDType) > 1 {
		dts := make([]string, 0, len(byDType))
		for dt := range byDType {
			dts = append(dts, string(dt))
		}
		sort.Strings(dts)
		for _, dt := range dts {
			d := byDType[weights.DType(dt)]
			fmt.Fprintf(w, "  %-5s %s, %s parameters, %s bytes\n", dt, plural(d.tensors, "tensor"), group(d.params), group(d.bytes))
		}
	}

	meta := f.Metadata()
	if len(meta) == 0 {
		fmt.Fprintln(w, "\nno metadata")
		return
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "\nmetadata:")
	for _, k := range keys {
		v := meta[k]
		if pretty, ok := prettyJSON(v); ok {
			fmt.Fprintf(w, "  %s:\n    %s\n", k, strings.ReplaceAll(pretty, "\n", "\n    "))
			continue
		}
		if strings.ContainsAny(v, "\n\r\t") || strings.TrimSpace(v) != v {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(w, "  %s: %s\n", k, v)
	}
}

// prettyJSON indents v if it is a JSON object or array.
func prettyJSON(v string) (string, bool) {
	t := strings.TrimSpace(v)
	if t == "" || (t[0] != '{' && t[0] != '[') || !json.Valid([]byte(t)) {
		return "", false
	}
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(t), "", "  "); err != nil {
		return "", false
	}
	return b.String(), true
}

// writeTable prints rows in columns two spaces apart; right[i] aligns
// column i to the right.
func writeTable(w io.Writer, rows [][]string, right []bool) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-len(c))
			if right[i] {
				line.WriteString(pad + c)
			} else if i < len(r)-1 {
				line.WriteString(c + pad)
			} else {
				line.WriteString(c)
			}
		}
		fmt.Fprintln(w, line.String())
	}
}

// formatShape writes a shape as [6, 4] ([] for a scalar).
func formatShape(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// group writes n with thousands separators: 86,567,656.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// short writes n with a unit prefix in parentheses, " (86.6M)" (base 1000)
// or " (330.2 MiB)" (base 1024), or nothing when n is below base.
func short(n int64, base float64, unit string) string {
	prefixes := []string{"", "k", "M", "G", "T", "P", "E"}
	if base == 1024 {
		prefixes = []string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}
	}
	v, i := float64(n), 0
	for v >= base && i < len(prefixes)-1 {
		v /= base
		i++
	}
	if i == 0 {
		return ""
	}
	space := ""
	if unit != "" {
		space = " "
	}
	return " (" + strconv.FormatFloat(v, 'f', 1, 64) + space + prefixes[i] + unit + ")"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
