package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ladderpose/ladderpose/detect"
	"github.com/ladderpose/ladderpose/weights"
)

// detectorDumps are the intermediate tensors "forward -dump" can write for
// an RT-DETR model (detect.DumpFunc's names), besides logits and
// pred_boxes.
var detectorDumps = []string{
	"backbone_feature0", "backbone_feature1", "backbone_feature2", "encoder_aifi_out",
	"encoder_level0", "encoder_level1", "encoder_level2",
	"enc_topk_indices", "enc_topk_scores", "enc_topk_logits", "enc_topk_bboxes", "init_reference_points",
	"intermediate_logits", "intermediate_reference_points", "decoder_last_hidden_state",
}

// isDetector reports whether path (a folder, or a safetensors file with
// config.json beside it) holds a Hugging Face RT-DETR model.
func isDetector(path string) bool {
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return false
	}
	var c struct {
		ModelType string `json:"model_type"`
	}
	return json.Unmarshal(b, &c) == nil && strings.HasPrefix(c.ModelType, "rt_detr")
}

// forwardDetector is "forward" for an RT-DETR folder: pixel_values [B, 3,
// H, W] in, logits [B, Q, C] and pred_boxes [B, Q, 4] out, plus -dump's
// intermediates.
func forwardDetector(weightsPath, input, output, dump string, stderr io.Writer) error {
	d, err := detect.Load(weightsPath)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range strings.Split(dump, ",") {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
		case n == "all":
			for _, a := range detectorDumps {
				want[a] = true
			}
		case slices.Contains(detectorDumps, n):
			want[n] = true
		default:
			return fmt.Errorf("%w: -dump %q: an RT-DETR model has %s", errUsage, n, strings.Join(detectorDumps, ", "))
		}
	}
	f, err := weights.Open(input)
	if err != nil {
		return err
	}
	defer f.Close()
	px, shape, err := f.Float32("pixel_values")
	if err != nil {
		return fmt.Errorf("input %s: %w (an RT-DETR model reads \"pixel_values\" [B, 3, H, W])", input, err)
	}
	if len(shape) != 4 || shape[1] != 3 || shape[0] < 1 {
		return fmt.Errorf("input %s: pixel_values has shape %v, want [B, 3, H, W]", input, shape)
	}
	var ts []weights.Tensor
	fn := func(name string, data []float32, shape ...int) {
		if want[name] {
			ts = append(ts, weights.Tensor{Name: name, DType: weights.F32, Shape: append([]int(nil), shape...), Data: append([]float32(nil), data...)})
		}
	}
	b, h, w := shape[0], shape[2], shape[3]
	logits, boxes, err := d.Forward(context.Background(), px, b, h, w, fn)
	if err != nil {
		return err
	}
	q, c := d.Config().NumQueries, len(d.Config().Labels)
	ts = append(ts, weights.Tensor{Name: "logits", DType: weights.F32, Shape: []int{b, q, c}, Data: logits},
		weights.Tensor{Name: "pred_boxes", DType: weights.F32, Shape: []int{b, q, 4}, Data: boxes})
	if err := weights.Write(output, ts, map[string]string{"model": "rt_detr"}); err != nil {
		return err
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	fmt.Fprintf(stderr, "wrote %s: %s for %d images\n", output, strings.Join(names, ", "), b)
	return nil
}
