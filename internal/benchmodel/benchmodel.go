// Package benchmodel builds pose models with seeded random weights for the
// inference benchmarks and the bench command, and counts the floating-point
// work of a forward pass analytically. It is benchmark support, not part of
// the engine: timings do not depend on the weights' values, only on their
// shapes (the values are kept in a realistic range so that no stage runs
// into infinities or subnormal numbers).
package benchmodel

import (
	"fmt"
	"math"
	"strings"

	"github.com/ladderpose/ladderpose/internal/testmodel"
	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
)

// Random returns a ViTPose of a standard size ("S", "B", "L" or "H", classic
// head), with the default side network (posemodel.DefaultSide) when side is
// set, every parameter filled by Fill from seed, and prepared for inference.
func Random(size string, side bool, seed uint64) (*posemodel.Model, error) {
	cfg, err := posemodel.StandardConfig(size)
	if err != nil {
		return nil, err
	}
	if side {
		s := posemodel.DefaultSide
		cfg.Side = &s
	}
	m, err := posemodel.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := Fill(m, seed); err != nil {
		return nil, err
	}
	return m, nil
}

// Fill sets every parameter of m to a deterministic function of seed and
// prepares the model:
//   - weights of two or more dimensions (linear, convolution, transposed
//     convolution) uniform in +-1/sqrt(fan_in), fan_in being the product of
//     all but the first dimension (PyTorch's convention), and each bias of
//     such a weight with the same bound;
//   - LayerNorm and BatchNorm: gamma 1, beta 0, running mean 0, running
//     variance 1;
//   - backbone.pos_embed uniform in +-0.02, the ladder gates uniform in
//     +-0.1, MGA's alpha and beta 1/3 and its edge vector uniform in
//     +-1/sqrt(C).
//
// Unlike posemodel's InitSide, the side output projection is random too, so
// the side network's result reaches the heatmaps.
func Fill(m *posemodel.Model, seed uint64) error {
	params := m.Params()
	byName := make(map[string]*nn.Param, len(params))
	for _, p := range params {
		byName[p.Name] = p
	}
	for i, p := range params {
		fill(p, byName, seed^(uint64(i+1)*0xD1B54A32D192ED03))
	}
	if err := m.Prepare(); err != nil {
		return fmt.Errorf("benchmodel: %w", err)
	}
	return nil
}

// fill sets one parameter (see Fill) from its own random stream.
func fill(p *nn.Param, byName map[string]*nn.Param, seed uint64) {
	name := p.Name
	dot := strings.LastIndexByte(name, '.')
	prefix, last := name[:dot+1], name[dot+1:]
	constant := func(v float32) {
		for i := range p.Data {
			p.Data[i] = v
		}
	}
	uniform := func(bound float64) {
		u := testmodel.Values(seed, len(p.Data))
		for i, x := range u {
			p.Data[i] = float32(float64(x) * bound)
		}
	}
	sibling := byName[prefix+"weight"]
	switch {
	case last == "running_mean":
		constant(0)
	case last == "running_var":
		constant(1)
	case len(p.Shape) == 1 && last == "weight":
		constant(1) // LayerNorm or BatchNorm gamma
	case len(p.Shape) == 1 && last == "bias" && (sibling == nil || len(sibling.Shape) == 1):
		constant(0) // LayerNorm or BatchNorm beta
	case name == "backbone.pos_embed":
		uniform(0.02)
	case name == "side.ladder.gates":
		uniform(0.1)
	case name == "side.mga.alpha" || name == "side.mga.beta":
		constant(1.0 / 3)
	case name == "side.mga.edge_a":
		uniform(1 / math.Sqrt(float64(p.Shape[0]/2)))
	case len(p.Shape) >= 2:
		uniform(1 / math.Sqrt(float64(p.Len()/p.Shape[0])))
	case last == "bias":
		uniform(1 / math.Sqrt(float64(sibling.Len()/sibling.Shape[0])))
	default:
		uniform(1 / math.Sqrt(float64(p.Len())))
	}
}

// Input returns a batch of b pseudo-random images [b, 3, H, W] with values
// uniform in [-2, 2), the range of normalised crops.
func Input(cfg posemodel.Config, b int, seed uint64) tensor.Tensor {
	h, w := cfg.Input[0], cfg.Input[1]
	u := testmodel.Values(seed, b*3*h*w)
	for i := range u {
		u[i] *= 2
	}
	return tensor.FromSlice(u, b, 3, h, w)
}

// Levels are the numbers of strips the two fusions of one sample use
// (SPEC.md section 5.2); they decide part of the side network's work.
type Levels struct{ Fre, Spa int }

// SampleLevels runs m once on images (with a workspace of its own) and
// returns each sample's fusion levels; nil for a model without a side
// network.
func SampleLevels(m *posemodel.Model, images tensor.Tensor) ([]Levels, error) {
	if !m.HasSide() {
		return nil, nil
	}
	ws := posemodel.NewWorkspace()
	ws.Keep("level_fre", "level_spa")
	if _, err := m.Forward(ws, images); err != nil {
		return nil, err
	}
	fre, ok1 := ws.Intermediate("level_fre")
	spa, ok2 := ws.Intermediate("level_spa")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("benchmodel: the model kept no fusion levels")
	}
	out := make([]Levels, fre.Len())
	for i := range out {
		out[i] = Levels{Fre: int(fre.Data()[i]), Spa: int(spa.Data()[i])}
	}
	return out, nil
}
