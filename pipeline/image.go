package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
)

// MaxImagePixels bounds the size of an image that LoadImage and DecodeImage
// accept (width * height), so that a corrupt or hostile header cannot make
// them allocate gigabytes.
const MaxImagePixels = 1 << 28

// RGB is an 8-bit RGB image stored as packed R, G, B bytes, row after row
// (stride 3*W), the layout the crop warp reads. It implements image.Image.
type RGB struct {
	Pix  []uint8
	W, H int
}

// NewRGB returns a black w x h image.
func NewRGB(w, h int) *RGB {
	return &RGB{Pix: make([]uint8, 3*w*h), W: w, H: h}
}

// ColorModel implements image.Image.
func (m *RGB) ColorModel() color.Model { return color.RGBAModel }

// Bounds implements image.Image.
func (m *RGB) Bounds() image.Rectangle { return image.Rect(0, 0, m.W, m.H) }

// At implements image.Image.
func (m *RGB) At(x, y int) color.Color {
	if x < 0 || y < 0 || x >= m.W || y >= m.H {
		return color.RGBA{}
	}
	i := 3 * (y*m.W + x)
	return color.RGBA{m.Pix[i], m.Pix[i+1], m.Pix[i+2], 255}
}

// check reports an RGB whose buffer does not match its size.
func (m *RGB) check() error {
	if m == nil {
		return errors.New("image is nil")
	}
	if m.W <= 0 || m.H <= 0 || len(m.Pix) != 3*m.W*m.H {
		return fmt.Errorf("image %dx%d has %d bytes of pixels, want %d", m.W, m.H, len(m.Pix), 3*max(m.W, 0)*max(m.H, 0))
	}
	return nil
}

// ToRGB converts any image to packed RGB. Grayscale is replicated into the
// three channels, CMYK (as OpenCV converts it) and paletted images are
// converted to their colours,
// an alpha channel is dropped (the stored, non-premultiplied colour is
// kept) and 16-bit samples keep their high byte, as OpenCV's imread does.
// YCbCr images (JPEG) are converted as libjpeg does for OpenCV: "fancy"
// (triangle-filter) chroma upsampling for 4:2:0, 4:2:2 and 4:4:0, and
// libjpeg's fixed-point YCbCr to RGB conversion.
func ToRGB(img image.Image) *RGB {
	b := img.Bounds()
	out := NewRGB(b.Dx(), b.Dy())
	p := out.Pix
	switch m := img.(type) {
	case *RGB:
		copy(p, m.Pix)
	case *image.YCbCr:
		ycbcrToRGB(out, m)
	case *image.Gray:
		for y := 0; y < out.H; y++ {
			row := m.Pix[(y)*m.Stride:]
			for x := 0; x < out.W; x++ {
				v := row[x]
				p[0], p[1], p[2] = v, v, v
				p = p[3:]
			}
		}
	case *image.CMYK:
		for y := 0; y < out.H; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < out.W; x++ {
				q := row[4*x : 4*x+4]
				p[0], p[1], p[2] = cmykToRGB(q[0], q[1], q[2], q[3])
				p = p[3:]
			}
		}
	case *image.NRGBA:
		for y := 0; y < out.H; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < out.W; x++ {
				p[0], p[1], p[2] = row[4*x], row[4*x+1], row[4*x+2]
				p = p[3:]
			}
		}
	case *image.RGBA:
		for y := 0; y < out.H; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < out.W; x++ {
				q := row[4*x : 4*x+4]
				if q[3] == 255 {
					p[0], p[1], p[2] = q[0], q[1], q[2]
				} else {
					c := rgb8(color.RGBA{q[0], q[1], q[2], q[3]})
					p[0], p[1], p[2] = c[0], c[1], c[2]
				}
				p = p[3:]
			}
		}
	case *image.Paletted:
		pal := make([][3]uint8, len(m.Palette))
		for i, c := range m.Palette {
			pal[i] = rgb8(c)
		}
		for y := 0; y < out.H; y++ {
			row := m.Pix[y*m.Stride:]
			for x := 0; x < out.W; x++ {
				var c [3]uint8
				if i := int(row[x]); i < len(pal) {
					c = pal[i]
				}
				p[0], p[1], p[2] = c[0], c[1], c[2]
				p = p[3:]
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := rgb8(img.At(x, y))
				p[0], p[1], p[2] = c[0], c[1], c[2]
				p = p[3:]
			}
		}
	}
	return out
}

// cmykToRGB converts ink amounts as OpenCV's imread does for CMYK JPEGs
// (icvCvt_CMYK2BGR_8u_C4C3R on libjpeg's inverted samples): with w = 255 -
// k, each channel is w - (ink * w >> 8).
func cmykToRGB(c, m, y, k uint8) (uint8, uint8, uint8) {
	w := 255 - uint32(k)
	f := func(ink uint8) uint8 { return uint8(w - (uint32(ink)*w)>>8) }
	return f(c), f(m), f(y)
}

// rgb8 is the non-premultiplied 8-bit colour of c; 16-bit samples keep
// their high byte, as OpenCV's imread reduces 16-bit PNGs.
func rgb8(c color.Color) [3]uint8 {
	n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
	return [3]uint8{uint8(n.R >> 8), uint8(n.G >> 8), uint8(n.B >> 8)}
}

// LoadImage reads a JPEG or PNG file into packed RGB. Errors name the path.
// Pixels are kept in stored order (any EXIF orientation tag is not applied;
// COCO's annotations refer to the stored order).
func LoadImage(path string) (*RGB, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", path, err)
	}
	img, err := DecodeImage(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", path, err)
	}
	return img, nil
}

// DecodeImage decodes a JPEG or PNG stream into packed RGB. Other formats,
// truncated or corrupt data, and images larger than MaxImagePixels are
// errors.
func DecodeImage(r io.Reader) (*RGB, error) {
	return DecodeImageMax(r, MaxImagePixels)
}

// DecodeImageMax is DecodeImage with another bound on width * height,
// checked from the header before any pixel is decoded.
func DecodeImageMax(r io.Reader, maxPixels int64) (*RGB, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading image: %w", err)
	}
	var format string
	var decodeConfig func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8")):
		format, decodeConfig, decode = "JPEG", jpeg.DecodeConfig, jpeg.Decode
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		format, decodeConfig, decode = "PNG", png.DecodeConfig, png.Decode
	case len(data) == 0:
		return nil, errors.New("empty file, not an image")
	default:
		return nil, errors.New("unsupported image format (want JPEG or PNG)")
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s header: %w", format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%s image has size %dx%d", format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, fmt.Errorf("%s image is %dx%d, more than %d pixels", format, cfg.Width, cfg.Height, maxPixels)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s data is truncated: %w", format, err)
		}
		return nil, fmt.Errorf("%s data: %w", format, err)
	}
	return ToRGB(img), nil
}
