package detect

import (
	"fmt"
	"math"
	"slices"

	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/ops"
	"github.com/ladderpose/ladderpose/tensor"
)

// The RT-DETR decoder (Hugging Face's RTDetrDecoder with the heads
// RTDetrForObjectDetection installs in it), after query selection
// (query.go). With R = B*Q query rows of d values:
//
//	reference_points = sigmoid(init_reference_points)                    [R, 4]
//	for each layer i:
//	  pos    = query_pos_head(reference_points)   Linear 4->2d, ReLU, Linear 2d->d
//	  -- self-attention (RTDetrMultiheadAttention): q, k from tgt+pos, v from tgt
//	  tgt    = self_attn_layer_norm(tgt + out_proj(attention(q_proj(tgt+pos), k_proj(tgt+pos), v_proj(tgt))))
//	  -- cross-attention (RTDetrMultiscaleDeformableAttention), query = tgt+pos
//	  tgt    = encoder_attn_layer_norm(tgt + output_proj(deform(value_proj(source), reference_points,
//	                 sampling_offsets(tgt+pos), softmax(attention_weights(tgt+pos)))))
//	  -- feed-forward
//	  tgt    = final_layer_norm(tgt + fc2(act(fc1(tgt))))
//	  -- heads (decoder.bbox_embed[i], decoder.class_embed[i])
//	  reference_points = sigmoid(bbox_embed[i](tgt) + inverse_sigmoid(reference_points))
//	  intermediate_reference_points[:, i] = reference_points
//	  intermediate_logits[:, i]           = class_embed[i](tgt)
//
// logits and pred_boxes are the last layer's; decoder_last_hidden_state is
// the last tgt.

// decoderNet is query selection and the decoder with their weights loaded.
// It is read-only after loading and safe for concurrent use, each caller
// passing its own decoderOut.
type decoderNet struct {
	d, heads, hd, levels, points, ffn int
	nq, nc, layersN                   int
	eps                               float32
	act                               string // decoder_activation_function: relu, gelu or silu
	inChannels                        []int
	strides                           []int
	anchorImage                       []int // anchor_image_size {h, w}, nil when anchors follow the input

	// decoder_input_proj.{l}: 1x1 conv + BatchNorm folded, W^T packed [cin, d], bias [d]
	inProj     []*ops.PackedB
	inProjBias [][]float32

	encOutput  *nn.Linear    // enc_output.0 [d, d]
	encNorm    *nn.LayerNorm // enc_output.1
	encScore   *nn.Linear    // enc_score_head [C, d]
	encBBox    decMLP        // enc_bbox_head: d -> d -> d -> 4
	queryEmbed []float32     // weight_embedding.weight [Q, d] with learn_initial_query, else nil

	queryPos   decMLP // decoder.query_pos_head: 4 -> 2d -> d
	layers     []decLayer
	classEmbed []*nn.Linear // decoder.class_embed.{i} [C, d]
	bboxEmbed  []decMLP     // decoder.bbox_embed.{i}: d -> d -> d -> 4
}

// decLayer is one RTDetrDecoderLayer.
type decLayer struct {
	qProj, kProj, vProj, outProj *nn.Linear // self_attn.*_proj [d, d]
	selfNorm                     *nn.LayerNorm
	samplingOffsets              *nn.Linear // encoder_attn.sampling_offsets [heads*levels*points*2, d]
	attentionWeights             *nn.Linear // encoder_attn.attention_weights [heads*levels*points, d]
	valueProj, outputProj        *nn.Linear // encoder_attn.value_proj, output_proj [d, d]
	crossNorm                    *nn.LayerNorm
	fc1, fc2                     *nn.Linear // [ffn, d], [d, ffn]
	finalNorm                    *nn.LayerNorm
}

// decMLP is RTDetrMLPPredictionHead: Linear layers with ReLU between them.
type decMLP []*nn.Linear

// forward computes y [rows, out] = mlp(x [rows, in]), intermediates from a.
func (m decMLP) forward(a *tensor.Arena, y, x []float32, rows int) {
	for i, l := range m {
		dst := y
		act := ops.ActNone
		if i < len(m)-1 {
			dst = a.Floats(rows * l.Out)
			act = ops.ActReLU
		}
		l.Forward(dst, l.Out, x, l.In, rows, 0, act)
		x = dst
	}
}

// decLinear loads name.weight [out, in] and name.bias [out] into a Linear
// layer for inference: the weight pre-packed, no unpacked copy kept
// (W.Data nil; the getter's slices are the caller's to keep).
func decLinear(get getter, name string, in, out int) (*nn.Linear, error) {
	w, err := get(name+".weight", out, in)
	if err != nil {
		return nil, err
	}
	b, err := get(name+".bias", out)
	if err != nil {
		return nil, err
	}
	l := &nn.Linear{In: in, Out: out,
		W: &nn.Param{Name: name + ".weight", Shape: []int{out, in}},
		B: &nn.Param{Name: name + ".bias", Shape: []int{out}, Data: b}}
	l.PackFrom(w)
	return l, nil
}

// decNorm loads a LayerNorm's name.weight and name.bias [dim].
func decNorm(get getter, name string, dim int, eps float32) (*nn.LayerNorm, error) {
	l := nn.NewLayerNorm(name, dim, eps)
	for _, p := range l.Params() {
		v, err := get(p.Name, dim)
		if err != nil {
			return nil, err
		}
		copy(p.Data, v)
	}
	return l, nil
}

// decLoadMLP loads name.layers.{i} for the widths dims[0] -> dims[1] -> ...
func decLoadMLP(get getter, name string, dims ...int) (decMLP, error) {
	var m decMLP
	for i := 0; i+1 < len(dims); i++ {
		l, err := decLinear(get, fmt.Sprintf("%s.layers.%d", name, i), dims[i], dims[i+1])
		if err != nil {
			return nil, err
		}
		m = append(m, l)
	}
	return m, nil
}

// newDecoderNet loads query selection and the decoder of cfg through get
// (Hugging Face's names under "model.").
func newDecoderNet(cfg *Config, get getter) (*decoderNet, error) {
	if cfg.DModel%cfg.DecoderHeads != 0 {
		return nil, fmt.Errorf("detect: d_model %d is not a multiple of decoder_attention_heads %d", cfg.DModel, cfg.DecoderHeads)
	}
	if len(cfg.DecoderInChannels) != cfg.NumFeatureLevels || len(cfg.FeatStrides) != cfg.NumFeatureLevels {
		return nil, fmt.Errorf("detect: num_feature_levels %d with %d decoder_in_channels and %d feat_strides: extra decoder levels are not implemented",
			cfg.NumFeatureLevels, len(cfg.DecoderInChannels), len(cfg.FeatStrides))
	}
	switch cfg.DecoderAct {
	case "relu", "gelu", "silu":
	default:
		return nil, fmt.Errorf("detect: decoder_activation_function %q is not implemented", cfg.DecoderAct)
	}
	d := &decoderNet{
		d: cfg.DModel, heads: cfg.DecoderHeads, hd: cfg.DModel / cfg.DecoderHeads,
		levels: cfg.NumFeatureLevels, points: cfg.DecoderPoints, ffn: cfg.DecoderFFNDim,
		nq: cfg.NumQueries, nc: cfg.NumLabels(), layersN: cfg.DecoderLayers,
		eps: float32(cfg.LayerNormEps), act: cfg.DecoderAct,
		inChannels: slices.Clone(cfg.DecoderInChannels), strides: slices.Clone(cfg.FeatStrides),
		anchorImage: slices.Clone(cfg.AnchorImageSize),
	}
	if err := d.load(cfg, get); err != nil {
		return nil, fmt.Errorf("detect: loading the decoder: %w", err)
	}
	return d, nil
}

func (d *decoderNet) load(cfg *Config, get getter) error {
	dm, nc := d.d, d.nc
	var err error
	for l, cin := range d.inChannels {
		p := fmt.Sprintf("model.decoder_input_proj.%d", l)
		w, err := get(p+".0.weight", dm, cin, 1, 1)
		if err != nil {
			return err
		}
		var bn [4][]float32 // weight, bias, running_mean, running_var
		for i, n := range []string{"weight", "bias", "running_mean", "running_var"} {
			if bn[i], err = get(p+".1."+n, dm); err != nil {
				return err
			}
		}
		scale, shift := make([]float32, dm), make([]float32, dm)
		if err := ops.BatchNormScaleShift(scale, shift, bn[0], bn[1], bn[2], bn[3], float32(cfg.BatchNormEps)); err != nil {
			return fmt.Errorf("%s.1: %w", p, err)
		}
		fw, fb := slices.Clone(w), make([]float32, dm)
		if err := ops.FoldBatchNorm(fw, fb, scale, shift); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		d.inProj = append(d.inProj, ops.PackB(cin, dm, ops.ColMajor(fw, cin)))
		d.inProjBias = append(d.inProjBias, fb)
	}

	if d.encOutput, err = decLinear(get, "model.enc_output.0", dm, dm); err != nil {
		return err
	}
	if d.encNorm, err = decNorm(get, "model.enc_output.1", dm, d.eps); err != nil {
		return err
	}
	if d.encScore, err = decLinear(get, "model.enc_score_head", dm, nc); err != nil {
		return err
	}
	if d.encBBox, err = decLoadMLP(get, "model.enc_bbox_head", dm, dm, dm, 4); err != nil {
		return err
	}
	if cfg.LearnInitialQuery {
		e, err := get("model.weight_embedding.weight", d.nq, dm)
		if err != nil {
			return err
		}
		d.queryEmbed = slices.Clone(e)
	}
	if d.queryPos, err = decLoadMLP(get, "model.decoder.query_pos_head", 4, 2*dm, dm); err != nil {
		return err
	}
	lp := d.levels * d.points * d.heads
	for i := 0; i < d.layersN; i++ {
		p := fmt.Sprintf("model.decoder.layers.%d.", i)
		var ly decLayer
		for _, x := range []struct {
			dst     **nn.Linear
			name    string
			in, out int
		}{
			{&ly.qProj, "self_attn.q_proj", dm, dm},
			{&ly.kProj, "self_attn.k_proj", dm, dm},
			{&ly.vProj, "self_attn.v_proj", dm, dm},
			{&ly.outProj, "self_attn.out_proj", dm, dm},
			{&ly.samplingOffsets, "encoder_attn.sampling_offsets", dm, 2 * lp},
			{&ly.attentionWeights, "encoder_attn.attention_weights", dm, lp},
			{&ly.valueProj, "encoder_attn.value_proj", dm, dm},
			{&ly.outputProj, "encoder_attn.output_proj", dm, dm},
			{&ly.fc1, "fc1", dm, d.ffn},
			{&ly.fc2, "fc2", d.ffn, dm},
		} {
			if *x.dst, err = decLinear(get, p+x.name, x.in, x.out); err != nil {
				return err
			}
		}
		for _, x := range []struct {
			dst  **nn.LayerNorm
			name string
		}{{&ly.selfNorm, "self_attn_layer_norm"}, {&ly.crossNorm, "encoder_attn_layer_norm"}, {&ly.finalNorm, "final_layer_norm"}} {
			if *x.dst, err = decNorm(get, p+x.name, dm, d.eps); err != nil {
				return err
			}
		}
		d.layers = append(d.layers, ly)
		ce, err := decLinear(get, fmt.Sprintf("model.decoder.class_embed.%d", i), dm, nc)
		if err != nil {
			return err
		}
		be, err := decLoadMLP(get, fmt.Sprintf("model.decoder.bbox_embed.%d", i), dm, dm, dm, 4)
		if err != nil {
			return err
		}
		d.classEmbed = append(d.classEmbed, ce)
		d.bboxEmbed = append(d.bboxEmbed, be)
	}
	return nil
}

// decoderOut receives decoderNet.forward's results, and holds the scratch
// memory of the call: after a first call, calls with the same shapes
// allocate nothing. A zero decoderOut is ready to use; it is not safe for
// concurrent use.
type decoderOut struct {
	Logits, Boxes []float32 // [B,Q,C], [B,Q,4] cx,cy,w,h in [0,1] (the last layer's)
	// TopkIndices [B,Q] are the selected positions in the flattened levels;
	// TopkScores [B,Q] their max-class encoder logits (descending),
	// TopkLogits [B,Q,C], TopkBoxes [B,Q,4] (sigmoid) and InitRef [B,Q,4]
	// (before sigmoid): the goldens' enc_topk_* and init_reference_points.
	TopkIndices                                []int
	TopkScores, TopkLogits, TopkBoxes, InitRef []float32
	InterLogits, InterRef                      []float32 // [B,L,Q,C], [B,L,Q,4]
	Hidden                                     []float32 // [B,Q,d] decoder_last_hidden_state

	scratch decScratch
}

// decScratch is a call's scratch memory.
type decScratch struct {
	arena   *tensor.Arena
	sizes   [][2]int  // level sizes the anchors were made for
	anchors []float32 // [S, 4]
	valid   []bool    // [S]
	scores  []float32 // [S]
	order   []int     // [S]
	starts  []int     // first row of each level
	geom    deformGeom
}

// grow returns s resized to n elements, reallocating only when it is short.
func decGrow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// ensure sizes the outputs for batch b.
func (o *decoderOut) ensure(d *decoderNet, b int) {
	q, c, l := d.nq, d.nc, d.layersN
	o.Logits = decGrow(o.Logits, b*q*c)
	o.Boxes = decGrow(o.Boxes, b*q*4)
	o.TopkIndices = decGrow(o.TopkIndices, b*q)
	o.TopkScores = decGrow(o.TopkScores, b*q)
	o.TopkLogits = decGrow(o.TopkLogits, b*q*c)
	o.TopkBoxes = decGrow(o.TopkBoxes, b*q*4)
	o.InitRef = decGrow(o.InitRef, b*q*4)
	o.InterLogits = decGrow(o.InterLogits, b*l*q*c)
	o.InterRef = decGrow(o.InterRef, b*l*q*4)
	o.Hidden = decGrow(o.Hidden, b*q*d.d)
	if o.scratch.arena == nil {
		o.scratch.arena = tensor.NewArena(0)
	}
}

// forward runs query selection and the decoder on the encoder's levels
// (finest first), each [B, cin, h, w] row-major with sizes[l] = {h, w}, and
// fills out (sized here; no allocation once warm for the same shapes).
func (d *decoderNet) forward(levels [][]float32, sizes [][2]int, batch int, out *decoderOut) error {
	if err := d.check(levels, sizes, batch); err != nil {
		return fmt.Errorf("detect: decoder: %w", err)
	}
	out.ensure(d, batch)
	ws := &out.scratch
	ws.arena.Reset()
	a := ws.arena

	starts := ws.starts[:0]
	seq := 0
	for _, s := range sizes {
		starts = append(starts, seq)
		seq += s[0] * s[1]
	}
	ws.starts = starts
	if !slices.Equal(ws.sizes, sizes) {
		ws.sizes = append(ws.sizes[:0], sizes...)
		ws.anchors = decGrow(ws.anchors, 4*seq)
		ws.valid = decGrow(ws.valid, seq)
		ws.scores = decGrow(ws.scores, seq)
		ws.order = decGrow(ws.order, seq)
		decAnchors(ws.anchors, ws.valid, sizes)
	}

	dm, rows := d.d, batch*d.nq
	src := a.Floats(batch * seq * dm) // source_flatten [B, S, d]
	d.inputProj(src, levels, sizes, starts, seq, batch)
	tgt := a.Floats(rows * dm) // [R, d]
	om := d.selectQueries(ws, out, src, tgt, seq, batch)

	ws.geom = deformGeom{heads: d.heads, hd: d.hd, points: d.points, shapes: sizes, starts: starts, seq: seq}
	d.decode(ws, out, src, tgt, om, &ws.geom, batch) // output_memory's buffer holds the values
	return nil
}

// check validates forward's arguments.
func (d *decoderNet) check(levels [][]float32, sizes [][2]int, batch int) error {
	if batch <= 0 {
		return fmt.Errorf("batch size %d: want at least 1", batch)
	}
	if len(levels) != d.levels || len(sizes) != d.levels {
		return fmt.Errorf("%d levels with %d sizes: want %d of each", len(levels), len(sizes), d.levels)
	}
	seq := 0
	for l, s := range sizes {
		if s[0] <= 0 || s[1] <= 0 || s[0] > 1<<16 || s[1] > 1<<16 {
			return fmt.Errorf("level %d has size %dx%d", l, s[0], s[1])
		}
		if want := batch * d.inChannels[l] * s[0] * s[1]; len(levels[l]) != want {
			return fmt.Errorf("level %d has %d values: want [%d, %d, %d, %d] = %d", l, len(levels[l]), batch, d.inChannels[l], s[0], s[1], want)
		}
		seq += s[0] * s[1]
	}
	if seq < d.nq {
		return fmt.Errorf("the levels hold %d positions, fewer than num_queries = %d", seq, d.nq)
	}
	return d.anchorSizes(sizes)
}

// decode runs the decoder layers on the target tgt [R, d] with the memory
// src [B*S, d], from out.InitRef, and fills out's decoder outputs. value
// (len(src) values) is scratch for each layer's value_proj(src).
func (d *decoderNet) decode(ws *decScratch, out *decoderOut, src, tgt, value []float32, g *deformGeom, batch int) {
	a := ws.arena
	dm, nq, nc, nl := d.d, d.nq, d.nc, d.layersN
	rows := batch * nq
	lp := d.levels * d.points

	ref := a.Floats(rows * 4) // reference_points = sigmoid(init_reference_points)   [R, 4]
	for i, v := range out.InitRef {
		ref[i] = sigmoid32(v)
	}
	pos := a.Floats(rows * dm) // query position embedding   [R, d]
	qk := a.Floats(rows * dm)  // tgt + pos                   [R, d]
	q, k, v := a.Floats(rows*dm), a.Floats(rows*dm), a.Floats(rows*dm)
	att := a.Floats(rows * dm)
	probs := a.Floats(batch * d.heads * nq * nq)
	off := a.Floats(rows * d.heads * lp * 2) // [R, heads, levels, points, 2]
	aw := a.Floats(rows * d.heads * lp)      // [R, heads, levels*points]
	value = value[:len(src)]                 // [B*S, d]
	hid := a.Floats(rows * d.ffn)            // [R, ffn]
	delta := a.Floats(rows * 4)              // [R, 4]
	scale := float32(math.Pow(float64(d.hd), -0.5))

	for i, ly := range d.layers {
		// position_embeddings = query_pos_head(reference_points)
		d.queryPos.forward(a, pos, ref, rows)
		decAdd(qk, tgt, pos)

		// Self-attention: q = q_proj(tgt+pos) * scaling, k = k_proj(tgt+pos), v = v_proj(tgt).
		ly.qProj.Forward(q, dm, qk, dm, rows, 0, ops.ActNone)
		ly.kProj.Forward(k, dm, qk, dm, rows, 0, ops.ActNone)
		ly.vProj.Forward(v, dm, tgt, dm, rows, 0, ops.ActNone)
		nn.Attention(att, dm, q, dm, k, dm, v, dm, batch, nq, nq, d.heads, d.hd, scale, probs)
		ly.outProj.Forward(tgt, dm, att, dm, rows, 1, ops.ActNone) // residual: tgt += out_proj(att)
		ly.selfNorm.Forward(tgt, tgt)

		// Cross-attention: multi-scale deformable attention with query tgt+pos.
		decAdd(qk, tgt, pos)
		ly.valueProj.Forward(value, dm, src, dm, batch*g.seq, 0, ops.ActNone)
		ly.samplingOffsets.Forward(off, 2*d.heads*lp, qk, dm, rows, 0, ops.ActNone)
		ly.attentionWeights.Forward(aw, d.heads*lp, qk, dm, rows, 0, ops.ActNone)
		deformAttn(att, value, ref, off, aw, g, batch, nq, true)      // softmax over levels*points per row and head, then sampling
		ly.outputProj.Forward(tgt, dm, att, dm, rows, 1, ops.ActNone) // residual
		ly.crossNorm.Forward(tgt, tgt)

		// Feed-forward.
		d.ffnIn(ly.fc1, hid, tgt, rows)
		ly.fc2.Forward(tgt, dm, hid, d.ffn, rows, 1, ops.ActNone) // residual
		ly.finalNorm.Forward(tgt, tgt)

		// Box refinement: reference_points = sigmoid(bbox_embed[i](tgt) + inverse_sigmoid(reference_points)).
		d.bboxEmbed[i].forward(a, delta, tgt, rows)
		for j := range ref {
			ref[j] = float32(1 / (1 + math.Exp(-(float64(delta[j]) + inverseSigmoid(ref[j])))))
		}
		for b := 0; b < batch; b++ {
			copy(out.InterRef[(b*nl+i)*nq*4:(b*nl+i+1)*nq*4], ref[b*nq*4:(b+1)*nq*4])
			// intermediate_logits[:, i] = class_embed[i](tgt)
			d.classEmbed[i].Forward(out.InterLogits[(b*nl+i)*nq*nc:], nc, tgt[b*nq*dm:], dm, nq, 0, ops.ActNone)
		}
	}
	for b := 0; b < batch; b++ {
		copy(out.Logits[b*nq*nc:(b+1)*nq*nc], out.InterLogits[(b*nl+nl-1)*nq*nc:])
		copy(out.Boxes[b*nq*4:(b+1)*nq*4], out.InterRef[(b*nl+nl-1)*nq*4:])
	}
	copy(out.Hidden, tgt)
}

// ffnIn computes hid = act(fc1(x)) with the decoder's activation.
func (d *decoderNet) ffnIn(fc1 *nn.Linear, hid, x []float32, rows int) {
	switch d.act {
	case "relu":
		fc1.Forward(hid, d.ffn, x, d.d, rows, 0, ops.ActReLU)
	case "gelu":
		fc1.Forward(hid, d.ffn, x, d.d, rows, 0, ops.ActGELU)
	default: // silu: x * sigmoid(x)
		fc1.Forward(hid, d.ffn, x, d.d, rows, 0, ops.ActNone)
		for i, v := range hid {
			hid[i] = float32(float64(v) / (1 + math.Exp(-float64(v))))
		}
	}
}

// addTo writes dst = x + y.
func decAdd(dst, x, y []float32) {
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

// inverseSigmoid is Hugging Face's inverse_sigmoid with eps 1e-5:
// x clamped to [0, 1], then log(max(x, eps) / max(1-x, eps)), in float64.
func inverseSigmoid(x32 float32) float64 {
	const eps = 1e-5
	x := min(max(float64(x32), 0), 1)
	return math.Log(max(x, eps) / max(1-x, eps))
}
