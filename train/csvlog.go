package train

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CSVLog is a training log: a CSV file with a header line and one line per
// Append, each written to the file at once (a crash loses at most the line
// being written). Its methods may be called from several goroutines.
type CSVLog struct {
	mu     sync.Mutex
	f      *os.File
	path   string
	header []string
	buf    bytes.Buffer
}

// NewCSVLog opens the log at path for appending. A missing or empty file
// is created with the header line; an existing file must have exactly this
// header (the error names both), and a last line cut short by a crash is
// removed before appending.
func NewCSVLog(path string, header []string) (*CSVLog, error) {
	if len(header) == 0 {
		return nil, fmt.Errorf("train: log %s: no columns", path)
	}
	l := &CSVLog{path: path, header: slices.Clone(header)}
	want := l.encode(toAny(header))
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("train: log: %w", err)
	}
	if len(data) > 0 {
		first, _, _ := bytes.Cut(data, []byte("\n"))
		if string(first)+"\n" != want {
			return nil, fmt.Errorf("train: log %s has the columns %q, want %q (use another run folder)",
				path, string(first), strings.TrimSuffix(want, "\n"))
		}
		if data[len(data)-1] != '\n' { // a torn last line
			keep := bytes.LastIndexByte(data, '\n') + 1
			if err := os.Truncate(path, int64(keep)); err != nil {
				return nil, fmt.Errorf("train: log: %w", err)
			}
			data = data[:keep] // empty if the header line itself was torn
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: log: %w", err)
	}
	l.f = f
	if len(data) == 0 {
		if _, err := f.WriteString(want); err != nil {
			f.Close()
			return nil, fmt.Errorf("train: log %s: %w", path, err)
		}
	}
	return l, nil
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// Header returns the log's columns.
func (l *CSVLog) Header() []string { return slices.Clone(l.header) }

// Append writes one line with a value per column: strings as they are (""
// for a missing value), nil as "", integers in decimal, floats in the
// shortest form that reads back exactly (float32 as float32), booleans as
// true/false, durations in seconds, and other types through fmt's %v.
func (l *CSVLog) Append(values ...any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return fmt.Errorf("train: log %s: closed", l.path)
	}
	if len(values) != len(l.header) {
		return fmt.Errorf("train: log %s: %d values for %d columns %v", l.path, len(values), len(l.header), l.header)
	}
	if _, err := l.f.WriteString(l.encode(values)); err != nil {
		return fmt.Errorf("train: log %s: %w", l.path, err)
	}
	return nil
}

// encode formats one CSV line, with its newline.
func (l *CSVLog) encode(values []any) string {
	rec := make([]string, len(values))
	for i, v := range values {
		rec[i] = formatValue(v)
	}
	l.buf.Reset()
	w := csv.NewWriter(&l.buf)
	w.Write(rec) // writes to a buffer: no error
	w.Flush()
	return l.buf.String()
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case bool:
		return strconv.FormatBool(x)
	case time.Duration:
		return strconv.FormatFloat(x.Seconds(), 'g', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// Close syncs the log to disk and closes it.
func (l *CSVLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Sync()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	if err != nil {
		return fmt.Errorf("train: log %s: %w", l.path, err)
	}
	return nil
}

// ReadCSVLog reads a log written by CSVLog: its header and rows.
func ReadCSVLog(path string) (header []string, rows [][]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("train: log: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	header, err = r.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("train: log %s is empty", path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("train: log %s: %w", path, err)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return header, rows, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("train: log %s: %w", path, err)
		}
		rows = append(rows, rec)
	}
}

// TrimCSVLog removes, for a run resumed at a saved state, the lines that a
// previous run wrote after that state: every row whose value in column is a
// number greater than limit (rows where it is empty or not a number stay).
// The file is rewritten atomically; a missing file is not an error. A torn
// last line is dropped.
func TrimCSVLog(path, column string, limit float64) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: log: %w", err)
	}
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		data = data[:i+1] // a torn last line
	}
	r := csv.NewReader(bytes.NewReader(data))
	header, err := r.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: log %s: %w", path, err)
	}
	col := slices.Index(header, column)
	if col < 0 {
		return fmt.Errorf("train: log %s has no column %q (columns %v)", path, column, header)
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	w.Write(header)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("train: log %s: %w", path, err)
		}
		if v, err := strconv.ParseFloat(rec[col], 64); err == nil && v > limit {
			continue
		}
		w.Write(rec)
	}
	w.Flush()
	return writeFileAtomic(path, out.Bytes())
}

// writeFileAtomic writes data to path through a temporary file in the same
// folder that is synced and renamed over path.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
