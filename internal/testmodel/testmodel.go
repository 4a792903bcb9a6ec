// Package testmodel rebuilds the test models of testdata/models/ from their
// manifests: every weight is a splitmix64 recipe (seed, scale, offset) that
// tools/ref/ladderpose_ref.py generates identically, so the goldens ship
// outputs only. It is test and benchmark support, not part of the engine.
package testmodel

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ladderpose/ladderpose/weights"
)

// Values returns n float32 values uniform in [-1, 1): element i is the top 24
// bits of splitmix64 at state seed + (i+1)*0x9E3779B97F4A7C15, scaled to
// (z>>40)/2^23 - 1, exactly as splitmix_values in tools/ref/ladderpose_ref.py.
func Values(seed uint64, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		z := seed + uint64(i+1)*0x9E3779B97F4A7C15
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		v[i] = float32(float64(z>>40)/float64(1<<23) - 1)
	}
	return v
}

// Recipe describes one generated tensor: offset + scale*Values(seed). With
// GenShape and Rows, the tensor is rows Rows[0]..Rows[1]-1 (first dimension)
// of a tensor generated with GenShape. Amps, for inputs, scales sample b.
type Recipe struct {
	Name     string    `json:"name"`
	Shape    []int     `json:"shape"`
	Seed     uint64    `json:"seed"`
	Scale    float64   `json:"scale"`
	Offset   float64   `json:"offset"`
	GenShape []int     `json:"gen_shape,omitempty"`
	Rows     []int     `json:"rows,omitempty"`
	Amps     []float64 `json:"amps,omitempty"`
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Data generates the recipe's values (row-major).
func (r Recipe) Data() []float32 {
	gen := r.Shape
	if r.GenShape != nil {
		gen = r.GenShape
	}
	u := Values(r.Seed, numel(gen))
	s, o := float32(r.Scale), float32(r.Offset)
	for i, x := range u {
		v := float32(x * s) // rounded before the add: no fused multiply-add
		u[i] = v + o
	}
	if r.Rows != nil {
		row := numel(gen[1:])
		u = u[r.Rows[0]*row : r.Rows[1]*row]
	}
	if r.Amps != nil {
		per := numel(r.Shape[1:])
		for b, a := range r.Amps {
			for i := b * per; i < (b+1)*per; i++ {
				u[i] = float32(u[i] * float32(a))
			}
		}
	}
	return u
}

// Manifest is a test model: its config, its tensors under mmpose names (and
// Hugging Face names for plain ViTPose, ViTPose+ experts included), and its
// input. Config is the JSON of a posemodel.Config (experts, part_features,
// keypoint_names and skeleton included); HFConfig a Hugging Face config.json.
type Manifest struct {
	Case      string          `json:"case"`
	Config    json.RawMessage `json:"config"`
	Input     Recipe          `json:"input"`
	Tensors   []Recipe        `json:"tensors"`
	HFTensors []Recipe        `json:"hf_tensors"`
	HFConfig  json.RawMessage `json:"hf_config"`

	// Datasets, for a ViTPose+ model, lists the experts the reference ran
	// (every sample with one expert per pass): the outputs of Datasets[0]
	// are stored under their plain names, those of Datasets[j], j > 0, as
	// "heatmaps.dataset<N>" and "backbone.dataset<N>". Empty: no experts.
	Datasets []int `json:"datasets,omitempty"`
}

// Read reads a manifest file.
func Read(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	return &m, nil
}

// WriteCheckpoint writes the model's weights as a safetensors file. With hf
// it uses the Hugging Face names and writes config.json beside the file
// (unless the metadata carries the config); with configMeta the config
// travels in the "ladderpose.config" metadata.
func (m *Manifest) WriteCheckpoint(path string, hf, configMeta bool) error {
	list := m.Tensors
	if hf {
		list = m.HFTensors
		if list == nil {
			return fmt.Errorf("manifest %s has no Hugging Face names", m.Case)
		}
	}
	ts := make([]weights.Tensor, len(list))
	for i, r := range list {
		ts[i] = weights.Tensor{Name: r.Name, DType: weights.F32, Shape: r.Shape, Data: r.Data()}
	}
	var meta map[string]string
	if configMeta {
		meta = map[string]string{"ladderpose.config": string(m.Config)}
	}
	if err := weights.Write(path, ts, meta); err != nil {
		return err
	}
	if hf && !configMeta {
		return os.WriteFile(filepath.Join(filepath.Dir(path), "config.json"), m.HFConfig, 0o644)
	}
	return nil
}

// InputData returns the input batch and its shape.
func (m *Manifest) InputData() ([]float32, []int) { return m.Input.Data(), m.Input.Shape }
