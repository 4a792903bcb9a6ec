package detect

import (
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestPILResizeBilinear checks pilResizeBilinear byte for byte against
// Pillow's Image.resize(BILINEAR) (testdata/pil_resize.json, written by
// tools/gen_pil_resize_golden.py): downscaling with antialiasing,
// upscaling, one axis only, 1x1 and extreme aspect ratios.
func TestPILResizeBilinear(t *testing.T) {
	data, err := os.ReadFile("testdata/pil_resize.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Pillow string
		Cases  []struct {
			SrcW     int `json:"src_w"`
			SrcH     int `json:"src_h"`
			DstW     int `json:"dst_w"`
			DstH     int `json:"dst_h"`
			Src, Dst string
		}
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Cases) == 0 {
		t.Fatal("no cases")
	}
	shared := &pilScratch{} // reused across cases of different sizes
	for i, c := range golden.Cases {
		sh := c.SrcH
		src, err1 := base64.StdEncoding.DecodeString(c.Src)
		want, err2 := base64.StdEncoding.DecodeString(c.Dst)
		if err1 != nil || err2 != nil || len(src) != 3*c.SrcW*sh || len(want) != 3*c.DstW*c.DstH {
			t.Fatalf("case %d: bad golden data", i)
		}
		for _, procs := range []int{1, 2} {
			prev := runtime.GOMAXPROCS(procs)
			got := make([]uint8, len(want))
			sc := shared
			if procs == 1 {
				sc = nil
			}
			pilResizeBilinear(got, src, c.SrcW, sh, c.DstW, c.DstH, sc)
			runtime.GOMAXPROCS(prev)
			bad := 0
			for j := range got {
				if got[j] != want[j] {
					if bad == 0 {
						t.Errorf("case %d (%dx%d -> %dx%d, GOMAXPROCS %d): byte %d = %d, Pillow %s gives %d",
							i, c.SrcW, sh, c.DstW, c.DstH, procs, j, got[j], golden.Pillow, want[j])
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("case %d: %d of %d bytes differ", i, bad, len(got))
			}
		}
	}
}

// TestToRGB checks the image conversions Detect uses.
func TestToRGB(t *testing.T) {
	rgba := image.NewRGBA(image.Rect(2, 3, 5, 5))
	nrgba := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	gray := image.NewGray(image.Rect(0, 0, 3, 2))
	want := make([]uint8, 0, 18)
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			c := color.RGBA{uint8(10*x + y), uint8(50 + x), uint8(200 - y), 255}
			rgba.SetRGBA(2+x, 3+y, c)
			nrgba.SetNRGBA(x, y, color.NRGBA{c.R, c.G, c.B, 255})
			gray.SetGray(x, y, color.Gray{c.R})
			want = append(want, c.R, c.G, c.B)
		}
	}
	mine := &RGB{W: 3, H: 2, Pix: want}
	for name, img := range map[string]image.Image{"RGBA": rgba, "NRGBA": nrgba, "RGB": mine, "generic": image.Image(struct{ image.Image }{rgba})} {
		got, w, h, err := toRGB(nil, img)
		if err != nil || w != 3 || h != 2 || string(got) != string(want) {
			t.Errorf("%s: got %v %dx%d %v, want %v", name, got, w, h, err, want)
		}
	}
	got, _, _, _ := toRGB(nil, gray)
	for i := 0; i < 6; i++ {
		if got[3*i] != want[3*i] || got[3*i+1] != want[3*i] || got[3*i+2] != want[3*i] {
			t.Fatalf("Gray: pixel %d = %v, want %v", i, got[3*i:3*i+3], want[3*i])
		}
	}
	if _, _, _, err := toRGB(nil, image.NewRGBA(image.Rect(0, 0, 0, 5))); err == nil {
		t.Error("empty image accepted")
	}
	if _, _, _, err := toRGB(nil, nil); err == nil {
		t.Error("nil image accepted")
	}
	if _, _, _, err := toRGB(nil, &RGB{W: 2, H: 2, Pix: make([]uint8, 5)}); err == nil {
		t.Error("short RGB accepted")
	}
}

// TestParsePreprocess checks preprocessor_config.json parsing: PekingU's
// file, the defaults, and refusals naming the field.
func TestParsePreprocess(t *testing.T) {
	pk := `{"do_normalize": false, "do_pad": false, "do_rescale": true, "do_resize": true, "format": "coco_detection",
	"image_mean": [0.485, 0.456, 0.406], "image_processor_type": "RTDetrImageProcessor",
	"image_std": [0.229, 0.224, 0.225], "resample": 2, "rescale_factor": 0.00392156862745098,
	"size": {"height": 640, "width": 640}}`
	p, err := ParsePreprocess([]byte(pk))
	if err != nil {
		t.Fatal(err)
	}
	if p.Height != 640 || p.Width != 640 || !p.DoResize || !p.DoRescale || p.DoNormalize || p.RescaleFactor != 0.00392156862745098 {
		t.Errorf("parsed %+v", p)
	}
	if p, err := ParsePreprocess([]byte(`{"size": {"height": 320, "width": 480}}`)); err != nil || p.Height != 320 || p.Width != 480 {
		t.Errorf("size: %+v %v", p, err)
	}
	for _, bad := range []struct{ json, field string }{
		{`{"resample": 3}`, "resample"},
		{`{"do_resize": false}`, "do_resize"},
		{`{"size": {"shortest_edge": 800}}`, "size"},
		{`{"size": {"height": 0, "width": 640}}`, "size"},
		{`{"rescale_factor": -1}`, "rescale_factor"},
		{`{"do_normalize": true, "image_std": [1, 0, 1]}`, "image_std"},
		{`{"image_mean": [1, 2]}`, "image_mean"},
		{`[1]`, "preprocessor config"},
	} {
		_, err := ParsePreprocess([]byte(bad.json))
		if err == nil || !strings.Contains(err.Error(), bad.field) {
			t.Errorf("%s: error %v, want one naming %q", bad.json, err, bad.field)
		}
	}
}

// TestToPixels checks rescale (float64 multiply rounded to float32) and
// the channels-first layout.
func TestToPixels(t *testing.T) {
	p := DefaultPreprocess
	rgb := []uint8{0, 128, 255, 1, 2, 3}
	dst := make([]float32, 6)
	p.toPixels(dst, rgb, 2, 1)
	want := []float32{0, 1.0 / 255, 128.0 / 255, 2.0 / 255, 1, 3.0 / 255}
	for i := range want {
		if dst[i] != float32(float64([]int{0, 1, 128, 2, 255, 3}[i])*(1.0/255)) || dst[i] != want[i] {
			t.Errorf("pixel value %d = %v, want %v", i, dst[i], want[i])
		}
	}
}
