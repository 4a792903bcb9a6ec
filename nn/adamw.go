package nn

import (
	"fmt"
	"math"
)

// AdamW is Adam with decoupled weight decay, step for step as
// torch.optim.AdamW: p -= lr*wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). Weight decay applies
// to parameters of two or more dimensions (weights), not to biases, norms,
// gates or other vectors.
type AdamW struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Step                               int
	params                             []*Param
	m, v                               [][]float32
}

// NewAdamW returns an optimiser for the parameters that have gradients, with
// the paper's weight decay (1e-4) and PyTorch's default betas and epsilon.
func NewAdamW(params []*Param, lr float64) *AdamW {
	o := &AdamW{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-4}
	for _, p := range params {
		if p.Grad == nil || p.Buffer {
			continue
		}
		o.params = append(o.params, p)
		o.m = append(o.m, make([]float32, len(p.Data)))
		o.v = append(o.v, make([]float32, len(p.Data)))
	}
	return o
}

// Params lists the optimised parameters.
func (o *AdamW) Params() []*Param { return o.params }

// Update applies one step with the current gradients (it does not clear
// them).
func (o *AdamW) Update() {
	o.Step++
	t := float64(o.Step)
	bc1 := 1 - math.Pow(o.Beta1, t)
	bc2 := 1 - math.Pow(o.Beta2, t)
	stepSize := float32(o.LR / bc1)
	sq2 := float32(math.Sqrt(bc2))
	// Coefficients rounded to float32 from float64, as PyTorch's scalars.
	b1, b2 := float32(o.Beta1), float32(o.Beta2)
	c1, c2 := float32(1-o.Beta1), float32(1-o.Beta2)
	eps := float32(o.Eps)
	for i, p := range o.params {
		decay := float32(1)
		if len(p.Shape) >= 2 {
			decay = float32(1 - o.LR*o.WeightDecay)
		}
		m, v, g := o.m[i], o.v[i], p.Grad
		for j := range p.Data {
			p.Data[j] *= decay
			m[j] = float32(b1*m[j]) + c1*g[j]
			v[j] = float32(b2*v[j]) + float32(g[j]*g[j])*c2
			denom := float32(math.Sqrt(float64(v[j])))/sq2 + eps
			p.Data[j] -= stepSize * m[j] / denom
		}
	}
}

// State returns the optimiser's moments as named tensors (m.<param>,
// v.<param>) for a checkpoint.
func (o *AdamW) State() map[string][]float32 {
	s := make(map[string][]float32, 2*len(o.params))
	for i, p := range o.params {
		s["m."+p.Name] = o.m[i]
		s["v."+p.Name] = o.v[i]
	}
	return s
}

// SetState restores moments saved by State; every optimised parameter must
// be present with its length.
func (o *AdamW) SetState(step int, get func(name string) ([]float32, error)) error {
	for i, p := range o.params {
		for _, k := range []struct {
			key string
			dst []float32
		}{{"m." + p.Name, o.m[i]}, {"v." + p.Name, o.v[i]}} {
			v, err := get(k.key)
			if err != nil {
				return fmt.Errorf("optimiser state: %w", err)
			}
			if len(v) != len(k.dst) {
				return fmt.Errorf("optimiser state %q: %d values, want %d", k.key, len(v), len(k.dst))
			}
			copy(k.dst, v)
		}
	}
	o.Step = step
	return nil
}

// ClipGradNorm scales the gradients of params so that their total L2 norm
// is at most maxNorm (as torch.nn.utils.clip_grad_norm_: coefficient
// maxNorm/(norm+1e-6) when below 1) and returns the norm before clipping. A
// NaN or infinite norm is returned as is, gradients untouched.
func ClipGradNorm(params []*Param, maxNorm float64) float64 {
	var s float64
	for _, p := range params {
		for _, g := range p.Grad {
			s += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(s)
	if math.IsNaN(norm) || math.IsInf(norm, 0) || maxNorm <= 0 {
		return norm
	}
	if c := maxNorm / (norm + 1e-6); c < 1 {
		k := float32(c)
		for _, p := range params {
			for j := range p.Grad {
				p.Grad[j] *= k
			}
		}
	}
	return norm
}

// Schedule gives the learning rate at a step: linear warm-up from 0 over
// Warmup steps, then cosine decay to MinLR at Total steps, or with Steps set,
// multiplication by Gamma at each of those steps (step decay).
type Schedule struct {
	Base, MinLR   float64
	Warmup, Total int
	Steps         []int // step decay milestones; cosine when empty
	Gamma         float64
}

// At returns the learning rate for step (0-based).
func (s Schedule) At(step int) float64 {
	if step < s.Warmup {
		return s.Base * float64(step+1) / float64(s.Warmup)
	}
	if len(s.Steps) > 0 {
		lr := s.Base
		for _, m := range s.Steps {
			if step >= m {
				lr *= s.Gamma
			}
		}
		return lr
	}
	span := max(s.Total-s.Warmup, 1)
	p := math.Min(float64(step-s.Warmup)/float64(span), 1)
	return s.MinLR + 0.5*(s.Base-s.MinLR)*(1+math.Cos(math.Pi*p))
}
