package pipeline

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"
)

// TestDecodeGoldens decodes every heatmap of the shared mmpose cases and of
// this package's NumPy/OpenCV cases with both decoders. Scores must equal
// the expected maxima exactly; locations (compared where the maximum is
// positive, as mmpose's location means nothing elsewhere) must agree to
// 1e-3 pixel.
func TestDecodeGoldens(t *testing.T) {
	const tol = 1e-3
	for _, path := range []string{
		filepath.Join(sharedDecodeDir, "decode.safetensors"),
		filepath.Join(ownDir, "decode.safetensors"),
	} {
		t.Run(goldenName(path), func(t *testing.T) {
			g := loadTensors(t, path, "heatmaps", "center", "scale_px", "maxvals", "preds_dark_udp", "preds_default")
			hs := g["heatmaps"].shape
			if len(hs) != 4 {
				t.Fatalf("heatmaps shape %v", hs)
			}
			n, k, h, w := hs[0], hs[1], hs[2], hs[3]
			wantShape(t, "center", g["center"], n, 2)
			wantShape(t, "scale_px", g["scale_px"], n, 2)
			wantShape(t, "maxvals", g["maxvals"], n, k)
			wantShape(t, "preds_dark_udp", g["preds_dark_udp"], n, k, 2)
			wantShape(t, "preds_default", g["preds_default"], n, k, 2)
			for _, tc := range []struct {
				m    Method
				want string
			}{{DarkUDP, "preds_dark_udp"}, {Quarter, "preds_default"}} {
				worst, compared, skipped := 0.0, 0, 0
				for i := 0; i < n; i++ {
					hm := Heatmaps{K: k, H: h, W: w, Data: g["heatmaps"].v[i*k*h*w : (i+1)*k*h*w]}
					c, s := g["center"].v[2*i:], g["scale_px"].v[2*i:]
					f := Frame{CX: float64(c[0]), CY: float64(c[1]), SW: float64(s[0]), SH: float64(s[1])}
					kps := make([]Keypoint, k)
					if err := Decode(kps, hm, f, tc.m); err != nil {
						t.Fatal(err)
					}
					for j, kp := range kps {
						mv := float64(g["maxvals"].v[i*k+j])
						if kp.Score != mv {
							t.Errorf("%v person %d keypoint %d: score %v, want %v", tc.m, i, j, kp.Score, mv)
						}
						if !(mv > 0) {
							skipped++
							continue
						}
						compared++
						p := g[tc.want].v[2*(i*k+j):]
						d := math.Max(math.Abs(kp.X-float64(p[0])), math.Abs(kp.Y-float64(p[1])))
						worst = math.Max(worst, d)
						if d > tol {
							t.Errorf("%v person %d keypoint %d: (%.5f, %.5f), want (%.5f, %.5f)", tc.m, i, j, kp.X, kp.Y, p[0], p[1])
						}
					}
				}
				t.Logf("%v: %d keypoints compared (%d with maximum <= 0 skipped), largest difference %.3g pixel (tolerance %g)", tc.m, compared, skipped, worst, tol)
			}
		})
	}
}

// TestBlurGolden checks the Gaussian blur that DARK uses, value by value,
// against OpenCV's GaussianBlur (ksize 11, sigma 0, reflect-101) on
// heatmap-sized maps and maps smaller than the kernel, and the kernel
// against cv2.getGaussianKernel. The arithmetic follows OpenCV's float32
// filters, so the values must agree to 1 ulp.
func TestBlurGolden(t *testing.T) {
	path := filepath.Join(ownDir, "blur.safetensors")
	g := loadTensors(t, path, "kernel", "in_64x48", "out_64x48", "in_7x6", "out_7x6", "in_1x9", "out_1x9")
	k := gaussianKernel11()
	for i, v := range g["kernel"].v {
		if k[i] != v {
			t.Errorf("kernel[%d] = %v, OpenCV %v", i, k[i], v)
		}
	}
	for _, size := range []string{"64x48", "7x6", "1x9"} {
		in, out := g["in_"+size], g["out_"+size]
		n, h, w := in.shape[0], in.shape[1], in.shape[2]
		wantShape(t, "out_"+size, out, n, h, w)
		maxUlp := 0
		for m := 0; m < n; m++ {
			hmap := in.v[m*h*w : (m+1)*h*w]
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					got := blurAt(hmap, w, h, x, y, &k)
					want := out.v[m*h*w+y*w+x]
					u := ulpDiff(got, want)
					maxUlp = max(maxUlp, u)
					if u > 1 {
						t.Errorf("%s map %d (%d, %d): %v, OpenCV %v (%d ulp)", size, m, x, y, got, want, u)
					}
				}
			}
		}
		t.Logf("%s: largest difference from OpenCV %d ulp", size, maxUlp)
	}
}

// ulpDiff is the distance between two float32 values in units in the last
// place (large for different signs).
func ulpDiff(a, b float32) int {
	if a == b {
		return 0
	}
	ia, ib := int64(math.Float32bits(a)), int64(math.Float32bits(b))
	if (ia < 0) != (ib < 0) || ia>>31 != ib>>31 {
		return math.MaxInt32
	}
	d := ia - ib
	if d < 0 {
		d = -d
	}
	return int(d)
}

func TestDecodeErrors(t *testing.T) {
	good := Heatmaps{K: 2, H: 4, W: 3, Data: make([]float32, 24)}
	f := Frame{CX: 10, CY: 10, SW: 30, SH: 40}
	nan := Heatmaps{K: 2, H: 4, W: 3, Data: make([]float32, 24)}
	nan.Data[17] = float32(math.NaN())
	for _, tc := range []struct {
		name string
		dst  []Keypoint
		hm   Heatmaps
		f    Frame
		m    Method
	}{
		{"short buffer", make([]Keypoint, 2), Heatmaps{K: 2, H: 4, W: 3, Data: make([]float32, 23)}, f, DarkUDP},
		{"zero size", make([]Keypoint, 0), Heatmaps{}, f, DarkUDP},
		{"slots", make([]Keypoint, 3), good, f, DarkUDP},
		{"frame", make([]Keypoint, 2), good, Frame{CX: 1, CY: 1, SW: 0, SH: 1}, DarkUDP},
		{"frame NaN", make([]Keypoint, 2), good, Frame{CX: math.NaN(), CY: 1, SW: 1, SH: 1}, Quarter},
		{"method", make([]Keypoint, 2), good, f, Method(7)},
		{"NaN heatmap", make([]Keypoint, 2), nan, f, Quarter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Decode(tc.dst, tc.hm, tc.f, tc.m); err == nil {
				t.Fatal("no error")
			} else {
				t.Log(err)
			}
		})
	}
}

func TestParseMethod(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want Method
		ok   bool
	}{{"dark-udp", DarkUDP, true}, {"default", Quarter, true}, {"dark", 0, false}, {"", 0, false}} {
		m, err := ParseMethod(tc.s)
		if (err == nil) != tc.ok || (tc.ok && m != tc.want) {
			t.Errorf("ParseMethod(%q) = %v, %v", tc.s, m, err)
		}
		if tc.ok && m.String() != tc.s {
			t.Errorf("%v.String() = %q, want %q", m, m.String(), tc.s)
		}
	}
	if s := Method(9).String(); s != fmt.Sprintf("Method(%d)", 9) {
		t.Errorf("unknown method prints %q", s)
	}
}

// TestDecodeSmallHeatmaps runs the decoders on heatmaps smaller than the
// blur kernel and checks the refined peak of a symmetric blob lands on its
// centre.
func TestDecodeSmallHeatmaps(t *testing.T) {
	for _, tc := range []struct{ h, w int }{{1, 1}, {1, 5}, {2, 2}, {3, 3}, {5, 4}, {9, 9}} {
		hm := Heatmaps{K: 1, H: tc.h, W: tc.w, Data: make([]float32, tc.h*tc.w)}
		cx, cy := (tc.w-1)/2, (tc.h-1)/2
		for y := 0; y < tc.h; y++ {
			for x := 0; x < tc.w; x++ {
				d := float64((x-cx)*(x-cx) + (y-cy)*(y-cy))
				hm.Data[y*tc.w+x] = float32(math.Exp(-d / 2))
			}
		}
		kp := make([]Keypoint, 1)
		f := Frame{CX: 100, CY: 200, SW: 40, SH: 60}
		for _, m := range []Method{DarkUDP, Quarter} {
			err := Decode(kp, hm, f, m)
			if m == DarkUDP && (tc.h < 2 || tc.w < 2) {
				if err == nil {
					t.Errorf("%dx%d %v: no error", tc.h, tc.w, m)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%dx%d %v: %v", tc.h, tc.w, m, err)
			}
			if kp[0].Score != 1 || math.IsNaN(kp[0].X) || math.IsNaN(kp[0].Y) {
				t.Errorf("%dx%d %v: %+v", tc.h, tc.w, m, kp[0])
			}
		}
	}
}
