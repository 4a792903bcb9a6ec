package detbench

import "github.com/ladderpose/ladderpose/detect"

// FLOPs counts the floating-point operations of one image's forward pass
// at h x w (multiples of 32) as 2 x the multiply-accumulates of every
// convolution, linear layer and attention matrix product (Q K^T and P V)
// of cfg. BatchNorms are folded; norms, activations, softmaxes, pooling,
// element-wise sums, the deformable sampling (4 taps x head width per
// point) and the top-k are not counted. With output pixels P of each
// convolution, S = sum of the levels' pixels, Q queries and d = d_model
// (MACs):
//
//	backbone      sum over convolutions of P * cin * cout * k * k
//	encoder       input projections sum_l P_l*cin_l*C; AIFI on N tokens
//	              4*N*C*C + 2*N*N*C + 2*N*C*FFN; CCFM: lateral 1x1, 3x3 s2
//	              downsampling, and per CSPRep 2C->2hid 1x1, 3 x hid->hid 3x3,
//	              hid->C 1x1 (when hid != C)
//	selection     decoder input projections S*C*d, enc_output S*d*d, score
//	              head S*d*classes, box head Q*(2*d*d + 4*d) (package detect
//	              runs it on the Q selected rows only; Hugging Face's graph,
//	              and so an ONNX export, on all S rows: 2.2 GFLOP more for
//	              d = 256 at 640x640)
//	decoder layer query_pos Q*(4*2d + 2d*d), self-attention 4*Q*d*d + 2*Q*Q*d,
//	              value_proj S*d*d, offsets and weights Q*d*3*heads*levels*points,
//	              output_proj Q*d*d, FFN 2*Q*d*FFN, box head Q*(2*d*d + 4*d),
//	              class head Q*d*classes
func FLOPs(cfg *detect.Config, h, w int) int64 {
	var m int64
	conv := func(p, cin, cout, k int) { m += int64(p) * int64(cin) * int64(cout) * int64(k*k) }
	// Backbone.
	e := cfg.EmbeddingSize
	h, w = (h+1)/2, (w+1)/2
	conv(h*w, cfg.NumChannels, e/2, 3)
	conv(h*w, e/2, e/2, 3)
	conv(h*w, e/2, e, 3)
	h, w = (h+1)/2, (w+1)/2 // max pool
	in := e
	var levels [][2]int
	for s, depth := range cfg.Depths {
		out := cfg.HiddenSizes[s]
		stride := 2
		if s == 0 && !cfg.DownsampleInFirstStage {
			stride = 1
		}
		for i := 0; i < depth; i++ {
			bin, bs := out, 1
			if i == 0 {
				bin, bs = in, stride
			}
			oh, ow := (h+bs-1)/bs, (w+bs-1)/bs
			if cfg.LayerType == "bottleneck" {
				red := out / 4
				if cfg.DownsampleInBottleneck {
					conv(oh*ow, bin, red, 1)
				} else {
					conv(h*w, bin, red, 1)
				}
				conv(oh*ow, red, red, 3)
				conv(oh*ow, red, out, 1)
				if bin != out || bs != 1 {
					conv(oh*ow, bin, out, 1)
				}
			} else {
				conv(oh*ow, bin, out, 3)
				conv(oh*ow, out, out, 3)
				if i == 0 {
					conv(oh*ow, bin, out, 1)
				}
			}
			h, w = oh, ow
		}
		in = out
		for _, o := range cfg.OutIndices {
			if o == s+1 {
				levels = append(levels, [2]int{h, w})
			}
		}
	}
	// Encoder.
	c, f := cfg.EncoderHiddenDim, cfg.EncoderFFNDim
	hid := int(float64(c) * cfg.HiddenExpansion)
	pix := func(l int) int { return levels[l][0] * levels[l][1] }
	seq := 0
	for l, cin := range cfg.EncoderInChannels {
		conv(pix(l), cin, c, 1)
		seq += pix(l)
	}
	for _, l := range cfg.EncodeProjLayers {
		n := int64(pix(l))
		m += int64(cfg.EncoderLayers) * (4*n*int64(c*c) + 2*n*n*int64(c) + 2*n*int64(c*f))
	}
	csp := func(p int) {
		conv(p, 2*c, 2*hid, 1)
		for i := 0; i < 3; i++ {
			conv(p, hid, hid, 3)
		}
		if hid != c {
			conv(p, hid, c, 1)
		}
	}
	nl := len(levels)
	for l := nl - 1; l > 0; l-- {
		conv(pix(l), c, c, 1) // lateral
		csp(pix(l - 1))
	}
	for l := 1; l < nl; l++ {
		conv(pix(l), c, c, 3) // downsample
		csp(pix(l))
	}
	// Query selection.
	d, q, nc := int64(cfg.DModel), int64(cfg.NumQueries), int64(len(cfg.Labels))
	s := int64(seq)
	for l, cin := range cfg.DecoderInChannels {
		m += int64(pix(l)) * int64(cin) * d
	}
	m += s*d*d + s*d*nc + q*(2*d*d+4*d) // box head on the selected rows only
	// Decoder.
	lp := int64(cfg.DecoderHeads * cfg.NumFeatureLevels * cfg.DecoderPoints)
	ffn := int64(cfg.DecoderFFNDim)
	layer := q*(4*2*d+2*d*d) + 4*q*d*d + 2*q*q*d + s*d*d + q*d*3*lp + q*d*d + 2*q*d*ffn + q*(2*d*d+4*d) + q*d*nc
	m += int64(cfg.DecoderLayers) * layer
	return 2 * m
}
