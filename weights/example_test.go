package weights_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ladderpose/ladderpose/weights"
)

// Write a checkpoint, then open it and read its tensors back as float32.
func Example() {
	dir, err := os.MkdirTemp("", "weights-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	err = weights.Write(path, []weights.Tensor{
		{Name: "side.ladder.gates", DType: weights.F32, Shape: []int{3}, Data: []float32{0, 0.5, -1}},
		{Name: "backbone.pos_embed", DType: weights.F16, Shape: []int{1, 2, 2}, Data: []float32{0.1, 0.2, 0.3, 0.4}},
		{Name: "side.scale", DType: weights.BF16, Data: []float32{3.14159}}, // a scalar: Shape nil
	}, map[string]string{"format": "pt"})
	if err != nil {
		log.Fatal(err)
	}

	f, err := weights.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close() // the F32 slices below alias the file until Close

	for _, name := range f.Names() {
		vals, shape, err := f.Float32(name)
		if err != nil {
			log.Fatal(err)
		}
		info, _ := f.Info(name)
		fmt.Println(name, info.DType, shape, vals)
	}
	fmt.Println(f.Metadata())
	// Output:
	// backbone.pos_embed F16 [1 2 2] [0.099975586 0.19995117 0.30004883 0.39990234]
	// side.ladder.gates F32 [3] [0 0.5 -1]
	// side.scale BF16 [] [3.140625]
	// map[format:pt]
}

// Errors name the file, the tensor and what is wrong.
func ExampleParse() {
	header := `{"blocks.0.attn.qkv.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,12]}}`
	data := append([]byte{byte(len(header)), 0, 0, 0, 0, 0, 0, 0}, header...)
	data = append(data, make([]byte, 12)...)
	_, err := weights.Parse("model.safetensors", data)
	fmt.Println(err)
	// Output:
	// weights model.safetensors: tensor "blocks.0.attn.qkv.weight": data_offsets [0, 12] hold 12 bytes, shape [2,3] of F32 needs 24
}
