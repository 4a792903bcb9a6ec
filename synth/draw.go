package synth

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strings"

	"github.com/ladderpose/ladderpose/coco"
)

// Overlay colours: the person's left side, right side and midline.
var (
	leftColor   = color.RGBA{40, 220, 255, 255}
	rightColor  = color.RGBA{255, 70, 200, 255}
	centreColor = color.RGBA{255, 230, 40, 255}
	boxColor    = color.RGBA{255, 255, 255, 255}
)

// sideColor is the overlay colour of keypoint k (0-based).
func sideColor(k int) color.RGBA {
	switch {
	case k == 0:
		return centreColor
	case k%2 == 1:
		return leftColor
	default:
		return rightColor
	}
}

// paintSD blends col into img with opacity alpha over the pixels of the
// box (x0, y0)-(x1, y1) by the coverage of the signed distance sd.
func paintSD(img *image.RGBA, x0, y0, x1, y1 float64, col color.RGBA, alpha float64, sd func(x, y float64) float64) {
	b := img.Rect
	ix0, iy0 := max(int(math.Floor(x0)), b.Min.X), max(int(math.Floor(y0)), b.Min.Y)
	ix1, iy1 := min(int(math.Ceil(x1)), b.Max.X-1), min(int(math.Ceil(y1)), b.Max.Y-1)
	for y := iy0; y <= iy1; y++ {
		for x := ix0; x <= ix1; x++ {
			cov := clamp(0.5-sd(float64(x), float64(y)), 0, 1) * alpha
			if cov <= 0 {
				continue
			}
			o := img.PixOffset(x, y)
			p := img.Pix[o : o+4 : o+4]
			p[0] = uint8(float64(p[0]) + (float64(col.R)-float64(p[0]))*cov + 0.5)
			p[1] = uint8(float64(p[1]) + (float64(col.G)-float64(p[1]))*cov + 0.5)
			p[2] = uint8(float64(p[2]) + (float64(col.B)-float64(p[2]))*cov + 0.5)
		}
	}
}

func paintLine(img *image.RGBA, ax, ay, bx, by, r float64, col color.RGBA, alpha float64) {
	s := newCapsule(v3(ax, ay, 0), v3(bx, by, 0), r, r)
	var h hit
	paintSD(img, min(ax, bx)-r-1, min(ay, by)-r-1, max(ax, bx)+r+1, max(ay, by)+r+1, col, alpha, func(x, y float64) float64 {
		if !s.eval(x, y, &h) {
			return 1
		}
		return h.sd
	})
}

// DrawAnnotations draws people's skeletons onto img: limbs between
// labelled keypoints, keypoints as dots (filled when visible, rings when
// occluded) and boxes, the person's left side in cyan, the right in
// magenta and the midline in yellow. Coordinates are in img's pixel space
// (pixel centres on integers, relative to img.Rect.Min). Annotations with
// the wrong number of keypoint values are skipped.
func DrawAnnotations(img *image.RGBA, anns []coco.Annotation) {
	ms := float64(min(img.Rect.Dx(), img.Rect.Dy()))
	lw := max(ms/288*1.1, 0.8)
	dot := max(ms/288*2.6, 1.8)
	ox, oy := float64(img.Rect.Min.X), float64(img.Rect.Min.Y)
	for _, a := range anns {
		if len(a.Keypoints) != 3*coco.NumKeypoints {
			continue
		}
		bx, by, bw, bh := a.BBox[0]+ox, a.BBox[1]+oy, a.BBox[2], a.BBox[3]
		for _, e := range [][4]float64{{bx, by, bx + bw, by}, {bx + bw, by, bx + bw, by + bh}, {bx + bw, by + bh, bx, by + bh}, {bx, by + bh, bx, by}} {
			paintLine(img, e[0], e[1], e[2], e[3], 0.5, boxColor, 0.6)
		}
		kp := a.Keypoints
		for _, l := range coco.Skeleton {
			i, j := l[0]-1, l[1]-1
			if kp[3*i+2] == 0 || kp[3*j+2] == 0 {
				continue
			}
			col := centreColor
			if i > 0 && j > 0 && i%2 == j%2 {
				col = sideColor(i)
			}
			paintLine(img, kp[3*i]+ox, kp[3*i+1]+oy, kp[3*j]+ox, kp[3*j+1]+oy, lw, col, 0.85)
		}
		for k := 0; k < coco.NumKeypoints; k++ {
			v := kp[3*k+2]
			if v == 0 {
				continue
			}
			x, y := kp[3*k]+ox, kp[3*k+1]+oy
			col := sideColor(k)
			if v == 2 {
				paintSD(img, x-dot-1, y-dot-1, x+dot+1, y+dot+1, color.RGBA{0, 0, 0, 255}, 0.9, func(px, py float64) float64 {
					return math.Hypot(px-x, py-y) - dot - 0.8
				})
				paintSD(img, x-dot-1, y-dot-1, x+dot+1, y+dot+1, col, 1, func(px, py float64) float64 {
					return math.Hypot(px-x, py-y) - dot
				})
			} else {
				paintSD(img, x-dot-1, y-dot-1, x+dot+1, y+dot+1, col, 1, func(px, py float64) float64 {
					return math.Abs(math.Hypot(px-x, py-y)-dot*0.8) - 0.6
				})
			}
		}
	}
}

// font5x7 holds the capital letters and digits the contact sheet's titles
// use, one string of 7 rows of 5 columns per glyph.
var font5x7 = map[rune]string{
	'A': " ### #   ##   #######   ##   ##   #",
	'C': " ### #   ##    #    #    #   # ### ",
	'D': "#### #   ##   ##   ##   ##   ##### ",
	'E': "######    #    #### #    #    #####",
	'H': "#   ##   ##   #######   ##   ##   #",
	'I': " ###   #    #    #    #    #   ### ",
	'L': "#    #    #    #    #    #    #####",
	'M': "#   ### ### # ##   ##   ##   ##   #",
	'N': "#   ###  ## # ##  ###   ##   ##   #",
	'V': "#   ##   ##   ##   ##   # # #   #  ",
	'X': "#   ##   # # #   #   # # #   ##   #",
	'Y': "#   ##   # # #   #    #    #    #  ",
	' ': "                                   ",
}

// drawText writes s in capitals with the 5x7 font, each font pixel scale
// image pixels, its top-left corner at (x, y).
func drawText(img *image.RGBA, x, y, scale int, s string, col color.RGBA) {
	for _, r := range strings.ToUpper(s) {
		g, ok := font5x7[r]
		if !ok {
			g = font5x7[' ']
		}
		for row := 0; row < 7; row++ {
			for c := 0; c < 5; c++ {
				if g[row*5+c] != '#' {
					continue
				}
				draw.Draw(img, image.Rect(x+c*scale, y+row*scale, x+(c+1)*scale, y+(row+1)*scale), image.NewUniform(col), image.Point{}, draw.Src)
			}
		}
		x += 6 * scale
	}
}

// ContactSheet renders rows samples of the dataset opts describes (images
// 0 .. rows-1 of Generate with opts.Seed) in three columns, clean, mixed
// and heavy interference (the same scene across a row), with the
// annotations drawn over them and column titles on top.
func ContactSheet(opts Options, rows int) (*image.RGBA, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if rows < 1 || rows > 64 {
		return nil, fmt.Errorf("synth: contact sheet: %d rows, want 1 to 64", rows)
	}
	const gap, title = 4, 24
	w, h := o.Width, o.Height
	sheet := image.NewRGBA(image.Rect(0, 0, 3*w+4*gap, title+rows*(h+gap)))
	draw.Draw(sheet, sheet.Rect, image.NewUniform(color.RGBA{24, 24, 28, 255}), image.Point{}, draw.Src)
	for l := None; l <= Heavy; l++ {
		name := map[Level]string{None: "clean", Mixed: "mixed", Heavy: "heavy"}[l]
		x := gap + int(l)*(w+gap) + (w-len(name)*12)/2
		drawText(sheet, x, 5, 2, name, color.RGBA{230, 230, 230, 255})
		for r := 0; r < rows; r++ {
			lo := o
			lo.Interference = l
			s, err := RenderSample(SampleRNG(o.Seed, r), lo)
			if err != nil {
				return nil, err
			}
			DrawAnnotations(s.Image, s.Annotations)
			at := image.Pt(gap+int(l)*(w+gap), title+r*(h+gap))
			draw.Draw(sheet, image.Rectangle{at, at.Add(image.Pt(w, h))}, s.Image, image.Point{}, draw.Src)
		}
	}
	return sheet, nil
}

// WriteContactSheet renders ContactSheet(opts, rows) and writes it to path
// as a PNG, atomically.
func WriteContactSheet(path string, opts Options, rows int) error {
	sheet, err := ContactSheet(opts, rows)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, func(w io.Writer) error { return png.Encode(w, sheet) }); err != nil {
		return fmt.Errorf("synth: contact sheet %s: %w", path, err)
	}
	return nil
}
