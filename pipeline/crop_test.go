package pipeline

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"
)

// imageFromHWC makes an RGB image from [h, w, 3] values in 0..255.
func imageFromHWC(t testing.TB, v []float32, h, w int) *RGB {
	t.Helper()
	img := NewRGB(w, h)
	for i, x := range v {
		if x < 0 || x > 255 || x != float32(math.Round(float64(x))) {
			t.Fatalf("pixel value %v is not an 8-bit value", x)
		}
		img.Pix[i] = uint8(x)
	}
	return img
}

// levels turns a normalised [3, h, w] crop back into [h, w, 3] values on
// the 0..255 scale, without rounding.
func levels(chw []float32, w, h int) []float64 {
	mean := [3]float64{MeanR, MeanG, MeanB}
	std := [3]float64{StdR, StdG, StdB}
	out := make([]float64, 3*w*h)
	for c := 0; c < 3; c++ {
		for i := 0; i < w*h; i++ {
			out[3*i+c] = (float64(chw[c*w*h+i])*std[c] + mean[c]) * 255
		}
	}
	return out
}

// TestWarpParamsGolden checks the box rule and the crop matrix against
// mmpose's _xywh2cs and get_warp_matrix (UDP) to 1e-5 relative.
func TestWarpParamsGolden(t *testing.T) {
	const tol = 1e-5
	g := loadTensors(t, filepath.Join(sharedDecodeDir, "warp_params.safetensors"), "boxes_xywh", "center", "scale_px", "matrix")
	n := g["boxes_xywh"].shape[0]
	wantShape(t, "matrix", g["matrix"], n, 2, 3)
	worst := 0.0
	check := func(what string, i int, got, want float64) {
		d := math.Abs(got - want)
		if want != 0 {
			d /= math.Abs(want)
		}
		worst = math.Max(worst, d)
		if d > tol {
			t.Errorf("box %d: %s = %v, want %v", i, what, got, want)
		}
	}
	for i := 0; i < n; i++ {
		b := g["boxes_xywh"].v[4*i:]
		f := Box{float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])}.Frame(InputW, InputH)
		c, s := g["center"].v[2*i:], g["scale_px"].v[2*i:]
		check("centre x", i, f.CX, float64(c[0]))
		check("centre y", i, f.CY, float64(c[1]))
		check("scale w", i, f.SW, float64(s[0]))
		check("scale h", i, f.SH, float64(s[1]))
		m := f.CropMatrix(InputW, InputH)
		for r := 0; r < 2; r++ {
			for col := 0; col < 3; col++ {
				check(fmt.Sprintf("matrix[%d][%d]", r, col), i, m[r][col], float64(g["matrix"].v[6*i+3*r+col]))
			}
		}
	}
	t.Logf("%d boxes: largest relative difference %.3g (tolerance %g)", n, worst, tol)
}

// TestWarpGolden crops the shared golden picture with our box rule and warp
// and compares with OpenCV's 8-bit warpAffine: per crop, mean absolute
// difference <= 1 level and at least 90%% of the values within 1 level
// (OpenCV rounds source positions to 1/32 pixel and the result to 8 bits).
func TestWarpGolden(t *testing.T) {
	g := loadTensors(t, filepath.Join(sharedDecodeDir, "warp.safetensors"), "boxes_xywh", "image", "crops")
	is := g["image"].shape
	img := imageFromHWC(t, g["image"].v, is[0], is[1])
	n := g["boxes_xywh"].shape[0]
	wantShape(t, "crops", g["crops"], n, InputH, InputW, 3)
	dst := make([]float32, 3*InputW*InputH)
	for i := 0; i < n; i++ {
		b := g["boxes_xywh"].v[4*i:]
		f := Box{float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])}.Frame(InputW, InputH)
		if err := CropPerson(dst, nil, img, f, InputW, InputH); err != nil {
			t.Fatal(err)
		}
		got := levels(dst, InputW, InputH)
		want := g["crops"].v[i*len(got) : (i+1)*len(got)]
		sum, within, worst := 0.0, 0, 0.0
		for j, v := range got {
			d := math.Abs(v - float64(want[j]))
			sum += d
			worst = math.Max(worst, d)
			if d <= 1 {
				within++
			}
		}
		mean, frac := sum/float64(len(got)), float64(within)/float64(len(got))
		t.Logf("crop %d: mean |diff| %.3f level, %.2f%% within 1 level, largest %.1f", i, mean, 100*frac, worst)
		if mean > 1 || frac < 0.9 {
			t.Errorf("crop %d: mean |diff| %.3f level (limit 1), %.2f%% within 1 level (limit 90%%)", i, mean, 100*frac)
		}
	}
}

// TestWarpOwnGolden compares the warp with this package's cases (crops of
// 24x32, boxes across the image edges, a tiny and a huge box, one rotated
// map) on a smooth picture with sharp edges and on noise: to 1e-3 level
// against exact float64 bilinear interpolation, and against OpenCV's float
// warpAffine within the error that OpenCV's fixed-point positions allow.
// OpenCV truncates each source coordinate to 1/32 pixel (after rounding to
// 1/1024), which moves a bilinear value by at most (1/32 + 1/1024) times
// the value range of the pixels around it per axis; a half-pixel or scale
// error exceeds that bound by far.
func TestWarpOwnGolden(t *testing.T) {
	g := loadTensors(t, filepath.Join(ownDir, "warp.safetensors"),
		"image", "noise", "boxes_xywh", "center", "scale_px", "matrix", "crops_cv", "crops_exact", "noise_cv", "noise_exact")
	is := g["image"].shape
	imgs := map[string]*RGB{
		"crops": imageFromHWC(t, g["image"].v, is[0], is[1]),
		"noise": imageFromHWC(t, g["noise"].v, is[0], is[1]),
	}
	n := g["boxes_xywh"].shape[0]
	const cw, ch = 24, 32
	wantShape(t, "crops_cv", g["crops_cv"], n, ch, cw, 3)
	dst := make([]float32, 3*cw*ch)
	for i := 0; i < n; i++ {
		b := g["boxes_xywh"].v[4*i:]
		f := Box{float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])}.Frame(cw, ch)
		c, s := g["center"].v[2*i:], g["scale_px"].v[2*i:]
		if relDiff(f.CX, float64(c[0]), 1) > 1e-6 || relDiff(f.CY, float64(c[1]), 1) > 1e-6 ||
			relDiff(f.SW, float64(s[0]), 1) > 1e-6 || relDiff(f.SH, float64(s[1]), 1) > 1e-6 {
			t.Errorf("box %d: frame %+v, want centre %v scale %v", i, f, c[:2], s[:2])
		}
		var m Affine
		for r := 0; r < 2; r++ {
			for col := 0; col < 3; col++ {
				m[r][col] = float64(g["matrix"].v[6*i+3*r+col])
			}
		}
		if i != 7 { // case 7 is the UDP map followed by a rotation
			um := f.CropMatrix(cw, ch)
			for r := 0; r < 2; r++ {
				for col := 0; col < 3; col++ {
					if math.Abs(um[r][col]-m[r][col]) > 1e-6*math.Max(1, math.Abs(m[r][col])) {
						t.Errorf("box %d: matrix[%d][%d] = %v, want %v", i, r, col, um[r][col], m[r][col])
					}
				}
			}
		}
		inv, err := m.Invert()
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"crops", "noise"} {
			img := imgs[name]
			if err := CropCHW(dst, img, m, cw, ch); err != nil {
				t.Fatal(err)
			}
			got := levels(dst, cw, ch)
			exact := g[name+"_exact"].v[i*len(got) : (i+1)*len(got)]
			cv := g[name+"_cv"].v[i*len(got) : (i+1)*len(got)]
			worstExact, worstRatio, sumCV := 0.0, 0.0, 0.0
			for j, v := range got {
				worstExact = math.Max(worstExact, math.Abs(v-float64(exact[j])))
				d := math.Abs(v - float64(cv[j]))
				sumCV += d
				p := j / 3
				sx, sy := inv.Apply(float64(p%cw), float64(p/cw))
				bound := 2*(1.0/32+1.0/1024)*localRange(img, sx, sy, j%3) + 1e-3
				worstRatio = math.Max(worstRatio, d/bound)
				if d > bound {
					t.Errorf("%s %d value %d: %.3f, OpenCV %.3f: differs by more than %.3f", name, i, j, v, cv[j], bound)
				}
			}
			t.Logf("%s %d: largest |diff| %.2g level from exact bilinear; from OpenCV mean %.3f level, at most %.0f%% of the fixed-point bound", name, i, worstExact, sumCV/float64(len(got)), 100*worstRatio)
			if worstExact > 1e-3 {
				t.Errorf("%s %d: %.3g level from exact bilinear interpolation (limit 1e-3)", name, i, worstExact)
			}
		}
	}
}

// localRange is the range (max - min) of channel c over the 3x3 pixels
// around the source position (sx, sy), counting pixels outside the image as
// 0: how much a bilinear value can change when the position moves by up to
// a pixel.
func localRange(img *RGB, sx, sy float64, c int) float64 {
	x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
	lo, hi := math.Inf(1), math.Inf(-1)
	for y := y0 - 1; y <= y0+2; y++ {
		for x := x0 - 1; x <= x0+2; x++ {
			v := 0.0
			if x >= 0 && y >= 0 && x < img.W && y < img.H {
				v = float64(img.Pix[3*(y*img.W+x)+c])
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return hi - lo
}

// TestWarpPathsAgree checks that the axis-aligned fast path and the general
// per-pixel path give the same crop for a map without rotation.
func TestWarpPathsAgree(t *testing.T) {
	img := NewRGB(37, 23)
	for i := range img.Pix {
		img.Pix[i] = uint8(i*7919%251 + i%3)
	}
	for _, b := range []Box{{3, 4, 20, 10}, {-10, -5, 30, 40}, {30, 20, 15, 9}, {0.3, 0.7, 2, 2}} {
		f := b.Frame(16, 20)
		m := f.CropMatrix(16, 20)
		inv, err := m.Invert()
		if err != nil {
			t.Fatal(err)
		}
		fast := make([]float32, 3*16*20)
		slow := make([]float32, 3*16*20)
		warpAxisAligned(fast, nil, img, inv, 16, 20)
		warpGeneral(slow, img, inv, 16, 20)
		for i := range fast {
			if math.Abs(float64(fast[i]-slow[i])) > 1e-5 {
				t.Fatalf("box %+v value %d: fast %v, general %v", b, i, fast[i], slow[i])
			}
		}
	}
}

// TestCropNormalisation checks the normalisation of a uniform image against
// (v/255 - mean)/std and that the flipped twin is the mirror image.
func TestCropNormalisation(t *testing.T) {
	img := NewRGB(40, 30)
	for i := 0; i < len(img.Pix); i += 3 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2] = 200, 100, 7
	}
	f := Box{10, 8, 12, 10}.Frame(12, 16) // frame [8.5, 23.5] x [3, 23], inside
	dst := make([]float32, 3*12*16)
	flipped := make([]float32, 3*12*16)
	if err := CropPerson(dst, flipped, img, f, 12, 16); err != nil {
		t.Fatal(err)
	}
	want := [3]float64{(200.0/255 - MeanR) / StdR, (100.0/255 - MeanG) / StdG, (7.0/255 - MeanB) / StdB}
	for c := 0; c < 3; c++ {
		for i := 0; i < 12*16; i++ {
			if v := float64(dst[c*12*16+i]); math.Abs(v-want[c]) > 1e-5*math.Max(1, math.Abs(want[c])) {
				t.Fatalf("channel %d value %d: %v, want %v", c, i, v, want[c])
			}
		}
	}
	// A ramp shows the mirror.
	for i := 0; i < len(img.Pix); i += 3 {
		x := (i / 3) % img.W
		img.Pix[i] = uint8(5 * x)
	}
	if err := CropPerson(dst, flipped, img, f, 12, 16); err != nil {
		t.Fatal(err)
	}
	for c := 0; c < 3; c++ {
		for y := 0; y < 16; y++ {
			for x := 0; x < 12; x++ {
				if dst[(c*16+y)*12+x] != flipped[(c*16+y)*12+11-x] {
					t.Fatalf("flipped twin differs at channel %d (%d, %d)", c, x, y)
				}
			}
		}
	}
	back, err := CropImage(dst, 12, 16)
	if err != nil {
		t.Fatal(err)
	}
	want8 := ToRGB(back)
	if want8.W != 12 || want8.H != 16 {
		t.Fatalf("crop image is %dx%d", want8.W, want8.H)
	}
}

func TestCropErrors(t *testing.T) {
	img := NewRGB(10, 10)
	ok := Box{1, 1, 5, 5}.Frame(4, 4)
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"buffer size", func() error { return CropPerson(make([]float32, 47), nil, img, ok, 4, 4) }},
		{"flipped size", func() error { return CropPerson(make([]float32, 48), make([]float32, 3), img, ok, 4, 4) }},
		{"zero crop", func() error { return CropCHW(nil, img, ok.CropMatrix(4, 4), 0, 4) }},
		{"nil image", func() error { return CropPerson(make([]float32, 48), nil, nil, ok, 4, 4) }},
		{"bad image", func() error { return CropPerson(make([]float32, 48), nil, &RGB{W: 3, H: 3}, ok, 4, 4) }},
		{"singular", func() error { return CropCHW(make([]float32, 48), img, Affine{{1, 2, 0}, {2, 4, 0}}, 4, 4) }},
		{"frame", func() error { return CropPerson(make([]float32, 48), nil, img, Frame{SW: -1, SH: 1}, 4, 4) }},
		{"flip shape", func() error { return FlipCHW(make([]float32, 4), make([]float32, 4), 1, 2, 3) }},
		{"crop image", func() error { _, err := CropImage(make([]float32, 5), 1, 2); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
		})
	}
}

func TestCheckBox(t *testing.T) {
	for _, tc := range []struct {
		b    Box
		want error
	}{
		{Box{10, 10, 20, 30}, nil},
		{Box{-5, -5, 10, 10}, nil},
		{Box{630, 470, 100, 100}, nil},
		{Box{math.NaN(), 0, 1, 1}, ErrBoxNotFinite},
		{Box{0, 0, math.Inf(1), 1}, ErrBoxNotFinite},
		{Box{0, 0, 0, 10}, ErrBoxEmpty},
		{Box{0, 0, 10, -1}, ErrBoxEmpty},
		{Box{-20, 0, 20, 10}, ErrBoxOutside},
		{Box{640, 0, 20, 10}, ErrBoxOutside},
		{Box{0, 480, 20, 10}, ErrBoxOutside},
		{Box{0, -11, 20, 10}, ErrBoxOutside},
	} {
		err := CheckBox(tc.b, 640, 480)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("CheckBox(%+v) = %v, want %v", tc.b, err, tc.want)
		}
		if skip := Skippable(err); skip != (tc.want == ErrBoxEmpty || tc.want == ErrBoxOutside) {
			t.Errorf("Skippable(%v) = %v", err, skip)
		}
	}
}

func TestBoxFrame(t *testing.T) {
	for _, tc := range []struct {
		b    Box
		want Frame
	}{
		{Box{0, 0, 75, 100}, Frame{37.5, 50, 93.75, 125}},
		{Box{10, 20, 150, 100}, Frame{85, 70, 187.5, 250}},
		{Box{10, 20, 30, 100}, Frame{25, 70, 93.75, 125}},
	} {
		f := tc.b.Frame(192, 256)
		if f != tc.want {
			t.Errorf("%+v.Frame = %+v, want %+v", tc.b, f, tc.want)
		}
		if a := f.Area(); a != f.SW*f.SH {
			t.Errorf("area %v", a)
		}
		// The crop matrix sends the frame's corners to the crop's corner pixels.
		m := f.CropMatrix(192, 256)
		for _, p := range [][4]float64{
			{f.CX - f.SW/2, f.CY - f.SH/2, 0, 0},
			{f.CX + f.SW/2, f.CY + f.SH/2, 191, 255},
		} {
			u, v := m.Apply(p[0], p[1])
			if math.Abs(u-p[2]) > 1e-9 || math.Abs(v-p[3]) > 1e-9 {
				t.Errorf("frame %+v: (%v, %v) -> (%v, %v), want (%v, %v)", f, p[0], p[1], u, v, p[2], p[3])
			}
		}
		// The UDP heatmap inverse sends the heatmap's corner pixels there too.
		if x, y := f.FromHeatmap(47, 63, 48, 64, true); math.Abs(x-(f.CX+f.SW/2)) > 1e-9 || math.Abs(y-(f.CY+f.SH/2)) > 1e-9 {
			t.Errorf("UDP inverse of (47, 63) = (%v, %v)", x, y)
		}
		if x, y := f.FromHeatmap(48, 64, 48, 64, false); math.Abs(x-(f.CX+f.SW/2)) > 1e-9 || math.Abs(y-(f.CY+f.SH/2)) > 1e-9 {
			t.Errorf("non-UDP inverse of (48, 64) = (%v, %v)", x, y)
		}
		inv, err := m.Invert()
		if err != nil {
			t.Fatal(err)
		}
		if x, y := inv.Apply(m.Apply(123.4, -56.7)); math.Abs(x-123.4) > 1e-9 || math.Abs(y+56.7) > 1e-9 {
			t.Errorf("inverse round trip gives (%v, %v)", x, y)
		}
	}
	if _, err := (Affine{{math.Inf(1), 0, 0}, {0, 1, 0}}).Invert(); err == nil {
		t.Error("infinite map inverted")
	}
}

// TestCropFlippedGeneralPath checks the mirrored crop of a rotated map.
func TestCropFlippedGeneralPath(t *testing.T) {
	img, _ := testScene()
	c, s := math.Cos(0.3), math.Sin(0.3)
	m := Affine{{0.5 * c, -0.5 * s, -20}, {0.5 * s, 0.5 * c, -30}}
	dst := make([]float32, 3*12*16)
	flipped := make([]float32, 3*12*16)
	if err := cropCHW(dst, flipped, img, m, 12, 16); err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 3*12*16)
	if err := CropCHW(want, img, m, 12, 16); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("value %d: %v, CropCHW %v", i, dst[i], want[i])
		}
		r, x := i/12, i%12
		if flipped[r*12+11-x] != want[i] {
			t.Fatalf("flipped value %d differs", i)
		}
	}
}
