package posemodel

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/ops"
	"github.com/ladderpose/ladderpose/tensor"
)

// Model is a loaded pose network. It is read-only after loading and safe for
// concurrent use: each goroutine runs Forward with its own Workspace.
type Model struct {
	Cfg Config

	// Backbone (SPEC.md section 1).
	patchW, patchB *nn.Param // [D, 3, 16, 16], [D]
	patch          *ops.Conv2D
	pos            *nn.Param // [1, 1+N, D], on this model's grid
	blocks         []*vitBlock
	lastNorm       *nn.LayerNorm

	// Side network (sections 2-7), nil for a plain ViTPose.
	side *sideNet

	// Head (section 7).
	head headNet

	// quant holds the backbone's linear layers quantized for the int8
	// GEMM when the model runs at int8 precision (see int8.go); nil at
	// float32.
	quant map[*nn.Linear]*ops.QuantizedB
}

type vitBlock struct {
	norm1, norm2        *nn.LayerNorm
	qkv, proj, fc1, fc2 *nn.Linear
	experts             []*nn.Linear // ViTPose+: one [part_features, hidden] fc2 part per dataset
}

// linears lists the block's linear layers.
func (blk *vitBlock) linears() []*nn.Linear {
	return append([]*nn.Linear{blk.qkv, blk.proj, blk.fc1, blk.fc2}, blk.experts...)
}

// headNet is the heatmap head: classic (deconvolutions) or simple.
type headNet interface {
	params() []*nn.Param
	prepare() error
	// forward maps z [B, D, h, w] (NCHW, may be overwritten) to heatmaps
	// [B, K, 4h, 4w].
	forward(ws *Workspace, hm, z []float32, b int)
}

// Workspace holds one goroutine's activations for Forward: an arena that
// grows to the size of the largest batch and is then reused without
// allocation, and the intermediate tensors asked for with Keep.
type Workspace struct {
	arena   *tensor.Arena
	keep    map[string]bool
	kept    map[string]tensor.Tensor
	timer   func(stage string, d time.Duration)
	dataset int                // the ViTPose+ expert Forward uses
	i8      *ops.Int8Workspace // the int8 GEMM's buffers (int8 precision)
}

// SetDataset chooses the dataset whose expert a ViTPose+ backbone uses in
// the following Forward calls (Hugging Face's dataset_index; 0, the
// default, is COCO). Forward refuses an index outside the model's experts,
// and any index but 0 for a model without experts.
func (ws *Workspace) SetDataset(i int) { ws.dataset = i }

// Stages lists the names a stage timer receives, in order: the backbone,
// the side network's stem, frequency path, ASPP, the two fusions, the graph
// aggregation and output projection, and the heatmap head.
var Stages = []string{"backbone", "stem", "frequency", "aspp", "asf_fre", "asf_spa", "mga", "out_proj", "head"}

// SetStageTimer makes Forward report the time each stage takes (see
// Stages), for profiling; nil turns it off.
func (ws *Workspace) SetStageTimer(fn func(stage string, d time.Duration)) { ws.timer = fn }

// start returns the current time when a stage timer is set.
func (ws *Workspace) start() time.Time {
	if ws.timer == nil {
		return time.Time{}
	}
	return time.Now()
}

// done reports a stage that began at t0.
func (ws *Workspace) done(stage string, t0 time.Time) {
	if ws.timer != nil {
		ws.timer(stage, time.Since(t0))
	}
}

// NewWorkspace returns an empty workspace.
func NewWorkspace() *Workspace {
	return &Workspace{arena: tensor.NewArena(0), kept: map[string]tensor.Tensor{}}
}

// Keep asks Forward to keep the named intermediate tensors (see
// IntermediateNames); they are available from Intermediate after each call.
func (ws *Workspace) Keep(names ...string) {
	if ws.keep == nil {
		ws.keep = map[string]bool{}
	}
	for _, n := range names {
		ws.keep[n] = true
	}
}

// Peak returns the largest number of float32 values the workspace has held.
func (ws *Workspace) Peak() int { return ws.arena.Peak() }

// Intermediate returns a kept tensor of the last Forward. It aliases the
// workspace and is valid until the next Forward with this workspace.
func (ws *Workspace) Intermediate(name string) (tensor.Tensor, bool) {
	t, ok := ws.kept[name]
	return t, ok
}

func (ws *Workspace) put(name string, data []float32, shape ...int) {
	if ws.keep[name] {
		ws.kept[name] = tensor.FromSlice(data, shape...)
	}
}

// IntermediateNames lists the tensors a Workspace can keep for this model:
// "backbone" (last_norm tokens [B, N, D]) and, with a side network,
// "f_vit" [B, N, D], "f_fre", "f_spa", "f_fv", "f_sv", "f_fus" [B, N, C],
// "level_fre", "level_spa", "sim_fre", "sim_spa" [B].
func (m *Model) IntermediateNames() []string {
	names := []string{"backbone"}
	if m.side != nil {
		names = append(names, "f_vit", "f_fre", "f_spa", "f_fv", "f_sv", "f_fus", "level_fre", "level_spa", "sim_fre", "sim_spa")
	}
	return names
}

// HasSide reports whether the model has a ladder side network.
func (m *Model) HasSide() bool { return m.side != nil }

// Forward runs the network on images [B, 3, H, W] (normalised crops, NCHW,
// contiguous) and returns heatmaps [B, K, H/4, W/4]. The result aliases the
// workspace and is valid until its next use.
func (m *Model) Forward(ws *Workspace, images tensor.Tensor) (tensor.Tensor, error) {
	c := m.Cfg
	if images.NDim() != 4 || images.Dim(1) != 3 || images.Dim(2) != c.Input[0] || images.Dim(3) != c.Input[1] {
		return tensor.Tensor{}, fmt.Errorf("forward: images have shape %v, want [B, 3, %d, %d]", images.Shape(), c.Input[0], c.Input[1])
	}
	b := images.Dim(0)
	if b == 0 {
		return tensor.Tensor{}, fmt.Errorf("forward: empty batch")
	}
	if err := m.CheckDataset(ws.dataset); err != nil {
		return tensor.Tensor{}, fmt.Errorf("forward: %w", err)
	}
	img := images.Contiguous().Data()
	ws.arena.Reset()
	clear(ws.kept)

	n, d := c.Tokens(), c.Dim
	wantTaps := m.side != nil
	t0 := ws.start()
	flast, taps, err := m.backboneForward(ws, img, b, wantTaps)
	if err != nil {
		return tensor.Tensor{}, fmt.Errorf("forward: %w", err)
	}
	ws.done("backbone", t0)
	ws.put("backbone", flast, b, n, d)

	z := flast
	if m.side != nil {
		z = m.side.forward(ws, m, img, b, flast, taps)
	}
	// Tokens [B, N, D] -> grid [B, D, h, w] for the head.
	t0 = ws.start()
	zg := ws.arena.Floats(b * d * n)
	transposeBatch(zg, z, b, n, d)
	hm := ws.arena.Floats(b * c.Keypoints * c.HeatmapH() * c.HeatmapW())
	m.head.forward(ws, hm, zg, b)
	ws.done("head", t0)
	return tensor.FromSlice(hm, b, c.Keypoints, c.HeatmapH(), c.HeatmapW()), nil
}

// CheckDataset reports whether i names one of the model's experts: 0 to
// Experts-1 for a ViTPose+ backbone, only 0 for a plain one.
func (m *Model) CheckDataset(i int) error {
	if m.Cfg.MoE() {
		if i < 0 || i >= m.Cfg.Experts {
			return fmt.Errorf("dataset index %d: the ViTPose+ backbone has experts 0..%d", i, m.Cfg.Experts-1)
		}
		return nil
	}
	if i != 0 {
		return fmt.Errorf("dataset index %d: the backbone has no experts (not a ViTPose+ model), only 0 is allowed", i)
	}
	return nil
}

// backboneForward runs SPEC.md section 1 and returns F_last [B*N, D] and,
// when wantTaps, copies of the three ladder taps. Only the int8 GEMM can
// fail (an activation row holding NaN or Inf).
func (m *Model) backboneForward(ws *Workspace, img []float32, b int, wantTaps bool) ([]float32, [3][]float32, error) {
	c := m.Cfg
	n, d, hd := c.Tokens(), c.Dim, c.Dim/c.Heads
	hidden := c.Hidden()
	rows := b * n
	a := ws.arena

	// Patch embedding -> [B, D, h, w] -> tokens [B, N, D], + pos[1:] + pos[0].
	pe := a.Floats(b * d * n)
	scratch := a.Floats(m.patch.ScratchSize(b, c.Input[0], c.Input[1]))
	if err := m.patch.Forward(pe, img, b, c.Input[0], c.Input[1], scratch); err != nil {
		panic(err) // shapes were validated by Forward
	}
	x := a.Floats(rows * d)
	transposeBatch(x, pe, b, d, n)
	pos := m.pos.Data
	ops.ParallelFor(rows, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			t := r % n
			xr := x[r*d : (r+1)*d]
			pt, p0 := pos[(1+t)*d:(2+t)*d], pos[:d]
			for j := range xr {
				xr[j] = (xr[j] + pt[j]) + p0[j]
			}
		}
	})

	h := a.Floats(rows * d)
	qkv := a.Floats(rows * 3 * d)
	att := a.Floats(rows * d)
	probs := a.Floats(b * c.Heads * n * n)
	mlp := a.Floats(rows * hidden)
	var res []float32 // int8: the residual branches' outputs before their addition
	if m.quant != nil {
		res = a.Floats(rows * d)
	}
	var taps [3][]float32
	tapAt := c.Taps()
	scale := float32(1 / math.Sqrt(float64(hd)))
	for i, blk := range m.blocks {
		blk.norm1.Forward(h, x)
		if err := m.linear(ws, blk.qkv, qkv, 3*d, h, d, rows, 0, ops.ActNone, nil); err != nil {
			return nil, taps, fmt.Errorf("block %d: %w", i, err)
		}
		nn.Attention(att, d, qkv, 3*d, qkv[d:], 3*d, qkv[2*d:], 3*d, b, n, n, c.Heads, hd, scale, probs)
		if err := m.linear(ws, blk.proj, x, d, att, d, rows, 1, ops.ActNone, res); err != nil {
			return nil, taps, fmt.Errorf("block %d: %w", i, err)
		}
		blk.norm2.Forward(h, x)
		if err := m.linear(ws, blk.fc1, mlp, hidden, h, d, rows, 0, ops.ActGELU, nil); err != nil {
			return nil, taps, fmt.Errorf("block %d: %w", i, err)
		}
		if err := m.linear(ws, blk.fc2, x, d, mlp, hidden, rows, 1, ops.ActNone, res); err != nil {
			return nil, taps, fmt.Errorf("block %d: %w", i, err)
		}
		if blk.experts != nil {
			// ViTPose+: the shared outputs first (above), then the
			// chosen dataset's expert, each added to its columns of x.
			so := c.SharedOut()
			var r []float32
			if res != nil {
				r = res[so:]
			}
			if err := m.linear(ws, blk.experts[ws.dataset], x[so:], d, mlp, hidden, rows, 1, ops.ActNone, r); err != nil {
				return nil, taps, fmt.Errorf("block %d: %w", i, err)
			}
		}
		if wantTaps {
			for k, t := range tapAt {
				if t == i {
					taps[k] = a.Floats(rows * d)
					copy(taps[k], x)
				}
			}
		}
	}
	out := a.Floats(rows * d)
	m.lastNorm.Forward(out, x)
	return out, taps, nil
}

// transposeBatch writes dst[b][j][i] = src[b][i][j] for b matrices of r x c.
func transposeBatch(dst, src []float32, b, r, c int) {
	ops.ParallelFor(b*r, 16, func(lo, hi int) {
		for q := lo; q < hi; q++ {
			bi, i := q/r, q%r
			s := src[(bi*r+i)*c : (bi*r+i+1)*c]
			base := bi * r * c
			for j, v := range s {
				dst[base+j*r+i] = v
			}
		}
	})
}

// Params lists every parameter of the model (backbone, side network, head)
// with SPEC.md's names, sorted by name.
func (m *Model) Params() []*nn.Param {
	var ps []*nn.Param
	ps = append(ps, m.patchW, m.patchB, m.pos)
	for _, blk := range m.blocks {
		for _, l := range []interface{ Params() []*nn.Param }{blk.norm1, blk.qkv, blk.proj, blk.norm2, blk.fc1, blk.fc2} {
			ps = append(ps, l.Params()...)
		}
		for _, l := range blk.experts {
			ps = append(ps, l.Params()...)
		}
	}
	ps = append(ps, m.lastNorm.Params()...)
	if m.side != nil {
		ps = append(ps, m.side.params()...)
	}
	ps = append(ps, m.head.params()...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

// classicHead is mmpose's TopdownHeatmapSimpleHead: two transposed
// convolutions with BatchNorm and ReLU, then a 1x1 convolution.
type classicHead struct {
	d, k         int
	deconv1      *nn.Param // [D, 256, 4, 4]
	bn1          *nn.BatchNorm
	deconv2      *nn.Param // [256, 256, 4, 4]
	bn2          *nn.BatchNorm
	finalW       *nn.Param // [K, 256, 1, 1]
	finalB       *nn.Param // [K]
	dc1, dc2     *ops.ConvTranspose2D
	final        *ops.Conv2D
	gridH, gridW int
}

func newClassicHead(c Config) *classicHead {
	return &classicHead{
		d: c.Dim, k: c.Keypoints, gridH: c.GridH(), gridW: c.GridW(),
		deconv1: nn.NewParam("keypoint_head.deconv_layers.0.weight", c.Dim, 256, 4, 4),
		bn1:     nn.NewBatchNorm("keypoint_head.deconv_layers.1", 256),
		deconv2: nn.NewParam("keypoint_head.deconv_layers.3.weight", 256, 256, 4, 4),
		bn2:     nn.NewBatchNorm("keypoint_head.deconv_layers.4", 256),
		finalW:  nn.NewParam("keypoint_head.final_layer.weight", c.Keypoints, 256, 1, 1),
		finalB:  nn.NewParam("keypoint_head.final_layer.bias", c.Keypoints),
	}
}

func (h *classicHead) params() []*nn.Param {
	ps := []*nn.Param{h.deconv1, h.deconv2, h.finalW, h.finalB}
	ps = append(ps, h.bn1.Params()...)
	return append(ps, h.bn2.Params()...)
}

// prepare folds each BatchNorm into its transposed convolution (inference).
func (h *classicHead) prepare() error {
	mk := func(w *nn.Param, bn *nn.BatchNorm, in int) (*ops.ConvTranspose2D, error) {
		fw := append([]float32(nil), w.Data...)
		fb := make([]float32, 256)
		scale, shift, err := bn.ScaleShift()
		if err != nil {
			return nil, err
		}
		if err := ops.FoldBatchNormTransposed(fw, fb, in, 1, scale, shift); err != nil {
			return nil, err
		}
		return ops.NewConvTranspose2D(fw, fb, ops.ConvTranspose2DParams{InC: in, OutC: 256, KH: 4, KW: 4,
			StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Act: ops.ActReLU})
	}
	var err error
	if h.dc1, err = mk(h.deconv1, h.bn1, h.d); err != nil {
		return fmt.Errorf("keypoint_head.deconv_layers.0: %w", err)
	}
	if h.dc2, err = mk(h.deconv2, h.bn2, 256); err != nil {
		return fmt.Errorf("keypoint_head.deconv_layers.3: %w", err)
	}
	h.final, err = ops.NewConv2D(h.finalW.Data, h.finalB.Data, ops.Conv2DParams{InC: 256, OutC: h.k, KH: 1, KW: 1})
	if err != nil {
		return fmt.Errorf("keypoint_head.final_layer: %w", err)
	}
	return nil
}

func (h *classicHead) forward(ws *Workspace, hm, z []float32, b int) {
	a := ws.arena
	gh, gw := h.gridH, h.gridW
	y1 := a.Floats(b * 256 * 4 * gh * gw)
	must(h.dc1.Forward(y1, z, b, gh, gw, a.Floats(h.dc1.ScratchSize(b, gh, gw))))
	y2 := a.Floats(b * 256 * 16 * gh * gw)
	must(h.dc2.Forward(y2, y1, b, 2*gh, 2*gw, a.Floats(h.dc2.ScratchSize(b, 2*gh, 2*gw))))
	must(h.final.Forward(hm, y2, b, 4*gh, 4*gw, a.Floats(h.final.ScratchSize(b, 4*gh, 4*gw))))
}

// simpleHead is ViTPose's simple decoder: ReLU, bilinear x4, 3x3 conv.
type simpleHead struct {
	d, k         int
	w, bias      *nn.Param // [K, D, 3, 3], [K]
	conv         *ops.Conv2D
	gridH, gridW int
}

func newSimpleHead(c Config) *simpleHead {
	return &simpleHead{d: c.Dim, k: c.Keypoints, gridH: c.GridH(), gridW: c.GridW(),
		w:    nn.NewParam("keypoint_head.final_layer.weight", c.Keypoints, c.Dim, 3, 3),
		bias: nn.NewParam("keypoint_head.final_layer.bias", c.Keypoints)}
}

func (h *simpleHead) params() []*nn.Param { return []*nn.Param{h.w, h.bias} }

func (h *simpleHead) prepare() error {
	var err error
	h.conv, err = ops.NewConv2D(h.w.Data, h.bias.Data, ops.Conv2DParams{InC: h.d, OutC: h.k, KH: 3, KW: 3, PadH: 1, PadW: 1})
	if err != nil {
		return fmt.Errorf("keypoint_head.final_layer: %w", err)
	}
	return nil
}

func (h *simpleHead) forward(ws *Workspace, hm, z []float32, b int) {
	a := ws.arena
	gh, gw := h.gridH, h.gridW
	ops.ReLU(z, z)
	up := a.Floats(b * h.d * 16 * gh * gw)
	ops.ResizeBilinear(up, z, b*h.d, gh, gw, 4*gh, 4*gw)
	must(h.conv.Forward(hm, up, b, 4*gh, 4*gw, a.Floats(h.conv.ScratchSize(b, 4*gh, 4*gw))))
}

// must panics on an error that validated shapes make impossible.
func must(err error) {
	if err != nil {
		panic(err)
	}
}
