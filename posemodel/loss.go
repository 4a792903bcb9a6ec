package posemodel

import (
	"fmt"
	"math"

	"github.com/ladderpose/ladderpose/nn"
)

// Limbs are the COCO skeleton's 19 limbs with 0-based keypoint indices, in
// SPEC.md section 8's order.
var Limbs = [19][2]int{{15, 13}, {13, 11}, {16, 14}, {14, 12}, {11, 12}, {5, 11}, {6, 12}, {5, 6}, {5, 7},
	{6, 8}, {7, 9}, {8, 10}, {1, 2}, {0, 1}, {0, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}}

// Loss settings of SPEC.md section 8.
const (
	DefaultLambda = 0.7  // weight of the keypoint loss
	SoftArgmaxB   = 20.0 // beta of the soft-argmax
	TargetSigma   = 2.0  // Gaussian sigma of the targets, heatmap pixels
)

// UDPTargets builds ViTPose's UDP heatmap targets for keypoints [B, K, 3]
// (crop pixel x, y and COCO visibility) on an imageH x imageW crop with
// heatmapH x heatmapW heatmaps: target [B, K, hh, wh] holds an unnormalised
// Gaussian of sigma TargetSigma centred at (x/fx, y/fy), fx = (imageW-1)/
// (wh-1), drawn inside the 6*sigma+1 window around the rounded centre, and
// weight [B, K] is 1 for a labelled keypoint whose window touches the
// heatmap (computed in float64 as mmpose does).
func UDPTargets(target, weight, kpts []float32, b, k, imageH, imageW, hh, wh int) {
	fx := float64(imageW-1) / float64(wh-1)
	fy := float64(imageH-1) / float64(hh-1)
	clear(target[:b*k*hh*wh])
	rad := 3 * TargetSigma
	for i := 0; i < b*k; i++ {
		weight[i] = 0
		x, y, v := float64(kpts[i*3]), float64(kpts[i*3+1]), kpts[i*3+2]
		if v <= 0 {
			continue
		}
		mx, my := x/fx, y/fy
		cx, cy := math.Trunc(mx+0.5), math.Trunc(my+0.5) // Python int(): toward zero
		ul0, ul1 := cx-rad, cy-rad
		br0, br1 := cx+rad+1, cy+rad+1
		if ul0 >= float64(wh) || ul1 >= float64(hh) || br0 < 0 || br1 < 0 {
			continue
		}
		weight[i] = 1
		x0, x1 := int(max(0, ul0)), int(min(br0, float64(wh)))
		y0, y1 := int(max(0, ul1)), int(min(br1, float64(hh)))
		hm := target[i*hh*wh : (i+1)*hh*wh]
		for yy := y0; yy < y1; yy++ {
			dy := float64(yy) - my
			for xx := x0; xx < x1; xx++ {
				dx := float64(xx) - mx
				hm[yy*wh+xx] = float32(math.Exp(-(dx*dx + dy*dy) / (2 * TargetSigma * TargetSigma)))
			}
		}
	}
}

// LossParts are the values of one batch's joint loss.
type LossParts struct {
	Loss, Keypoint, Skeleton float64
	Limbs                    int // limbs with both ends labelled
}

// JointLoss appends SPEC.md section 8's loss to the tape: lambda*L_K +
// (1-lambda)*L_S for heatmaps hm [B, K, hh, wh] and keypoints [B, K, 3] in
// crop pixels of an imageH x imageW crop. It returns the loss as a
// one-element Var (for Backward) and its parts.
func JointLoss(t *nn.Tape, hm *nn.Var, kpts []float32, lambda float64, imageH, imageW int) (*nn.Var, LossParts, error) {
	if hm.Val.NDim() != 4 {
		return nil, LossParts{}, fmt.Errorf("loss: heatmaps have shape %v, want [B, K, H, W]", hm.Shape())
	}
	b, k, hh, wh := hm.Dim(0), hm.Dim(1), hm.Dim(2), hm.Dim(3)
	if len(kpts) != b*k*3 {
		return nil, LossParts{}, fmt.Errorf("loss: %d keypoint values for heatmaps %v (want %d)", len(kpts), hm.Shape(), b*k*3)
	}
	if k != 17 {
		return nil, LossParts{}, fmt.Errorf("loss: the skeleton loss needs the 17 COCO keypoints, heatmaps have %d", k)
	}
	p := hh * wh
	target := t.Floats(b * k * p)
	weight := t.Floats(b * k)
	UDPTargets(target, weight, kpts, b, k, imageH, imageW, hh, wh)
	h := hm.Data()
	for _, v := range h {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, LossParts{}, fmt.Errorf("loss: heatmaps hold NaN or Inf")
		}
	}

	// L_K = mean over (b, k) of w * mean over pixels (H - T)^2.
	var lk float64
	for i := 0; i < b*k; i++ {
		if weight[i] == 0 {
			continue
		}
		var s float64
		for j := i * p; j < (i+1)*p; j++ {
			d := float64(h[j]) - float64(target[j])
			s += d * d
		}
		lk += s / float64(p)
	}
	lk /= float64(b * k)

	// L_S: soft-argmax positions (in units of the heatmap width), limbs.
	fx := float64(imageW-1) / float64(wh-1)
	fy := float64(imageH-1) / float64(hh-1)
	q := make([]float64, b*k*p) // softmax(beta*H) per keypoint
	px := make([]float64, b*k)
	py := make([]float64, b*k)
	for i := 0; i < b*k; i++ {
		row := h[i*p : (i+1)*p]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, SoftArgmaxB*float64(v))
		}
		var s float64
		for j, v := range row {
			e := math.Exp(SoftArgmaxB*float64(v) - m)
			q[i*p+j] = e
			s += e
		}
		var sx, sy float64
		for j := range row {
			q[i*p+j] /= s
			sx += q[i*p+j] * float64(j%wh)
			sy += q[i*p+j] * float64(j/wh)
		}
		px[i], py[i] = sx/float64(wh), sy/float64(wh)
	}
	gpx := make([]float64, b*k) // dL_S/dp
	gpy := make([]float64, b*k)
	var ls float64
	limbs := 0
	for bi := 0; bi < b; bi++ {
		for _, l := range Limbs {
			a, c := bi*k+l[0], bi*k+l[1]
			if kpts[a*3+2] <= 0 || kpts[c*3+2] <= 0 {
				continue
			}
			gax, gay := float64(kpts[a*3])/fx/float64(wh), float64(kpts[a*3+1])/fy/float64(wh)
			gcx, gcy := float64(kpts[c*3])/fx/float64(wh), float64(kpts[c*3+1])/fy/float64(wh)
			dx := (px[c] - px[a]) - (gcx - gax)
			dy := (py[c] - py[a]) - (gcy - gay)
			norm := math.Sqrt(dx*dx + dy*dy)
			ls += norm
			limbs++
			if norm > 0 {
				gpx[c] += dx / norm
				gpx[a] -= dx / norm
				gpy[c] += dy / norm
				gpy[a] -= dy / norm
			}
		}
	}
	if limbs > 0 {
		ls /= float64(limbs)
	}
	parts := LossParts{Loss: lambda*lk + (1-lambda)*ls, Keypoint: lk, Skeleton: ls, Limbs: limbs}
	loss := t.Value(1)
	if hm.NeedsGrad() {
		loss.Grad = t.Floats(1)
		loss.Grad[0] = 0
	}
	loss.Data()[0] = float32(parts.Loss)
	if hm.NeedsGrad() {
		t.Record(func() {
			g := float64(loss.Grad[0])
			ck := g * lambda * 2 / float64(b*k*p)
			cs := 0.0
			if limbs > 0 {
				cs = g * (1 - lambda) / float64(limbs)
			}
			for i := 0; i < b*k; i++ {
				hg := hm.Grad[i*p : (i+1)*p]
				if weight[i] != 0 {
					for j := range hg {
						hg[j] += float32(ck * (float64(h[i*p+j]) - float64(target[i*p+j])))
					}
				}
				if cs == 0 || (gpx[i] == 0 && gpy[i] == 0) {
					continue
				}
				// dp/dH_j = beta q_j ((x_j, y_j)/wh - p).
				ax, ay := cs*gpx[i], cs*gpy[i]
				for j := range hg {
					xj, yj := float64(j%wh)/float64(wh), float64(j/wh)/float64(wh)
					hg[j] += float32(SoftArgmaxB * q[i*p+j] * (ax*(xj-px[i]) + ay*(yj-py[i])))
				}
			}
		})
	}
	return loss, parts, nil
}
