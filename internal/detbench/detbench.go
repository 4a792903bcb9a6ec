// Package detbench builds RT-DETR detectors with seeded random weights in
// the layouts of the published checkpoints (PekingU/rtdetr_r18vd and
// rtdetr_r50vd), for the inference benchmarks, and counts the floating-point
// work of a forward pass analytically. It is benchmark support, not part of
// the engine: timings depend on the weights' shapes, not their values (the
// values keep the activations in a realistic range: no infinities, no
// subnormal numbers, sampling locations mostly inside the maps).
package detbench

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ladderpose/ladderpose/detect"
	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/weights"
)

// Names lists the configurations ConfigJSON knows.
var Names = []string{"r18", "r50"}

// ConfigJSON returns a Hugging Face config.json of RTDetrForObjectDetection
// for "r18" (PekingU/rtdetr_r18vd: ResNet-18-vd basic blocks 2-2-2-2 of
// widths 64-128-256-512, encoder inputs 128-256-512, hidden_expansion 0.5,
// 3 decoder layers) or "r50" (PekingU/rtdetr_r50vd: bottleneck blocks
// 3-4-6-3 of widths 256-512-1024-2048, encoder inputs 512-1024-2048,
// hidden_expansion 1.0, 6 decoder layers). Both: d_model 256, 8 heads, FFN
// 1024, 4 sampling points, 300 queries, 80 classes.
func ConfigJSON(name string) ([]byte, error) {
	bb := map[string]any{
		"model_type": "rt_detr_resnet", "embedding_size": 64, "hidden_act": "relu",
		"downsample_in_first_stage": false, "downsample_in_bottleneck": false,
		"num_channels": 3, "out_indices": []int{2, 3, 4},
	}
	top := map[string]any{
		"model_type": "rt_detr", "d_model": 256, "encoder_hidden_dim": 256,
		"feat_strides": []int{8, 16, 32}, "encoder_layers": 1, "encoder_ffn_dim": 1024,
		"encoder_attention_heads": 8, "encode_proj_layers": []int{2},
		"encoder_activation_function": "gelu", "activation_function": "silu",
		"positional_encoding_temperature": 10000, "normalize_before": false,
		"num_queries": 300, "num_feature_levels": 3, "decoder_attention_heads": 8,
		"decoder_ffn_dim": 1024, "decoder_n_points": 4, "decoder_in_channels": []int{256, 256, 256},
		"decoder_activation_function": "relu", "learn_initial_query": false,
		"with_box_refine": true, "anchor_image_size": nil, "layer_norm_eps": 1e-5,
		"batch_norm_eps": 1e-5, "use_focal_loss": true, "use_timm_backbone": false,
		"backbone_config": bb,
	}
	switch name {
	case "r18":
		bb["layer_type"], bb["depths"], bb["hidden_sizes"] = "basic", []int{2, 2, 2, 2}, []int{64, 128, 256, 512}
		top["encoder_in_channels"], top["hidden_expansion"], top["decoder_layers"] = []int{128, 256, 512}, 0.5, 3
	case "r50":
		bb["layer_type"], bb["depths"], bb["hidden_sizes"] = "bottleneck", []int{3, 4, 6, 3}, []int{256, 512, 1024, 2048}
		top["encoder_in_channels"], top["hidden_expansion"], top["decoder_layers"] = []int{512, 1024, 2048}, 1.0, 6
	default:
		return nil, fmt.Errorf("detbench: unknown configuration %q (have %v)", name, Names)
	}
	labels := map[string]string{}
	for i := 0; i < 80; i++ {
		labels[fmt.Sprint(i)] = fmt.Sprintf("LABEL_%d", i)
	}
	labels["0"] = "person"
	top["id2label"] = labels
	return json.MarshalIndent(top, "", "  ")
}

// Config returns the parsed ConfigJSON(name).
func Config(name string) (*detect.Config, error) {
	data, err := ConfigJSON(name)
	if err != nil {
		return nil, err
	}
	return detect.ParseConfig(data)
}

// Random returns the detector of ConfigJSON(name) with weights that are a
// deterministic function of seed (see Tensors).
func Random(name string, seed uint64) (*detect.Detector, error) {
	cfg, err := Config(name)
	if err != nil {
		return nil, err
	}
	return detect.NewFromTensors(cfg, Tensors(cfg, seed))
}

// Tensors returns a tensor source of seeded random weights for cfg, each
// tensor from its own stream (seed mixed with a hash of its name), so the
// values do not depend on the order of the requests:
//   - convolutions (4-d weights): uniform with variance 2/fan_in (Kaiming,
//     for the ReLU and SiLU that follow);
//   - linear weights (2-d) and their biases: uniform in +-1/sqrt(fan_in)
//     (PyTorch's default);
//   - BatchNorm and LayerNorm: gamma 1, beta 0, running mean 0, running
//     variance 1, except the last BatchNorm of each residual branch of the
//     backbone, whose gamma is 0.5 (so that the residual sums grow slowly
//     over the 16 blocks of ResNet-50);
//   - anything else (the learnt queries): uniform in +-1.
func Tensors(cfg *detect.Config, seed uint64) detect.TensorFunc {
	lastRes := ".layer.1.normalization.weight"
	if cfg.LayerType == "bottleneck" {
		lastRes = ".layer.2.normalization.weight"
	}
	weightShape := map[string][]int{} // prefix -> shape of prefix.weight
	return func(name string, shape ...int) ([]float32, error) {
		n := 1
		for _, s := range shape {
			n *= s
		}
		h := fnv.New64a()
		h.Write([]byte(name))
		v := testmodel.Values(seed^h.Sum64(), n)
		scale := func(bound float64) []float32 {
			for i := range v {
				v[i] = float32(float64(v[i]) * bound)
			}
			return v
		}
		constant := func(c float32) []float32 {
			for i := range v {
				v[i] = c
			}
			return v
		}
		dot := strings.LastIndexByte(name, '.')
		prefix, last := name[:dot+1], name[dot+1:]
		if last == "weight" {
			weightShape[prefix] = shape
		}
		ws := weightShape[prefix]
		fanIn := func(s []int) float64 {
			f := 1
			for _, x := range s[1:] {
				f *= x
			}
			return float64(f)
		}
		switch {
		case last == "running_mean":
			return constant(0), nil
		case last == "running_var":
			return constant(1), nil
		case len(shape) == 1 && last == "weight":
			if strings.HasSuffix(name, lastRes) {
				return constant(0.5), nil
			}
			return constant(1), nil
		case len(shape) == 1 && last == "bias" && len(ws) <= 1:
			return constant(0), nil // a norm's beta
		case len(shape) == 4:
			return scale(math.Sqrt(6 / fanIn(shape))), nil // variance 2/fan_in
		case len(shape) >= 2:
			return scale(1 / math.Sqrt(fanIn(shape))), nil
		case last == "bias":
			return scale(1 / math.Sqrt(fanIn(ws))), nil
		}
		return v, nil
	}
}

// Input returns b pseudo-random images [b, 3, h, w] with values uniform in
// [0, 1), the range of RTDetrImageProcessor's output.
func Input(b, h, w int, seed uint64) []float32 {
	v := testmodel.Values(seed, b*3*h*w)
	for i := range v {
		v[i] = (v[i] + 1) / 2
	}
	return v
}

// WriteFolder writes the detector Random(name, seed) builds as a Hugging
// Face checkpoint folder: dir/config.json (ConfigJSON(name)) and
// dir/model.safetensors (F32, every tensor detect reads), so that
// detect.Load(dir) gives the same network.
func WriteFolder(dir, name string, seed uint64) error {
	data, err := ConfigJSON(name)
	if err != nil {
		return err
	}
	cfg, err := detect.ParseConfig(data)
	if err != nil {
		return err
	}
	get := Tensors(cfg, seed)
	var ts []weights.Tensor
	record := func(n string, shape ...int) ([]float32, error) {
		v, err := get(n, shape...)
		if err == nil {
			ts = append(ts, weights.Tensor{Name: n, DType: weights.F32, Shape: slices.Clone(shape), Data: slices.Clone(v)})
		}
		return v, err
	}
	if _, err := detect.NewFromTensors(cfg, record); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("detbench: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		return fmt.Errorf("detbench: %w", err)
	}
	if err := weights.Write(filepath.Join(dir, "model.safetensors"), ts, map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("detbench: %w", err)
	}
	return nil
}
