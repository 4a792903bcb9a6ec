package detect

import (
	"fmt"
	"math"

	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/ops"
)

// The hybrid encoder is Hugging Face's encoder_input_proj + RTDetrHybridEncoder
// (modeling_rt_detr.py): a 1x1 conv + BN projection of each backbone level to
// encoder_hidden_dim, AIFI (transformer encoder layers over the tokens of
// the levels in encode_proj_layers, with a 2D sin-cos position embedding),
// then CCFM: a top-down FPN (lateral 1x1 convs, nearest 2x upsampling,
// CSPRep layers) and a bottom-up PAN (3x3 stride-2 convs, CSPRep layers).
// Its outputs are encoder_hidden_dim maps, finest level first.

// hybridEncoder is the loaded encoder.
type hybridEncoder struct {
	cfg       *Config
	inputProj []*convLayer // model.encoder_input_proj.{l}.{0: conv, 1: BN}
	aifi      [][]*aifiLayer
	lateral   []*convLayer // model.encoder.lateral_convs.{i}
	fpn       []*cspRep    // model.encoder.fpn_blocks.{i}
	down      []*convLayer // model.encoder.downsample_convs.{i}
	pan       []*cspRep    // model.encoder.pan_blocks.{i}
}

// aifiLayer is RTDetrEncoderLayer (model.encoder.encoder.{i}.layers.{j}).
type aifiLayer struct {
	q, k, v, out *nn.Linear // self_attn.{q,k,v,out}_proj [C, C]
	ln1g, ln1b   []float32  // self_attn_layer_norm [C]
	fc1, fc2     *nn.Linear // fc1 [FFN, C], fc2 [C, FFN]
	ln2g, ln2b   []float32  // final_layer_norm [C]
}

// cspRep is RTDetrCSPRepLayer: conv1 and conv2 (1x1 + act, 2C -> hidden)
// are one convolution here (their weights stacked), then three RepVGG
// blocks (each one 3x3 conv, its 1x1 branch folded in) on the conv1 half,
// the sum of both halves and conv3 (1x1 + act, hidden -> C) unless hidden
// equals C.
type cspRep struct {
	conv12 *convLayer   // [2*hidden, 2C, 1, 1]
	blocks []*convLayer // bottlenecks.{0,1,2}
	conv3  *convLayer   // nil: identity
	hidden int
}

const encoderPrefix = "model.encoder."

func newHybridEncoder(cfg *Config, get getter) (*hybridEncoder, error) {
	e := &hybridEncoder{cfg: cfg}
	c := cfg.EncoderHiddenDim
	act := actByName(cfg.Act)
	for l, in := range cfg.EncoderInChannels {
		p := fmt.Sprintf("model.encoder_input_proj.%d.", l)
		// nn.BatchNorm2d(encoder_hidden_dim): the default eps 1e-5.
		cl, err := newConvBN(get, p[:len(p)-1], p+"0.weight", p+"1", in, c, 1, 1, 1e-5, activation{})
		if err != nil {
			return nil, err
		}
		e.inputProj = append(e.inputProj, cl)
	}
	for i := range cfg.EncodeProjLayers {
		var layers []*aifiLayer
		for j := 0; j < cfg.EncoderLayers; j++ {
			l, err := newAIFILayer(cfg, get, fmt.Sprintf("%sencoder.%d.layers.%d.", encoderPrefix, i, j))
			if err != nil {
				return nil, err
			}
			layers = append(layers, l)
		}
		e.aifi = append(e.aifi, layers)
	}
	eps := cfg.BatchNormEps
	for i := 0; i < len(cfg.EncoderInChannels)-1; i++ {
		p := fmt.Sprintf("%slateral_convs.%d", encoderPrefix, i)
		lat, err := newConvBN(get, p, p+".conv.weight", p+".norm", c, c, 1, 1, eps, act)
		if err != nil {
			return nil, err
		}
		fpn, err := newCSPRep(cfg, get, fmt.Sprintf("%sfpn_blocks.%d", encoderPrefix, i))
		if err != nil {
			return nil, err
		}
		p = fmt.Sprintf("%sdownsample_convs.%d", encoderPrefix, i)
		down, err := newConvBN(get, p, p+".conv.weight", p+".norm", c, c, 3, 2, eps, act)
		if err != nil {
			return nil, err
		}
		pan, err := newCSPRep(cfg, get, fmt.Sprintf("%span_blocks.%d", encoderPrefix, i))
		if err != nil {
			return nil, err
		}
		e.lateral, e.fpn, e.down, e.pan = append(e.lateral, lat), append(e.fpn, fpn), append(e.down, down), append(e.pan, pan)
	}
	return e, nil
}

func newAIFILayer(cfg *Config, get getter, p string) (*aifiLayer, error) {
	c, f := cfg.EncoderHiddenDim, cfg.EncoderFFNDim
	l := &aifiLayer{}
	var err error
	for _, x := range []struct {
		dst     **nn.Linear
		name    string
		in, out int
	}{
		{&l.q, "self_attn.q_proj", c, c}, {&l.k, "self_attn.k_proj", c, c}, {&l.v, "self_attn.v_proj", c, c},
		{&l.out, "self_attn.out_proj", c, c}, {&l.fc1, "fc1", c, f}, {&l.fc2, "fc2", f, c},
	} {
		if *x.dst, err = linear(get, p+x.name, x.in, x.out); err != nil {
			return nil, err
		}
	}
	if l.ln1g, l.ln1b, err = layerNormParams(get, p+"self_attn_layer_norm", c); err != nil {
		return nil, err
	}
	if l.ln2g, l.ln2b, err = layerNormParams(get, p+"final_layer_norm", c); err != nil {
		return nil, err
	}
	return l, nil
}

func newCSPRep(cfg *Config, get getter, p string) (*cspRep, error) {
	c, hid := cfg.EncoderHiddenDim, cfg.CSPHidden()
	act := actByName(cfg.Act)
	eps := cfg.BatchNormEps
	w1, b1, err := convBNWeights(get, p+".conv1.conv.weight", p+".conv1.norm", 2*c, hid, 1, eps)
	if err != nil {
		return nil, err
	}
	w2, b2, err := convBNWeights(get, p+".conv2.conv.weight", p+".conv2.norm", 2*c, hid, 1, eps)
	if err != nil {
		return nil, err
	}
	conv12, err := ops.NewConv2D(append(w1, w2...), append(b1, b2...),
		ops.Conv2DParams{InC: 2 * c, OutC: 2 * hid, KH: 1, KW: 1, Act: act.fused})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	r := &cspRep{hidden: hid, conv12: &convLayer{name: p + ".conv1/conv2", conv: conv12, p: conv12.Params(), act: act}}
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("%s.bottlenecks.%d", p, i)
		l, err := repVGG(get, name, hid, eps, act)
		if err != nil {
			return nil, err
		}
		r.blocks = append(r.blocks, l)
	}
	if hid != c {
		if r.conv3, err = newConvBN(get, p+".conv3", p+".conv3.conv.weight", p+".conv3.norm", hid, c, 1, 1, eps, act); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// encoderShapes checks that the levels fit the FPN (each level exactly twice
// the next coarser one, as the concatenation after nearest upsampling needs).
func encoderShapes(shapes []featureShape) error {
	for l := 1; l < len(shapes); l++ {
		a, b := shapes[l-1], shapes[l]
		if a.h != 2*b.h || a.w != 2*b.w {
			return fmt.Errorf("feature level %d is %dx%d and level %d is %dx%d: the FPN needs exactly 2x (use an input size that is a multiple of %d)",
				l-1, a.h, a.w, l, b.h, b.w, 32)
		}
	}
	return nil
}

// forward runs the encoder on the backbone features in ws (kindFeature) and
// leaves its outputs [n, C, h_l, w_l] in the kindPAN slots (level 0 in
// kindFPN), returning them finest first in levels. aifiOut, if not nil,
// receives each AIFI output level's data (HF's hidden_states[enc_ind] after
// the transformer).
func (e *hybridEncoder) forward(ws *workspace, n int, shapes []featureShape, levels [][]float32, aifiOut func(i int, data []float32)) error {
	cfg := e.cfg
	c := cfg.EncoderHiddenDim
	nl := len(shapes)
	if err := encoderShapes(shapes); err != nil {
		return err
	}
	size := func(l int) int { return n * c * shapes[l].h * shapes[l].w }
	// proj_feats = [encoder_input_proj[l](feature_l)]
	proj := make([][]float32, nl)
	for l, cl := range e.inputProj {
		proj[l] = ws.buf(kindProj, l, size(l))
		s := shapes[l]
		if _, _, err := cl.forward(ws, proj[l], ws.buf(kindFeature, l, n*s.c*s.h*s.w), n, s.h, s.w); err != nil {
			return err
		}
	}
	// AIFI on the levels in encode_proj_layers, in place (skipped when
	// encoder_layers is 0, as in Hugging Face).
	for i, lvl := range cfg.EncodeProjLayers {
		if cfg.EncoderLayers == 0 {
			break
		}
		if err := e.runAIFI(ws, i, proj[lvl], n, shapes[lvl].h, shapes[lvl].w); err != nil {
			return err
		}
		if aifiOut != nil {
			aifiOut(lvl, proj[lvl])
		}
	}
	// Top-down FPN. fpn maps, finest first: [fpnOut[0], lat[1], ..., lat[L-1]].
	lat := make([][]float32, nl)
	cur := proj[nl-1]
	for idx := 0; idx < nl-1; idx++ {
		l := nl - 1 - idx // the level the lateral conv runs on
		lat[l] = ws.buf(kindLateral, l, size(l))
		if _, _, err := e.lateral[idx].forward(ws, lat[l], cur, n, shapes[l].h, shapes[l].w); err != nil {
			return err
		}
		// concat([upsample2x(lat[l]), proj[l-1]], channels)
		hh, ww := shapes[l-1].h, shapes[l-1].w
		cat := ws.buf(kindCSP, 4, 2*size(l-1))
		upsampleConcat(cat, lat[l], proj[l-1], n, c, shapes[l].h, shapes[l].w)
		out := ws.buf(kindFPN, l-1, size(l-1))
		if err := e.fpn[idx].forward(ws, out, cat, n, hh, ww); err != nil {
			return err
		}
		cur = out
	}
	// Bottom-up PAN.
	levels[0] = cur
	for idx := 0; idx < nl-1; idx++ {
		l := idx + 1
		hh, ww := shapes[l].h, shapes[l].w
		cat := ws.buf(kindCSP, 4, 2*size(l))
		plane := c * hh * ww
		// downsample_conv(pan[idx]) into the first half of each image's channels.
		down := ws.buf(kindCSP, 5, size(l))
		if _, _, err := e.down[idx].forward(ws, down, levels[idx], n, shapes[idx].h, shapes[idx].w); err != nil {
			return err
		}
		for b := 0; b < n; b++ {
			copy(cat[2*b*plane:], down[b*plane:(b+1)*plane])
			copy(cat[(2*b+1)*plane:], lat[l][b*plane:(b+1)*plane])
		}
		out := ws.buf(kindPAN, l, size(l))
		if err := e.pan[idx].forward(ws, out, cat, n, hh, ww); err != nil {
			return err
		}
		levels[l] = out
	}
	return nil
}

// upsampleConcat writes cat [n, 2c, 2h, 2w] = concat(nearest2x(top [n, c, h,
// w]), lateral [n, c, 2h, 2w]) along channels (F.interpolate(scale_factor=2,
// mode="nearest"): out[y][x] = in[y/2][x/2]).
func upsampleConcat(cat, top, bottom []float32, n, c, h, w int) {
	hh, ww := 2*h, 2*w
	plane := hh * ww
	ops.ParallelFor(n*c, 4, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			b, ch := p/c, p%c
			in := top[p*h*w : (p+1)*h*w]
			out := cat[(b*2*c+ch)*plane : (b*2*c+ch+1)*plane]
			for y := 0; y < h; y++ {
				// Each value twice along the row, then the row twice.
				row := in[y*w : (y+1)*w]
				o := out[2*y*ww : (2*y+1)*ww]
				o = o[:2*len(row)]
				for x, v := range row {
					o[2*x], o[2*x+1] = v, v
				}
				copy(out[(2*y+1)*ww:(2*y+2)*ww], o)
			}
			copy(cat[(b*2*c+c+ch)*plane:(b*2*c+c+ch+1)*plane], bottom[p*plane:(p+1)*plane])
		}
	})
}

// forward computes out [n, C, h, w] = CSPRep(x [n, 2C, h, w]).
func (r *cspRep) forward(ws *workspace, out, x []float32, n, h, w int) error {
	hid := r.hidden
	plane := hid * h * w
	both := ws.buf(kindCSP, 0, 2*n*plane) // [n, 2*hid, h, w]: conv1 | conv2
	if _, _, err := r.conv12.forward(ws, both, x, n, h, w); err != nil {
		return err
	}
	// Split the halves: h1 [n, hid, h, w] through the RepVGG blocks, h2 kept.
	// With one image the halves are contiguous and used in place.
	a, b, h2 := both[:plane], ws.buf(kindCSP, 2, n*plane), both[plane:]
	if n > 1 {
		a, h2 = ws.buf(kindCSP, 1, n*plane), ws.buf(kindCSP, 3, n*plane)
		for i := 0; i < n; i++ {
			copy(a[i*plane:(i+1)*plane], both[2*i*plane:(2*i+1)*plane])
			copy(h2[i*plane:(i+1)*plane], both[(2*i+1)*plane:(2*i+2)*plane])
		}
	}
	for _, blk := range r.blocks {
		if _, _, err := blk.forward(ws, b, a, n, h, w); err != nil {
			return err
		}
		a, b = b, a
	}
	addInPlace(a, h2, h*w, false)
	if r.conv3 == nil {
		copy(out, a)
		return nil
	}
	_, _, err := r.conv3.forward(ws, out, a, n, h, w)
	return err
}

// runAIFI runs encoder i's transformer layers on x [n, C, h, w] in place.
func (e *hybridEncoder) runAIFI(ws *workspace, i int, x []float32, n, h, w int) error {
	cfg := e.cfg
	c, f, heads := cfg.EncoderHiddenDim, cfg.EncoderFFNDim, cfg.EncoderHeads
	hd := c / heads
	tokens := h * w
	rows := n * tokens
	pos := ws.posEmbed(h, w, c, cfg.PosTemperature)
	t := ws.buf(kindAIFI, 0, rows*c)   // hidden states [n, N, C]
	qk := ws.buf(kindAIFI, 1, rows*c)  // t + pos (or LN(t) + pos)
	q := ws.buf(kindAIFI, 2, rows*c)   // [n, N, C]
	k := ws.buf(kindAIFI, 3, rows*c)   // [n, N, C]
	v := ws.buf(kindAIFI, 4, rows*c)   // [n, N, C]
	att := ws.buf(kindAIFI, 5, rows*c) // attention output [n, N, C]
	ffn := ws.buf(kindAIFI, 6, rows*f) // [n, N, FFN]
	probs := ws.buf(kindAIFI, 7, n*heads*tokens*tokens)
	nrm := ws.buf(kindAIFI, 8, rows*c) // pre-norm input
	// src_flatten = x.flatten(2).permute(0, 2, 1): [n, C, N] -> [n, N, C]
	transpose(t, x, n, c, tokens)
	eps := float32(cfg.LayerNormEps)
	encAct := actByName(cfg.EncoderAct)
	for _, l := range e.aifi[i] {
		src := t // the attention's input: t (post-norm) or LN(t) (pre-norm)
		if cfg.NormalizeBefore {
			ops.LayerNorm(nrm, t, c, l.ln1g, l.ln1b, eps)
			src = nrm
		}
		addPos(qk, src, pos, n, tokens*c)
		l.q.Forward(q, c, qk, c, rows, 0, ops.ActNone)
		l.k.Forward(k, c, qk, c, rows, 0, ops.ActNone)
		l.v.Forward(v, c, src, c, rows, 0, ops.ActNone)
		nn.Attention(att, c, q, c, k, c, v, c, n, tokens, tokens, heads, hd, float32(1/math.Sqrt(float64(hd))), probs)
		// t = t + out_proj(att)
		l.out.Forward(t, c, att, c, rows, 1, ops.ActNone)
		if !cfg.NormalizeBefore {
			ops.LayerNorm(t, t, c, l.ln1g, l.ln1b, eps)
		}
		// Feed-forward. Pre-norm as Hugging Face writes it: the residual is
		// the normalised value (residual = final_layer_norm(hidden_states)).
		if cfg.NormalizeBefore {
			ops.LayerNorm(t, t, c, l.ln2g, l.ln2b, eps)
		}
		l.fc1.Forward(ffn, f, t, c, rows, 0, encAct.fused)
		l.fc2.Forward(t, c, ffn, f, rows, 1, ops.ActNone) // t += fc2(act(fc1(t)))
		if !cfg.NormalizeBefore {
			ops.LayerNorm(t, t, c, l.ln2g, l.ln2b, eps)
		}
	}
	// [n, N, C] -> [n, C, h, w]
	transpose(x, t, n, tokens, c)
	return nil
}

// transpose writes dst [n, b, a] = src [n, a, b] transposed per batch item.
func transpose(dst, src []float32, n, a, b int) {
	ops.ParallelFor(n*a, 16, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			bi, i := p/a, p%a
			row := src[p*b : (p+1)*b]
			base := bi * a * b
			for j, v := range row {
				dst[base+j*a+i] = v
			}
		}
	})
}

// addPos computes dst = src + pos for each of n items (pos has m values).
func addPos(dst, src, pos []float32, n, m int) {
	for b := 0; b < n; b++ {
		d, s := dst[b*m:(b+1)*m], src[b*m:(b+1)*m]
		for i := range d {
			d[i] = s[i] + pos[i]
		}
	}
}

// posEmbed returns the 2D sin-cos position embedding [h*w, C] of
// build_2d_sincos_position_embedding(w, h, C, temperature): for token
// (y, x) and i < C/4, with omega_i = 1 / temperature^(i / (C/4)),
// [sin(y*omega), cos(y*omega), sin(x*omega), cos(x*omega)]. Computed in float64,
// rounded once, and cached for the last size.
func (ws *workspace) posEmbed(h, w, c int, temperature float64) []float32 {
	if ws.posH == h && ws.posW == w && len(ws.pos) == h*w*c {
		return ws.pos
	}
	if cap(ws.pos) < h*w*c {
		ws.pos = make([]float32, h*w*c)
	}
	ws.pos = ws.pos[:h*w*c]
	d := c / 4
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			row := ws.pos[(y*w+x)*c : (y*w+x+1)*c]
			for i := 0; i < d; i++ {
				omega := 1 / math.Pow(temperature, float64(i)/float64(d))
				sy, cy := math.Sincos(float64(y) * omega)
				sx, cx := math.Sincos(float64(x) * omega)
				row[i], row[d+i], row[2*d+i], row[3*d+i] = float32(sy), float32(cy), float32(sx), float32(cx)
			}
		}
	}
	ws.posH, ws.posW = h, w
	return ws.pos
}
