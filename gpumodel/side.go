package gpumodel

import (
	"math"
	"strconv"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/ops"
	"github.com/ladderpose/ladderpose/posemodel"
)

// sideNet is the ladder side network of SPEC.md sections 2-7 on the
// device, every BatchNorm folded into the convolution before it.
type sideNet struct {
	d, c, e, nh, v int
	gh, gw         int
	h, w           int // input size

	gates [3]float32 // side.ladder.gates

	stem1, stem2 *gpu.Conv2D // section 2
	freq         [2]freqLevel
	aspp         asppNet
	asf          [2]asfNet
	mga          mgaNet
	outW, outB   gpu.Buf // side.out_proj
}

type freqLevel struct {
	low, high, proj *gpu.Conv2D
}

type asppNet struct {
	poolW, poolB             gpu.Buf // the pool branch's 1x1 conv on [B, C], BN folded
	b1, b2, b3, b4, proj, dn *gpu.Conv2D
}

// asfNet is one adaptive symmetric fusion. The four cross-attention
// modules of each direction are stacked: q, k and v weights [4e, e] with
// biases [4e] (module m at rows m*e ..), o weights [4, e, e] and biases
// [4e].
type asfNet struct {
	vitW, vitB, sideW, sideB gpu.Buf
	gateW, gateB             gpu.Buf
	dir                      [2]stackedCA // 0: vit_query (ViT queries), 1: side_query
}

type stackedCA struct {
	qW, qB, kW, kB, vW, vB, oW, oB gpu.Buf
}

type mgaNet struct {
	jointW, jointB gpu.Buf
	t1W, t1B       [3]gpu.Buf // kinds vit, fv, sv
	t2W, t2B       [3]gpu.Buf
	edgeW, edgeA   gpu.Buf
	alpha, beta    [3]float32
	outW, outB     gpu.Buf // side.mga.out with out_bn folded, as a linear map
}

// buildSide schedules the side network's weights.
func buildSide(u *uploader, ps paramSet, cfg posemodel.Config) *sideNet {
	sc := cfg.Side
	s := &sideNet{d: cfg.Dim, c: sc.Channels, e: sc.FusionWidth, nh: sc.FusionHeads, v: sc.Nodes,
		gh: cfg.GridH(), gw: cfg.GridW(), h: cfg.Input[0], w: cfg.Input[1]}
	c, e, d := s.c, s.e, s.d
	u.scalars(ps, s.gates[:], "side.ladder.gates")
	u.convBN(ps, &s.stem1, "side.stem.conv1.weight", "side.stem.bn1",
		ops.Conv2DParams{InC: 3, OutC: 32, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Act: actReLU})
	u.convBN(ps, &s.stem2, "side.stem.conv2.weight", "side.stem.bn2",
		ops.Conv2DParams{InC: 32, OutC: c, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Act: actReLU})
	for j := range s.freq {
		p := "side.freq." + strconv.Itoa(j) + "."
		f := &s.freq[j]
		for _, br := range []struct {
			dst  **gpu.Conv2D
			name string
		}{{&f.low, "low"}, {&f.high, "high"}} {
			w, err := ps.get(p+br.name+".weight", 4*c*c)
			if err != nil {
				u.fail(err)
				continue
			}
			b, err := ps.get(p+br.name+".bias", 4*c)
			if err != nil {
				u.fail(err)
				continue
			}
			u.conv(br.dst, w, b, ops.Conv2DParams{InC: c, OutC: 4 * c, KH: 1, KW: 1})
		}
		u.convBN(ps, &f.proj, p+"proj.weight", p+"bn", ops.Conv2DParams{InC: 4 * c, OutC: c, KH: 1, KW: 1, Act: actReLU})
	}
	a := &s.aspp
	if w, err := ps.get("side.aspp.pool.conv.weight", c*c); err != nil {
		u.fail(err)
	} else if fw, fb, err := foldBN(ps, w, c, "side.aspp.pool.bn", 0); err != nil {
		u.fail(err)
	} else {
		u.add(&a.poolW, fw)
		u.add(&a.poolB, fb)
	}
	branch := func(dst **gpu.Conv2D, name string, k, dil, in int) {
		pad := 0
		if k == 3 {
			pad = dil
		}
		u.convBN(ps, dst, "side.aspp."+name+".conv.weight", "side.aspp."+name+".bn",
			ops.Conv2DParams{InC: in, OutC: c, KH: k, KW: k, PadH: pad, PadW: pad, DilH: dil, DilW: dil, Act: actReLU})
	}
	branch(&a.b1, "b1", 1, 1, c)
	branch(&a.b2, "b2", 3, 3, c)
	branch(&a.b3, "b3", 3, 6, c)
	branch(&a.b4, "b4", 3, 9, c)
	branch(&a.proj, "proj", 1, 1, 5*c)
	if w, err := ps.get("side.aspp.down.weight", c*c*16); err != nil {
		u.fail(err)
	} else if b, err := ps.get("side.aspp.down.bias", c); err != nil {
		u.fail(err)
	} else {
		u.conv(&a.dn, w, b, ops.Conv2DParams{InC: c, OutC: c, KH: 4, KW: 4, StrideH: 4, StrideW: 4})
	}
	for k, kind := range []string{"fre", "spa"} {
		p := "side.asf." + kind + "."
		f := &s.asf[k]
		u.linear(ps, &f.vitW, &f.vitB, p+"vit_proj", d, e)
		u.linear(ps, &f.sideW, &f.sideB, p+"side_proj", c, e)
		u.linear(ps, &f.gateW, &f.gateB, p+"gate", 2*e, 2*e)
		for dir, q := range []string{"vit_query.", "side_query."} {
			st := &f.dir[dir]
			for _, l := range []struct {
				w, b *gpu.Buf
				name string
			}{{&st.qW, &st.qB, "q"}, {&st.kW, &st.kB, "k"}, {&st.vW, &st.vB, "v"}, {&st.oW, &st.oB, "o"}} {
				var ws, bs []float32
				for m := 0; m < 4; m++ {
					name := p + q + strconv.Itoa(m) + "." + l.name
					w, err := ps.get(name+".weight", e*e)
					if err != nil {
						u.fail(err)
						continue
					}
					b, err := ps.get(name+".bias", e)
					if err != nil {
						u.fail(err)
						continue
					}
					ws = append(ws, w...)
					bs = append(bs, b...)
				}
				u.add(l.w, ws)
				u.add(l.b, bs)
			}
		}
	}
	g := &s.mga
	u.linear(ps, &g.jointW, &g.jointB, "side.mga.joint", d+2*c, c)
	for k, kind := range []string{"vit", "fv", "sv"} {
		in := c
		if k == 0 {
			in = d
		}
		u.linear(ps, &g.t1W[k], &g.t1B[k], "side.mga."+kind+".t1", in, c)
		u.linear(ps, &g.t2W[k], &g.t2B[k], "side.mga."+kind+".t2", in, c)
	}
	u.param(ps, &g.edgeW, "side.mga.edge_w", c*c)
	u.param(ps, &g.edgeA, "side.mga.edge_a", 2*c)
	u.scalars(ps, g.alpha[:], "side.mga.alpha")
	u.scalars(ps, g.beta[:], "side.mga.beta")
	if w, err := ps.get("side.mga.out.weight", c*c); err != nil {
		u.fail(err)
	} else if fw, fb, err := foldBN(ps, w, c, "side.mga.out_bn", 0); err != nil {
		u.fail(err)
	} else {
		u.add(&g.outW, fw)
		u.add(&g.outB, fb)
	}
	u.linear(ps, &s.outW, &s.outB, "side.out_proj", c, d)
	return s
}

// forward runs sections 1.5 and 2-7 and returns Z = F_last +
// out_proj(F_fus), [B*N, D].
func (s *sideNet) forward(r *run, g *Model, img gpu.Buf, b int, flast gpu.Buf, taps [3]gpu.Buf) gpu.Buf {
	n, d, c := s.gh*s.gw, s.d, s.c
	rows := b * n
	// Section 1.5: F_vit = F_last + sum_k g_k T_k.
	fvit := r.alloc(rows * d)
	r.ok(r.d.LadderGates(fvit, flast, taps, s.gates, rows*d))
	r.put("f_vit", fvit, b, n, d)

	// Section 2: the stem, G [B, C, H/4, W/4].
	h1, w1 := s.stem1.OutSize(s.h, s.w)
	h2, w2 := s.stem2.OutSize(h1, w1)
	gmap := r.alloc(b * c * h2 * w2)
	mark := r.a.Mark()
	s1 := r.alloc(b * 32 * h1 * w1)
	r.ok(r.d.Conv2D(s.stem1, s1, img, b, s.h, s.w, r.alloc(s.stem1.ScratchSize(b, s.h, s.w))))
	r.ok(r.d.Conv2D(s.stem2, gmap, s1, b, h1, w1, r.alloc(s.stem2.ScratchSize(b, h1, w1))))
	r.a.Release(mark)
	r.done("stem")

	// Section 3: the frequency path; F_fre = tokens of level 1's output.
	ffre := r.alloc(rows * c)
	mark = r.a.Mark()
	x, hx, wx := gmap, h2, w2
	for i := range s.freq {
		x, hx, wx = s.freq[i].forward(r, x, b, c, hx, wx)
	}
	if (hx != s.gh || wx != s.gw) && r.err == nil {
		r.err = errGrid(hx, wx, s.gh, s.gw)
	}
	r.ok(r.d.TransposeBatch(ffre, x, b, c, n))
	r.a.Release(mark)
	r.done("frequency")
	r.put("f_fre", ffre, b, n, c)

	// Section 4: ASPP; F_spa = tokens of its down-sampled output.
	fspa := r.alloc(rows * c)
	mark = r.a.Mark()
	sp := s.aspp.forward(r, gmap, b, c, h2, w2)
	r.ok(r.d.TransposeBatch(fspa, sp, b, c, n))
	r.a.Release(mark)
	r.done("aspp")
	r.put("f_spa", fspa, b, n, c)

	// Section 5: the two fusions.
	ffv, lfre, sfre := s.asfForward(r, &s.asf[0], fvit, ffre, b)
	r.done("asf_fre")
	fsv, lspa, sspa := s.asfForward(r, &s.asf[1], fvit, fspa, b)
	r.done("asf_spa")
	r.put("f_fv", ffv, b, n, c)
	r.put("f_sv", fsv, b, n, c)
	r.put("level_fre", lfre, b)
	r.put("level_spa", lspa, b)
	r.put("sim_fre", sfre, b)
	r.put("sim_spa", sspa, b)

	// Section 6: multi-graph aggregation.
	ffus := s.mgaForward(r, fvit, ffv, fsv, b)
	r.done("mga")
	r.put("f_fus", ffus, b, n, c)

	// Section 7: Z = F_last + out_proj(F_fus).
	z := r.alloc(rows * d)
	r.ok(r.d.Copy(z, flast))
	r.ok(r.d.Linear(z, ffus, rows, c, d, s.outW, s.outB, 1, actNone))
	r.done("out_proj")
	return z
}

// forward runs one wavelet level on x [B, C, h, w] and returns [B, C, h',
// w'] (allocated in the arena).
func (f *freqLevel) forward(r *run, x gpu.Buf, b, c, h, w int) (gpu.Buf, int, int) {
	oh, ow := (h+1)/2, (w+1)/2
	hw := oh * ow
	out := r.alloc(b * c * hw)
	sub := r.alloc(b * 4 * c * hw) // LL, LH, HL, HH
	r.ok(r.d.HaarDWT(sub, x, b, c, h, w))
	sl, sh := r.alloc(b*c*hw), r.alloc(b*c*hw)
	r.ok(r.d.FreqMix(sl, sh, sub, b, c, hw))
	fl, fh := r.alloc(b*4*c*hw), r.alloc(b*4*c*hw)
	r.ok(r.d.Conv2D(f.low, fl, sl, b, oh, ow, gpu.Buf{}))
	r.ok(r.d.Conv2D(f.high, fh, sh, b, oh, ow, gpu.Buf{}))
	// A = softmax over the 4C channels of F_L + F_H; F = A * subbands.
	r.ok(r.d.ChannelSoftmaxMul(fl, fh, sub, b, 4*c, hw))
	r.ok(r.d.Conv2D(f.proj, out, fl, b, oh, ow, gpu.Buf{}))
	return out, oh, ow
}

// forward runs ASPP on g [B, C, h, w] and returns the down-sampled map
// [B, C, h/4, w/4].
func (p *asppNet) forward(r *run, g gpu.Buf, b, c, h, w int) gpu.Buf {
	hw := h * w
	oh, ow := p.dn.OutSize(h, w)
	out := r.alloc(b * c * oh * ow)
	cat := r.alloc(b * 5 * c * hw) // b0, b1, b2, b3, b4
	// b0: GAP -> 1x1 conv + BN + ReLU -> broadcast.
	gap, pooled := r.alloc(b*c), r.alloc(b*c)
	r.ok(r.d.GlobalAvgPool(gap, g, b*c, hw, r.alloc(gpu.ReduceScratch(b*c))))
	r.ok(r.d.Linear(pooled, gap, b, c, c, p.poolW, p.poolB, 0, actReLU))
	r.ok(r.d.FillPlanes(cat, pooled, b, c, hw, 5*c))
	br := r.alloc(b * c * hw)
	scratch := r.alloc(max(p.b2.ScratchSize(b, h, w), p.b3.ScratchSize(b, h, w), p.b4.ScratchSize(b, h, w)))
	for k, conv := range []*gpu.Conv2D{p.b1, p.b2, p.b3, p.b4} {
		r.ok(r.d.Conv2D(conv, br, g, b, h, w, scratch))
		// Into channels (k+1)C.. of each sample of cat.
		r.ok(r.d.CopyCols(cat.From((k+1)*c*hw), 5*c*hw, br, c*hw, b, c*hw))
	}
	proj := r.alloc(b * c * hw)
	r.ok(r.d.Conv2D(p.proj, proj, cat, b, h, w, gpu.Buf{}))
	r.ok(r.d.Conv2D(p.dn, out, proj, b, h, w, r.alloc(p.dn.ScratchSize(b, h, w))))
	return out
}

// asfForward runs ASF on F_vit [B*N, D] and F_x [B*N, C] and returns the
// fused tokens [B*N, 2e] and each sample's level and similarity [B].
//
// The strips of a sample depend on its level, computed on the device; to
// keep the host free of data-dependent control flow, every one of the four
// cross-attention modules of a direction runs on all N query rows (their
// weights stacked, as one attention of 4*nh heads), and a kernel then takes
// for each token the output of the module whose strip holds it. The result
// is the same as running each module on its strip only.
func (s *sideNet) asfForward(r *run, f *asfNet, fvit, fx gpu.Buf, b int) (gpu.Buf, gpu.Buf, gpu.Buf) {
	n, e, nh := s.gh*s.gw, s.e, s.nh
	rows := b * n
	fc := r.alloc(rows * 2 * e) // Vh' | Sh'
	levels, sims := r.alloc(b), r.alloc(b)
	mark := r.a.Mark()
	vh, sh := r.alloc(rows*e), r.alloc(rows*e)
	r.ok(r.d.Linear(vh, fvit, rows, s.d, e, f.vitW, f.vitB, 0, actNone))
	r.ok(r.d.Linear(sh, fx, rows, s.c, e, f.sideW, f.sideB, 0, actNone))
	r.ok(r.d.CosineLevel(sims, levels, vh, sh, b, n*e, r.alloc(gpu.CosineScratch(b))))

	q, k, v := r.alloc(rows*4*e), r.alloc(rows*4*e), r.alloc(rows*4*e)
	o, out := r.alloc(rows*4*e), r.alloc(rows*4*e)
	hd := e / nh
	scratch := r.alloc(gpu.AttentionScratch(b, n, n, 4*nh, hd))
	scale := float32(1 / math.Sqrt(float64(hd)))
	for dir := 0; dir < 2; dir++ {
		st := &f.dir[dir]
		qsrc, kvsrc := vh, sh
		if dir == 1 {
			qsrc, kvsrc = sh, vh
		}
		r.ok(r.d.Linear(q, qsrc, rows, e, 4*e, st.qW, st.qB, 0, actNone))
		r.ok(r.d.Linear(k, kvsrc, rows, e, 4*e, st.kW, st.kB, 0, actNone))
		r.ok(r.d.Linear(v, kvsrc, rows, e, 4*e, st.vW, st.vB, 0, actNone))
		r.ok(r.d.Attention(o, 4*e, 0, q, 4*e, 0, k, 4*e, 0, v, 4*e, 0, b, n, n, 4*nh, hd, scale, scratch))
		// out[:, m-block] = o[:, m-block] W_o_m^T (+ the stacked bias).
		r.ok(r.d.GemmStrided(false, true, rows, e, e, 1, o, 4*e, e, st.oW, e, e*e, 0, out, 4*e, e, 4))
		r.ok(r.d.BiasAct(out, rows*4*e, st.oB, 1, 4*e, actNone))
		r.ok(r.d.StripSelect(fc.From(dir*e), 2*e, qsrc, e, out, 4*e, levels, b, s.gh, s.gw, e))
	}
	// Gate: g = sigmoid(gate(mean over tokens of F_c)); out = g * F_c.
	mean, gate := r.alloc(b*2*e), r.alloc(b*2*e)
	r.ok(r.d.MeanTokens(mean, fc, b, n, 2*e))
	r.ok(r.d.Linear(gate, mean, b, 2*e, 2*e, f.gateW, f.gateB, 0, actNone))
	r.ok(r.d.GateMul(fc, gate, b, n, 2*e))
	r.a.Release(mark)
	return fc, levels, sims
}

// mgaForward runs MGA (SPEC.md section 6) and returns F_fus [B*N, C].
func (s *sideNet) mgaForward(r *run, fvit, ffv, fsv gpu.Buf, b int) gpu.Buf {
	g := &s.mga
	n, d, c, v := s.gh*s.gw, s.d, s.c, s.v
	rows := b * n
	out := r.alloc(rows * c)
	mark := r.a.Mark()
	// 1. J = joint(Concat(F_vit, F_fv, F_sv)).
	w := d + 2*c
	cat := r.alloc(rows * w)
	r.ok(r.d.CopyCols(cat, w, fvit, d, rows, d))
	r.ok(r.d.CopyCols(cat.From(d), w, ffv, c, rows, c))
	r.ok(r.d.CopyCols(cat.From(d+c), w, fsv, c, rows, c))
	j := r.alloc(rows * c)
	r.ok(r.d.Linear(j, cat, rows, w, c, g.jointW, g.jointB, 0, actNone))

	inputs, widths := [3]gpu.Buf{fvit, ffv, fsv}, [3]int{d, c, c}
	var gs, pts, s1, s2 [3]gpu.Buf
	t1, t2, z := r.alloc(rows*c), r.alloc(rows*c), r.alloc(b*v*c)
	red := r.alloc(gpu.ReduceScratch(rows))
	for k := 0; k < 3; k++ {
		// 2. X~ = T1 * softmax_channels(T2 + J), in t1.
		r.ok(r.d.Linear(t1, inputs[k], rows, widths[k], c, g.t1W[k], g.t1B[k], 0, actNone))
		r.ok(r.d.Linear(t2, inputs[k], rows, widths[k], c, g.t2W[k], g.t2B[k], 0, actNone))
		r.ok(r.d.MGAMix(t1, t2, j, rows, c, red))
		// 3. P^T [B, V, N] = softmax over tokens of AAP_V(X~); G = P^T X~.
		pts[k], gs[k] = r.alloc(b*v*n), r.alloc(b*v*c)
		r.ok(r.d.MGAProject(pts[k], t1, b, n, c, v, red))
		r.ok(r.d.GemmStrided(false, false, v, c, n, 1, pts[k], n, v*n, t1, c, n*c, 0, gs[k], c, v*c, b))
		// 4. Z = G W; the edge scores' two halves.
		r.ok(r.d.Gemm(false, false, b*v, c, c, 1, gs[k], c, g.edgeW, c, 0, z, c))
		s1[k], s2[k] = r.alloc(b*v), r.alloc(b*v)
		r.ok(r.d.MGAScores(s1[k], s2[k], z, g.edgeA, b*v, c))
	}
	// 5. Fv = sum alpha G; Fe = sum beta e.
	fv, fe := r.alloc(b*v*c), r.alloc(b*v*v)
	r.ok(r.d.WeightedSum3(fv, gs, g.alpha, b*v*c))
	r.ok(r.d.MGAEdges(fe, s1, s2, g.beta, b, v))
	// 6. Fv <- Fv + softmax_k(Fe) Fv.
	r.ok(r.d.Softmax(fe, b*v, v, red))
	fv2 := r.alloc(b * v * c)
	r.ok(r.d.Copy(fv2, fv))
	r.ok(r.d.GemmStrided(false, false, v, c, v, 1, fe, v, v*v, fv, c, v*c, 1, fv2, c, v*c, b))
	// 7. Y = Pbar Fv, Pbar = (P_vit + P_fv + P_sv)/3 (kept transposed).
	pbarT := r.alloc(b * v * n)
	r.ok(r.d.Mean3(pbarT, pts[0], pts[1], pts[2], b*v*n))
	y := r.alloc(rows * c)
	r.ok(r.d.GemmStrided(true, false, n, c, v, 1, pbarT, n, v*n, fv2, c, v*c, 0, y, c, n*c, b))
	// 8. F_fus = ReLU(BN(Conv1x1(Y))), per token a linear map of channels.
	r.ok(r.d.Linear(out, y, rows, c, c, g.outW, g.outB, 0, actReLU))
	r.a.Release(mark)
	return out
}
