package ops

// The pure-Go int8 micro-kernel and quantizer: the reference the assembly is
// tested against, and the fall-back on every platform.

// genericQKernel is the pure-Go int8 micro-kernel, always available.
var genericQKernel = &qkernel{name: PathGeneric, mr: 4, nr: 8, micro: qmicroGeneric4x8}

func qmicroGeneric4x8(k16 int, a []uint8, lda int, b []int8, c []float32, ldc int, sx, sw []float32, corr []int32, bias []float32) {
	kp := 16 * k16
	b = b[:kp*8]
	sw, bias = sw[:8], bias[:8]
	for i := 0; i < 4; i++ {
		row := a[i*lda : i*lda+kp]
		// Integer sums are exact, so their order is free: one group of 4
		// codes of the row against the 8 columns at a time, reading the
		// panel contiguously.
		var s0, s1, s2, s3, s4, s5, s6, s7 int32
		for g := 0; g < kp; g += 4 {
			u := row[g : g+4 : g+4]
			u0, u1, u2, u3 := int32(u[0])-128, int32(u[1])-128, int32(u[2])-128, int32(u[3])-128
			w := (*[32]int8)(b[g*8 : g*8+32])
			s0 += u0*int32(w[0]) + u1*int32(w[1]) + u2*int32(w[2]) + u3*int32(w[3])
			s1 += u0*int32(w[4]) + u1*int32(w[5]) + u2*int32(w[6]) + u3*int32(w[7])
			s2 += u0*int32(w[8]) + u1*int32(w[9]) + u2*int32(w[10]) + u3*int32(w[11])
			s3 += u0*int32(w[12]) + u1*int32(w[13]) + u2*int32(w[14]) + u3*int32(w[15])
			s4 += u0*int32(w[16]) + u1*int32(w[17]) + u2*int32(w[18]) + u3*int32(w[19])
			s5 += u0*int32(w[20]) + u1*int32(w[21]) + u2*int32(w[22]) + u3*int32(w[23])
			s6 += u0*int32(w[24]) + u1*int32(w[25]) + u2*int32(w[26]) + u3*int32(w[27])
			s7 += u0*int32(w[28]) + u1*int32(w[29]) + u2*int32(w[30]) + u3*int32(w[31])
		}
		s := [8]int32{s0, s1, s2, s3, s4, s5, s6, s7}
		out := c[i*ldc : i*ldc+8]
		for j := range out {
			out[j] = qDequant(s[j], sx[i], sw[j], bias[j])
		}
	}
}

// quantizeU8Generic writes dst[i] = clamp(round(x[i]*inv), -127, 127) + 128,
// round being half away from zero.
func quantizeU8Generic(dst []uint8, x []float32, inv float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = uint8(quantCode(v, inv, qActMax) + 128)
	}
}
