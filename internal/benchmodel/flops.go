package benchmodel

import (
	"fmt"

	"github.com/ladderpose/ladderpose/posemodel"
)

// StageFLOPs counts the floating-point operations of one image's forward
// pass, per stage (the keys are posemodel.Stages; the side stages are absent
// for a plain model), as 2 x the multiply-accumulates of every convolution,
// transposed convolution, linear layer and matrix product of SPEC.md. Norms,
// activations, softmaxes, pooling and element-wise sums are not counted (they
// are a fraction of a percent of the work). With N tokens, width D, MLP
// width M = D*mlp_ratio, side channels C, fusion width e, V graph nodes and a
// K-keypoint classic head on the h x w token grid (MACs per image):
//
//	backbone  = N*D*3*16*16 (patch conv) + depth*(N*(4*D*D + 2*D*M) + 2*N*N*D)
//	stem      = (H/2*W/2)*32*3*9 + (H/4*W/4)*C*32*9
//	frequency = sum over the two levels of P*(4*4*C + 3*4*C*C), P the level's output pixels
//	            (Haar: 4 depthwise 2x2 kernels; low, high: C -> 4C; proj: 4C -> C)
//	aspp      = C*C + P*C*C + 3*9*P*C*C + P*5*C*C + N*16*C*C, P = H/4*W/4
//	            (dilated kernels count all 9 taps, padding included)
//	asf_x     = N*D*e (fre and spa) or N*C*e + 2*(2*N*e*e + 2*L*N*e*e + 2*N*N*e) + 4*e*e
//	            (per direction: q and o over all N query rows, k and v over the N
//	            key rows once per strip, L strips, attention 2*N*N*e; gate 2e -> 2e)
//	mga       = N*(D+2C)*C + 2*N*(D+2*C)*C + 3*(V*N*C + V*C*C + 2*V*C) + V*V*C + N*V*C + N*C*C
//	out_proj  = N*C*D
//	head      = h*w*D*256*16 + 4*h*w*256*256*16 + 16*h*w*256*K   (classic)
//	            16*h*w*D*9*K                                        (simple)
//
// For ViT-B with the classic head this is 37.05 GFLOP per image; the
// default side network adds 4.36-4.40 GFLOP to it (11.8%), depending on
// the levels. tools/gen_flops_goldens.py counts the same operations
// independently, on PyTorch's dispatcher.
func StageFLOPs(cfg posemodel.Config, lv Levels) map[string]int64 {
	n := int64(cfg.Tokens())
	d := int64(cfg.Dim)
	hid := int64(cfg.Hidden())
	gh, gw := int64(cfg.GridH()), int64(cfg.GridW())
	k := int64(cfg.Keypoints)
	macs := map[string]int64{}
	macs["backbone"] = n*d*3*16*16 + int64(cfg.Depth)*(n*(4*d*d+2*d*hid)+2*n*n*d)
	if cfg.Head == "classic" {
		macs["head"] = gh*gw*d*256*16 + 4*gh*gw*256*256*16 + 16*gh*gw*256*k
	} else {
		macs["head"] = 16 * gh * gw * d * 9 * k
	}
	if s := cfg.Side; s != nil {
		c, e, v := int64(s.Channels), int64(s.FusionWidth), int64(s.Nodes)
		H, W := int64(cfg.Input[0]), int64(cfg.Input[1])
		h1, w1 := (H+1)/2, (W+1)/2
		h2, w2 := (h1+1)/2, (w1+1)/2
		macs["stem"] = h1*w1*32*3*9 + h2*w2*c*32*9
		var freq int64
		fh, fw := h2, w2
		for j := 0; j < 2; j++ {
			fh, fw = (fh+1)/2, (fw+1)/2
			freq += fh * fw * (4*4*c + 3*4*c*c)
		}
		macs["frequency"] = freq
		p := h2 * w2
		macs["aspp"] = c*c + p*c*c + 3*9*p*c*c + p*5*c*c + n*16*c*c
		asf := func(in int64, level int) int64 {
			l := int64(level)
			return n*d*e + n*in*e + 2*(2*n*e*e+2*l*n*e*e+2*n*n*e) + 4*e*e
		}
		macs["asf_fre"] = asf(c, lv.Fre)
		macs["asf_spa"] = asf(c, lv.Spa)
		macs["mga"] = n*(d+2*c)*c + 2*n*(d+2*c)*c + 3*(v*n*c+v*c*c+2*v*c) + v*v*c + n*v*c + n*c*c
		macs["out_proj"] = n * c * d
	}
	for st := range macs {
		macs[st] *= 2
	}
	return macs
}

// BatchFLOPs sums StageFLOPs over a batch of b images, levels[i] being image
// i's fusion levels (ignored, and may be nil, for a plain model).
func BatchFLOPs(cfg posemodel.Config, b int, levels []Levels) (map[string]int64, error) {
	if cfg.Side != nil && len(levels) != b {
		return nil, fmt.Errorf("benchmodel: %d fusion levels for a batch of %d", len(levels), b)
	}
	out := map[string]int64{}
	for i := 0; i < b; i++ {
		var lv Levels
		if cfg.Side != nil {
			lv = levels[i]
			if lv.Fre < 1 || lv.Fre > 4 || lv.Spa < 1 || lv.Spa > 4 {
				return nil, fmt.Errorf("benchmodel: image %d has fusion levels %+v, want 1-4", i, lv)
			}
		}
		for st, f := range StageFLOPs(cfg, lv) {
			out[st] += f
		}
	}
	return out, nil
}

// Total sums the stages of a FLOP count.
func Total(flops map[string]int64) int64 {
	var t int64
	for _, f := range flops {
		t += f
	}
	return t
}
