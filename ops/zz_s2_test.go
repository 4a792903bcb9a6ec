package ops

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

func TestZZS2(t *testing.T) {
	if os.Getenv("ZZAB") == "" {
		t.Skip()
	}
	cases := []struct{ in, out, h int }{{3, 32, 640}, {64, 128, 160}, {128, 256, 80}, {256, 512, 40}, {256, 256, 80}, {256, 256, 40}}
	r := newRand(20)
	for _, tc := range cases {
		p := Conv2DParams{InC: tc.in, OutC: tc.out, KH: 3, KW: 3, PadH: 1, PadW: 1, StrideH: 2, StrideW: 2}
		c, _ := NewConv2D(randNormal(r, tc.out*tc.in*9, 0.1), randNormal(r, tc.out, 1), p)
		h := tc.h
		oh, ow := c.p.OutSize(h, h)
		src := randNormal(r, tc.in*h*h, 1)
		ph, pw := PhasedSize(h, h, 1, 2, 2)
		xs := make([]float32, tc.in*4*ph*pw)
		d1 := make([]float32, tc.out*oh*ow)
		d2 := make([]float32, tc.out*oh*ow)
		var t1, t2 []float64
		for i := 0; i < 30; i++ {
			s := time.Now()
			PadPhases(xs, src, tc.in, h, h, 1, 2, 2)
			c.ForwardPhased(d1, xs, 1, h, h, 1)
			t1 = append(t1, time.Since(s).Seconds()*1e3)
			s = time.Now()
			c.Forward(d2, src, 1, h, h, nil)
			t2 = append(t2, time.Since(s).Seconds()*1e3)
		}
		slices.Sort(t1)
		slices.Sort(t2)
		fmt.Printf("s2 %d_%d_%d phased %.2f plain %.2f ratio %.3f same=%v\n", tc.in, tc.out, h, t1[15], t2[15], t1[15]/t2[15], slices.Equal(d1, d2))
	}
}
