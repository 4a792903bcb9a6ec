package train

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCSVLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log.csv")
	header := []string{"step", "loss", "note", "val_ap"}
	l, err := NewCSVLog(path, header)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(1, 0.25, "warm, up", ""); err != nil {
		t.Fatal(err)
	}
	// Each line is in the file before Close.
	if data, _ := os.ReadFile(path); string(data) != "step,loss,note,val_ap\n1,0.25,\"warm, up\",\n" {
		t.Fatalf("file before Close:\n%s", data)
	}
	if err := l.Append(int64(2), float32(0.1), nil, math.NaN()); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(3, 1.0/3, true, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(1, 2); err == nil || !strings.Contains(err.Error(), "2 values for 4 columns") {
		t.Errorf("short row: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(4, 0, "", ""); err == nil {
		t.Error("Append after Close accepted")
	}

	// Appending on resume, after a crash cut the last line short.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("4,0.0")
	f.Close()
	l, err = NewCSVLog(path, header)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(4, 0.05, "", 0.5); err != nil {
		t.Fatal(err)
	}
	l.Close()
	h, rows, err := ReadCSVLog(path)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"1", "0.25", "warm, up", ""},
		{"2", "0.1", "", "NaN"},
		{"3", "0.3333333333333333", "true", "1.5"},
		{"4", "0.05", "", "0.5"},
	}
	if !slices.Equal(h, header) || len(rows) != len(want) {
		t.Fatalf("read back %v and %d rows: %v", h, len(rows), rows)
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}

	// Another header is refused.
	if _, err := NewCSVLog(path, []string{"step", "loss"}); err == nil || !strings.Contains(err.Error(), "columns") {
		t.Errorf("other header: %v", err)
	}
	if _, err := NewCSVLog(path, nil); err == nil {
		t.Error("no columns accepted")
	}

	// Trimming the rows a crashed run wrote after its last saved state.
	if err := TrimCSVLog(path, "step", 2); err != nil {
		t.Fatal(err)
	}
	_, rows, _ = ReadCSVLog(path)
	if len(rows) != 2 || rows[1][0] != "2" {
		t.Errorf("after trimming at step 2: %v", rows)
	}
	if err := TrimCSVLog(path, "epoch", 2); err == nil || !strings.Contains(err.Error(), `no column "epoch"`) {
		t.Errorf("trim on a missing column: %v", err)
	}
	if err := TrimCSVLog(filepath.Join(dir, "none.csv"), "step", 1); err != nil {
		t.Errorf("trim of a missing file: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder holds %d files, want the log only", len(entries))
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{nil, ""}, {"x", "x"}, {7, "7"}, {int64(-3), "-3"}, {int32(5), "5"}, {uint64(9), "9"}, {uint32(1), "1"},
		{0.1, "0.1"}, {float32(0.1), "0.1"}, {1e-7, "1e-07"}, {math.Inf(1), "+Inf"}, {false, "false"},
		{250 * time.Millisecond, "0.25"}, {[2]int{1, 2}, "[1 2]"},
	}
	for _, tc := range tests {
		if got := formatValue(tc.v); got != tc.want {
			t.Errorf("formatValue(%#v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// FuzzCSVLog opens arbitrary existing log files: NewCSVLog either refuses
// them with an error or appends a line that reads back as the last row, and
// TrimCSVLog never fails on a file NewCSVLog accepted.
func FuzzCSVLog(f *testing.F) {
	f.Add([]byte("step,loss\n1,0.5\n2,0.25\n"))
	f.Add([]byte("step,loss\n1,0.5\n2,0.2"))
	f.Add([]byte("step,loss\n"))
	f.Add([]byte(""))
	f.Add([]byte("step,loss,extra\n1,2,3\n"))
	f.Add([]byte("step,loss\n\"1,0.5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "log.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := NewCSVLog(path, []string{"step", "loss"})
		if err != nil {
			return
		}
		if err := l.Append(9, "x,\"y\""); err != nil {
			t.Fatal(err)
		}
		l.Close()
		_, rows, err := ReadCSVLog(path)
		if err != nil {
			return // earlier lines the CSV reader rejects (e.g. a stray quote)
		}
		if len(rows) == 0 {
			t.Fatal("the appended line is not in the file")
		}
		if last := rows[len(rows)-1]; len(last) != 2 || last[0] != "9" || last[1] != "x,\"y\"" {
			t.Fatalf("last row %q, want [9 x,\"y\"]", last)
		}
		if err := TrimCSVLog(path, "step", 5); err != nil {
			t.Fatalf("trim: %v", err)
		}
		if _, rows, err = ReadCSVLog(path); err != nil {
			t.Fatalf("after trim: %v", err)
		}
		for _, r := range rows {
			if r[0] == "9" {
				t.Fatal("trim kept step 9")
			}
		}
	})
}
