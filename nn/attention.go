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
