package bitmapfont

import (
	"image"
	"image/color"
	"testing"
)

// TestGlyphs checks every glyph's size and that the characters the pictures
// use (chart labels, keypoint names, numbers) all have glyphs.
func TestGlyphs(t *testing.T) {
	for r, g := range glyphs {
		for _, row := range g {
			if len(row) != W {
				t.Errorf("glyph %q has a row of %d pixels", r, len(row))
			}
		}
	}
	for _, s := range []string{"0123456789.-+e", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
		"L_K L_S val AP (right): 50% [x] a/b = c", "left_eye right_ankle max 0.93"} {
		for _, r := range s {
			if _, ok := glyphs[r]; !ok {
				t.Errorf("no glyph for %q", r)
			}
		}
	}
}

func TestDraw(t *testing.T) {
	if w := Width("left_eye", 2); w != (8*Advance-1)*2 {
		t.Errorf("Width = %d", w)
	}
	if Width("", 3) != 0 {
		t.Error("Width of the empty string is not 0")
	}
	for _, vertical := range []bool{false, true} {
		img := image.NewRGBA(image.Rect(0, 0, 40, 40))
		Draw(img, -3, 30, "Ab?é", 1, color.RGBA{255, 255, 255, 255}, vertical) // clipped, unknown glyphs boxed
		ink := 0
		for i := 0; i < len(img.Pix); i += 4 {
			if img.Pix[i] == 255 {
				ink++
			}
		}
		if ink == 0 {
			t.Errorf("vertical %v: no text drawn", vertical)
		}
	}
}
