package posemodel

import (
	"math"
	"math/rand/v2"
	"strings"

	"github.com/ladderpose/ladderpose/nn"
)

// InitSide gives the model a freshly initialised side network of the given
// size (DefaultSide when nil), deterministically from seed: convolution and
// linear weights and biases uniform in +-1/sqrt(fan_in) (PyTorch's default
// initialisation), BatchNorm in its initial state (gamma 1, beta 0, mean 0,
// variance 1), the ladder gates 0, MGA's alpha and beta 1/3, and the output
// projection zero, so that the model's heatmaps are the plain ViTPose's bit
// for bit until the side network is trained. It replaces any existing side
// network and prepares the model.
func (m *Model) InitSide(side *SideConfig, seed uint64) error {
	if side == nil {
		s := DefaultSide
		side = &s
	}
	cfg := m.Cfg
	sc := *side
	cfg.Side = &sc
	if err := cfg.Validate(); err != nil {
		return err
	}
	m.Cfg = cfg
	m.side = newSideNet(cfg)
	rng := rand.New(rand.NewPCG(seed, 0x6c6164646572)) // "ladder"
	params := m.side.params()
	byName := make(map[string]*nn.Param, len(params))
	for _, p := range params {
		byName[p.Name] = p
	}
	for _, p := range params {
		initSideParam(p, byName, rng)
	}
	return m.Prepare()
}

// initSideParam initialises one side parameter (see InitSide). Parameters
// are visited in a fixed order, so the values depend on the seed alone.
func initSideParam(p *nn.Param, byName map[string]*nn.Param, rng *rand.Rand) {
	name := p.Name
	last := name[strings.LastIndexByte(name, '.')+1:]
	switch {
	case strings.HasPrefix(name, "side.out_proj."), name == "side.ladder.gates":
		clear(p.Data)
		return
	case name == "side.mga.alpha" || name == "side.mga.beta":
		for i := range p.Data {
			p.Data[i] = 1.0 / 3
		}
		return
	case last == "running_mean" || last == "running_var" ||
		(len(p.Shape) == 1 && (strings.Contains(name, ".bn") || strings.HasSuffix(name, "_bn.weight") || strings.HasSuffix(name, "_bn.bias"))):
		v := float32(0)
		if last == "running_var" || last == "weight" {
			v = 1
		}
		for i := range p.Data {
			p.Data[i] = v
		}
		return
	}
	fanIn := 1
	switch {
	case len(p.Shape) >= 2:
		for _, d := range p.Shape[1:] {
			fanIn *= d
		}
	case name == "side.mga.edge_a":
		fanIn = p.Shape[0] / 2
	case last == "bias":
		if w := byName[strings.TrimSuffix(name, "bias")+"weight"]; w != nil && len(w.Shape) >= 2 {
			fanIn = w.Len() / w.Shape[0]
		}
	}
	if fanIn <= 0 {
		fanIn = p.Len()
	}
	bound := 1 / math.Sqrt(float64(fanIn))
	for i := range p.Data {
		p.Data[i] = float32((2*rng.Float64() - 1) * bound)
	}
}

// InitRandom initialises the backbone and the head for training from
// scratch, deterministically from seed, as ViTPose/mmpose do: linear and
// patch-embedding weights from a truncated normal (std 0.02), biases 0,
// LayerNorm gamma 1 and beta 0, the position embedding truncated normal
// (std 0.02), transposed convolutions normal (std 0.001), the final layer
// normal (std 0.001) with zero bias, BatchNorm in its initial state. The
// side network, if any, is left as it is. It prepares the model.
func (m *Model) InitRandom(seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x7669747073)) // "vitps"
	truncNormal := func(d []float32, std float64) {
		for i := range d {
			v := rng.NormFloat64()
			for v < -2 || v > 2 {
				v = rng.NormFloat64()
			}
			d[i] = float32(v * std)
		}
	}
	for _, p := range m.Params() {
		if strings.HasPrefix(p.Name, "side.") {
			continue
		}
		last := p.Name[strings.LastIndexByte(p.Name, '.')+1:]
		switch {
		case p.Name == "backbone.pos_embed":
			truncNormal(p.Data, 0.02)
		case last == "running_var" || (last == "weight" && len(p.Shape) == 1):
			for i := range p.Data {
				p.Data[i] = 1
			}
		case len(p.Shape) == 1: // biases, LayerNorm/BatchNorm beta, running means
			clear(p.Data)
		case strings.HasPrefix(p.Name, "keypoint_head."):
			for i := range p.Data {
				p.Data[i] = float32(rng.NormFloat64() * 0.001)
			}
		default:
			truncNormal(p.Data, 0.02)
		}
	}
	return m.Prepare()
}
