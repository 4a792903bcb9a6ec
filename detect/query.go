package detect

import (
	"fmt"
	"math"
	"slices"

	"github.com/ladderpose/ladderpose/ops"
)

// Query selection: the part of Hugging Face's RTDetrModel.forward between the
// hybrid encoder and the decoder. In order:
//
//	decoder_input_proj[l]   1x1 conv + BatchNorm per level      levels -> source_flatten [B, S, d]
//	generate_anchors        anchors [S, 4] (inverse sigmoid), valid_mask [S]
//	memory                  valid_mask * source_flatten
//	enc_output              Linear + LayerNorm                   -> output_memory [B, S, d]
//	enc_score_head          Linear                               -> enc_outputs_class [B, S, C]
//	enc_bbox_head + anchors MLP (3 layers)                       -> enc_outputs_coord_logits [B, S, 4]
//	topk                    of max over classes, num_queries     -> topk_ind [B, Q]
//	gather                  reference_points_unact, enc_topk_logits, target (output_memory rows)
//
// S is the sum of h*w over the levels, finest first.

// anchorEps is generate_anchors' valid range: every coordinate in (eps, 1-eps).
const anchorEps = 1e-2

// anchorGridSize is generate_anchors' grid_size: the level-0 anchor width and
// height (doubling at each level).
const anchorGridSize = 0.05

// decAnchors fills anchors [S, 4] and valid [S] as generate_anchors does for
// the level sizes (finest first): the anchor of pixel (x, y) of level l is
// the box ((x+0.5)/w, (y+0.5)/h, 0.05*2^l, 0.05*2^l), valid when all four
// values lie strictly inside (0.01, 0.99), stored as its inverse sigmoid
// log(a/(1-a)); an invalid anchor is stored as the largest float32 (HF:
// torch.finfo(dtype).max). It computes in float64 and rounds once.
func decAnchors(anchors []float32, valid []bool, sizes [][2]int) {
	s := 0
	for l, sz := range sizes {
		h, w := sz[0], sz[1]
		wh := anchorGridSize * math.Pow(2, float64(l))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				a := [4]float64{(float64(x) + 0.5) / float64(w), (float64(y) + 0.5) / float64(h), wh, wh}
				ok := true
				for _, v := range a {
					ok = ok && v > anchorEps && v < 1-anchorEps
				}
				valid[s] = ok
				for j, v := range a {
					if ok {
						anchors[4*s+j] = float32(math.Log(v / (1 - v)))
					} else {
						anchors[4*s+j] = math.MaxFloat32
					}
				}
				s++
			}
		}
	}
}

// anchorSizes returns the level sizes the anchors are generated for: the
// actual ones, or with anchor_image_size set, int(size / stride) per level
// (which must then equal the actual ones, as Hugging Face's fixed anchors
// only fit that input size).
func (d *decoderNet) anchorSizes(sizes [][2]int) error {
	if d.anchorImage == nil {
		return nil
	}
	for l, s := range d.strides {
		want := [2]int{int(float64(d.anchorImage[0]) / float64(s)), int(float64(d.anchorImage[1]) / float64(s))}
		if sizes[l] != want {
			return fmt.Errorf("level %d is %dx%d but anchor_image_size %v gives %dx%d anchors at stride %d",
				l, sizes[l][0], sizes[l][1], d.anchorImage, want[0], want[1], s)
		}
	}
	return nil
}

// inputProj runs decoder_input_proj[l] (1x1 conv without bias + BatchNorm,
// folded into one affine map) on every level [B, cin, h, w] and writes the
// flattened result into src [B, S, d] (rows of level l start at starts[l]
// within each batch item).
func (d *decoderNet) inputProj(src []float32, levels [][]float32, sizes [][2]int, starts []int, seq, batch int) {
	for l, x := range levels {
		cin, hw := d.inChannels[l], sizes[l][0]*sizes[l][1]
		for b := 0; b < batch; b++ {
			// [hw, cin] view of level b (NCHW: pixel i, channel j at j*hw + i) times W^T [cin, d].
			a := ops.Mat{Data: x[b*cin*hw:], RS: 1, CS: hw}
			c := ops.RowMajor(src[(b*seq+starts[l])*d.d:], d.d)
			ops.GemmPackedB(hw, 1, a, d.inProj[l], 0, c, ops.Epilogue{Bias: d.inProjBias[l]})
		}
	}
}

// selectQueries runs query selection on src [B, S, d] and fills out's
// TopkIndices, TopkScores, TopkLogits, TopkBoxes and InitRef, and the
// decoder's initial target tgt [B*Q, d]. It returns output_memory
// [B*S, d], which is scratch from then on (the decoder reuses it).
//
// Two shortcuts leave every value as Hugging Face computes it: enc_output
// runs on source_flatten itself and the rows of invalid anchors are then
// set to what it gives for the zero row of memory (its bias alone); and
// enc_bbox_head runs only on the Q selected rows, the only ones whose boxes
// are used (each output row of a linear layer depends on its input row
// alone).
func (d *decoderNet) selectQueries(ws *decScratch, out *decoderOut, src, tgt []float32, seq, batch int) (om []float32) {
	a := ws.arena
	rows := batch * seq
	dm, nc, nq := d.d, d.nc, d.nq

	// output_memory = LayerNorm(enc_output.0(valid_mask * source_flatten))   [B*S, d]
	om = a.Floats(rows * dm)
	d.encOutput.Forward(om, dm, src, dm, rows, 0, ops.ActNone)
	for r := 0; r < rows; r++ {
		if !ws.valid[r%seq] {
			copy(om[r*dm:(r+1)*dm], d.encOutput.B.Data)
		}
	}
	d.encNorm.Forward(om, om)
	// enc_outputs_class = enc_score_head(output_memory)         [B*S, C]
	cls := a.Floats(rows * nc)
	d.encScore.Forward(cls, nc, om, dm, rows, 0, ops.ActNone)

	// topk_ind = topk(enc_outputs_class.max(-1).values, num_queries)   [B, Q]
	scores := ws.scores[:seq]
	sel := a.Floats(batch * nq * dm) // output_memory at the selected positions
	for b := 0; b < batch; b++ {
		for s := 0; s < seq; s++ {
			scores[s] = queryRowMax(cls[(b*seq+s)*nc : (b*seq+s+1)*nc])
		}
		queryTopK(out.TopkIndices[b*nq:(b+1)*nq], ws.order[:seq], scores)
		for q := 0; q < nq; q++ {
			i := b*nq + q
			s := out.TopkIndices[i]
			r := b*seq + s
			out.TopkScores[i] = scores[s]
			copy(out.TopkLogits[i*nc:(i+1)*nc], cls[r*nc:(r+1)*nc])
			copy(sel[i*dm:(i+1)*dm], om[r*dm:(r+1)*dm])
		}
	}
	// enc_outputs_coord_logits = enc_bbox_head(output_memory) + anchors, at the selected rows   [B*Q, 4]
	coord := a.Floats(batch * nq * 4)
	d.encBBox.forward(a, coord, sel, batch*nq)
	for i, s := range out.TopkIndices[:batch*nq] {
		an := ws.anchors[4*s:]
		for j := 0; j < 4; j++ {
			v := coord[4*i+j] + an[j]
			out.InitRef[4*i+j] = v
			out.TopkBoxes[4*i+j] = sigmoid32(v)
		}
	}
	// target: output_memory rows (or the learnt weight_embedding)
	if d.queryEmbed == nil {
		copy(tgt, sel)
	} else {
		for i := 0; i < batch*nq; i++ {
			q := i % nq
			copy(tgt[i*dm:(i+1)*dm], d.queryEmbed[q*dm:(q+1)*dm])
		}
	}
	return om
}

// rowMax returns the largest value of x, NaN if x holds one (torch.max).
func queryRowMax(x []float32) float32 {
	m := x[0]
	for _, v := range x {
		if v != v {
			return v
		}
		if v > m {
			m = v
		}
	}
	return m
}

// scoreAbove is torch.topk's order: a before b when a is larger, NaN being
// larger than any number.
func scoreAbove(a, b float32) bool {
	if a != a {
		return b == b
	}
	return a > b
}

// topK writes into idx the positions of the len(idx) largest scores in
// descending order, as torch.topk(sorted=True): equal scores (and NaNs)
// come in increasing position order, so the result is unique. order is
// scratch of len(scores).
func queryTopK(idx []int, order []int, scores []float32) {
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		switch {
		case scoreAbove(scores[i], scores[j]):
			return -1
		case scoreAbove(scores[j], scores[i]):
			return 1
		}
		return i - j
	})
	copy(idx, order[:len(idx)])
}

// sigmoid32 is 1/(1+exp(-x)) computed in float64 and rounded once.
func sigmoid32(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }
