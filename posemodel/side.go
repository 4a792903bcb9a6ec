package posemodel

import (
	"fmt"
	"math"
	"strconv"

	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/ops"
)

// sideNet is the ladder side network of SPEC.md sections 2-7. Its parameters
// are kept as loaded (BatchNorm separate); prepare builds the inference form
// with every BatchNorm folded into the convolution before it.
type sideNet struct {
	cfg            Config
	d, c, e, nh, v int
	gh, gw         int

	gates *nn.Param // side.ladder.gates [3]

	// Section 2: stem.
	stem1W, stem2W *nn.Param // [32, 3, 3, 3], [C, 32, 3, 3]
	stem1BN        *nn.BatchNorm
	stem2BN        *nn.BatchNorm

	// Section 3: two wavelet levels.
	freq [2]*freqLevel

	// Section 4: ASPP.
	aspp *asppNet

	// Section 5: adaptive symmetric fusion, fre and spa.
	asf [2]*asfNet

	// Section 6: multi-graph aggregation.
	mga *mgaNet

	// Section 7: output projection C -> D.
	outProj *nn.Linear

	// Inference form (prepare).
	stem1, stem2 *ops.Conv2D
}

type freqLevel struct {
	lowW, lowB   *nn.Param // [4C, C, 1, 1], [4C]
	highW, highB *nn.Param
	projW        *nn.Param // [C, 4C, 1, 1]
	bn           *nn.BatchNorm
	lowC, highC  *ops.Conv2D
	proj         *ops.Conv2D // with bn folded, ReLU
}

type asppNet struct {
	poolW, b1W, b2W, b3W, b4W *nn.Param // [C, C, k, k]
	projW                     *nn.Param // [C, 5C, 1, 1]
	poolBN, b1BN, b2BN        *nn.BatchNorm
	b3BN, b4BN, projBN        *nn.BatchNorm
	downW, downB              *nn.Param // [C, C, 4, 4], [C]

	pool, b1, b2, b3, b4, down *ops.Conv2D
	// The projection with its BatchNorm folded, split by input branch: the
	// pooling branch is constant over the map, so its share W0 * pooled is a
	// per-sample bias, and only the four spatial branches go through the
	// GEMM (projRest, [C, 4C]).
	projRest *ops.PackedA
	projW0   []float32 // [C, C]
	projBias []float32 // [C]
}

// crossAttn is CA(Q, KV) = Q + o(softmax(q(Q) k(KV)^T * scale) v(KV)).
type crossAttn struct{ q, k, v, o *nn.Linear }

type asfNet struct {
	prefix             string
	vitProj, sideProj  *nn.Linear
	vitQuery, sideQuer [4]*crossAttn
	gate               *nn.Linear
}

type kindProj struct{ t1, t2 *nn.Linear }

type mgaNet struct {
	joint       *nn.Linear
	kinds       [3]*kindProj // vit, fv, sv
	edgeW       *nn.Param    // [C, C]
	edgeA       *nn.Param    // [2C]
	alpha, beta *nn.Param    // [3]
	outW        *nn.Param    // [C, C, 1, 1]
	outBN       *nn.BatchNorm
	out         *nn.Linear // inference: the 1x1 conv with out_bn folded, on token rows
}

func newSideNet(cfg Config) *sideNet {
	sc := cfg.Side
	s := &sideNet{cfg: cfg, d: cfg.Dim, c: sc.Channels, e: sc.FusionWidth, nh: sc.FusionHeads, v: sc.Nodes,
		gh: cfg.GridH(), gw: cfg.GridW()}
	c, e, d := s.c, s.e, s.d
	s.gates = nn.NewParam("side.ladder.gates", 3)
	s.stem1W = nn.NewParam("side.stem.conv1.weight", 32, 3, 3, 3)
	s.stem1BN = nn.NewBatchNorm("side.stem.bn1", 32)
	s.stem2W = nn.NewParam("side.stem.conv2.weight", c, 32, 3, 3)
	s.stem2BN = nn.NewBatchNorm("side.stem.bn2", c)
	for j := range s.freq {
		p := "side.freq." + strconv.Itoa(j) + "."
		s.freq[j] = &freqLevel{
			lowW:  nn.NewParam(p+"low.weight", 4*c, c, 1, 1),
			lowB:  nn.NewParam(p+"low.bias", 4*c),
			highW: nn.NewParam(p+"high.weight", 4*c, c, 1, 1),
			highB: nn.NewParam(p+"high.bias", 4*c),
			projW: nn.NewParam(p+"proj.weight", c, 4*c, 1, 1),
			bn:    nn.NewBatchNorm(p+"bn", c),
		}
	}
	a := &asppNet{
		poolW: nn.NewParam("side.aspp.pool.conv.weight", c, c, 1, 1), poolBN: nn.NewBatchNorm("side.aspp.pool.bn", c),
		b1W: nn.NewParam("side.aspp.b1.conv.weight", c, c, 1, 1), b1BN: nn.NewBatchNorm("side.aspp.b1.bn", c),
		b2W: nn.NewParam("side.aspp.b2.conv.weight", c, c, 3, 3), b2BN: nn.NewBatchNorm("side.aspp.b2.bn", c),
		b3W: nn.NewParam("side.aspp.b3.conv.weight", c, c, 3, 3), b3BN: nn.NewBatchNorm("side.aspp.b3.bn", c),
		b4W: nn.NewParam("side.aspp.b4.conv.weight", c, c, 3, 3), b4BN: nn.NewBatchNorm("side.aspp.b4.bn", c),
		projW: nn.NewParam("side.aspp.proj.conv.weight", c, 5*c, 1, 1), projBN: nn.NewBatchNorm("side.aspp.proj.bn", c),
		downW: nn.NewParam("side.aspp.down.weight", c, c, 4, 4), downB: nn.NewParam("side.aspp.down.bias", c),
	}
	s.aspp = a
	for k, kind := range []string{"fre", "spa"} {
		p := "side.asf." + kind + "."
		f := &asfNet{prefix: p,
			vitProj:  nn.NewLinear(p+"vit_proj", d, e, true),
			sideProj: nn.NewLinear(p+"side_proj", c, e, true),
			gate:     nn.NewLinear(p+"gate", 2*e, 2*e, true),
		}
		for i := 0; i < 4; i++ {
			f.vitQuery[i] = newCrossAttn(p+"vit_query."+strconv.Itoa(i), e)
			f.sideQuer[i] = newCrossAttn(p+"side_query."+strconv.Itoa(i), e)
		}
		s.asf[k] = f
	}
	g := &mgaNet{
		joint: nn.NewLinear("side.mga.joint", d+2*c, c, true),
		edgeW: nn.NewParam("side.mga.edge_w", c, c),
		edgeA: nn.NewParam("side.mga.edge_a", 2*c),
		alpha: nn.NewParam("side.mga.alpha", 3),
		beta:  nn.NewParam("side.mga.beta", 3),
		outW:  nn.NewParam("side.mga.out.weight", c, c, 1, 1),
		outBN: nn.NewBatchNorm("side.mga.out_bn", c),
	}
	for k, kind := range []string{"vit", "fv", "sv"} {
		in := c
		if k == 0 {
			in = d
		}
		g.kinds[k] = &kindProj{t1: nn.NewLinear("side.mga."+kind+".t1", in, c, true), t2: nn.NewLinear("side.mga."+kind+".t2", in, c, true)}
	}
	for i := 0; i < 3; i++ {
		g.alpha.Data[i], g.beta.Data[i] = 1.0/3, 1.0/3
	}
	s.mga = g
	s.outProj = nn.NewLinear("side.out_proj", c, d, true)
	return s
}

func newCrossAttn(p string, e int) *crossAttn {
	return &crossAttn{q: nn.NewLinear(p+".q", e, e, true), k: nn.NewLinear(p+".k", e, e, true),
		v: nn.NewLinear(p+".v", e, e, true), o: nn.NewLinear(p+".o", e, e, true)}
}

func (ca *crossAttn) params() []*nn.Param {
	var ps []*nn.Param
	for _, l := range []*nn.Linear{ca.q, ca.k, ca.v, ca.o} {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// params lists every side parameter (SPEC.md names), BatchNorm statistics
// included.
func (s *sideNet) params() []*nn.Param {
	ps := []*nn.Param{s.gates, s.stem1W, s.stem2W}
	ps = append(ps, s.stem1BN.Params()...)
	ps = append(ps, s.stem2BN.Params()...)
	for _, f := range s.freq {
		ps = append(ps, f.lowW, f.lowB, f.highW, f.highB, f.projW)
		ps = append(ps, f.bn.Params()...)
	}
	a := s.aspp
	ps = append(ps, a.poolW, a.b1W, a.b2W, a.b3W, a.b4W, a.projW, a.downW, a.downB)
	for _, bn := range []*nn.BatchNorm{a.poolBN, a.b1BN, a.b2BN, a.b3BN, a.b4BN, a.projBN} {
		ps = append(ps, bn.Params()...)
	}
	for _, f := range s.asf {
		ps = append(ps, f.vitProj.Params()...)
		ps = append(ps, f.sideProj.Params()...)
		ps = append(ps, f.gate.Params()...)
		for i := 0; i < 4; i++ {
			ps = append(ps, f.vitQuery[i].params()...)
			ps = append(ps, f.sideQuer[i].params()...)
		}
	}
	g := s.mga
	ps = append(ps, g.joint.Params()...)
	for _, k := range g.kinds {
		ps = append(ps, k.t1.Params()...)
		ps = append(ps, k.t2.Params()...)
	}
	ps = append(ps, g.edgeW, g.edgeA, g.alpha, g.beta, g.outW)
	ps = append(ps, g.outBN.Params()...)
	ps = append(ps, s.outProj.Params()...)
	return ps
}

// foldedConv builds an inference convolution with its BatchNorm folded in.
func foldedConv(w *nn.Param, bn *nn.BatchNorm, p ops.Conv2DParams) (*ops.Conv2D, error) {
	fw := append([]float32(nil), w.Data...)
	fb := make([]float32, p.OutC)
	if bn != nil {
		scale, shift, err := bn.ScaleShift()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w.Name, err)
		}
		if err := ops.FoldBatchNorm(fw, fb, scale, shift); err != nil {
			return nil, fmt.Errorf("%s: %w", w.Name, err)
		}
	}
	c, err := ops.NewConv2D(fw, fb, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", w.Name, err)
	}
	return c, nil
}

func (s *sideNet) prepare() error {
	c := s.c
	relu := ops.ActReLU
	var err error
	if s.stem1, err = foldedConv(s.stem1W, s.stem1BN, ops.Conv2DParams{InC: 3, OutC: 32, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Act: relu}); err != nil {
		return err
	}
	if s.stem2, err = foldedConv(s.stem2W, s.stem2BN, ops.Conv2DParams{InC: 32, OutC: c, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Act: relu}); err != nil {
		return err
	}
	for _, f := range s.freq {
		if f.lowC, err = ops.NewConv2D(f.lowW.Data, f.lowB.Data, ops.Conv2DParams{InC: c, OutC: 4 * c, KH: 1, KW: 1}); err != nil {
			return fmt.Errorf("%s: %w", f.lowW.Name, err)
		}
		if f.highC, err = ops.NewConv2D(f.highW.Data, f.highB.Data, ops.Conv2DParams{InC: c, OutC: 4 * c, KH: 1, KW: 1}); err != nil {
			return fmt.Errorf("%s: %w", f.highW.Name, err)
		}
		if f.proj, err = foldedConv(f.projW, f.bn, ops.Conv2DParams{InC: 4 * c, OutC: c, KH: 1, KW: 1, Act: relu}); err != nil {
			return err
		}
	}
	a := s.aspp
	pw := func(w *nn.Param, bn *nn.BatchNorm, k, dil, in int) (*ops.Conv2D, error) {
		pad := 0
		if k == 3 {
			pad = dil
		}
		return foldedConv(w, bn, ops.Conv2DParams{InC: in, OutC: c, KH: k, KW: k, PadH: pad, PadW: pad, DilH: dil, DilW: dil, Act: relu})
	}
	if a.pool, err = pw(a.poolW, a.poolBN, 1, 1, c); err != nil {
		return err
	}
	if a.b1, err = pw(a.b1W, a.b1BN, 1, 1, c); err != nil {
		return err
	}
	if a.b2, err = pw(a.b2W, a.b2BN, 3, 3, c); err != nil {
		return err
	}
	if a.b3, err = pw(a.b3W, a.b3BN, 3, 6, c); err != nil {
		return err
	}
	if a.b4, err = pw(a.b4W, a.b4BN, 3, 9, c); err != nil {
		return err
	}
	{
		fw := append([]float32(nil), a.projW.Data...) // [C, 5C]
		fb := make([]float32, c)
		scale, shift, err := a.projBN.ScaleShift()
		if err != nil {
			return fmt.Errorf("%s: %w", a.projW.Name, err)
		}
		if err := ops.FoldBatchNorm(fw, fb, scale, shift); err != nil {
			return fmt.Errorf("%s: %w", a.projW.Name, err)
		}
		a.projW0 = make([]float32, c*c)
		rest := make([]float32, c*4*c)
		for o := 0; o < c; o++ {
			copy(a.projW0[o*c:(o+1)*c], fw[o*5*c:o*5*c+c])
			copy(rest[o*4*c:(o+1)*4*c], fw[o*5*c+c:(o+1)*5*c])
		}
		a.projRest = ops.PackA(c, 4*c, ops.RowMajor(rest, 4*c))
		a.projBias = fb
	}
	if a.down, err = ops.NewConv2D(a.downW.Data, a.downB.Data, ops.Conv2DParams{InC: c, OutC: c, KH: 4, KW: 4, StrideH: 4, StrideW: 4}); err != nil {
		return fmt.Errorf("%s: %w", a.downW.Name, err)
	}
	for _, f := range s.asf {
		f.vitProj.Pack()
		f.sideProj.Pack()
		f.gate.Pack()
		for i := 0; i < 4; i++ {
			for _, ca := range []*crossAttn{f.vitQuery[i], f.sideQuer[i]} {
				ca.q.Pack()
				ca.k.Pack()
				ca.v.Pack()
				ca.o.Pack()
			}
		}
	}
	g := s.mga
	g.joint.Pack()
	for _, k := range g.kinds {
		k.t1.Pack()
		k.t2.Pack()
	}
	// out: the 1x1 conv on the 16x12 grid is a linear map of each token's
	// channels; fold out_bn into it.
	scale, shift, err := g.outBN.ScaleShift()
	if err != nil {
		return fmt.Errorf("side.mga.out_bn: %w", err)
	}
	fw := append([]float32(nil), g.outW.Data...)
	fb := make([]float32, c)
	if err := ops.FoldBatchNorm(fw, fb, scale, shift); err != nil {
		return fmt.Errorf("side.mga.out: %w", err)
	}
	g.out = &nn.Linear{In: c, Out: c, W: &nn.Param{Name: "side.mga.out(folded)", Shape: []int{c, c}, Data: fw},
		B: &nn.Param{Name: "side.mga.out_bn(folded)", Shape: []int{c}, Data: fb}}
	g.out.Pack()
	s.outProj.Pack()
	return nil
}

// forward runs sections 2-7 and returns Z = F_last + out_proj(F_fus),
// [B*N, D] tokens.
func (s *sideNet) forward(ws *Workspace, m *Model, img []float32, b int, flast []float32, taps [3][]float32) []float32 {
	a := ws.arena
	n, d, c := s.gh*s.gw, s.d, s.c
	rows := b * n
	H, W := s.cfg.Input[0], s.cfg.Input[1]

	// Section 1.5: F_vit = F_last + sum_k g_k T_k.
	fvit := a.Floats(rows * d)
	g := s.gates.Data
	ops.ParallelFor(rows, 64, func(lo, hi int) {
		for i := lo * d; i < hi*d; i++ {
			fvit[i] = flast[i] + g[0]*taps[0][i] + g[1]*taps[1][i] + g[2]*taps[2][i]
		}
	})
	ws.put("f_vit", fvit, b, n, d)

	// Section 2: stem, G [B, C, H/4, W/4].
	t0 := ws.start()
	h1, w1 := (H+1)/2, (W+1)/2
	s1 := a.Floats(b * 32 * h1 * w1)
	must(s.stem1.Forward(s1, img, b, H, W, a.Floats(s.stem1.ScratchSize(b, H, W))))
	h2, w2 := (h1+1)/2, (w1+1)/2
	gmap := a.Floats(b * c * h2 * w2)
	must(s.stem2.Forward(gmap, s1, b, h1, w1, a.Floats(s.stem2.ScratchSize(b, h1, w1))))

	ws.done("stem", t0)

	// Section 3: frequency path.
	t0 = ws.start()
	x, hx, wx := gmap, h2, w2
	for _, f := range s.freq {
		x, hx, wx = f.forward(ws, x, b, c, hx, wx)
	}
	if hx != s.gh || wx != s.gw {
		panic(fmt.Sprintf("side: frequency path ends at %dx%d, want the %dx%d token grid", hx, wx, s.gh, s.gw))
	}
	ffre := a.Floats(rows * c)
	transposeBatch(ffre, x, b, c, n)
	ws.put("f_fre", ffre, b, n, c)

	ws.done("frequency", t0)

	// Section 4: ASPP.
	t0 = ws.start()
	fspaMap := s.aspp.forward(ws, gmap, b, c, h2, w2)
	fspa := a.Floats(rows * c)
	transposeBatch(fspa, fspaMap, b, c, n)
	ws.put("f_spa", fspa, b, n, c)

	ws.done("aspp", t0)

	// Section 5: adaptive symmetric fusion.
	t0 = ws.start()
	ffv, lfre, sfre := s.asf[0].forward(ws, s, fvit, ffre, b)
	ws.done("asf_fre", t0)
	t0 = ws.start()
	fsv, lspa, sspa := s.asf[1].forward(ws, s, fvit, fspa, b)
	ws.done("asf_spa", t0)
	ws.put("f_fv", ffv, b, n, c)
	ws.put("f_sv", fsv, b, n, c)
	ws.put("level_fre", lfre, b)
	ws.put("level_spa", lspa, b)
	ws.put("sim_fre", sfre, b)
	ws.put("sim_spa", sspa, b)

	// Section 6: multi-graph aggregation.
	t0 = ws.start()
	ffus := s.mga.forward(ws, s, fvit, ffv, fsv, b)
	ws.done("mga", t0)
	ws.put("f_fus", ffus, b, n, c)

	// Section 7: Z = F_last + out_proj(F_fus).
	t0 = ws.start()
	z := a.Floats(rows * d)
	copy(z, flast)
	s.outProj.Forward(z, d, ffus, c, rows, 1, ops.ActNone)
	ws.done("out_proj", t0)
	return z
}

// forward runs one wavelet level on x [B, C, h, w] and returns [B, C, h', w'].
func (f *freqLevel) forward(ws *Workspace, x []float32, b, c, h, w int) ([]float32, int, int) {
	a := ws.arena
	oh, ow := (h+1)/2, (w+1)/2
	hw := oh * ow
	sub := a.Floats(b * 4 * c * hw) // [B, 4C, h', w']: LL, LH, HL, HH
	ops.HaarDWT(sub, x, b, c, h, w)
	sl := a.Floats(b * c * hw) // LL + LH + HL
	sh := a.Floats(b * c * hw) // HH + LH + HL
	ops.ParallelFor(b*c, 8, func(lo, hi int) {
		for q := lo; q < hi; q++ {
			bi, ch := q/c, q%c
			base := bi * 4 * c * hw
			ll := sub[base+ch*hw : base+(ch+1)*hw]
			lh := sub[base+(c+ch)*hw : base+(c+ch+1)*hw]
			hl := sub[base+(2*c+ch)*hw : base+(2*c+ch+1)*hw]
			hh := sub[base+(3*c+ch)*hw : base+(3*c+ch+1)*hw]
			o := q * hw
			for i := 0; i < hw; i++ {
				sl[o+i] = (ll[i] + lh[i]) + hl[i]
				sh[o+i] = (hh[i] + lh[i]) + hl[i]
			}
		}
	})
	fl := a.Floats(b * 4 * c * hw)
	fh := a.Floats(b * 4 * c * hw)
	must(f.lowC.Forward(fl, sl, b, oh, ow, a.Floats(f.lowC.ScratchSize(b, oh, ow))))
	must(f.highC.Forward(fh, sh, b, oh, ow, a.Floats(f.highC.ScratchSize(b, oh, ow))))
	// A = softmax over the 4C channels of FL + FH at each pixel; F = A * sub.
	channelSoftmaxMul(fl, fh, sub, b, 4*c, hw, a.Floats(b*2*hw))
	out := a.Floats(b * c * hw)
	must(f.proj.Forward(out, fl, b, oh, ow, a.Floats(f.proj.ScratchSize(b, oh, ow))))
	return out, oh, ow
}

// channelSoftmaxMul sets s = softmax over channels (per sample and pixel) of
// s + t, times u, for NCHW maps [b, ch, hw]. work holds 2*hw values per
// sample. Every pixel is computed on its own, so the work is split into
// ranges of pixels (of one sample each): at batch 1 both cores work, and
// the result does not depend on the split.
func channelSoftmaxMul(s, t, u []float32, b, ch, hw int, work []float32) {
	const chunk = 64 // pixels per unit of work
	per := (hw + chunk - 1) / chunk
	ops.ParallelFor(b*per, 1, func(lo, hi int) {
		for q := lo; q < hi; q++ {
			bi := q / per
			p0 := q % per * chunk
			p1 := min(p0+chunk, hw)
			base := bi*ch*hw + p0
			mx := work[bi*2*hw+p0 : bi*2*hw+p1]
			sum := work[bi*2*hw+hw+p0 : bi*2*hw+hw+p1]
			for i := range mx {
				mx[i] = float32(math.Inf(-1))
			}
			for k := 0; k < ch; k++ {
				sk := s[base+k*hw : base+k*hw+len(mx)]
				tk := t[base+k*hw : base+k*hw+len(mx)]
				mx := mx[:len(sk)]
				for i := range sk {
					v := sk[i] + tk[i]
					sk[i] = v
					// A plain comparison: the max builtin's NaN and
					// signed-zero ordering costs branches per value. A
					// NaN skipped here still makes its pixel all NaN
					// through the exp and the sum.
					if v > mx[i] {
						mx[i] = v
					}
				}
			}
			clear(sum)
			for k := 0; k < ch; k++ {
				sk := s[base+k*hw : base+k*hw+len(mx)]
				for i := range sk {
					sk[i] -= mx[i]
				}
				ops.Exp(sk, sk)
				for i := range sk {
					sum[i] += sk[i]
				}
			}
			for k := 0; k < ch; k++ {
				sk := s[base+k*hw : base+k*hw+len(mx)]
				uk := u[base+k*hw : base+k*hw+len(mx)]
				for i := range sk {
					sk[i] = sk[i] / sum[i] * uk[i]
				}
			}
		}
	})
}

// forward runs ASPP on g [B, C, h, w] and returns the down-sampled map
// [B, C, h/4, w/4].
func (p *asppNet) forward(ws *Workspace, g []float32, b, c, h, w int) []float32 {
	a := ws.arena
	hw := h * w
	// b0: GAP -> 1x1 conv + BN + ReLU, constant over the map: it enters the
	// projection as a per-sample bias (projBias + W0 * pooled) instead of
	// being broadcast and multiplied at every position.
	gap := a.Floats(b * c)
	ops.GlobalAvgPool(gap, g, b*c, hw)
	pooled := a.Floats(b * c)
	must(p.pool.Forward(pooled, gap, b, 1, 1, a.Floats(p.pool.ScratchSize(b, 1, 1))))
	bias := a.Floats(b * c)
	for bi := 0; bi < b; bi++ {
		pv := pooled[bi*c : (bi+1)*c]
		for o := 0; o < c; o++ {
			acc := p.projBias[o]
			for i, v := range p.projW0[o*c : (o+1)*c] {
				acc += v * pv[i]
			}
			bias[bi*c+o] = acc
		}
	}
	// b1..b4 into one [4C, h, w] map, then the projection (+ BN + ReLU)
	// per sample. The three dilated branches read one copy of g padded by
	// the largest dilation.
	cat := a.Floats(4 * c * hw)
	pad := 0
	for _, conv := range []*ops.Conv2D{p.b2, p.b3, p.b4} {
		pad = max(pad, conv.Params().PadH, conv.Params().PadW)
	}
	plane := (h + 2*pad) * (w + 2*pad)
	gp := a.Floats(b * c * plane)
	ops.PadPlanes(gp, g, b*c, h, w, pad)
	proj := a.Floats(b * c * hw)
	for bi := 0; bi < b; bi++ {
		must(p.b1.Forward(cat[:c*hw], g[bi*c*hw:(bi+1)*c*hw], 1, h, w, nil))
		for k, conv := range []*ops.Conv2D{p.b2, p.b3, p.b4} {
			must(conv.ForwardPadded(cat[(k+1)*c*hw:(k+2)*c*hw], gp[bi*c*plane:(bi+1)*c*plane], 1, h, w, pad))
		}
		ops.GemmPackedA(hw, 1, p.projRest, ops.RowMajor(cat, hw), 0, ops.RowMajor(proj[bi*c*hw:(bi+1)*c*hw], hw),
			ops.Epilogue{Bias: bias[bi*c : (bi+1)*c], BiasPerRow: true, Act: ops.ActReLU})
	}
	oh, ow := h/4, w/4
	out := a.Floats(b * c * oh * ow)
	must(p.down.Forward(out, proj, b, h, w, a.Floats(p.down.ScratchSize(b, h, w))))
	return out
}

// fusionLevel maps a cosine similarity to the number of strips (SPEC.md
// section 5.2).
func fusionLevel(s float64) int {
	switch {
	case s >= 0.75:
		return 1
	case s >= 0.5:
		return 2
	case s >= 0.25:
		return 3
	}
	return 4
}

// stripRows returns the row ranges of level L strips over h rows, as
// torch.tensor_split: the first h%L strips get one extra row.
func stripRows(h, level int) [][2]int {
	out := make([][2]int, level)
	r := 0
	for i := range out {
		n := h / level
		if i < h%level {
			n++
		}
		out[i] = [2]int{r, r + n}
		r += n
	}
	return out
}

// cosine returns the cosine similarity of x and y in float64 (0 if either
// norm is 0).
func cosine(x, y []float32) float64 {
	var dot, nx, ny float64
	for i, v := range x {
		w := float64(y[i])
		dot += float64(v) * w
		nx += float64(v) * float64(v)
		ny += w * w
	}
	if nx == 0 || ny == 0 {
		return 0
	}
	return dot / (math.Sqrt(nx) * math.Sqrt(ny))
}

// forward runs ASF on F_vit [B*N, D] and F_x [B*N, C] and returns the fused
// tokens [B*N, 2e], and the level and similarity of each sample.
func (f *asfNet) forward(ws *Workspace, s *sideNet, fvit, fx []float32, b int) ([]float32, []float32, []float32) {
	a := ws.arena
	n, e, nh := s.gh*s.gw, s.e, s.nh
	rows := b * n
	vh := a.Floats(rows * e)
	sh := a.Floats(rows * e)
	f.vitProj.Forward(vh, e, fvit, s.d, rows, 0, ops.ActNone)
	f.sideProj.Forward(sh, e, fx, s.c, rows, 0, ops.ActNone)
	levels := a.Floats(b)
	sims := a.Floats(b)
	for bi := 0; bi < b; bi++ {
		sim := cosine(vh[bi*n*e:(bi+1)*n*e], sh[bi*n*e:(bi+1)*n*e])
		sims[bi] = float32(sim)
		levels[bi] = float32(fusionLevel(sim))
	}
	fc := a.Floats(rows * 2 * e) // [B*N, 2e]: Vh' | Sh'
	// Scratch per (sample, direction) task: k, v [N, e], q and attention
	// output [N, e], probabilities [nh, N, N].
	per := 4*n*e + nh*n*n
	work := a.Floats(2 * b * per)
	scale := float32(1 / math.Sqrt(float64(e/nh)))
	ops.ParallelFor(2*b, 1, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			bi, dir := t/2, t%2
			w := work[t*per : (t+1)*per]
			qsrc, kvsrc := vh[bi*n*e:(bi+1)*n*e], sh[bi*n*e:(bi+1)*n*e]
			mods := f.vitQuery
			col := 0
			if dir == 1 {
				qsrc, kvsrc = kvsrc, qsrc
				mods = f.sideQuer
				col = e
			}
			for i, r := range stripRows(s.gh, int(levels[bi])) {
				t0, t1 := r[0]*s.gw, r[1]*s.gw
				out := fc[(bi*n+t0)*2*e+col:]
				mods[i].forward(out, 2*e, qsrc[t0*e:t1*e], t1-t0, kvsrc, n, e, nh, scale, w)
			}
		}
	})
	// Gate: g = sigmoid(gate(mean over tokens of F_c)); out = g * F_c.
	mean := a.Floats(b * 2 * e)
	for bi := 0; bi < b; bi++ {
		mrow := mean[bi*2*e : (bi+1)*2*e]
		clear(mrow)
		for t := 0; t < n; t++ {
			r := fc[(bi*n+t)*2*e : (bi*n+t+1)*2*e]
			for j, v := range r {
				mrow[j] += v
			}
		}
		inv := float32(n)
		for j := range mrow {
			mrow[j] /= inv
		}
	}
	gate := a.Floats(b * 2 * e)
	f.gate.Forward(gate, 2*e, mean, 2*e, b, 0, ops.ActNone)
	ops.Sigmoid(gate, gate)
	ops.ParallelFor(rows, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			g := gate[(r/n)*2*e : (r/n+1)*2*e]
			row := fc[r*2*e : (r+1)*2*e]
			for j := range row {
				row[j] *= g[j]
			}
		}
	})
	return fc, levels, sims
}

// forward writes CA(Q, KV) = Q + o(attention(q(Q), k(KV), v(KV))) for the
// nq query rows qx [nq, e] and the nk key/value rows kvx [nk, e] into out
// (row stride ldo). w is scratch of 4*nk*e + nh*nk*nk values (nq <= nk).
func (ca *crossAttn) forward(out []float32, ldo int, qx []float32, nq int, kvx []float32, nk, e, nh int, scale float32, w []float32) {
	k := w[:nk*e]
	v := w[nk*e : 2*nk*e]
	q := w[2*nk*e : 2*nk*e+nq*e]
	o := w[3*nk*e : 3*nk*e+nq*e]
	probs := w[4*nk*e : 4*nk*e+nh*nq*nk]
	ca.q.Forward(q, e, qx, e, nq, 0, ops.ActNone)
	ca.k.Forward(k, e, kvx, e, nk, 0, ops.ActNone)
	ca.v.Forward(v, e, kvx, e, nk, 0, ops.ActNone)
	nn.AttentionSerial(o, e, q, e, k, e, v, e, 1, nq, nk, nh, e/nh, scale, probs)
	for r := 0; r < nq; r++ {
		copy(out[r*ldo:r*ldo+e], qx[r*e:(r+1)*e])
	}
	ca.o.Forward(out, ldo, o, e, nq, 1, ops.ActNone)
}

// forward runs MGA on F_vit [B*N, D], F_fv and F_sv [B*N, C] and returns
// F_fus [B*N, C].
func (g *mgaNet) forward(ws *Workspace, s *sideNet, fvit, ffv, fsv []float32, b int) []float32 {
	a := ws.arena
	n, d, c, v := s.gh*s.gw, s.d, s.c, s.v
	rows := b * n
	// 1. Joint J = joint(Concat(F_vit, F_fv, F_sv)).
	cat := a.Floats(rows * (d + 2*c))
	ops.ParallelFor(rows, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			dst := cat[r*(d+2*c) : (r+1)*(d+2*c)]
			copy(dst[:d], fvit[r*d:(r+1)*d])
			copy(dst[d:d+c], ffv[r*c:(r+1)*c])
			copy(dst[d+c:], fsv[r*c:(r+1)*c])
		}
	})
	j := a.Floats(rows * c)
	g.joint.Forward(j, c, cat, d+2*c, rows, 0, ops.ActNone)

	inputs := [3][]float32{fvit, ffv, fsv}
	widths := [3]int{d, c, c}
	var gs, es, pts [3][]float32
	for k, kp := range g.kinds {
		// 2. X~ = T1 * softmax_channels(T2 + J).
		t1 := a.Floats(rows * c)
		t2 := a.Floats(rows * c)
		kp.t1.Forward(t1, c, inputs[k], widths[k], rows, 0, ops.ActNone)
		kp.t2.Forward(t2, c, inputs[k], widths[k], rows, 0, ops.ActNone)
		for i := range t2 {
			t2[i] += j[i]
		}
		ops.Softmax(t2, c)
		xt := t1
		for i := range xt {
			xt[i] *= t2[i]
		}
		// 3. P = softmax over tokens of AAP_V(X~), kept transposed as
		// PT [B, V, N]; G = P^T X~ [B, V, C].
		pooled := a.Floats(rows * v)
		ops.AdaptiveAvgPool1D(pooled, xt, rows, c, 1, v)
		pt := a.Floats(b * v * n)
		transposeBatch(pt, pooled, b, n, v)
		ops.Softmax(pt, n)
		gk := a.Floats(b * v * c)
		for bi := 0; bi < b; bi++ {
			ops.Gemm(v, c, n, 1, ops.RowMajor(pt[bi*v*n:], n), ops.RowMajor(xt[bi*n*c:], c), 0, ops.RowMajor(gk[bi*v*c:], c), ops.Epilogue{})
		}
		// 4. Edges: Z = G W; e_ij = LeakyReLU(Z_i . a1 + Z_j . a2).
		z := a.Floats(b * v * c)
		ops.Gemm(b*v, c, c, 1, ops.RowMajor(gk, c), ops.RowMajor(g.edgeW.Data, c), 0, ops.RowMajor(z, c), ops.Epilogue{})
		s1 := a.Floats(b * v)
		s2 := a.Floats(b * v)
		a1, a2 := g.edgeA.Data[:c], g.edgeA.Data[c:]
		for r := 0; r < b*v; r++ {
			zr := z[r*c : (r+1)*c]
			var x1, x2 float32
			for i, zv := range zr {
				x1 += zv * a1[i]
				x2 += zv * a2[i]
			}
			s1[r], s2[r] = x1, x2
		}
		ek := a.Floats(b * v * v)
		for bi := 0; bi < b; bi++ {
			for i := 0; i < v; i++ {
				for jj := 0; jj < v; jj++ {
					ek[(bi*v+i)*v+jj] = s1[bi*v+i] + s2[bi*v+jj]
				}
			}
		}
		ops.LeakyReLU(ek, ek, 0.2)
		gs[k], es[k], pts[k] = gk, ek, pt
	}
	// 5. Fv = sum alpha_X G_X; Fe = sum beta_X e_X.
	al, be := g.alpha.Data, g.beta.Data
	fv := a.Floats(b * v * c)
	for i := range fv {
		fv[i] = (al[0]*gs[0][i] + al[1]*gs[1][i]) + al[2]*gs[2][i]
	}
	fe := a.Floats(b * v * v)
	for i := range fe {
		fe[i] = (be[0]*es[0][i] + be[1]*es[1][i]) + be[2]*es[2][i]
	}
	// 6. Fv <- Fv + softmax_k(Fe) Fv.
	ops.Softmax(fe, v)
	fv2 := a.Floats(b * v * c)
	copy(fv2, fv)
	for bi := 0; bi < b; bi++ {
		ops.Gemm(v, c, v, 1, ops.RowMajor(fe[bi*v*v:], v), ops.RowMajor(fv[bi*v*c:], c), 1, ops.RowMajor(fv2[bi*v*c:], c), ops.Epilogue{})
	}
	// 7. Y = Pbar Fv with Pbar = (P_vit + P_fv + P_sv)/3.
	pbarT := a.Floats(b * v * n)
	for i := range pbarT {
		pbarT[i] = ((pts[0][i] + pts[1][i]) + pts[2][i]) / 3
	}
	y := a.Floats(rows * c)
	for bi := 0; bi < b; bi++ {
		ops.Gemm(n, c, v, 1, ops.ColMajor(pbarT[bi*v*n:], n), ops.RowMajor(fv2[bi*v*c:], c), 0, ops.RowMajor(y[bi*n*c:], c), ops.Epilogue{})
	}
	// 8. F_fus = ReLU(BN(Conv1x1(Y))): per token, a linear map of channels.
	out := a.Floats(rows * c)
	g.out.Forward(out, c, y, c, rows, 0, ops.ActReLU)
	return out
}
