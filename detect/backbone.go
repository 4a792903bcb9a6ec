package detect

import (
	"fmt"

	"github.com/ladderpose/ladderpose/ops"
)

// The backbone is Hugging Face's RTDetrResNetBackbone (modeling_rt_detr_resnet.py),
// ResNet-vd: a three-convolution stem and a max pool, then stages of basic or
// bottleneck blocks whose downsampling shortcuts average-pool 2x2 before a
// 1x1 convolution. Every BatchNorm is folded into its convolution at load.
// Weights live under model.backbone.model.

// backbone is the loaded ResNet-vd.
type backbone struct {
	stem   [3]*convLayer // embedder.embedder.{0,1,2}: 3x3 s2 -> E/2, 3x3 -> E/2, 3x3 -> E
	stages [][]*resBlock // encoder.stages.{s}.layers.{i}
	outIdx []int         // stages (1-based) whose outputs are returned
}

// resBlock is RTDetrResNetBasicLayer or RTDetrResNetBottleNeckLayer.
type resBlock struct {
	layers []*convLayer // layer.{0,1[,2]}: the residual branch; the last has no activation
	pool   bool         // shortcut starts with AvgPool2d(2, 2, ceil_mode=True)
	short  *convLayer   // shortcut 1x1 conv + BN; nil: identity
	act    activation   // after the sum: hidden_act
}

const backbonePrefix = "model.backbone.model."

func newBackbone(cfg *Config, get getter) (*backbone, error) {
	const eps = 1e-5 // RTDetrResNet's BatchNorm2d (frozen) uses the default eps
	hidden := actByName(cfg.BackboneAct)
	relu := actByName("relu") // RTDetrResNetConvLayer's default activation, used inside the blocks
	bb := &backbone{outIdx: cfg.OutIndices}
	e := cfg.EmbeddingSize
	stemCh := [][2]int{{cfg.NumChannels, e / 2}, {e / 2, e / 2}, {e / 2, e}}
	for i, ch := range stemCh {
		stride := 1
		if i == 0 {
			stride = 2
		}
		p := fmt.Sprintf("%sembedder.embedder.%d.", backbonePrefix, i)
		l, err := newConvBN(get, p[:len(p)-1], p+"convolution.weight", p+"normalization", ch[0], ch[1], 3, stride, eps, hidden)
		if err != nil {
			return nil, err
		}
		bb.stem[i] = l
	}
	in := e
	for s, depth := range cfg.Depths {
		out := cfg.HiddenSizes[s]
		stride := 2
		if s == 0 && !cfg.DownsampleInFirstStage {
			stride = 1
		}
		var blocks []*resBlock
		for i := 0; i < depth; i++ {
			p := fmt.Sprintf("%sencoder.stages.%d.layers.%d.", backbonePrefix, s, i)
			blkIn, blkStride := out, 1
			if i == 0 {
				blkIn, blkStride = in, stride
			}
			var blk *resBlock
			var err error
			if cfg.LayerType == "bottleneck" {
				blk, err = newBottleneck(cfg, get, p, blkIn, out, blkStride, eps, relu, hidden)
			} else {
				blk, err = newBasicBlock(get, p, blkIn, out, blkStride, i == 0, eps, relu, hidden)
			}
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, blk)
		}
		bb.stages = append(bb.stages, blocks)
		in = out
	}
	return bb, nil
}

// newBasicBlock is RTDetrResNetBasicLayer: 3x3 (stride) + relu, 3x3; the
// first block of a stage always has a shortcut, average-pooled when the
// width changes.
func newBasicBlock(get getter, p string, in, out, stride int, first bool, eps float64, relu, hidden activation) (*resBlock, error) {
	blk := &resBlock{act: hidden}
	l0, err := newConvBN(get, p+"layer.0", p+"layer.0.convolution.weight", p+"layer.0.normalization", in, out, 3, stride, eps, relu)
	if err != nil {
		return nil, err
	}
	l1, err := newConvBN(get, p+"layer.1", p+"layer.1.convolution.weight", p+"layer.1.normalization", out, out, 3, 1, eps, activation{})
	if err != nil {
		return nil, err
	}
	blk.layers = []*convLayer{l0, l1}
	switch {
	case first && in != out:
		// nn.Sequential(AvgPool2d(2, 2, 0, ceil_mode=True), ShortCut(stride=1))
		blk.pool = true
		blk.short, err = newConvBN(get, p+"shortcut.1", p+"shortcut.1.convolution.weight", p+"shortcut.1.normalization", in, out, 1, 1, eps, activation{})
	case first:
		blk.short, err = newConvBN(get, p+"shortcut", p+"shortcut.convolution.weight", p+"shortcut.normalization", in, out, 1, stride, eps, activation{})
	case in != out || stride != 1:
		err = fmt.Errorf("%s: a block without shortcut cannot change the shape (%d -> %d channels, stride %d)", p, in, out, stride)
	}
	if err != nil {
		return nil, err
	}
	return blk, nil
}

// newBottleneck is RTDetrResNetBottleNeckLayer: 1x1 -> out/4 + relu, 3x3 +
// relu, 1x1 -> out (the stride on the first or the second convolution as
// downsample_in_bottleneck says); a stride-2 shortcut average-pools first.
func newBottleneck(cfg *Config, get getter, p string, in, out, stride int, eps float64, relu, hidden activation) (*resBlock, error) {
	blk := &resBlock{act: hidden}
	red := out / 4
	if red <= 0 {
		return nil, fmt.Errorf("%s: bottleneck width %d / 4 is zero", p, out)
	}
	s0, s1 := 1, stride
	if cfg.DownsampleInBottleneck {
		s0, s1 = stride, 1
	}
	l0, err := newConvBN(get, p+"layer.0", p+"layer.0.convolution.weight", p+"layer.0.normalization", in, red, 1, s0, eps, relu)
	if err != nil {
		return nil, err
	}
	l1, err := newConvBN(get, p+"layer.1", p+"layer.1.convolution.weight", p+"layer.1.normalization", red, red, 3, s1, eps, relu)
	if err != nil {
		return nil, err
	}
	l2, err := newConvBN(get, p+"layer.2", p+"layer.2.convolution.weight", p+"layer.2.normalization", red, out, 1, 1, eps, activation{})
	if err != nil {
		return nil, err
	}
	blk.layers = []*convLayer{l0, l1, l2}
	apply := in != out || stride != 1
	switch {
	case stride == 2:
		blk.pool = true
		if apply {
			blk.short, err = newConvBN(get, p+"shortcut.1", p+"shortcut.1.convolution.weight", p+"shortcut.1.normalization", in, out, 1, 1, eps, activation{})
		}
	case apply:
		blk.short, err = newConvBN(get, p+"shortcut", p+"shortcut.convolution.weight", p+"shortcut.normalization", in, out, 1, stride, eps, activation{})
	}
	if err != nil {
		return nil, err
	}
	return blk, nil
}

// forward runs the block on x [n, in, h, w] (buffer bufs[0]) using bufs[1..3]
// as scratch and returns the index in bufs of the output [n, out, oh, ow].
func (blk *resBlock) forward(ws *workspace, bufs [4][]float32, n, h, w int) (outBuf, oh, ow int, err error) {
	x := bufs[0]
	// Residual branch: x -> bufs[1] -> bufs[2] (-> bufs[1]).
	cur, ch, cw := x, h, w
	dst := 1
	for _, l := range blk.layers {
		if ch, cw, err = l.forward(ws, bufs[dst], cur, n, ch, cw); err != nil {
			return 0, 0, 0, err
		}
		cur = bufs[dst]
		dst = 3 - dst // 1 <-> 2
	}
	outBuf = 3 - dst
	out := bufs[outBuf]
	oc := blk.layers[len(blk.layers)-1].p.OutC
	size := n * oc * ch * cw
	// Shortcut into the free buffers: pool x -> bufs[dst], conv -> bufs[3].
	sc, sh, sw := x, h, w
	inC := blk.layers[0].p.InC
	if blk.pool {
		sh, sw = avgPool2x2Ceil(bufs[dst], x, n*inC, h, w)
		sc = bufs[dst]
	}
	if blk.short != nil {
		if sh, sw, err = blk.short.forward(ws, bufs[3], sc, n, sh, sw); err != nil {
			return 0, 0, 0, err
		}
		sc = bufs[3]
	}
	if sh != ch || sw != cw || len(sc) < size {
		return 0, 0, 0, fmt.Errorf("shortcut gives %dx%d, residual branch %dx%d", sh, sw, ch, cw)
	}
	if blk.act == (activation{fused: ops.ActReLU}) {
		addInPlace(out[:size], sc[:size], ch*cw, true)
	} else {
		addInPlace(out[:size], sc[:size], ch*cw, false)
		blk.act.apply(ws, out[:size])
	}
	return outBuf, ch, cw, nil
}

// maxElems returns the largest activation (in values per image) the
// backbone makes for an h x w input.
func (bb *backbone) maxElems(h, w int) int {
	m := 0
	upd := func(c, h, w int) { m = max(m, c*h*w) }
	for _, l := range bb.stem {
		h, w = l.outSize(h, w)
		upd(l.p.OutC, h, w)
	}
	h, w = (h-1)/2+1, (w-1)/2+1
	upd(bb.stem[2].p.OutC, h, w)
	for _, blocks := range bb.stages {
		for _, blk := range blocks {
			ch, cw := h, w
			for _, l := range blk.layers {
				ch, cw = l.outSize(ch, cw)
				upd(l.p.OutC, ch, cw)
			}
			sh, sw := h, w
			if blk.pool {
				sh, sw = (h+1)/2, (w+1)/2
				upd(blk.layers[0].p.InC, sh, sw)
			}
			if blk.short != nil {
				sh, sw = blk.short.outSize(sh, sw)
				upd(blk.short.p.OutC, sh, sw)
			}
			h, w = ch, cw
		}
	}
	return m
}

// featureShape is one output feature map's channels and size.
type featureShape struct{ c, h, w int }

// forward runs the backbone on pixels [n, 3, h, w] and writes the features
// of the out stages into ws (kindFeature slots, finest first), returning
// their shapes.
func (bb *backbone) forward(ws *workspace, pixels []float32, n, h, w int, shapes []featureShape) error {
	size := n * bb.maxElems(h, w)
	var bufs [4][]float32
	for i := range bufs {
		bufs[i] = ws.buf(kindBackbone, i, size)
	}
	// Stem: pixels -> 1 -> 2 -> 1, max pool -> 0.
	cur := pixels
	var err error
	for i, l := range bb.stem {
		if h, w, err = l.forward(ws, bufs[1+i%2], cur, n, h, w); err != nil {
			return fmt.Errorf("backbone: %w", err)
		}
		cur = bufs[1+i%2]
	}
	h, w = maxPool3x3s2(bufs[0], cur, n*bb.stem[2].p.OutC, h, w)
	c := bb.stem[2].p.OutC
	level := 0
	for s, blocks := range bb.stages {
		for _, blk := range blocks {
			var ob int
			if ob, h, w, err = blk.forward(ws, bufs, n, h, w); err != nil {
				return fmt.Errorf("backbone stage %d: %w", s, err)
			}
			bufs[0], bufs[ob] = bufs[ob], bufs[0] // the output becomes the next input
			c = blk.layers[len(blk.layers)-1].p.OutC
		}
		if level < len(bb.outIdx) && bb.outIdx[level] == s+1 {
			f := ws.buf(kindFeature, level, n*c*h*w)
			copy(f, bufs[0][:len(f)])
			shapes[level] = featureShape{c, h, w}
			level++
		}
	}
	return nil
}
