package posemodel

import (
	"fmt"
	"math"

	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/ops"
)

// The network on a Tape, for training. It follows SPEC.md sections 1-7 in
// the same order as the inference code (model.go, side.go), with BatchNorm
// unfolded so that it can use batch statistics, and is checked against
// PyTorch's gradients (tools/ref) and against the inference forward.

// TrainMode selects which parameters a training forward differentiates.
type TrainMode int

const (
	// SideTuning keeps the backbone frozen: it runs in inference mode and
	// only its outputs (F_last and the ladder taps) enter the tape; the side
	// network and the head are trained.
	SideTuning TrainMode = iota
	// FullTuning trains every parameter, the backbone included (the paper's
	// full fine-tuning baseline, and pretraining).
	FullTuning
	// HeadOnly trains the head on the frozen backbone (the frozen baseline).
	HeadOnly
)

// Variant selects a reduced side network for ablation studies (the paper's
// Table 6). Each reduced variant feeds its features straight to the output
// projection in place of F_fus (our choice; SPEC.md defines only Full).
type Variant int

const (
	VariantFull    Variant = iota // SPEC.md: fusion and graph aggregation
	VariantFreq                   // F_fus = F_fre (frequency path only)
	VariantSpatial                // F_fus = F_spa (ASPP path only)
	VariantAdd                    // F_fus = F_fre + F_spa (both, plain addition)
	VariantASF                    // F_fus = F_fv + F_sv (adaptive symmetric fusion, no graph)
)

// String names the variant as the ablation table does.
func (v Variant) String() string {
	switch v {
	case VariantFreq:
		return "+frequency"
	case VariantSpatial:
		return "+spatial"
	case VariantAdd:
		return "+both (addition)"
	case VariantASF:
		return "+adaptive symmetric fusion"
	}
	return "+multi-graph aggregation (full)"
}

// Uses reports whether the variant's forward pass reads the side parameter
// named name.
func (v Variant) Uses(name string) bool {
	has := func(ps ...string) bool {
		for _, p := range ps {
			if hasPrefix(name, p) {
				return true
			}
		}
		return false
	}
	common := has("side.stem.", "side.out_proj.")
	switch v {
	case VariantFreq:
		return common || has("side.freq.")
	case VariantSpatial:
		return common || has("side.aspp.")
	case VariantAdd:
		return common || has("side.freq.", "side.aspp.")
	case VariantASF:
		return common || has("side.freq.", "side.aspp.", "side.asf.", "side.ladder.")
	}
	return hasPrefix(name, "side.")
}

// TrainOptions select what a training forward computes.
type TrainOptions struct {
	Mode    TrainMode
	UseSide bool    // run the side network (false: the frozen baseline, or plain ViTPose)
	Variant Variant // the side network's ablation variant
}

// TrainForward runs the network on images [B, 3, H, W] with the side network
// (if used) and the head on the tape t, and returns the heatmaps [B, K, H/4,
// W/4]. In SideTuning and HeadOnly modes the backbone runs in inference mode
// in ws (which must not be reused before t's backward pass). Parameters whose
// Grad is nil do not receive gradients (see EnableGrads). With an eval-mode
// tape (t.Train false) it is the inference forward of the chosen variant.
func (m *Model) TrainForward(t *nn.Tape, ws *Workspace, images []float32, b int, o TrainOptions) (*nn.Var, error) {
	mode, useSide := o.Mode, o.UseSide
	c := m.Cfg
	if len(images) != b*3*c.Input[0]*c.Input[1] {
		return nil, fmt.Errorf("train forward: %d image values for batch %d of 3x%dx%d", len(images), b, c.Input[0], c.Input[1])
	}
	if m.quant != nil {
		return nil, fmt.Errorf("train forward: the model runs at int8 precision (inference only): train on the float32 checkpoint, loaded at precision float32")
	}
	if useSide && m.side == nil {
		return nil, fmt.Errorf("train forward: the model has no side network")
	}
	if mode == FullTuning && c.MoE() {
		return nil, fmt.Errorf("train forward: full fine-tuning of a ViTPose+ (mixture of experts) backbone is not implemented; side-tune it (the backbone stays frozen)")
	}
	if err := m.CheckDataset(ws.dataset); err != nil {
		return nil, fmt.Errorf("train forward: %w", err)
	}
	n, d := c.Tokens(), c.Dim
	img := t.Const(images, b, 3, c.Input[0], c.Input[1])
	var flast *nn.Var
	var taps [3]*nn.Var
	if mode == FullTuning {
		flast, taps = m.trainBackbone(t, img, b)
	} else {
		ws.arena.Reset()
		fl, tp, err := m.backboneForward(ws, images, b, useSide)
		if err != nil {
			return nil, fmt.Errorf("train forward: %w", err)
		}
		flast = t.Const(fl, b*n, d)
		if useSide {
			for k := range taps {
				taps[k] = t.Const(tp[k], b*n, d)
			}
		}
	}
	z := flast
	if useSide {
		z = m.side.trainForward(t, img, b, flast, taps, o.Variant)
	}
	return m.trainHead(t, z, b), nil
}

// trainBackbone is SPEC.md section 1 on the tape: F_last [B*N, D] and the
// three ladder taps.
func (m *Model) trainBackbone(t *nn.Tape, img *nn.Var, b int) (*nn.Var, [3]*nn.Var) {
	c := m.Cfg
	n, d, hd := c.Tokens(), c.Dim, c.Dim/c.Heads
	pe := t.Conv2D(img, b, m.patchW, m.patchB, ops.ConvGeom{C: 3, H: c.Input[0], W: c.Input[1], KH: 16, KW: 16,
		StrideH: 16, StrideW: 16, PadH: 2, PadW: 2, DilH: 1, DilW: 1}, 1)
	x := t.Transpose(pe, b, d, n) // [B, N, D]
	pos := t.Param(m.pos)
	x = t.AddBroadcast(x, t.Rows(pos, d, 1, 1+n), b, n*d)
	x = t.AddBroadcast(x, t.Rows(pos, d, 0, 1), b*n, d)
	var taps [3]*nn.Var
	tapAt := c.Taps()
	scale := float32(1 / math.Sqrt(float64(hd)))
	for i, blk := range m.blocks {
		h := blk.norm1.Apply(t, x)
		qkv := blk.qkv.Apply(t, h)
		att := t.AttentionT(qkv, 0, 3*d, qkv, d, 3*d, qkv, 2*d, 3*d, b, n, n, c.Heads, hd, scale)
		x = t.Add(x, blk.proj.Apply(t, att))
		h = blk.norm2.Apply(t, x)
		x = t.Add(x, blk.fc2.Apply(t, t.GELU(blk.fc1.Apply(t, h))))
		for k, tap := range tapAt {
			if tap == i {
				taps[k] = x
			}
		}
	}
	return m.lastNorm.Apply(t, x), taps
}

// trainHead maps tokens z [B*N, D] to heatmaps [B, K, 4h, 4w] on the tape.
func (m *Model) trainHead(t *nn.Tape, z *nn.Var, b int) *nn.Var {
	c := m.Cfg
	gh, gw, d := c.GridH(), c.GridW(), c.Dim
	x := t.Transpose(z, b, gh*gw, d) // [B, D, h, w]
	switch h := m.head.(type) {
	case *classicHead:
		g1 := ops.ConvGeom{C: 256, H: 2 * gh, W: 2 * gw, KH: 4, KW: 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
		y := t.ConvTranspose2D(x, b, h.deconv1, nil, g1)
		y = t.ReLU(h.bn1.Apply(t, y, b, 4*gh*gw))
		g2 := g1
		g2.H, g2.W = 4*gh, 4*gw
		y = t.ConvTranspose2D(y, b, h.deconv2, nil, g2)
		y = t.ReLU(h.bn2.Apply(t, y, b, 16*gh*gw))
		return t.Conv2D(y, b, h.finalW, h.finalB, conv1x1(256, 4*gh, 4*gw), 1)
	case *simpleHead:
		y := t.ResizeBilinear(t.ReLU(x), b*d, gh, gw, 4*gh, 4*gw)
		g := ops.ConvGeom{C: d, H: 4 * gh, W: 4 * gw, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
		return t.Conv2D(y, b, h.w, h.bias, g, 1)
	}
	panic("posemodel: unknown head")
}

func conv1x1(c, h, w int) ops.ConvGeom {
	return ops.ConvGeom{C: c, H: h, W: w, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
}

func conv3x3(c, h, w, stride, dil int) ops.ConvGeom {
	return ops.ConvGeom{C: c, H: h, W: w, KH: 3, KW: 3, StrideH: stride, StrideW: stride, PadH: dil, PadW: dil, DilH: dil, DilW: dil}
}

// trainForward is SPEC.md sections 1.5 and 2-7 on the tape: it returns
// Z = F_last + out_proj(F_fus), [B*N, D].
func (s *sideNet) trainForward(t *nn.Tape, img *nn.Var, b int, flast *nn.Var, taps [3]*nn.Var, v Variant) *nn.Var {
	n, c := s.gh*s.gw, s.c
	H, W := s.cfg.Input[0], s.cfg.Input[1]

	// Stem.
	h1, w1 := (H+1)/2, (W+1)/2
	x := t.Conv2D(img, b, s.stem1W, nil, conv3x3(3, H, W, 2, 1), 1)
	x = t.ReLU(s.stem1BN.Apply(t, x, b, h1*w1))
	h2, w2 := (h1+1)/2, (w1+1)/2
	x = t.Conv2D(x, b, s.stem2W, nil, conv3x3(32, h1, w1, 2, 1), 1)
	g := t.ReLU(s.stem2BN.Apply(t, x, b, h2*w2))

	// Frequency path.
	var ffre, fspa *nn.Var
	if v != VariantSpatial {
		x, hx, wx := g, h2, w2
		for _, f := range s.freq {
			x, hx, wx = f.trainForward(t, x, b, c, hx, wx)
		}
		ffre = t.Transpose(x, b, c, n)
	}

	// ASPP.
	if v != VariantFreq {
		fspa = t.Transpose(s.aspp.trainForward(t, g, b, c, h2, w2), b, c, n)
	}
	var ffus *nn.Var
	switch v {
	case VariantFreq:
		ffus = ffre
	case VariantSpatial:
		ffus = fspa
	case VariantAdd:
		ffus = t.Add(ffre, fspa)
	default:
		// F_vit = F_last + sum_k g_k T_k.
		gates := t.Param(s.gates)
		sum := t.Add(t.Add(t.ScaleBy(taps[0], gates, 0), t.ScaleBy(taps[1], gates, 1)), t.ScaleBy(taps[2], gates, 2))
		fvit := t.Add(flast, sum)
		// Fusion.
		ffv := s.asf[0].trainForward(t, s, fvit, ffre, b)
		fsv := s.asf[1].trainForward(t, s, fvit, fspa, b)
		if v == VariantASF {
			ffus = t.Add(ffv, fsv)
		} else {
			// Graph aggregation.
			ffus = s.mga.trainForward(t, s, fvit, ffv, fsv, b)
		}
	}
	return t.Add(flast, s.outProj.Apply(t, ffus))
}

func (f *freqLevel) trainForward(t *nn.Tape, x *nn.Var, b, c, h, w int) (*nn.Var, int, int) {
	oh, ow := (h+1)/2, (w+1)/2
	hw := oh * ow
	sub := t.HaarDWT(x, b, c, h, w) // [B, 4C, hw]: LL, LH, HL, HH
	sl := t.SumBlocks(sub, b, 4, c*hw, 0, 1, 2)
	sh := t.SumBlocks(sub, b, 4, c*hw, 3, 1, 2)
	fl := t.Conv2D(sl, b, f.lowW, f.lowB, conv1x1(c, oh, ow), 1)
	fh := t.Conv2D(sh, b, f.highW, f.highB, conv1x1(c, oh, ow), 1)
	// Softmax over the 4C channels at each pixel.
	a := t.Transpose(t.Softmax(t.Transpose(t.Add(fl, fh), b, 4*c, hw), 4*c), b, hw, 4*c)
	fm := t.Mul(a, sub)
	y := t.Conv2D(fm, b, f.projW, nil, conv1x1(4*c, oh, ow), 1)
	return t.ReLU(f.bn.Apply(t, y, b, hw)), oh, ow
}

func (p *asppNet) trainForward(t *nn.Tape, g *nn.Var, b, c, h, w int) *nn.Var {
	hw := h * w
	gap := t.MeanPlanes(g, b*c, hw)
	b0 := t.Conv2D(gap, b, p.poolW, nil, conv1x1(c, 1, 1), 1)
	b0 = t.BroadcastPlanes(t.ReLU(p.poolBN.Apply(t, b0, b, 1)), b, c, hw)
	branch := func(wt *nn.Param, bn *nn.BatchNorm, geom ops.ConvGeom) *nn.Var {
		return t.ReLU(bn.Apply(t, t.Conv2D(g, b, wt, nil, geom, 1), b, hw))
	}
	b1 := branch(p.b1W, p.b1BN, conv1x1(c, h, w))
	b2 := branch(p.b2W, p.b2BN, conv3x3(c, h, w, 1, 3))
	b3 := branch(p.b3W, p.b3BN, conv3x3(c, h, w, 1, 6))
	b4 := branch(p.b4W, p.b4BN, conv3x3(c, h, w, 1, 9))
	cat := t.Concat(b, hw, b0, b1, b2, b3, b4)
	a := t.ReLU(p.projBN.Apply(t, t.Conv2D(cat, b, p.projW, nil, conv1x1(5*c, h, w), 1), b, hw))
	down := ops.ConvGeom{C: c, H: h, W: w, KH: 4, KW: 4, StrideH: 4, StrideW: 4, DilH: 1, DilW: 1}
	return t.Conv2D(a, b, p.downW, p.downB, down, 1)
}

func (f *asfNet) trainForward(t *nn.Tape, s *sideNet, fvit, fx *nn.Var, b int) *nn.Var {
	n, e, nh := s.gh*s.gw, s.e, s.nh
	vh := f.vitProj.Apply(t, fvit)
	sh := f.sideProj.Apply(t, fx)
	scale := float32(1 / math.Sqrt(float64(e/nh)))
	var vouts, souts []*nn.Var
	for bi := 0; bi < b; bi++ {
		v := t.Rows(vh, e, bi*n, (bi+1)*n)
		sd := t.Rows(sh, e, bi*n, (bi+1)*n)
		level := fusionLevel(cosine(v.Data(), sd.Data())) // no gradient through s or L
		var vparts, sparts []*nn.Var
		for i, r := range stripRows(s.gh, level) {
			t0, t1 := r[0]*s.gw, r[1]*s.gw
			vparts = append(vparts, f.vitQuery[i].trainForward(t, t.Rows(v, e, t0, t1), sd, e, nh, scale))
			sparts = append(sparts, f.sideQuer[i].trainForward(t, t.Rows(sd, e, t0, t1), v, e, nh, scale))
		}
		vouts = append(vouts, t.Concat(1, e, vparts...))
		souts = append(souts, t.Concat(1, e, sparts...))
	}
	fc := t.Concat(b*n, 1, t.Concat(1, e, vouts...), t.Concat(1, e, souts...))
	gate := t.Sigmoid(f.gate.Apply(t, t.MeanRows(fc, b, n, 2*e)))
	return t.MulRows(fc, gate, b, n, 2*e)
}

func (ca *crossAttn) trainForward(t *nn.Tape, qx, kvx *nn.Var, e, nh int, scale float32) *nn.Var {
	nq, nk := qx.Len()/e, kvx.Len()/e
	q := ca.q.Apply(t, qx)
	k := ca.k.Apply(t, kvx)
	v := ca.v.Apply(t, kvx)
	att := t.AttentionT(q, 0, e, k, 0, e, v, 0, e, 1, nq, nk, nh, e/nh, scale)
	return t.Add(qx, ca.o.Apply(t, att))
}

func (g *mgaNet) trainForward(t *nn.Tape, s *sideNet, fvit, ffv, fsv *nn.Var, b int) *nn.Var {
	n, c, v := s.gh*s.gw, s.c, s.v
	j := g.joint.Apply(t, t.Concat(b*n, 1, fvit, ffv, fsv))
	inputs := [3]*nn.Var{fvit, ffv, fsv}
	a1 := t.ParamSlice(g.edgeA, 0, c, c, 1)
	a2 := t.ParamSlice(g.edgeA, c, 2*c, c, 1)
	w := t.Param(g.edgeW)
	var gs, es, ps [3]*nn.Var
	for k, kp := range g.kinds {
		xt := t.Mul(kp.t1.Apply(t, inputs[k]), t.Softmax(t.Add(kp.t2.Apply(t, inputs[k]), j), c))
		pooled := t.AdaptiveAvgPool(xt, b*n, c, v)         // [B*N, V]
		pt := t.Softmax(t.Transpose(pooled, b, n, v), n)   // P^T [B, V, N]
		gk := t.MatMul(pt, xt, b, v, n, c, false, false)   // G = P^T X~ [B, V, C]
		z := t.MatMul(gk, w, 1, b*v, c, c, false, false)   // Z = G W
		s1 := t.MatMul(z, a1, 1, b*v, c, 1, false, false)  // Z_i . a1
		s2 := t.MatMul(z, a2, 1, b*v, c, 1, false, false)  // Z_j . a2
		es[k] = t.LeakyReLU(t.OuterSum(s1, s2, b, v), 0.2) // [B, V, V]
		gs[k], ps[k] = gk, pt
	}
	alpha, beta := t.Param(g.alpha), t.Param(g.beta)
	fv := t.Add(t.Add(t.ScaleBy(gs[0], alpha, 0), t.ScaleBy(gs[1], alpha, 1)), t.ScaleBy(gs[2], alpha, 2))
	fe := t.Add(t.Add(t.ScaleBy(es[0], beta, 0), t.ScaleBy(es[1], beta, 1)), t.ScaleBy(es[2], beta, 2))
	fv = t.Add(fv, t.MatMul(t.Softmax(fe, v), fv, b, v, v, c, false, false))
	pbar := t.MulConst(t.Add(t.Add(ps[0], ps[1]), ps[2]), float32(1)/3)
	y := t.MatMul(pbar, fv, b, n, v, c, true, false) // Pbar [B, N, V] stored transposed
	grid := t.Transpose(y, b, n, c)                  // [B, C, N]
	out := t.ReLU(g.outBN.Apply(t, t.Conv2D(grid, b, g.outW, nil, conv1x1(c, s.gh, s.gw), 1), b, n))
	return t.Transpose(out, b, c, n)
}

// EnableGrads allocates gradients for the parameters that o trains and
// removes them from the others (frozen): in SideTuning every side.*
// parameter its variant uses and every keypoint_head.* parameter, in
// HeadOnly the head's, in FullTuning all (the side network's as in
// SideTuning). BatchNorm running statistics never get gradients.
func (m *Model) EnableGrads(o TrainOptions) {
	for _, p := range m.Params() {
		train := false
		side := hasPrefix(p.Name, "side.")
		switch o.Mode {
		case FullTuning:
			train = !side || (o.UseSide && o.Variant.Uses(p.Name))
		case SideTuning:
			train = (side && o.UseSide && o.Variant.Uses(p.Name)) || hasPrefix(p.Name, "keypoint_head.")
		case HeadOnly:
			train = hasPrefix(p.Name, "keypoint_head.")
		}
		if train && !p.Buffer {
			p.EnableGrad()
		} else {
			p.Grad = nil
		}
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
