package detect

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/ops"
	"github.com/ladderpose/ladderpose/weights"
)

// getter returns the named tensor as float32, checking its shape; the error names the tensor and both shapes.
type getter func(name string, shape ...int) ([]float32, error)

// fileGetter reads tensors from a safetensors file, converting F16 and BF16
// to float32. Every slice it returns is a fresh copy that belongs to the
// caller (the file may be closed afterwards). A name under "model.decoder."
// that is missing is also looked for under its top-level alias
// ("model.decoder.class_embed.0.weight" -> "class_embed.0.weight"), as
// published checkpoints carry both.
func fileGetter(f *weights.File) getter {
	return func(name string, shape ...int) ([]float32, error) {
		src := name
		if !f.Has(src) {
			alias := strings.TrimPrefix(name, "model.decoder.")
			if alias != name && (strings.HasPrefix(alias, "class_embed.") || strings.HasPrefix(alias, "bbox_embed.")) && f.Has(alias) {
				src = alias
			} else {
				return nil, fmt.Errorf("tensor %q is missing", name)
			}
		}
		data, got, err := f.Float32(src)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", src, err)
		}
		if !sameShape(got, shape) {
			return nil, fmt.Errorf("tensor %q has shape %v, want %v", src, got, shape)
		}
		out := make([]float32, len(data))
		copy(out, data)
		return out, nil
	}
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// resolvePaths finds the weights and config.json of a checkpoint: path is a
// folder holding model.safetensors and config.json, or the safetensors file
// itself with config.json beside it.
func resolvePaths(path string) (weightsPath, configPath string, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", "", fmt.Errorf("detect: %w", err)
	}
	if st.IsDir() {
		weightsPath = filepath.Join(path, "model.safetensors")
		configPath = filepath.Join(path, "config.json")
	} else {
		weightsPath = path
		configPath = filepath.Join(filepath.Dir(path), "config.json")
	}
	if _, err := os.Stat(weightsPath); err != nil {
		return "", "", fmt.Errorf("detect: weights: %w", err)
	}
	if _, err := os.Stat(configPath); err != nil {
		return "", "", fmt.Errorf("detect: config.json (expected beside the weights): %w", err)
	}
	return weightsPath, configPath, nil
}

// convBNWeights returns the folded weight [out, in, k, k] and bias [out] of a
// convolution followed by a BatchNorm.
func convBNWeights(get getter, convName, bnName string, in, out, k int, eps float64) (w, b []float32, err error) {
	if w, err = get(convName, out, in, k, k); err != nil {
		return nil, nil, err
	}
	scale, shift, err := bnAffine(get, bnName, out, eps)
	if err != nil {
		return nil, nil, err
	}
	b = make([]float32, out)
	if err := ops.FoldBatchNorm(w, b, scale, shift); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", convName, err)
	}
	return w, b, nil
}

// bnAffine reads an inference BatchNorm as a per-channel scale and shift.
func bnAffine(get getter, name string, c int, eps float64) (scale, shift []float32, err error) {
	var p [4][]float32
	for i, s := range []string{"weight", "bias", "running_mean", "running_var"} {
		if p[i], err = get(name+"."+s, c); err != nil {
			return nil, nil, err
		}
	}
	for i, v := range p[3] {
		if !(v >= 0) {
			return nil, nil, fmt.Errorf("tensor %q: running_var[%d] = %v is negative or NaN", name+".running_var", i, v)
		}
	}
	scale, shift = make([]float32, c), make([]float32, c)
	if err := ops.BatchNormScaleShift(scale, shift, p[0], p[1], p[2], p[3], float32(eps)); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return scale, shift, nil
}

// repVGG loads a RepVGG block's two branches (3x3 conv + BN and 1x1 conv +
// BN, both of width c) and folds them into one 3x3 convolution: the 1x1
// kernel adds to the centre tap, the biases add. act (the block's activation,
// fused in the convolution's epilogue) follows the sum.
func repVGG(get getter, prefix string, c int, eps float64, act activation) (*convLayer, error) {
	w3, b3, err := convBNWeights(get, prefix+".conv1.conv.weight", prefix+".conv1.norm", c, c, 3, eps)
	if err != nil {
		return nil, err
	}
	w1, b1, err := convBNWeights(get, prefix+".conv2.conv.weight", prefix+".conv2.norm", c, c, 1, eps)
	if err != nil {
		return nil, err
	}
	for o := 0; o < c; o++ {
		for i := 0; i < c; i++ {
			w3[(o*c+i)*9+4] += w1[o*c+i] // centre tap (1, 1) of the 3x3 kernel
		}
		b3[o] += b1[o]
	}
	return newConvLayer(prefix, w3, b3, ops.Conv2DParams{InC: c, OutC: c, KH: 3, KW: 3, PadH: 1, PadW: 1}, act)
}

// linear loads nn.Linear name.{weight [out, in], bias [out]} and pre-packs it.
func linear(get getter, name string, in, out int) (*nn.Linear, error) {
	l := nn.NewLinear(name, in, out, true)
	var err error
	if l.W.Data, err = get(name+".weight", out, in); err != nil {
		return nil, err
	}
	if l.B.Data, err = get(name+".bias", out); err != nil {
		return nil, err
	}
	l.Pack()
	return l, nil
}

// layerNormParams loads a LayerNorm's name.{weight, bias} [n].
func layerNormParams(get getter, name string, n int) (gamma, beta []float32, err error) {
	if gamma, err = get(name+".weight", n); err != nil {
		return nil, nil, err
	}
	if beta, err = get(name+".bias", n); err != nil {
		return nil, nil, err
	}
	return gamma, beta, nil
}

// errWrap prefixes a loading error with the checkpoint path.
func errWrap(path string, err error) error {
	if err == nil {
		return nil
	}
	var fe *weights.FormatError
	if errors.As(err, &fe) {
		return fmt.Errorf("detect: %w", err)
	}
	return fmt.Errorf("detect: loading %s: %w", path, err)
}
