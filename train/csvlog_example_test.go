package train

import (
	"fmt"
	"os"
	"path/filepath"
)

func ExampleNewCSVLog() {
	dir, _ := os.MkdirTemp("", "log")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "log.csv")
	header := []string{"step", "epoch", "loss", "val_ap"}

	l, _ := NewCSVLog(path, header)
	l.Append(1, 1, 0.0123, "") // no validation at this step
	l.Append(2, 1, float32(0.0098), 0.412)
	l.Close()

	// A resumed run from the state saved at step 1 drops the later lines
	// and appends.
	TrimCSVLog(path, "step", 1)
	l, _ = NewCSVLog(path, header)
	l.Append(2, 1, 0.0097, 0.415)
	l.Close()

	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// step,epoch,loss,val_ap
	// 1,1,0.0123,
	// 2,1,0.0097,0.415
}
