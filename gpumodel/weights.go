package gpumodel

import (
	"fmt"
	"strconv"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/ops"
	"github.com/ladderpose/ladderpose/posemodel"
)

const (
	actNone = ops.ActNone
	actReLU = ops.ActReLU
	actGELU = ops.ActGELU
)

// paramSet reads a posemodel's parameters by SPEC.md name.
type paramSet map[string]*nn.Param

func newParamSet(m *posemodel.Model) paramSet {
	ps := paramSet{}
	for _, p := range m.Params() {
		ps[p.Name] = p
	}
	return ps
}

// get returns the named parameter's values, checking their count.
func (ps paramSet) get(name string, n int) ([]float32, error) {
	p, ok := ps[name]
	if !ok {
		return nil, fmt.Errorf("model has no parameter %q", name)
	}
	if len(p.Data) != n {
		return nil, fmt.Errorf("parameter %q has %d values, want %d", name, len(p.Data), n)
	}
	return p.Data, nil
}

// uploader collects host weights and uploads them into one device
// allocation; then it runs the steps that need their device buffers
// (building the convolutions).
type uploader struct {
	items []upItem
	after []func() error
	err   error
}

type upItem struct {
	dst  *gpu.Buf
	data []float32
}

// add schedules data for upload into *dst.
func (u *uploader) add(dst *gpu.Buf, data []float32) {
	u.items = append(u.items, upItem{dst, data})
}

// param schedules the named parameter (of n values) for upload.
func (u *uploader) param(ps paramSet, dst *gpu.Buf, name string, n int) {
	v, err := ps.get(name, n)
	if err != nil {
		u.fail(err)
		return
	}
	u.add(dst, v)
}

// scalars reads a small parameter into host values (gates, alpha, beta).
func (u *uploader) scalars(ps paramSet, dst []float32, name string) {
	v, err := ps.get(name, len(dst))
	if err != nil {
		u.fail(err)
		return
	}
	copy(dst, v)
}

func (u *uploader) fail(err error) {
	if u.err == nil {
		u.err = err
	}
}

// then schedules a step after the upload.
func (u *uploader) then(f func() error) { u.after = append(u.after, f) }

// upload allocates the weights' arena on g's device, uploads every item
// and runs the scheduled steps.
func (u *uploader) upload(g *Model) error {
	if u.err != nil {
		return u.err
	}
	total := 0
	for _, it := range u.items {
		total += (len(it.data) + 63) / 64 * 64
	}
	a, err := g.dev.NewArena(total)
	if err != nil {
		return fmt.Errorf("weights (%.1f MiB): %w", float64(total)*4/(1<<20), err)
	}
	g.weights = a
	for _, it := range u.items {
		b, err := a.Alloc(len(it.data))
		if err != nil {
			return err
		}
		if err := g.dev.Upload(b, it.data); err != nil {
			return fmt.Errorf("uploading weights: %w", err)
		}
		*it.dst = b
	}
	for _, f := range u.after {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// foldBN folds the BatchNorm prefix (its weight, bias, running_mean and
// running_var) into a copy of a convolution weight [out, ...] and a zero
// bias, as posemodel's foldedConv: ops.BatchNormScaleShift with nn.BNEps,
// then ops.FoldBatchNorm (ops.FoldBatchNormTransposed with in > 0, for a
// transposed convolution's [in, out, kh, kw] weight).
func foldBN(ps paramSet, w []float32, out int, bn string, in int) ([]float32, []float32, error) {
	var st [4][]float32
	for i, f := range []string{"weight", "bias", "running_mean", "running_var"} {
		v, err := ps.get(bn+"."+f, out)
		if err != nil {
			return nil, nil, err
		}
		st[i] = v
	}
	scale, shift := make([]float32, out), make([]float32, out)
	if err := ops.BatchNormScaleShift(scale, shift, st[0], st[1], st[2], st[3], nn.BNEps); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", bn, err)
	}
	fw := append([]float32(nil), w...)
	fb := make([]float32, out)
	var err error
	if in > 0 {
		err = ops.FoldBatchNormTransposed(fw, fb, in, 1, scale, shift)
	} else {
		err = ops.FoldBatchNorm(fw, fb, scale, shift)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", bn, err)
	}
	return fw, fb, nil
}

// convBN schedules a convolution weight (name, [p.OutC, p.InC, kh, kw])
// with the BatchNorm bn folded in, and the building of the convolution into
// *dst.
func (u *uploader) convBN(ps paramSet, dst **gpu.Conv2D, name, bn string, p ops.Conv2DParams) {
	w, err := ps.get(name, p.OutC*p.InC*p.KH*p.KW)
	if err != nil {
		u.fail(err)
		return
	}
	fw, fb, err := foldBN(ps, w, p.OutC, bn, 0)
	if err != nil {
		u.fail(err)
		return
	}
	u.conv(dst, fw, fb, p)
}

// conv schedules a convolution with the given host weight and bias (nil
// for none).
func (u *uploader) conv(dst **gpu.Conv2D, w, bias []float32, p ops.Conv2DParams) {
	wb, bb := new(gpu.Buf), new(gpu.Buf)
	u.add(wb, w)
	if bias != nil {
		u.add(bb, bias)
	}
	u.then(func() error {
		c, err := gpu.NewConv2D(*wb, *bb, p)
		*dst = c
		return err
	})
}

// linear schedules a linear layer's weight [out, in] and bias [out].
func (u *uploader) linear(ps paramSet, w, b *gpu.Buf, name string, in, out int) {
	u.param(ps, w, name+".weight", out*in)
	u.param(ps, b, name+".bias", out)
}

// build schedules every weight of the model.
func (g *Model) build(ps paramSet) (*uploader, error) {
	c := g.Cfg
	d, n := c.Dim, c.Tokens()
	u := &uploader{}
	g.eps = float32(c.LNEps)
	pw, err := ps.get("backbone.patch_embed.proj.weight", d*3*16*16)
	if err != nil {
		return nil, err
	}
	u.conv(&g.patch, pw, nil, ops.Conv2DParams{InC: 3, OutC: d, KH: 16, KW: 16, StrideH: 16, StrideW: 16, PadH: 2, PadW: 2})
	u.param(ps, &g.patchB, "backbone.patch_embed.proj.bias", d)
	u.param(ps, &g.pos, "backbone.pos_embed", (1+n)*d)
	g.blocks = make([]vitBlock, c.Depth)
	for i := range g.blocks {
		blk := &g.blocks[i]
		pre := "backbone.blocks." + strconv.Itoa(i) + "."
		u.param(ps, &blk.n1g, pre+"norm1.weight", d)
		u.param(ps, &blk.n1b, pre+"norm1.bias", d)
		u.linear(ps, &blk.qkvW, &blk.qkvB, pre+"attn.qkv", d, 3*d)
		u.linear(ps, &blk.projW, &blk.projB, pre+"attn.proj", d, d)
		u.param(ps, &blk.n2g, pre+"norm2.weight", d)
		u.param(ps, &blk.n2b, pre+"norm2.bias", d)
		u.linear(ps, &blk.fc1W, &blk.fc1B, pre+"mlp.fc1", d, c.Hidden())
		u.linear(ps, &blk.fc2W, &blk.fc2B, pre+"mlp.fc2", c.Hidden(), d)
	}
	u.param(ps, &g.lastG, "backbone.last_norm.weight", d)
	u.param(ps, &g.lastB, "backbone.last_norm.bias", d)
	if c.Side != nil {
		g.side = buildSide(u, ps, c)
	}
	if c.Head == "classic" {
		g.classic = buildClassic(u, ps, c)
	} else {
		g.simple = buildSimple(u, ps, c)
	}
	return u, u.err
}
