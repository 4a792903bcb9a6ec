package sample_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/ladderpose/ladderpose/internal/sample"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/train"
)

// TestBundled checks each embedded model against its file in this folder
// and against what testdata/sample/README.md says it is: it loads, with
// the sizes given there, and the two demo models share the demo's config
// (the tuned one with the full side network, the pretrained one without).
func TestBundled(t *testing.T) {
	demo := train.DemoConfig()
	for _, tc := range []struct {
		file string
		data func() []byte
		dim  int
		deep int
		side bool
	}{
		{sample.SampleFile, sample.Sample, 48, 4, false},
		{sample.DemoFile, sample.Demo, demo.Dim, demo.Depth, true},
		{sample.DemoPretrainedFile, sample.DemoPretrained, demo.Dim, demo.Depth, false},
	} {
		onDisk, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		got := tc.data()
		if !bytes.Equal(got, onDisk) {
			t.Fatalf("%s: the embedded bytes (%d) differ from the file's (%d)", tc.file, len(got), len(onDisk))
		}
		// Each call returns a copy of its own.
		got[0] ^= 0xff
		if again := tc.data(); !bytes.Equal(again, onDisk) {
			t.Fatalf("%s: changing one copy changed the next", tc.file)
		}
		m, err := posemodel.LoadBytes(tc.file, tc.data(), posemodel.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Cfg.Dim != tc.dim || m.Cfg.Depth != tc.deep || m.Cfg.Keypoints != 17 || m.HasSide() != tc.side {
			t.Errorf("%s: dim %d depth %d keypoints %d side %v, want %d %d 17 %v", tc.file,
				m.Cfg.Dim, m.Cfg.Depth, m.Cfg.Keypoints, m.HasSide(), tc.dim, tc.deep, tc.side)
		}
		if tc.file != sample.SampleFile {
			want := demo
			if tc.side {
				side := train.DemoSide
				want.Side = &side
			}
			if m.Cfg.JSON() != want.JSON() {
				t.Errorf("%s: config %s, want the demo's %s", tc.file, m.Cfg.JSON(), want.JSON())
			}
		}
	}
}
