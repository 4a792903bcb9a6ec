package main

import (
	"fmt"
	"io"
	"os"

	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/weights"
)

func init() {
	register(&command{
		name:    "quantize",
		summary: "write a checkpoint with the backbone's linear layers quantized to int8",
		run:     runQuantize,
	})
}

const quantizeUsage = `usage: ladderpose quantize -weights W -out Q.safetensors [-side S]

Writes checkpoint W (mmpose or Hugging Face names; with the side network of
-side, if given) with the backbone's linear layers (attn.qkv, attn.proj,
mlp.fc1, mlp.fc2 and ViTPose+'s experts) quantized for int8 inference:
"<layer>.weight" as I8 codes [out, in] in [-63, 63] and
"<layer>.weight_scale" as F32 scales [out] (symmetric per output channel,
7-bit range: W[n,k] ~ scale[n] * code[n,k]); every other tensor as F32
under SPEC.md's names. The metadata holds the config ("ladderpose.config")
and the scheme ("ladderpose.quantization"; activations are quantized per
row at run time). The quantized layers take about a quarter of their
float32 size. predict, forward and bench (and ladderpose.Load) run the
file at int8 precision, with the same bits as -precision int8 on W. Q is
written atomically.

flags:`

// runQuantize implements "ladderpose quantize".
func runQuantize(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("quantize", stderr)
	weightsPath := fs.String("weights", "", "float checkpoint `file` (safetensors) or folder (model.safetensors + config.json)")
	side := fs.String("side", "", "side network safetensors `file` to include")
	out := fs.String("out", "", "quantized safetensors `file` to write")
	fs.Usage = func() {
		fmt.Fprintln(stderr, quantizeUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *weightsPath == "" || *out == "" {
		return fmt.Errorf("%w: need -weights and -out", errUsage)
	}
	m, err := posemodel.Load(*weightsPath, posemodel.LoadOptions{SidePath: *side, Precision: posemodel.PrecisionInt8})
	if err != nil {
		return err
	}
	ts, meta, err := m.QuantizedTensors()
	if err != nil {
		return err
	}
	var i8, floats int64
	layers := 0
	for _, t := range ts {
		if t.DType == weights.I8 {
			i8 += int64(len(t.Int8))
			layers++
		} else {
			floats += int64(len(t.Data))
		}
	}
	if err := weights.Write(*out, ts, meta); err != nil {
		return err
	}
	size := int64(-1)
	if st, err := os.Stat(*out); err == nil {
		size = st.Size()
	}
	fmt.Fprintf(stdout, "wrote %s: %d linear layers as int8 (%s of codes, %s as float32), %s of other float32 tensors and scales; %s in all\n",
		*out, layers, mib(i8), mib(4*i8), mib(4*floats), mib(size))
	return nil
}
