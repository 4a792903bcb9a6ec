package pipeline

import (
	"github.com/ladderpose/ladderpose/internal/bitmapfont"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// standing is a person facing the camera in a unit box (COCO order; the
// person's left is on the picture's right).
var standing = [17][2]float64{
	{0.50, 0.08}, {0.53, 0.06}, {0.47, 0.06}, {0.57, 0.08}, {0.43, 0.08},
	{0.65, 0.22}, {0.35, 0.22}, {0.72, 0.38}, {0.27, 0.38}, {0.75, 0.52},
	{0.22, 0.50}, {0.60, 0.52}, {0.40, 0.52}, {0.62, 0.73}, {0.38, 0.73},
	{0.63, 0.95}, {0.37, 0.95},
}

// testScene is a 640x480 picture (a gradient with a few blocks) and two
// people in it; the second has low scores on its right arm.
func testScene() (*RGB, []Pose) {
	img := NewRGB(640, 480)
	for y := 0; y < img.H; y++ {
		for x := 0; x < img.W; x++ {
			i := 3 * (y*img.W + x)
			img.Pix[i] = uint8(60 + x/8)
			img.Pix[i+1] = uint8(70 + y/6)
			img.Pix[i+2] = uint8(110 + (x+y)%40)
			if (x/80+y/80)%2 == 0 {
				img.Pix[i+2] = 90
			}
		}
	}
	var poses []Pose
	for _, p := range []struct {
		box   Box
		score float64
	}{{Box{90, 60, 170, 380}, 0.9}, {Box{380, 120, 130, 300}, 0.8}} {
		kps := make([]Keypoint, 17)
		for k, u := range standing {
			kps[k] = Keypoint{X: p.box.X + u[0]*p.box.W, Y: p.box.Y + u[1]*p.box.H, Score: p.score}
		}
		poses = append(poses, Pose{Box: p.box, Frame: p.box.Frame(InputW, InputH), Keypoints: kps, BoxScore: 1, Score: p.score})
	}
	for _, k := range []int{6, 8, 10} { // right shoulder, elbow, wrist
		poses[1].Keypoints[k].Score = 0.1
	}
	return img, poses
}

// pictureDir is where the picture tests also write their PNGs for viewing:
// $LADDERPOSE_PICTURES if set, else a temporary folder.
func pictureDir(t *testing.T) string {
	if d := os.Getenv("LADDERPOSE_PICTURES"); d != "" {
		return d
	}
	return t.TempDir()
}

func TestDrawPoses(t *testing.T) {
	img, poses := testScene()
	before := append([]uint8(nil), img.Pix...)
	out := DrawPoses(img, poses, 0.3)
	if out.Bounds() != img.Bounds() {
		t.Fatalf("picture bounds %v, image %v", out.Bounds(), img.Bounds())
	}
	if string(before) != string(img.Pix) {
		t.Fatal("DrawPoses changed its input")
	}
	at := func(x, y float64) color.RGBA { return out.RGBAAt(int(math.Round(x)), int(math.Round(y))) }
	mid := func(p Pose, a, b int) (float64, float64) {
		return (p.Keypoints[a].X + p.Keypoints[b].X) / 2, (p.Keypoints[a].Y + p.Keypoints[b].Y) / 2
	}
	checks := []struct {
		name string
		a, b int
		want color.RGBA
	}{
		{"left thigh (11-13)", 11, 13, colourLeft},
		{"right shin (14-16)", 14, 16, colourRight},
		{"hips (11-12)", 11, 12, colourCentre},
		{"shoulders (5-6)", 5, 6, colourCentre},
		{"left upper arm (5-7)", 5, 7, colourLeft},
	}
	for _, c := range checks {
		x, y := mid(poses[0], c.a, c.b)
		if got := at(x, y); got != c.want {
			t.Errorf("%s at (%.0f, %.0f): %v, want %v", c.name, x, y, got, c.want)
		}
	}
	// The second person's right forearm is below the threshold: not drawn.
	x, y := mid(poses[1], 8, 10)
	i := 3 * (int(math.Round(y))*img.W + int(math.Round(x)))
	want := color.RGBA{img.Pix[i], img.Pix[i+1], img.Pix[i+2], 255}
	if got := at(x, y); got != want {
		t.Errorf("hidden forearm drawn: %v, background %v", got, want)
	}
	// Joints are dots of their side's colour.
	if got := at(poses[1].Keypoints[9].X, poses[1].Keypoints[9].Y); got != colourLeft {
		t.Errorf("left wrist: %v", got)
	}
	// Keypoints far outside or not finite are skipped, not a crash.
	odd := Pose{Keypoints: make([]Keypoint, 17)}
	for k := range odd.Keypoints {
		odd.Keypoints[k] = Keypoint{X: 1e300 * float64(k%3-1), Y: math.NaN(), Score: 1}
	}
	odd.Keypoints[3].Y = -1e18
	odd.Keypoints[5] = Keypoint{X: -1e18, Y: 1e18, Score: 1}
	odd.Keypoints[6] = Keypoint{X: 1e18, Y: -1e18, Score: 1}
	DrawPoses(img, []Pose{odd}, 0.3)
	if err := WritePNG(filepath.Join(pictureDir(t), "poses.png"), out); err != nil {
		t.Fatal(err)
	}
}

func TestLineWidth(t *testing.T) {
	for _, tc := range []struct {
		w, h int
		want float64
	}{{100, 100, 2}, {640, 480, 3.2}, {1920, 1080, 7.2}} {
		if got := lineWidth(tc.w, tc.h); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("lineWidth(%d, %d) = %v, want %v", tc.w, tc.h, got, tc.want)
		}
	}
}

// personHeatmaps are the heatmaps a good model would give for pose p in
// frame f: a Gaussian of sigma 2 at each keypoint's heatmap location.
func personHeatmaps(p Pose, f Frame) Heatmaps {
	hm := Heatmaps{K: 17, H: HeatH, W: HeatW, Data: make([]float32, 17*HeatH*HeatW)}
	m := f.CropMatrix(HeatW, HeatH) // image -> heatmap pixels (UDP)
	for k, kp := range p.Keypoints {
		hx, hy := m.Apply(kp.X, kp.Y)
		amp := kp.Score
		for y := 0; y < HeatH; y++ {
			for x := 0; x < HeatW; x++ {
				d2 := (float64(x)-hx)*(float64(x)-hx) + (float64(y)-hy)*(float64(y)-hy)
				hm.Map(k)[y*HeatW+x] = float32(amp * math.Exp(-d2/8))
			}
		}
	}
	return hm
}

func TestHeatmapGrid(t *testing.T) {
	img, poses := testScene()
	p := poses[1]
	crop := make([]float32, 3*InputW*InputH)
	if err := CropPerson(crop, nil, img, p.Frame, InputW, InputH); err != nil {
		t.Fatal(err)
	}
	cropImg, err := CropImage(crop, InputW, InputH)
	if err != nil {
		t.Fatal(err)
	}
	drawn := DrawPoses(img, poses, 0.3)
	cropDrawn := make([]float32, 3*InputW*InputH)
	if err := CropPerson(cropDrawn, nil, ToRGB(drawn), p.Frame, InputW, InputH); err != nil {
		t.Fatal(err)
	}
	hm := personHeatmaps(p, p.Frame)
	grid, err := HeatmapGrid(cropImg, hm)
	if err != nil {
		t.Fatal(err)
	}
	// 18 tiles of 192x256 in rows of 6 with 2-pixel gaps.
	if b := grid.Bounds(); b.Dx() != 6*InputW+5*2 || b.Dy() != 3*InputH+2*2 {
		t.Fatalf("grid is %v", b)
	}
	// The left wrist tile (9: row 1, column 3) is hot at the wrist and shows
	// the dimmed crop far from it.
	kx, ky := p.Frame.CropMatrix(InputW, InputH).Apply(p.Keypoints[9].X, p.Keypoints[9].Y)
	ox, oy := 3*(InputW+2), 1*(InputH+2)
	hot := grid.RGBAAt(ox+int(math.Round(kx))+1, oy+int(math.Round(ky))+1)
	if hot.R < 100 || hot.B > 80 {
		t.Errorf("left wrist tile at the wrist: %v, want a hot colour", hot)
	}
	far := grid.RGBAAt(ox+10, oy+InputH-10)
	if c := cropImg.At(10, InputH-10).(color.RGBA); far.R > c.R || far.G > c.G || far.B > c.B {
		t.Errorf("left wrist tile far away: %v, not dimmer than the crop %v", far, c)
	}
	// Nil crop: black tiles four times the heatmap size.
	g2, err := HeatmapGrid(nil, hm)
	if err != nil || g2.Bounds().Dx() != 6*4*HeatW+10 {
		t.Errorf("grid without crop: %v, %v", g2.Bounds(), err)
	}
	if _, err := HeatmapGrid(nil, Heatmaps{K: 2, H: 3, W: 3, Data: make([]float32, 17)}); err == nil {
		t.Error("bad heatmaps: no error")
	}
	if _, err := HeatmapGrid(image.NewRGBA(image.Rect(0, 0, 1, 5)), hm); err == nil {
		t.Error("1-pixel crop: no error")
	}
	dir := pictureDir(t)
	for name, pic := range map[string]image.Image{"grid.png": grid, "crop_drawn.png": mustCropImage(t, cropDrawn)} {
		if err := WritePNG(filepath.Join(dir, name), pic); err != nil {
			t.Fatal(err)
		}
	}
}

func mustCropImage(t *testing.T, chw []float32) *RGB {
	t.Helper()
	img, err := CropImage(chw, InputW, InputH)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestText(t *testing.T) {
	if w := bitmapfont.Width("left_eye", 2); w != (8*6-1)*2 {
		t.Errorf("label width = %d", w)
	}
	img := image.NewRGBA(image.Rect(0, 0, 40, 12))
	bitmapfont.Draw(img, -3, 1, "Ab?é", 1, color.RGBA{255, 255, 255, 255}, false)
	ink := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] == 255 {
			ink++
		}
	}
	if ink == 0 {
		t.Error("no text drawn")
	}
}
