package nn

import "github.com/ladderpose/ladderpose/ops"

// MatMul returns the batched product a b on a Tape: for each of batch items,
// op(a) [m, k] times op(b) [k, n] -> [m, n], where op transposes a stored
// [k, m] (transA) or b stored [n, k] (transB). Backward: dA = dY op(b)^T,
// dB = op(a)^T dY (transposed back to the stored layout).
func (t *Tape) MatMul(a, b *Var, batch, m, k, n int, transA, transB bool) *Var {
	mustLen("MatMul", a, batch*m*k)
	mustLen("MatMul", b, batch*k*n)
	y := t.out(anyGrad(a, b), batch, m, n)
	// Operand views of item i: A is m x k, B is k x n.
	amat := func(d []float32, i int) ops.Mat {
		if transA {
			return ops.ColMajor(d[i*m*k:], m)
		}
		return ops.RowMajor(d[i*m*k:], k)
	}
	bmat := func(d []float32, i int) ops.Mat {
		if transB {
			return ops.ColMajor(d[i*k*n:], k)
		}
		return ops.RowMajor(d[i*k*n:], n)
	}
	for i := 0; i < batch; i++ {
		ops.Gemm(m, n, k, 1, amat(a.Data(), i), bmat(b.Data(), i), 0, ops.RowMajor(y.Data()[i*m*n:], n), ops.Epilogue{})
	}
	if y.Grad != nil {
		t.record(func() {
			for i := 0; i < batch; i++ {
				dy := ops.RowMajor(y.Grad[i*m*n:], n)
				if a.Grad != nil { // dA (m x k) = dY B^T
					bt := bmat(b.Data(), i)
					bt.RS, bt.CS = bt.CS, bt.RS
					ops.Gemm(m, k, n, 1, dy, bt, 1, amat(a.Grad, i), ops.Epilogue{})
				}
				if b.Grad != nil { // dB (k x n) = A^T dY
					at := amat(a.Data(), i)
					at.RS, at.CS = at.CS, at.RS
					ops.Gemm(k, n, m, 1, at, dy, 1, bmat(b.Grad, i), ops.Epilogue{})
				}
			}
		})
	}
	return y
}
