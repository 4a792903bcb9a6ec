package pipeline

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadImageGolden decodes small JPEG and PNG files written by OpenCV and
// PIL and compares with what cv2.imread decodes them to: PNG exactly (alpha
// dropped, 16-bit samples reduced as OpenCV does), JPEG (4:2:0 at even and
// odd sizes, 4:2:2, 4:4:4, progressive, gray, CMYK) within the differences
// between Go's and libjpeg's IDCTs: mean <= 0.15 level, no value off by
// more than 4.
func TestLoadImageGolden(t *testing.T) {
	dir := filepath.Join(ownDir, "images")
	names := []string{"color.jpg", "gray.jpg", "color.png", "alpha.png", "gray.png", "deep.png",
		"odd420.jpg", "odd422.jpg", "odd444.jpg", "progressive.jpg", "cmyk.jpg"}
	tensorNames := make([]string, len(names))
	for i, n := range names {
		tensorNames[i] = strings.ReplaceAll(n, ".", "_")
	}
	g := loadTensors(t, filepath.Join(dir, "images.safetensors"), tensorNames...)
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			img, err := LoadImage(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			want := g[tensorNames[i]]
			wantShape(t, tensorNames[i], want, img.H, img.W, 3)
			sum, worst := 0.0, 0.0
			for j, v := range img.Pix {
				d := math.Abs(float64(v) - float64(want.v[j]))
				sum += d
				worst = math.Max(worst, d)
			}
			mean := sum / float64(len(img.Pix))
			t.Logf("%dx%d: mean |diff| from OpenCV %.3f, largest %.0f", img.W, img.H, mean, worst)
			if strings.HasSuffix(name, ".png") && worst != 0 {
				t.Errorf("PNG differs from OpenCV: mean %.3f, largest %.0f", mean, worst)
			}
			if mean > 0.15 || worst > 4 {
				t.Errorf("JPEG differs from OpenCV: mean %.3f (limit 0.15), largest %.0f (limit 4)", mean, worst)
			}
		})
	}
}

func TestLoadImageErrors(t *testing.T) {
	dir := t.TempDir()
	jpg, err := os.ReadFile(filepath.Join(ownDir, "images", "color.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	pngData, err := os.ReadFile(filepath.Join(ownDir, "images", "color.png"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"truncated.jpg": jpg[:len(jpg)/2],
		"truncated.png": pngData[:len(pngData)-30],
		"header.jpg":    jpg[:4],
		"empty.png":     nil,
		"text.jpg":      []byte("not an image at all"),
		"gif.gif":       []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadImage(path)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
		t.Log(err)
	}
	if _, err := LoadImage(filepath.Join(dir, "missing.jpg")); err == nil || !strings.Contains(err.Error(), "missing.jpg") {
		t.Errorf("missing file: %v", err)
	}
	// A PNG header claiming a huge size is refused before decoding.
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	huge := buf.Bytes()
	copy(huge[16:24], []byte{0, 1, 0, 0, 0, 1, 0, 0}) // 65536 x 65536 in IHDR
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29]))
	if _, err := DecodeImage(bytes.NewReader(huge)); err == nil || !strings.Contains(err.Error(), "pixels") {
		t.Errorf("huge PNG: %v", err)
	}
}

// TestToRGB converts every kind of image the decoders return, checking
// pixels against their colours.
func TestToRGB(t *testing.T) {
	r := image.Rect(2, 3, 7, 6) // a non-zero origin
	gray := image.NewGray(r)
	gray16 := image.NewGray16(r)
	rgba := image.NewRGBA(r)
	nrgba := image.NewNRGBA(r)
	rgba64 := image.NewRGBA64(r)
	cmyk := image.NewCMYK(r)
	pal := image.NewPaletted(r, color.Palette{color.RGBA{1, 2, 3, 255}, color.NRGBA{200, 100, 50, 128}})
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			v := uint8(x*30 + y*7)
			gray.SetGray(x, y, color.Gray{v})
			gray16.SetGray16(x, y, color.Gray16{uint16(v)*257 + uint16(x)})
			rgba.SetRGBA(x, y, color.RGBA{v, v / 2, 255 - v, 255})
			nrgba.SetNRGBA(x, y, color.NRGBA{v, 3, 9, uint8(x * 40)})
			rgba64.SetRGBA64(x, y, color.RGBA64{uint16(v) * 200, 1000, 60000, 65535})
			cmyk.SetCMYK(x, y, color.CMYK{v, 40, 80, 10})
			pal.SetColorIndex(x, y, uint8((x+y)%2))
			ycc.Y[ycc.YOffset(x, y)] = v
			ycc.Cb[ycc.COffset(x, y)] = 90 + uint8(x)
			ycc.Cr[ycc.COffset(x, y)] = 160 - uint8(y)
		}
	}
	// Half-transparent premultiplied pixels keep their stored colour.
	rgba.SetRGBA(3, 4, color.RGBA{50, 40, 30, 100})
	for _, img := range []image.Image{gray, gray16, rgba, nrgba, rgba64, pal, ToRGB(rgba)} {
		out := ToRGB(img)
		if out.W != r.Dx() || out.H != r.Dy() {
			t.Fatalf("%T: size %dx%d", img, out.W, out.H)
		}
		for y := 0; y < out.H; y++ {
			for x := 0; x < out.W; x++ {
				src := img.At(x+img.Bounds().Min.X, y+img.Bounds().Min.Y)
				want := rgb8(src)
				i := 3 * (y*out.W + x)
				got := [3]uint8{out.Pix[i], out.Pix[i+1], out.Pix[i+2]}
				if got != want {
					t.Fatalf("%T pixel (%d, %d): %v, want %v (from %v)", img, x, y, got, want, src)
				}
			}
		}
	}
	// Non-premultiplied colour of a half-transparent pixel, and the 16-bit
	// reduction to the high byte.
	if c := rgb8(color.NRGBA{200, 100, 50, 128}); c != [3]uint8{200, 100, 50} {
		t.Errorf("NRGBA colour %v", c)
	}
	if c := rgb8(color.RGBA64{0xff80, 0x017f, 0x02ff, 0xffff}); c != [3]uint8{255, 1, 2} {
		t.Errorf("16-bit reduction %v", c)
	}
	// CMYK as OpenCV converts it, w = 255 - k, channel = w - (ink*w >> 8):
	// (200, 40, 80, 10) -> (245 - 191, 245 - 38, 245 - 76).
	cmyk.SetCMYK(2, 3, color.CMYK{200, 40, 80, 10})
	if got := ToRGB(cmyk).Pix[:3]; !bytes.Equal(got, []byte{54, 207, 169}) {
		t.Errorf("CMYK pixel %v", got)
	}
	// libjpeg's fixed-point YCbCr: (100, 90, 160) -> 100 + 1.402*32,
	// 100 + 0.34414*38 - 0.71414*32, 100 - 1.772*38, rounded: (145, 90, 33).
	y444 := image.NewYCbCr(image.Rect(0, 0, 1, 1), image.YCbCrSubsampleRatio444)
	y444.Y[0], y444.Cb[0], y444.Cr[0] = 100, 90, 160
	if got := ToRGB(y444).Pix; !bytes.Equal(got, []byte{145, 90, 33}) {
		t.Errorf("YCbCr pixel %v", got)
	}
	// ToRGB of a YCbCr image with a non-zero origin takes the plain path.
	if out := ToRGB(ycc); out.W != r.Dx() || out.H != r.Dy() {
		t.Errorf("YCbCr with offset: %dx%d", out.W, out.H)
	}
	// 4:4:0 chroma (no oracle file: PIL cannot write it) follows libjpeg's
	// h1v2_fancy_upsample: a 1x2 plane (100, 200) becomes rows
	// (3*100+100+1)>>2, (3*100+200+2)>>2, (3*200+100+1)>>2, (3*200+200+2)>>2.
	y440 := image.NewYCbCr(image.Rect(0, 0, 1, 4), image.YCbCrSubsampleRatio440)
	y440.Cb[0], y440.Cb[y440.CStride] = 100, 200
	y440.Cr[0], y440.Cr[y440.CStride] = 128, 128
	for row, want := range []int{100, 125, 175, 200} {
		dst := make([]uint8, 4)
		upsampleRow(dst, y440.Cb, y440.CStride, 1, 2, row, image.YCbCrSubsampleRatio440)
		if int(dst[0]) != want {
			t.Errorf("4:4:0 row %d: %d, want %d", row, dst[0], want)
		}
	}
	m := NewRGB(2, 1)
	m.Pix[3] = 9
	if m.At(1, 0) != (color.RGBA{9, 0, 0, 255}) || m.At(5, 0) != (color.RGBA{}) || m.ColorModel() != color.RGBAModel {
		t.Error("RGB.At")
	}
}

func TestWritePNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.png")
	img, _ := testScene()
	for i := 0; i < 2; i++ { // the second write replaces the first
		if err := WritePNG(path, img); err != nil {
			t.Fatal(err)
		}
	}
	back, err := LoadImage(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Pix, img.Pix) {
		t.Error("PNG round trip changed the pixels")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := WritePNG(filepath.Join(dir, "missing", "x.png"), img); err == nil {
		t.Error("write into a missing folder: no error")
	}
}

// FuzzDecodeImage feeds arbitrary bytes to the image decoder: it must
// return an image of consistent size or an error, never panic. (A bound of
// 2^16 pixels keeps each run fast; the bound itself is tested above.)
func FuzzDecodeImage(f *testing.F) {
	for _, name := range []string{"color.jpg", "gray.jpg", "color.png", "alpha.png", "gray.png", "deep.png"} {
		data, err := os.ReadFile(filepath.Join(ownDir, "images", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeImageMax(bytes.NewReader(data), 1<<16)
		if err != nil {
			return
		}
		if err := img.check(); err != nil {
			t.Fatal(err)
		}
	})
}
