package gpu_test

import (
	"fmt"
	"log"

	"github.com/ladderpose/ladderpose/gpu"
)

// Select turns a user's -device choice into a device (nil for the CPU) and
// one line for the log.
func ExampleSelect() {
	d, line, err := gpu.Select("cpu", gpu.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if d != nil {
		defer d.Close()
	}
	fmt.Println(d == nil)
	fmt.Println(line)
	// Output:
	// true
	// device: CPU (as asked)
}
