package ladderpose

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/posemodel"
)

// TestLoadBytesSample checks that LoadBytes of a checkpoint's bytes gives
// the same estimator as Load of its file: bit-identical poses on the sample
// image for the random-weight sample, for the demo model (which has a side
// network: fusion levels too), and for the sample with a side file.
func TestLoadBytesSample(t *testing.T) {
	side := writeSide(t, posemodel.SideConfig{Channels: 32, FusionWidth: 16, FusionHeads: 4, Nodes: 8}, 3)
	img := sampleImage(t)
	for _, tc := range []struct {
		label, path string
		opts        []Option
	}{
		{"sample", SampleWeights, nil},
		{"demo", DemoWeights, nil},
		{"sample+side", SampleWeights, []Option{WithSide(side)}},
	} {
		data, err := os.ReadFile(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		fromFile, err := Load(tc.path, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		fromBytes, err := LoadBytes("in memory", data, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if fromBytes.Config().JSON() != fromFile.Config().JSON() || fromBytes.HasSide() != fromFile.HasSide() {
			t.Fatalf("%s: LoadBytes gives config %s (side %v), Load %s (side %v)", tc.label,
				fromBytes.Config().JSON(), fromBytes.HasSide(), fromFile.Config().JSON(), fromFile.HasSide())
		}
		if tc.label != "sample" && !fromBytes.HasSide() {
			t.Fatalf("%s: no side network", tc.label)
		}
		want, err := fromFile.Estimate(context.Background(), img, sampleBoxes)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fromBytes.Estimate(context.Background(), img, sampleBoxes)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 2 {
			t.Fatalf("%s: %d poses, want 2", tc.label, len(want))
		}
		samePoses(t, tc.label, got, want) // fusion levels included
		if fromBytes.HasSide() && got[0].Fusion == nil {
			t.Fatalf("%s: no fusion levels", tc.label)
		}
	}
}

// TestLoadBytesErrors checks that bad bytes and bad options give errors
// naming what is wrong.
func TestLoadBytesErrors(t *testing.T) {
	data, err := os.ReadFile(SampleWeights)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		label string
		data  []byte
		opts  []Option
		want  string
	}{
		{"truncated", data[:100], nil, "weights my model:"},
		{"garbage", []byte("not a checkpoint at all"), nil, "weights my model:"},
		{"batch size", data, []Option{WithBatchSize(0)}, "WithBatchSize: 0 people per batch"},
		{"missing side", data, []Option{WithSide("/nonexistent/side.safetensors")}, "side.safetensors"},
	} {
		est, err := LoadBytes("my model", tc.data, tc.opts...)
		if err == nil || est != nil {
			t.Errorf("%s: got an estimator, err %v", tc.label, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "ladderpose: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want \"ladderpose: ...%s...\"", tc.label, err, tc.want)
		}
	}
}
