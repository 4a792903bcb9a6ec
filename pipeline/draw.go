package pipeline

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/ladderpose/ladderpose/internal/bitmapfont"
)

// Colours of the pose pictures, by body side (mmpose's palette).
var (
	colourLeft    = color.RGBA{0, 255, 0, 255}
	colourRight   = color.RGBA{255, 128, 0, 255}
	colourCentre  = color.RGBA{51, 153, 255, 255}
	colourOutline = color.RGBA{0, 0, 0, 255}
)

// side is a keypoint's body side: 0 centre, 1 left, 2 right. COCO's odd
// keypoints are on the left, the even ones (but the nose) on the right.
func side(k int) int {
	switch {
	case k == 0:
		return 0
	case k%2 == 1:
		return 1
	}
	return 2
}

func sideColour(s int) color.RGBA {
	switch s {
	case 1:
		return colourLeft
	case 2:
		return colourRight
	}
	return colourCentre
}

// lineWidth is the limb width for a picture of w x h pixels: 1/150 of the
// shorter side, at least 2 pixels.
func lineWidth(w, h int) float64 {
	return math.Max(2, float64(min(w, h))/150)
}

// DrawPoses returns a copy of img with the poses drawn over it: the COCO
// skeleton's limbs as anti-aliased lines and the joints as dots, coloured by
// body side (left green, right orange, centre blue) with a dark outline.
// Only keypoints whose score is above threshold are drawn, and a limb only
// when both its ends are. Line width scales with the picture (1/150 of its
// shorter side, at least 2 pixels). Keypoint coordinates are image pixels
// with pixel centres at integers, relative to img's top-left corner.
func DrawPoses(img image.Image, poses []Pose, threshold float64) *image.RGBA {
	return DrawPosesWith(img, poses, threshold, COCOKeypoints())
}

// DrawPosesWith is DrawPoses for the keypoints of ks: its skeleton and
// body sides (keypoints beyond ks.Sides are drawn as central).
func DrawPosesWith(img image.Image, poses []Pose, threshold float64, ks KeypointSet) *image.RGBA {
	sideOfKp := func(k int) int {
		if k < len(ks.Sides) {
			return ks.Sides[k]
		}
		return 0
	}
	limbSideOf := func(a, b int) int {
		sa, sb := sideOfKp(a), sideOfKp(b)
		switch {
		case sa == sb:
			return sa
		case sa == 0:
			return sb
		case sb == 0:
			return sa
		}
		return 0
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	opaqueCopy(out, img)
	lw := lineWidth(b.Dx(), b.Dy())
	r := lw / 2
	for _, p := range poses {
		kp := p.Keypoints
		visible := func(k int) bool {
			return k < len(kp) && kp[k].Score > threshold && finite(kp[k].X) && finite(kp[k].Y)
		}
		for _, l := range ks.Skeleton {
			a, c := l[0], l[1]
			if a < 0 || c < 0 || !visible(a) || !visible(c) {
				continue
			}
			capsule(out, kp[a].X, kp[a].Y, kp[c].X, kp[c].Y, r+1, colourOutline, 0.55)
			capsule(out, kp[a].X, kp[a].Y, kp[c].X, kp[c].Y, r, sideColour(limbSideOf(a, c)), 1)
		}
		for k := range kp {
			if !visible(k) {
				continue
			}
			capsule(out, kp[k].X, kp[k].Y, kp[k].X, kp[k].Y, 1.1*lw+1, colourOutline, 0.7)
			capsule(out, kp[k].X, kp[k].Y, kp[k].X, kp[k].Y, 1.1*lw, sideColour(sideOfKp(k)), 1)
		}
	}
	return out
}

// opaqueCopy draws img over black into out (of img's size, at the origin):
// the picture the drawing functions start from. Packed RGB, the frames of
// the pipeline and of video, is copied directly (image/draw would go
// through At, a pixel at a time).
func opaqueCopy(out *image.RGBA, img image.Image) {
	if m, ok := img.(*RGB); ok && m.W == out.Rect.Dx() && m.H == out.Rect.Dy() {
		for y := 0; y < m.H; y++ {
			src := m.Pix[y*3*m.W : (y+1)*3*m.W]
			dst := out.Pix[y*out.Stride : y*out.Stride+4*m.W]
			for x := 0; x < m.W; x++ {
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = src[3*x], src[3*x+1], src[3*x+2], 255
			}
		}
		return
	}
	b := img.Bounds()
	draw.Draw(out, out.Bounds(), image.NewUniform(color.Black), image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Over)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// capsule draws the set of points within r of the segment (x0, y0)-(x1, y1)
// in colour c with opacity alpha, anti-aliased: a pixel is covered by
// r + 0.5 - d (clamped to [0, 1]), d the distance of its centre from the
// segment. A segment of length zero is a disc.
func capsule(dst *image.RGBA, x0, y0, x1, y1, r float64, c color.RGBA, alpha float64) {
	b := dst.Bounds()
	minX := clampToInt(math.Floor(math.Min(x0, x1)-r-1), b.Min.X, b.Max.X)
	maxX := clampToInt(math.Ceil(math.Max(x0, x1)+r+1), b.Min.X-1, b.Max.X-1)
	minY := clampToInt(math.Floor(math.Min(y0, y1)-r-1), b.Min.Y, b.Max.Y)
	maxY := clampToInt(math.Ceil(math.Max(y0, y1)+r+1), b.Min.Y-1, b.Max.Y-1)
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	R := r + 1
	for y := minY; y <= maxY; y++ {
		// Points within R of the segment lie within R, in x, of a segment
		// point within R of the row: scan only those columns.
		t0, t1 := 0.0, 1.0
		if dy != 0 {
			ta, tb := (float64(y)-R-y0)/dy, (float64(y)+R-y0)/dy
			t0, t1 = math.Max(0, math.Min(ta, tb)), math.Min(1, math.Max(ta, tb))
			if t0 > t1 {
				continue
			}
		} else if math.Abs(float64(y)-y0) > R {
			continue
		}
		xa, xb := x0+t0*dx, x0+t1*dx
		lo := clampToInt(math.Floor(math.Min(xa, xb)-R), minX, maxX+1)
		hi := clampToInt(math.Ceil(math.Max(xa, xb)+R), minX-1, maxX)
		for x := lo; x <= hi; x++ {
			px, py := float64(x)-x0, float64(y)-y0
			t := 0.0
			if l2 > 0 {
				t = math.Min(1, math.Max(0, (px*dx+py*dy)/l2))
			}
			ex, ey := px-t*dx, py-t*dy
			cov := r + 0.5 - math.Sqrt(ex*ex+ey*ey)
			if cov <= 0 {
				continue
			}
			blend(dst, x, y, c, alpha*math.Min(cov, 1))
		}
	}
}

// clampToInt converts v to an int within [lo, hi] (v may be far out of the
// int range).
func clampToInt(v float64, lo, hi int) int {
	if !(v > float64(lo)) {
		return lo
	}
	if v >= float64(hi) {
		return hi
	}
	return int(v)
}

// blend mixes colour c into the pixel (x, y) of dst with weight a in [0, 1].
func blend(dst *image.RGBA, x, y int, c color.RGBA, a float64) {
	i := dst.PixOffset(x, y)
	p := dst.Pix[i : i+4 : i+4]
	mix := func(d, s uint8) uint8 { return uint8(math.Round(float64(d)*(1-a) + float64(s)*a)) }
	p[0], p[1], p[2] = mix(p[0], c.R), mix(p[1], c.G), mix(p[2], c.B)
	p[3] = mix(p[3], 255)
}

// fillRect blends colour c over the rectangle r of dst with opacity a.
func fillRect(dst *image.RGBA, r image.Rectangle, c color.RGBA, a float64) {
	r = r.Intersect(dst.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			blend(dst, x, y, c, a)
		}
	}
}

// LabeledBox is a detection to draw: corners (X0, Y0)-(X1, Y1) in pixels
// (pixel centres at integers) and a caption drawn above its top-left
// corner ("" for none).
type LabeledBox struct {
	X0, Y0, X1, Y1 float64
	Caption        string
}

// DrawBoxes returns a copy of img with the boxes drawn over it as
// anti-aliased rectangles (the line width of DrawPoses) in mmpose's centre
// colour with a dark outline, each with its caption in the built-in bitmap
// font on a dark strip. Coordinates are relative to img's top-left corner;
// boxes partly or wholly outside the picture are clipped.
func DrawBoxes(img image.Image, boxes []LabeledBox) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	opaqueCopy(out, img)
	DrawBoxesOn(out, boxes)
	return out
}

// DrawBoxesOn is DrawBoxes drawing straight onto out, without a copy; out's
// bounds must start at the origin, as the results of DrawPoses and
// DrawBoxes do.
func DrawBoxesOn(out *image.RGBA, boxes []LabeledBox) {
	b := out.Bounds()
	r := lineWidth(b.Dx(), b.Dy()) / 2
	for _, bx := range boxes {
		if !finite(bx.X0) || !finite(bx.Y0) || !finite(bx.X1) || !finite(bx.Y1) {
			continue
		}
		sides := [4][4]float64{{bx.X0, bx.Y0, bx.X1, bx.Y0}, {bx.X1, bx.Y0, bx.X1, bx.Y1}, {bx.X1, bx.Y1, bx.X0, bx.Y1}, {bx.X0, bx.Y1, bx.X0, bx.Y0}}
		for _, s := range sides {
			capsule(out, s[0], s[1], s[2], s[3], r+1, colourOutline, 0.55)
		}
		for _, s := range sides {
			capsule(out, s[0], s[1], s[2], s[3], r, colourCentre, 1)
		}
		if bx.Caption == "" {
			continue
		}
		scale := 1
		if min(b.Dx(), b.Dy()) >= 400 {
			scale = 2
		}
		tw, th := bitmapfont.Width(bx.Caption, scale)+4, bitmapfont.H*scale+4
		x := clampToInt(math.Round(bx.X0), 0, max(0, b.Dx()-tw))
		y := clampToInt(math.Round(bx.Y0)-float64(th), 0, max(0, b.Dy()-th))
		draw.Draw(out, image.Rect(x, y, x+tw, y+th).Intersect(out.Bounds()), image.NewUniform(color.RGBA{0, 0, 0, 200}), image.Point{}, draw.Over)
		bitmapfont.Draw(out, x+2, y+2, bx.Caption, scale, color.RGBA{255, 255, 255, 255}, false)
	}
}
