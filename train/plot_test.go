package train

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// colourNear reports whether pixel (x, y) or one of its neighbours within
// r pixels has exactly colour c.
func colourNear(img *image.RGBA, x, y, r int, c color.RGBA) bool {
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if image.Pt(x+dx, y+dy).In(img.Rect) && img.RGBAAt(x+dx, y+dy) == c {
				return true
			}
		}
	}
	return false
}

// TestChartRender draws a loss series on a log axis and an AP series on a
// linear right axis and checks that each point lies on a pixel of its
// series' colour where the axes map it, and that a NaN leaves a gap.
func TestChartRender(t *testing.T) {
	var loss, ap Series
	loss.Name, ap.Name, ap.Right = "loss", "val AP", true
	for e := 1; e <= 20; e++ {
		loss.X = append(loss.X, float64(e))
		loss.Y = append(loss.Y, 0.5*math.Pow(0.7, float64(e))) // 0.35 .. 4e-4: log
		ap.X = append(ap.X, float64(e))
		ap.Y = append(ap.Y, 0.6*(1-math.Exp(-float64(e)/5)))
	}
	ap.Y[10] = math.NaN()
	c := Chart{Title: "t", XLabel: "epoch", LeftLabel: "loss", RightLabel: "AP", Series: []Series{loss, ap, {Name: "unused"}}}
	img, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Dx() != 1000 || img.Rect.Dy() != 600 {
		t.Fatalf("size %v", img.Rect.Size())
	}
	lv, rv := c.values(true, false), c.values(true, true)
	if !isLog(ScaleAuto, lv) || isLog(ScaleAuto, rv) {
		t.Fatalf("automatic scales: loss log %v, AP log %v; want true, false", isLog(ScaleAuto, lv), isLog(ScaleAuto, rv))
	}
	// Recompute the layout the renderer used.
	plot := findPlot(t, img)
	xa := makeAxis(c.values(false, false), false, float64(plot.Min.X), float64(plot.Max.X-1))
	ly := makeAxis(lv, true, float64(plot.Max.Y-1), float64(plot.Min.Y))
	ry := makeAxis(rv, false, float64(plot.Max.Y-1), float64(plot.Min.Y))
	for i, s := range c.Series {
		ya := ly
		if s.Right {
			ya = ry
		}
		for j := range s.X {
			if math.IsNaN(s.Y[j]) {
				continue
			}
			x, y := int(math.Round(xa.pix(s.X[j]))), int(math.Round(ya.pix(s.Y[j])))
			// Its colour, or a later series' drawn over it.
			if !colourNear(img, x, y, 1, palette[i]) && !colourNear(img, x, y, 1, palette[i+1]) {
				t.Errorf("%s point %d (%v, %v): no pixel of its colour at (%d, %d)", s.Name, j, s.X[j], s.Y[j], x, y)
			}
		}
	}
	// The gap: halfway between points 9 and 11 of AP there is no AP ink
	// (the other curve is far away there).
	gx := int(math.Round(xa.pix(11)))
	gy := int(math.Round((ry.pix(ap.Y[9]) + ry.pix(ap.Y[11])) / 2))
	if colourNear(img, gx, gy, 1, palette[1]) {
		t.Error("the NaN point is bridged by a line")
	}
	if math.Abs(ly.lo-math.Log10(4e-4)) > 1 || ly.hi < math.Log10(0.35) {
		t.Errorf("log axis %v..%v does not hold the data", ly.lo, ly.hi)
	}
}

// findPlot finds the plot area inside its frame: the frame's top and
// bottom edges are the first and last rows holding the picture's longest
// run of ink.
func findPlot(t *testing.T, img *image.RGBA) image.Rectangle {
	t.Helper()
	longest := func(y int) (n, x0 int) {
		run := 0
		for x := 0; x < img.Rect.Dx(); x++ {
			if img.RGBAAt(x, y) == colInk {
				run++
				if run > n {
					n, x0 = run, x-run+1
				}
			} else {
				run = 0
			}
		}
		return n, x0
	}
	best, bx0, top, bottom := 0, 0, -1, -1
	for y := 0; y < img.Rect.Dy(); y++ {
		n, x0 := longest(y)
		if n > best {
			best, bx0, top, bottom = n, x0, y, y
		} else if n == best {
			bottom = y
		}
	}
	if best < 500 || bottom-top < 300 {
		t.Fatalf("no plot frame found (run %d, rows %d..%d)", best, top, bottom)
	}
	return image.Rect(bx0+1, top+1, bx0+best-1, bottom)
}

func TestChartErrors(t *testing.T) {
	if _, err := (Chart{Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1}}}}).Render(); err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("mismatched lengths: %v", err)
	}
	if _, err := (Chart{Width: 50, Height: 50}).Render(); err == nil {
		t.Error("a 50x50 chart accepted")
	}
	// Degenerate data still draws: no series, one point, constant values,
	// all NaN, a log scale asked for non-positive values.
	for i, c := range []Chart{
		{},
		{Series: []Series{{Name: "one", X: []float64{3}, Y: []float64{0.5}}}},
		{Series: []Series{{Name: "flat", X: []float64{1, 2, 3}, Y: []float64{2, 2, 2}}}},
		{Series: []Series{{Name: "nan", X: []float64{1, 2}, Y: []float64{math.NaN(), math.Inf(1)}}}},
		{LeftScale: ScaleLog, Series: []Series{{Name: "neg", X: []float64{1, 2}, Y: []float64{-1, 0}}}},
	} {
		if _, err := c.Render(); err != nil {
			t.Errorf("chart %d: %v", i, err)
		}
	}
}

func TestTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		log    bool
		want   string
	}{
		{0, 1, false, "0.0 0.2 0.4 0.6 0.8 1.0"},
		{1, 30, false, "0 10 20 30"},
		{-0.03, 0.07, false, "-0.04 -0.02 0.00 0.02 0.04 0.06 0.08"},
		{1e-4, 0.3, true, "0.0001 0.001 0.01 0.1"},
		{0.002, 0.3, true, "0.001 0.002 0.005 0.01 0.02 0.05 0.1 0.2"},
		{2e6, 5e6, false, "2.0e+06 3.0e+06 4.0e+06 5.0e+06"},
		{0.5, 0.5, false, "0.0 0.2 0.4 0.6 0.8 1.0"},
	}
	for _, tc := range tests {
		a := makeAxis([]float64{tc.lo, tc.hi}, tc.log, 0, 100)
		var labels []string
		for _, v := range ticks(a) {
			labels = append(labels, tickLabel(v, a))
		}
		if got := strings.Join(labels, " "); got != tc.want {
			t.Errorf("axis %v..%v log %v: ticks %q, want %q", tc.lo, tc.hi, tc.log, got, tc.want)
		}
	}
	for _, tc := range []struct{ d, want float64 }{{0.13, 0.2}, {0.2, 0.2}, {3, 5}, {7, 10}, {0.0011, 0.002}} {
		if got := niceStep(tc.d); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("niceStep(%v) = %v, want %v", tc.d, got, tc.want)
		}
	}
}

func TestWriteCurves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "curves.png")
	s := []Series{{Name: "L_K", X: []float64{1, 2, 3}, Y: []float64{3e-3, 2e-3, 1e-3}}}
	if err := WriteCurves(path, s); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width != 1000 || cfg.Height != 600 {
		t.Fatalf("written PNG: %v %+v", err, cfg)
	}
	if err := WriteCurves(filepath.Join(t.TempDir(), "no", "dir.png"), s); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
}

func ExampleWriteCurves() {
	dir, _ := os.MkdirTemp("", "curves")
	defer os.RemoveAll(dir)
	loss := Series{Name: "L_K", X: []float64{1, 2, 3, 4}, Y: []float64{2e-3, 1.4e-3, 1.1e-3, 0.9e-3}}
	ap := Series{Name: "val AP", X: []float64{1, 2, 3, 4}, Y: []float64{0.31, 0.45, 0.52, 0.55}, Right: true}
	path := filepath.Join(dir, "curves.png")
	if err := WriteCurves(path, []Series{loss, ap}); err != nil {
		fmt.Println(err)
		return
	}
	f, _ := os.Open(path)
	defer f.Close()
	cfg, _ := png.DecodeConfig(f)
	fmt.Printf("%dx%d chart\n", cfg.Width, cfg.Height)
	// Output: 1000x600 chart
}
