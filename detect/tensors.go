package detect

import "fmt"

// TensorFunc returns the tensor of the given Hugging Face state-dict name
// and shape (row-major float32, len = the product of shape), or an error
// naming it. Each slice it returns must be fresh: the Detector keeps it.
type TensorFunc func(name string, shape ...int) ([]float32, error)

// NewFromTensors builds a Detector of configuration cfg from the tensors
// that get returns, as Load does from a checkpoint (BatchNorms folded,
// RepVGG branches merged), with DefaultPreprocess. It serves weights that
// come from elsewhere than a safetensors file, such as the seeded random
// models of the benchmarks. get is called only during the call.
func NewFromTensors(cfg *Config, get TensorFunc) (*Detector, error) {
	if cfg == nil || get == nil {
		return nil, fmt.Errorf("detect: NewFromTensors needs a config and a tensor source")
	}
	checked := func(name string, shape ...int) ([]float32, error) {
		v, err := get(name, shape...)
		if err != nil {
			return nil, err
		}
		n := 1
		for _, s := range shape {
			n *= s
		}
		if len(v) != n {
			return nil, fmt.Errorf("tensor %q has %d values, want %v = %d", name, len(v), shape, n)
		}
		return v, nil
	}
	d, err := newDetector(cfg, checked)
	if err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	return d, nil
}
