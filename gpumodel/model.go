// Package gpumodel runs a loaded ladderpose network (package posemodel) on
// a GPU (package gpu): the ViTPose backbone, the ladder side network and
// the heatmap head of SPEC.md, in the same order of operations as
// posemodel, with every weight uploaded once and kept on the device, the
// activations of a pass in one device arena, the matrix products on cuBLAS
// and everything else in the kernels of package gpu.
//
// On a host without a GPU the same code runs on the emulated device of
// package gpu/emu, which is how its tests check it without a GPU.
package gpumodel

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
)

// Options tune New.
type Options struct {
	// Device runs the model; nil opens CUDA device GPU.Ordinal with the
	// options GPU, owned by the model (closed by Close).
	Device *gpu.Device
	// GPU are the options of the device New opens when Device is nil.
	GPU gpu.Options
}

// Model is a posemodel.Model on a device. Its methods are safe for
// concurrent use; forward passes run one at a time (the device is one
// queue and the model has one activation arena).
type Model struct {
	// Cfg is the model's configuration.
	Cfg posemodel.Config

	dev     *gpu.Device
	ownDev  bool
	weights *gpu.Arena // every weight, uploaded once

	// Backbone (SPEC.md section 1).
	patch          *gpu.Conv2D // without bias: PatchTokens adds it with the positions
	patchB, pos    gpu.Buf
	blocks         []vitBlock
	lastG, lastB   gpu.Buf
	eps            float32
	side           *sideNet
	classic        *classicHead
	simple         *simpleHead
	intermediateOK map[string]bool

	mu     sync.Mutex
	closed bool
	arena  *gpu.Arena
	peaks  map[int]int // arena values a pass of each batch size needs
	keep   map[string]bool
	kept   map[string]tensor.Tensor
	timer  func(stage string, d time.Duration)
}

type vitBlock struct {
	n1g, n1b, qkvW, qkvB, projW, projB gpu.Buf
	n2g, n2b, fc1W, fc1B, fc2W, fc2B   gpu.Buf
}

// New builds the GPU version of a loaded (prepared) model: it reads m.Cfg
// and m.Params(), folds every BatchNorm into the convolution before it as
// posemodel does, and uploads the weights. The posemodel.Model is not
// kept: later changes to it need a new Model.
//
// The model needs every parameter's host values: one loaded with
// posemodel.LoadOptions.InferenceOnly (whose backbone linear weights exist
// only packed for the CPU kernels) is refused with an error saying so,
// before any device is opened, and so is a model at int8 precision.
func New(m *posemodel.Model, opts Options) (*Model, error) {
	if m == nil {
		return nil, fmt.Errorf("gpumodel: nil model")
	}
	if err := m.Cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gpumodel: %w", err)
	}
	if m.Precision() != posemodel.PrecisionFloat32 {
		return nil, fmt.Errorf("gpumodel: the model runs at %s precision, which the GPU path does not implement (int8 runs on the CPU only): load it at precision float32 for a GPU", m.Precision())
	}
	if m.Cfg.MoE() {
		return nil, fmt.Errorf("gpumodel: ViTPose+ backbones (%d experts) are not implemented on the GPU; run them on the CPU", m.Cfg.Experts)
	}
	for _, p := range m.Params() {
		if p.Data == nil {
			return nil, fmt.Errorf("gpumodel: parameter %q has no host values: the model was loaded inference-only (posemodel.LoadOptions.InferenceOnly keeps the backbone's linear weights only packed for the CPU kernels); load it without InferenceOnly to run it on a GPU", p.Name)
		}
	}
	g := &Model{Cfg: m.Cfg, dev: opts.Device, peaks: map[int]int{}, kept: map[string]tensor.Tensor{}}
	if g.dev == nil {
		d, err := gpu.Open(opts.GPU)
		if err != nil {
			return nil, fmt.Errorf("gpumodel: %w", err)
		}
		g.dev, g.ownDev = d, true
	}
	ps := newParamSet(m)
	up, err := g.build(ps)
	if err == nil {
		err = up.upload(g)
	}
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("gpumodel: %w", err)
	}
	g.intermediateOK = map[string]bool{}
	for _, n := range g.IntermediateNames() {
		g.intermediateOK[n] = true
	}
	return g, nil
}

// Device returns the device the model runs on.
func (g *Model) Device() *gpu.Device { return g.dev }

// Close releases the model's device memory, and the device if New opened
// it.
func (g *Model) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	var err error
	if g.arena != nil {
		err = g.arena.Free()
		g.arena = nil
	}
	if g.weights != nil {
		if e := g.weights.Free(); err == nil {
			err = e
		}
		g.weights = nil
	}
	if g.ownDev && g.dev != nil {
		if e := g.dev.Close(); err == nil {
			err = e
		}
		g.dev = nil
	}
	return err
}

// HasSide reports whether the model has a ladder side network.
func (g *Model) HasSide() bool { return g.side != nil }

// IntermediateNames lists the tensors Keep accepts, as
// posemodel.Model.IntermediateNames: "backbone" [B, N, D] and, with a side
// network, "f_vit" [B, N, D], "f_fre", "f_spa", "f_fv", "f_sv", "f_fus" [B,
// N, C], "level_fre", "level_spa", "sim_fre", "sim_spa" [B].
func (g *Model) IntermediateNames() []string {
	names := []string{"backbone"}
	if g.side != nil {
		names = append(names, "f_vit", "f_fre", "f_spa", "f_fv", "f_sv", "f_fus", "level_fre", "level_spa", "sim_fre", "sim_spa")
	}
	return names
}

// SetStageTimer makes Forward report the time each stage takes, with the
// stage names of posemodel.Stages, for profiling; nil turns it off. The
// device is synchronised at every stage boundary while a timer is set,
// which costs a little time.
func (g *Model) SetStageTimer(fn func(stage string, d time.Duration)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.timer = fn
}

// Keep asks every following Forward to copy the named intermediate tensors
// back to the host (see IntermediateNames); Intermediate returns them.
func (g *Model) Keep(names ...string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range names {
		if !g.intermediateOK[n] {
			return fmt.Errorf("gpumodel: no intermediate %q (this model has %v)", n, g.IntermediateNames())
		}
	}
	if g.keep == nil {
		g.keep = map[string]bool{}
	}
	for _, n := range names {
		g.keep[n] = true
	}
	return nil
}

// Intermediate returns a kept tensor of the last Forward (host memory the
// caller may keep).
func (g *Model) Intermediate(name string) (tensor.Tensor, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.kept[name]
	return t, ok
}

// Forward runs the network on images [B, 3, H, W] (normalised crops, NCHW)
// and returns heatmaps [B, K, H/4, W/4] in new host memory. A device
// failure is returned as an error; the model is then unusable if the
// device is.
func (g *Model) Forward(images tensor.Tensor) (tensor.Tensor, error) {
	c := g.Cfg
	if images.NDim() != 4 || images.Dim(1) != 3 || images.Dim(2) != c.Input[0] || images.Dim(3) != c.Input[1] {
		return tensor.Tensor{}, fmt.Errorf("gpumodel: forward: images have shape %v, want [B, 3, %d, %d]", images.Shape(), c.Input[0], c.Input[1])
	}
	b := images.Dim(0)
	if b == 0 {
		return tensor.Tensor{}, fmt.Errorf("gpumodel: forward: empty batch")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return tensor.Tensor{}, fmt.Errorf("gpumodel: forward: model is closed")
	}
	if err := g.ensureArena(b); err != nil {
		return tensor.Tensor{}, fmt.Errorf("gpumodel: forward: %w", err)
	}
	g.arena.Reset()
	r := &run{d: g.dev, a: g.arena, keep: g.keep, kept: map[string]keptBuf{}, timer: g.timer, t0: time.Now()}
	hm := g.forward(r, images.Contiguous().Data(), b)
	if r.err != nil {
		return tensor.Tensor{}, fmt.Errorf("gpumodel: forward: %w", r.err)
	}
	out := tensor.New(b, c.Keypoints, c.HeatmapH(), c.HeatmapW())
	if err := g.dev.Download(out.Data(), hm); err != nil {
		return tensor.Tensor{}, fmt.Errorf("gpumodel: forward: %w", err)
	}
	clear(g.kept)
	names := make([]string, 0, len(r.kept))
	for n := range r.kept {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		k := r.kept[n]
		t := tensor.New(k.shape...)
		if err := g.dev.Download(t.Data(), k.buf); err != nil {
			return tensor.Tensor{}, fmt.Errorf("gpumodel: forward: intermediate %s: %w", n, err)
		}
		g.kept[n] = t
	}
	return out, nil
}

// ensureArena makes the activation arena large enough for a batch of b:
// the size is found by a dry run of the pass (same calls, nothing
// executed) with a measuring arena.
func (g *Model) ensureArena(b int) error {
	need, ok := g.peaks[b]
	if !ok {
		ma := gpu.NewMeasureArena()
		r := &run{d: g.dev.DryRun(), a: ma}
		g.forward(r, nil, b)
		if r.err != nil {
			return fmt.Errorf("sizing the pass for batch %d: %w", b, r.err)
		}
		need = ma.Peak()
		g.peaks[b] = need
	}
	if g.arena != nil && g.arena.Cap() >= need {
		return nil
	}
	if g.arena != nil {
		if err := g.arena.Free(); err != nil {
			return err
		}
		g.arena = nil
	}
	a, err := g.dev.NewArena(need)
	if err != nil {
		return fmt.Errorf("activations for batch %d: %w", b, err)
	}
	g.arena = a
	return nil
}

// ArenaValues returns the size, in float32 values, of the activation arena
// (the largest pass so far; 0 before the first).
func (g *Model) ArenaValues() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.arena == nil {
		return 0
	}
	return g.arena.Cap()
}

// keptBuf is an intermediate to copy back after the pass.
type keptBuf struct {
	buf   gpu.Buf
	shape []int
}

// run is one forward pass: the device, its arena and the first error
// (later calls still go to the device, whose size checks refuse the null
// buffers a failed allocation leaves, so an error stops the work).
type run struct {
	d     *gpu.Device
	a     *gpu.Arena
	err   error
	keep  map[string]bool
	kept  map[string]keptBuf
	timer func(stage string, d time.Duration)
	t0    time.Time // start of the current stage, with a timer
}

// done ends a stage: with a stage timer, it waits for the device and
// reports the time since the previous stage ended.
func (r *run) done(stage string) {
	if r.timer == nil || r.err != nil {
		return
	}
	if !r.ok(r.d.Synchronize()) {
		return
	}
	now := time.Now()
	r.timer(stage, now.Sub(r.t0))
	r.t0 = now
}

// ok records err and reports whether the pass is still error-free.
func (r *run) ok(err error) bool {
	if r.err == nil && err != nil {
		r.err = err
	}
	return r.err == nil
}

// alloc returns n values of the arena (the null Buf after an error).
func (r *run) alloc(n int) gpu.Buf {
	if r.err != nil {
		return gpu.Buf{}
	}
	b, err := r.a.Alloc(n)
	r.ok(err)
	return b
}

// put records an intermediate when it is kept.
func (r *run) put(name string, b gpu.Buf, shape ...int) {
	if r.keep[name] && r.err == nil {
		r.kept[name] = keptBuf{buf: b, shape: shape}
	}
}

// forward queues the whole pass for a batch of b and returns the heatmaps'
// buffer. img is nil in a dry run.
func (g *Model) forward(r *run, img []float32, b int) gpu.Buf {
	c := g.Cfg
	H, W := c.Input[0], c.Input[1]
	imgBuf := r.alloc(b * 3 * H * W)
	if img != nil {
		r.ok(r.d.Upload(imgBuf, img))
	}
	flast, taps := g.backbone(r, imgBuf, b)
	r.done("backbone")
	r.put("backbone", flast, b, c.Tokens(), c.Dim)
	z := flast
	if g.side != nil {
		z = g.side.forward(r, g, imgBuf, b, flast, taps)
	}
	hm := g.head(r, z, b)
	r.done("head")
	return hm
}

// backbone runs SPEC.md section 1 and returns F_last [B*N, D] and the
// three ladder taps (copies, when the model has a side network).
func (g *Model) backbone(r *run, img gpu.Buf, b int) (gpu.Buf, [3]gpu.Buf) {
	c := g.Cfg
	n, d, heads := c.Tokens(), c.Dim, c.Heads
	hd, hidden, rows := d/heads, c.Hidden(), b*n
	H, W := c.Input[0], c.Input[1]
	x := r.alloc(rows * d)
	mark := r.a.Mark()
	pe := r.alloc(b * d * n)
	r.ok(r.d.Conv2D(g.patch, pe, img, b, H, W, r.alloc(g.patch.ScratchSize(b, H, W))))
	r.ok(r.d.PatchTokens(x, pe, g.patchB, g.pos, b, d, n))
	r.a.Release(mark)

	var taps [3]gpu.Buf
	tapAt := c.Taps()
	if g.side != nil {
		for k := range taps {
			taps[k] = r.alloc(rows * d)
		}
	}
	out := r.alloc(rows * d)
	mark = r.a.Mark()
	h := r.alloc(rows * d)
	qkv := r.alloc(rows * 3 * d)
	att := r.alloc(rows * d)
	mlp := r.alloc(rows * hidden)
	scratch := r.alloc(gpu.AttentionScratch(b, n, n, heads, hd))
	red := r.alloc(gpu.ReduceScratch(rows))
	scale := float32(1 / math.Sqrt(float64(hd)))
	eps := g.eps
	for i, blk := range g.blocks {
		if r.err != nil {
			break
		}
		r.ok(r.d.LayerNorm(h, x, rows, d, blk.n1g, blk.n1b, eps, red))
		r.ok(r.d.Linear(qkv, h, rows, d, 3*d, blk.qkvW, blk.qkvB, 0, actNone))
		r.ok(r.d.Attention(att, d, 0, qkv, 3*d, 0, qkv, 3*d, d, qkv, 3*d, 2*d, b, n, n, heads, hd, scale, scratch))
		r.ok(r.d.Linear(x, att, rows, d, d, blk.projW, blk.projB, 1, actNone))
		r.ok(r.d.LayerNorm(h, x, rows, d, blk.n2g, blk.n2b, eps, red))
		r.ok(r.d.Linear(mlp, h, rows, d, hidden, blk.fc1W, blk.fc1B, 0, actGELU))
		r.ok(r.d.Linear(x, mlp, rows, hidden, d, blk.fc2W, blk.fc2B, 1, actNone))
		if g.side != nil {
			for k, t := range tapAt {
				if t == i {
					r.ok(r.d.Copy(taps[k], x))
				}
			}
		}
	}
	r.ok(r.d.LayerNorm(out, x, rows, d, g.lastG, g.lastB, eps, red))
	r.a.Release(mark)
	return out, taps
}
