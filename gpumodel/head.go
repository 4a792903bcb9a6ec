package gpumodel

import (
	"fmt"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/ops"
	"github.com/ladderpose/ladderpose/posemodel"
)

// classicHead is mmpose's heatmap head: two transposed convolutions with
// BatchNorm (folded) and ReLU, then a 1x1 convolution.
type classicHead struct {
	dc1, dc2 *gpu.ConvTranspose2D
	final    *gpu.Conv2D
}

// simpleHead is ViTPose's simple decoder: ReLU, bilinear x4, 3x3 conv.
type simpleHead struct {
	conv *gpu.Conv2D
}

// buildClassic schedules the classic head's weights.
func buildClassic(u *uploader, ps paramSet, c posemodel.Config) *classicHead {
	h := &classicHead{}
	deconv := func(dst **gpu.ConvTranspose2D, name, bn string, in int) {
		w, err := ps.get(name, in*256*16)
		if err != nil {
			u.fail(err)
			return
		}
		fw, fb, err := foldBN(ps, w, 256, bn, in)
		if err != nil {
			u.fail(err)
			return
		}
		wb, bb := new(gpu.Buf), new(gpu.Buf)
		u.add(wb, fw)
		u.add(bb, fb)
		u.then(func() error {
			var err error
			*dst, err = gpu.NewConvTranspose2D(*wb, *bb, ops.ConvTranspose2DParams{InC: in, OutC: 256, KH: 4, KW: 4,
				StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Act: actReLU})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
	deconv(&h.dc1, "keypoint_head.deconv_layers.0.weight", "keypoint_head.deconv_layers.1", c.Dim)
	deconv(&h.dc2, "keypoint_head.deconv_layers.3.weight", "keypoint_head.deconv_layers.4", 256)
	w, err := ps.get("keypoint_head.final_layer.weight", c.Keypoints*256)
	if err != nil {
		u.fail(err)
		return h
	}
	b, err := ps.get("keypoint_head.final_layer.bias", c.Keypoints)
	if err != nil {
		u.fail(err)
		return h
	}
	u.conv(&h.final, w, b, ops.Conv2DParams{InC: 256, OutC: c.Keypoints, KH: 1, KW: 1})
	return h
}

// buildSimple schedules the simple head's weights.
func buildSimple(u *uploader, ps paramSet, c posemodel.Config) *simpleHead {
	h := &simpleHead{}
	w, err := ps.get("keypoint_head.final_layer.weight", c.Keypoints*c.Dim*9)
	if err != nil {
		u.fail(err)
		return h
	}
	b, err := ps.get("keypoint_head.final_layer.bias", c.Keypoints)
	if err != nil {
		u.fail(err)
		return h
	}
	u.conv(&h.conv, w, b, ops.Conv2DParams{InC: c.Dim, OutC: c.Keypoints, KH: 3, KW: 3, PadH: 1, PadW: 1})
	return h
}

// head maps the tokens z [B*N, D] to heatmaps [B, K, 4h, 4w] (SPEC.md
// section 7).
func (g *Model) head(r *run, z gpu.Buf, b int) gpu.Buf {
	c := g.Cfg
	gh, gw, d, n := c.GridH(), c.GridW(), c.Dim, c.Tokens()
	hm := r.alloc(b * c.Keypoints * c.HeatmapH() * c.HeatmapW())
	mark := r.a.Mark()
	// Tokens [B, N, D] -> grid [B, D, h, w].
	zg := r.alloc(b * d * n)
	r.ok(r.d.TransposeBatch(zg, z, b, n, d))
	if h := g.classic; h != nil {
		y1 := r.alloc(b * 256 * 4 * n)
		r.ok(r.d.ConvTranspose2D(h.dc1, y1, zg, b, gh, gw, r.alloc(h.dc1.ScratchSize(b, gh, gw))))
		y2 := r.alloc(b * 256 * 16 * n)
		r.ok(r.d.ConvTranspose2D(h.dc2, y2, y1, b, 2*gh, 2*gw, r.alloc(h.dc2.ScratchSize(b, 2*gh, 2*gw))))
		r.ok(r.d.Conv2D(h.final, hm, y2, b, 4*gh, 4*gw, gpu.Buf{}))
	} else {
		h := g.simple
		r.ok(r.d.BiasAct(zg, b*d*n, gpu.Buf{}, 1, 1, actReLU))
		up := r.alloc(b * d * 16 * n)
		r.ok(r.d.ResizeBilinear(up, zg, b*d, gh, gw, 4*gh, 4*gw))
		r.ok(r.d.Conv2D(h.conv, hm, up, b, 4*gh, 4*gw, r.alloc(h.conv.ScratchSize(b, 4*gh, 4*gw))))
	}
	r.a.Release(mark)
	return hm
}

// errGrid reports a frequency path that does not end on the token grid.
func errGrid(h, w, gh, gw int) error {
	return fmt.Errorf("side: frequency path ends at %dx%d, want the %dx%d token grid", h, w, gh, gw)
}
