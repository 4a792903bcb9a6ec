package detect

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// mapGetter serves tensors from a map, with getter's shape check.
func mapGetter(m map[string][]float32, shapes map[string][]int) getter {
	return func(name string, shape ...int) ([]float32, error) {
		d, ok := m[name]
		if !ok {
			return nil, fmt.Errorf("tensor %q: missing", name)
		}
		if !sameShape(shapes[name], shape) {
			return nil, fmt.Errorf("tensor %q has shape %v, want %v", name, shapes[name], shape)
		}
		return append([]float32(nil), d...), nil
	}
}

// TestAIFILayer checks runAIFI, post-norm (the goldens' case) and pre-norm
// (normalize_before, which the goldens do not cover), against a direct
// float64 transcription of Hugging Face's RTDetrEncoderLayer.forward on
// random weights:
//
//	residual = x; if pre: x = LN1(x)
//	x = residual + out_proj(softmax(q k^T * hd^-0.5) v), q, k from x+pos, v from x
//	if post: x = LN1(x)
//	if pre: x = LN2(x)
//	residual = x; x = residual + fc2(gelu(fc1(x))); if post: x = LN2(x)
func TestAIFILayer(t *testing.T) {
	const c, f, heads, h, w, n = 16, 24, 2, 3, 5, 2
	rng := rand.New(rand.NewSource(7))
	m, shapes := map[string][]float32{}, map[string][]int{}
	put := func(name string, scale float64, shape ...int) {
		size := 1
		for _, s := range shape {
			size *= s
		}
		d := make([]float32, size)
		for i := range d {
			d[i] = float32(rng.NormFloat64() * scale)
		}
		m[name], shapes[name] = d, shape
	}
	p := "model.encoder.encoder.0.layers.0."
	for _, l := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
		put(p+"self_attn."+l+".weight", 0.3, c, c)
		put(p+"self_attn."+l+".bias", 0.1, c)
	}
	put(p+"fc1.weight", 0.3, f, c)
	put(p+"fc1.bias", 0.1, f)
	put(p+"fc2.weight", 0.3, c, f)
	put(p+"fc2.bias", 0.1, c)
	for _, l := range []string{"self_attn_layer_norm", "final_layer_norm"} {
		put(p+l+".weight", 0.2, c)
		put(p+l+".bias", 0.2, c)
		for i := range m[p+l+".weight"] {
			m[p+l+".weight"][i] += 1
		}
	}
	x := make([]float32, n*c*h*w)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for _, pre := range []bool{false, true} {
		cfg := &Config{EncoderHiddenDim: c, EncoderFFNDim: f, EncoderHeads: heads, EncoderLayers: 1,
			EncoderAct: "gelu", PosTemperature: 10000, NormalizeBefore: pre, LayerNormEps: 1e-5}
		l, err := newAIFILayer(cfg, mapGetter(m, shapes), p)
		if err != nil {
			t.Fatal(err)
		}
		e := &hybridEncoder{cfg: cfg, aifi: [][]*aifiLayer{{l}}}
		got := append([]float32(nil), x...)
		if err := e.runAIFI(&workspace{}, 0, got, n, h, w); err != nil {
			t.Fatal(err)
		}
		want := refAIFI(m, p, x, n, c, f, heads, h, w, pre)
		worst := 0.0
		for i := range got {
			worst = math.Max(worst, math.Abs(float64(got[i])-want[i]))
		}
		t.Logf("normalize_before=%v: max|diff| %.3g", pre, worst)
		if worst > 2e-5 {
			t.Errorf("normalize_before=%v: max|diff| %.3g > 2e-5", pre, worst)
		}
	}
}

// refAIFI is the float64 transcription of RTDetrEncoderLayer on x [n, c, h, w].
func refAIFI(m map[string][]float32, p string, x []float32, n, c, f, heads, h, w int, pre bool) []float64 {
	tokens := h * w
	hd := c / heads
	lin := func(name string, in []float64, din, dout int) []float64 {
		wt, b := m[p+name+".weight"], m[p+name+".bias"]
		out := make([]float64, dout)
		for o := 0; o < dout; o++ {
			s := float64(b[o])
			for i := 0; i < din; i++ {
				s += float64(wt[o*din+i]) * in[i]
			}
			out[o] = s
		}
		return out
	}
	ln := func(name string, v []float64) []float64 {
		g, b := m[p+name+".weight"], m[p+name+".bias"]
		mean, vr := 0.0, 0.0
		for _, a := range v {
			mean += a
		}
		mean /= float64(len(v))
		for _, a := range v {
			vr += (a - mean) * (a - mean)
		}
		vr /= float64(len(v))
		out := make([]float64, len(v))
		for i, a := range v {
			out[i] = (a-mean)/math.Sqrt(vr+1e-5)*float64(g[i]) + float64(b[i])
		}
		return out
	}
	out := make([]float64, len(x))
	d := c / 4
	for b := 0; b < n; b++ {
		tok := make([][]float64, tokens)
		pos := make([][]float64, tokens)
		for tkn := 0; tkn < tokens; tkn++ {
			tok[tkn] = make([]float64, c)
			for ch := 0; ch < c; ch++ {
				tok[tkn][ch] = float64(x[(b*c+ch)*tokens+tkn])
			}
			yy, xx := float64(tkn/w), float64(tkn%w)
			pos[tkn] = make([]float64, c)
			for i := 0; i < d; i++ {
				om := 1 / math.Pow(10000, float64(i)/float64(d))
				pos[tkn][i], pos[tkn][d+i] = math.Sin(yy*om), math.Cos(yy*om)
				pos[tkn][2*d+i], pos[tkn][3*d+i] = math.Sin(xx*om), math.Cos(xx*om)
			}
		}
		hs := make([][]float64, tokens)
		for tkn := range tok {
			hs[tkn] = tok[tkn]
			if pre {
				hs[tkn] = ln("self_attn_layer_norm", tok[tkn])
			}
		}
		q, k, v := make([][]float64, tokens), make([][]float64, tokens), make([][]float64, tokens)
		for tkn := range hs {
			qp := make([]float64, c)
			for i := range qp {
				qp[i] = hs[tkn][i] + pos[tkn][i]
			}
			q[tkn] = lin("self_attn.q_proj", qp, c, c)
			for i := range q[tkn] {
				q[tkn][i] *= math.Pow(float64(hd), -0.5)
			}
			k[tkn] = lin("self_attn.k_proj", qp, c, c)
			v[tkn] = lin("self_attn.v_proj", hs[tkn], c, c)
		}
		for i := 0; i < tokens; i++ {
			att := make([]float64, c)
			for hh := 0; hh < heads; hh++ {
				sc := make([]float64, tokens)
				mx := math.Inf(-1)
				for j := 0; j < tokens; j++ {
					for e := hh * hd; e < (hh+1)*hd; e++ {
						sc[j] += q[i][e] * k[j][e]
					}
					mx = math.Max(mx, sc[j])
				}
				sum := 0.0
				for j := range sc {
					sc[j] = math.Exp(sc[j] - mx)
					sum += sc[j]
				}
				for j := range sc {
					for e := hh * hd; e < (hh+1)*hd; e++ {
						att[e] += sc[j] / sum * v[j][e]
					}
				}
			}
			o := lin("self_attn.out_proj", att, c, c)
			y := make([]float64, c)
			for e := range y {
				y[e] = tok[i][e] + o[e]
			}
			if !pre {
				y = ln("self_attn_layer_norm", y)
			} else {
				y = ln("final_layer_norm", y)
			}
			hid := lin("fc1", y, c, f)
			for e, a := range hid {
				hid[e] = a / 2 * (1 + math.Erf(a/math.Sqrt2))
			}
			o2 := lin("fc2", hid, f, c)
			for e := range y {
				y[e] += o2[e]
			}
			if !pre {
				y = ln("final_layer_norm", y)
			}
			for ch := 0; ch < c; ch++ {
				out[(b*c+ch)*tokens+i] = y[ch]
			}
		}
	}
	return out
}
