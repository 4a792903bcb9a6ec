package nn

import "github.com/ladderpose/ladderpose/ops"

// Attention computes multi-head scaled dot-product attention for b batch
// items: for item i and head h,
//
//	P = softmax(Q_ih K_ih^T * scale)   [nq, nk]
//	O_ih = P V_ih                      [nq, hd]
//
// where Q_ih is rows i*nq..(i+1)*nq-1, columns h*hd..(h+1)*hd-1 of q (row
// stride ldq), K and V likewise with nk rows per item, and O is written into
// out (row stride ldo) at the same columns. probs [b, heads, nq, nk] receives
// P (kept for a backward pass). Items and heads run in parallel; each
// product runs on one goroutine, so results do not depend on the number of
// workers.
func Attention(out []float32, ldo int, q []float32, ldq int, k []float32, ldk int, v []float32, ldv int,
	b, nq, nk, heads, hd int, scale float32, probs []float32) {
	ops.ParallelFor(b*heads, 1, func(lo, hi int) {
		attention(lo, hi, out, ldo, q, ldq, k, ldk, v, ldv, nq, nk, heads, hd, scale, probs)
	})
}

// AttentionSerial is Attention on the calling goroutine only, for callers
// that run independent attentions in parallel themselves.
func AttentionSerial(out []float32, ldo int, q []float32, ldq int, k []float32, ldk int, v []float32, ldv int,
	b, nq, nk, heads, hd int, scale float32, probs []float32) {
	attention(0, b*heads, out, ldo, q, ldq, k, ldk, v, ldv, nq, nk, heads, hd, scale, probs)
}

// attention computes the (item, head) pairs t in [lo, hi).
func attention(lo, hi int, out []float32, ldo int, q []float32, ldq int, k []float32, ldk int, v []float32, ldv int,
	nq, nk, heads, hd int, scale float32, probs []float32) {
	for t := lo; t < hi; t++ {
		i, h := t/heads, t%heads
		p := probs[t*nq*nk : (t+1)*nq*nk]
		qm := ops.Mat{Data: q[i*nq*ldq+h*hd:], RS: ldq, CS: 1}
		kt := ops.Mat{Data: k[i*nk*ldk+h*hd:], RS: 1, CS: ldk} // K^T: hd x nk
		vm := ops.Mat{Data: v[i*nk*ldv+h*hd:], RS: ldv, CS: 1}
		om := ops.Mat{Data: out[i*nq*ldo+h*hd:], RS: ldo, CS: 1}
		ops.GemmSerial(nq, nk, hd, scale, qm, kt, 0, ops.RowMajor(p, nk), ops.Epilogue{})
		for r := 0; r < nq; r++ {
			ops.Softmax(p[r*nk:(r+1)*nk], nk) // one row: runs on this goroutine
		}
		ops.GemmSerial(nq, hd, nk, 1, ops.RowMajor(p, nk), vm, 0, om, ops.Epilogue{})
	}
}

// AttentionT is Attention on a Tape. q, k and v hold their heads in columns
// qOff.., kOff.., vOff.. of rows with strides ldq, ldk, ldv (they may be one
// Var, as the ViT's qkv projection); the result is [b*nq, heads*hd].
// Backward per item and head, with P the probabilities and dO the output
// gradient: dV += P^T dO, dP = dO V^T, dS = P*(dP - rowsum(dP*P)),
// dQ += scale dS K, dK += scale dS^T Q. Items and heads run in parallel and
// write disjoint blocks of the gradients.
func (t *Tape) AttentionT(q *Var, qOff, ldq int, k *Var, kOff, ldk int, v *Var, vOff, ldv int,
	b, nq, nk, heads, hd int, scale float32) *Var {
	e := heads * hd
	y := t.out(anyGrad(q, k, v), b*nq, e)
	probs := t.Floats(b * heads * nq * nk)
	Attention(y.Data(), e, q.Data()[qOff:], ldq, k.Data()[kOff:], ldk, v.Data()[vOff:], ldv, b, nq, nk, heads, hd, scale, probs)
	if y.Grad == nil {
		return y
	}
	t.record(func() {
		dp := t.Floats(b * heads * nq * nk)
		qd, kd, vd := q.Data()[qOff:], k.Data()[kOff:], v.Data()[vOff:]
		ops.ParallelFor(b*heads, 1, func(lo, hi int) {
			for task := lo; task < hi; task++ {
				i, h := task/heads, task%heads
				p := probs[task*nq*nk : (task+1)*nq*nk]
				g := dp[task*nq*nk : (task+1)*nq*nk]
				do := ops.Mat{Data: y.Grad[i*nq*e+h*hd:], RS: e, CS: 1}
				qm := ops.Mat{Data: qd[i*nq*ldq+h*hd:], RS: ldq, CS: 1}
				km := ops.Mat{Data: kd[i*nk*ldk+h*hd:], RS: ldk, CS: 1}
				vt := ops.Mat{Data: vd[i*nk*ldv+h*hd:], RS: 1, CS: ldv} // V^T: hd x nk
				if v.Grad != nil {
					dv := ops.Mat{Data: v.Grad[vOff+i*nk*ldv+h*hd:], RS: ldv, CS: 1}
					ops.GemmSerial(nk, hd, nq, 1, ops.ColMajor(p, nk), do, 1, dv, ops.Epilogue{})
				}
				if q.Grad == nil && k.Grad == nil {
					continue
				}
				ops.GemmSerial(nq, nk, hd, 1, do, vt, 0, ops.RowMajor(g, nk), ops.Epilogue{})
				for r := 0; r < nq; r++ {
					pr, gr := p[r*nk:(r+1)*nk], g[r*nk:(r+1)*nk]
					var dot float32
					for j, pv := range pr {
						dot += pv * gr[j]
					}
					for j, pv := range pr {
						gr[j] = pv * (gr[j] - dot)
					}
				}
				if q.Grad != nil {
					dq := ops.Mat{Data: q.Grad[qOff+i*nq*ldq+h*hd:], RS: ldq, CS: 1}
					ops.GemmSerial(nq, hd, nk, scale, ops.RowMajor(g, nk), km, 1, dq, ops.Epilogue{})
				}
				if k.Grad != nil {
					dk := ops.Mat{Data: k.Grad[kOff+i*nk*ldk+h*hd:], RS: ldk, CS: 1}
					ops.GemmSerial(nk, hd, nq, scale, ops.ColMajor(g, nk), qm, 1, dk, ops.Epilogue{})
				}
			}
		})
	})
	return y
}
