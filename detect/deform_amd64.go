//go:build !noasm

package detect

import "github.com/ladderpose/ladderpose/ops"

// useDeformAVX2 selects the assembly row kernel: the ops path is AVX2 or
// AVX-512 (both mean AVX2 is there, and neither LADDERPOSE_NOASM nor the
// noasm tag is set).
var useDeformAVX2 = ops.Path() == ops.PathAVX2 || ops.Path() == ops.PathAVX512

// deformGatherAVX2 is deformGatherGeneric for len(dst) a positive multiple
// of 8, with every offs[t]+len(dst) <= len(src) and len(ws) = len(offs):
//
//	for t, o := range offs {
//		for c := range dst {
//			dst[c] += ws[t] * src[o+c]
//		}
//	}
//
//go:noescape
func deformGatherAVX2(dst, src []float32, offs []int, ws []float32)
