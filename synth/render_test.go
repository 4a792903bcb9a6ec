package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ladderpose/ladderpose/coco"
)

// jointPixel is the pixel holding picture point (x, y), or ok = false
// outside a w x h picture.
func jointPixel(x, y float64, w, h int) (i int, ok bool) {
	ix, iy := int(math.Floor(x+0.5)), int(math.Floor(y+0.5))
	if ix < 0 || iy < 0 || ix >= w || iy >= h {
		return 0, false
	}
	return iy*w + ix, true
}

// TestAnnotationsMatchRendering renders random scenes and checks every
// annotation against independent renders: the scene without people, and
// each person drawn alone.
//   - v = 0 exactly for keypoints whose pixel is outside the picture, with
//     coordinates (0, 0);
//   - a v = 2 keypoint's pixel belongs to that person in the final mask,
//     belongs to them when drawn alone, and its colour differs from the
//     empty scene's (the figure was painted there);
//   - a keypoint inside the picture whose pixel shows a nearer person is
//     v = 1;
//   - every pixel of a person in the final mask is one the person covers
//     when drawn alone, and no pixel belongs to two people;
//   - the bbox is the tight box of the mask pixels and encloses the v = 2
//     keypoints; the area is the mask's pixel count;
//   - RenderSample returns the same annotations and mask.
func TestAnnotationsMatchRendering(t *testing.T) {
	type counts struct{ vis, occByOther, occOther, outside, people int }
	var tot counts
	for _, tc := range []struct {
		seed       uint64
		w, h       int
		minP, maxP int
	}{
		{1, 384, 288, 1, 4}, {2, 384, 288, 3, 4}, {3, 320, 240, 2, 4}, {4, 640, 480, 1, 2},
		{5, 384, 288, 4, 4}, {6, 200, 300, 2, 3}, {7, 384, 288, 4, 4}, {8, 384, 288, 3, 4},
	} {
		for idx := 0; idx < 2; idx++ {
			name := fmt.Sprintf("seed%d_%dx%d_img%d", tc.seed, tc.w, tc.h, idx)
			t.Run(name, func(t *testing.T) {
				o, err := Options{Width: tc.w, Height: tc.h, MinPeople: tc.minP, MaxPeople: tc.maxP}.withDefaults()
				if err != nil {
					t.Fatal(err)
				}
				rng := SampleRNG(tc.seed, idx)
				srng := splitSeed(rng)
				sc := newScene(srng, o)
				c := sc.render(-1)
				anns, mask := sc.annotate(c)
				empty := sc.render(len(sc.people)) // background only
				n := tc.w * tc.h

				// The public path gives the same result.
				s, err := RenderSample(SampleRNG(tc.seed, idx), o)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(s.Annotations) != fmt.Sprint(anns) || string(s.Mask) != string(mask) {
					t.Fatal("RenderSample disagrees with the scene it should have rendered")
				}

				ai := 0 // annotations are in people order, skipping hidden people
				for pi, p := range sc.people {
					solo := sc.render(pi)
					area := 0
					for i := 0; i < n; i++ {
						if c.owner[i] == uint8(pi+1) {
							area++
						}
					}
					if area == 0 {
						continue
					}
					if ai >= len(anns) {
						t.Fatalf("person %d has %d visible pixels but no annotation", pi, area)
					}
					a := anns[ai]
					ai++
					tot.people++
					id := uint8(ai)
					x0, y0, x1, y1, cnt := tc.w, tc.h, -1, -1, 0
					for i := 0; i < n; i++ {
						if mask[i] != id {
							continue
						}
						cnt++
						x, y := i%tc.w, i/tc.w
						x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
						if solo.owner[i] != uint8(pi+1) {
							t.Fatalf("pixel (%d,%d) is person %d's in the scene but not when drawn alone", x, y, pi)
						}
					}
					if a.Area != float64(cnt) {
						t.Errorf("person %d: area %v, mask has %d pixels", pi, a.Area, cnt)
					}
					want := [4]float64{float64(x0) - 0.5, float64(y0) - 0.5, float64(x1-x0) + 1, float64(y1-y0) + 1}
					if a.BBox != want {
						t.Errorf("person %d: bbox %v, tight box of the mask %v", pi, a.BBox, want)
					}
					nk := 0
					for k := 0; k < coco.NumKeypoints; k++ {
						x, y, v := a.Keypoints[3*k], a.Keypoints[3*k+1], a.Keypoints[3*k+2]
						j := p.cam(p.joints[k])
						i, inside := jointPixel(j.x, j.y, tc.w, tc.h)
						kn := coco.KeypointNames[k]
						if !inside {
							if v != 0 || x != 0 || y != 0 {
								t.Errorf("person %d %s: outside the picture at (%.1f,%.1f) but annotated (%v,%v,%v)", pi, kn, j.x, j.y, x, y, v)
							}
							tot.outside++
							continue
						}
						nk++
						if v == 0 {
							t.Errorf("person %d %s: inside the picture at (%.1f,%.1f) but v = 0", pi, kn, j.x, j.y)
							continue
						}
						if math.Abs(x-j.x) > 0.005+1e-9 || math.Abs(y-j.y) > 0.005+1e-9 {
							t.Errorf("person %d %s: annotated at (%v,%v), joint at (%v,%v)", pi, kn, x, y, j.x, j.y)
						}
						if other := c.owner[i]; other != uint8(pi+1) {
							// Someone else's pixel: a nearer person or structure,
							// or (on the person's own outline) the background.
							if v != 1 {
								t.Errorf("person %d %s: pixel shows owner %d, not this person, but v = %v", pi, kn, other, v)
							}
							if other > uint8(pi+1) {
								tot.occByOther++
							}
						}
						if v == 2 {
							tot.vis++
							if mask[i] != id {
								t.Errorf("person %d %s: v = 2 but its pixel is not in the person's mask", pi, kn)
							}
							if solo.owner[i] != uint8(pi+1) {
								t.Errorf("person %d %s: v = 2 but the person alone does not cover its pixel", pi, kn)
							}
							d := 0.0
							for ch := 0; ch < 3; ch++ {
								d += math.Abs(float64(c.f.Pix[ch*n+i] - empty.f.Pix[ch*n+i]))
							}
							if d == 0 {
								t.Errorf("person %d %s: v = 2 but the pixel has the empty scene's colour", pi, kn)
							}
							if x < a.BBox[0] || y < a.BBox[1] || x > a.BBox[0]+a.BBox[2] || y > a.BBox[1]+a.BBox[3] {
								t.Errorf("person %d %s: visible keypoint (%v,%v) outside bbox %v", pi, kn, x, y, a.BBox)
							}
						} else {
							tot.occOther++
						}
					}
					if a.NumKeypoints != nk {
						t.Errorf("person %d: num_keypoints %d, %d keypoints inside the picture", pi, a.NumKeypoints, nk)
					}
				}
				if ai != len(anns) {
					t.Errorf("%d annotations for %d people with visible pixels", len(anns), ai)
				}
			})
		}
	}
	t.Logf("%d people: %d visible keypoints, %d hidden by a nearer person, %d hidden otherwise, %d outside",
		tot.people, tot.vis, tot.occByOther, tot.occOther, tot.outside)
	if tot.vis == 0 || tot.occByOther == 0 || tot.outside == 0 || tot.occOther == 0 {
		t.Error("the scenes did not exercise every visibility case")
	}
}

// stagedScene is a plain scene with people placed by hand.
func stagedScene(w, h int, people ...*person) *scene {
	rng := rand.New(rand.NewPCG(1, 2))
	sc := &scene{w: w, h: h, light: v3(-0.3, -0.7, 0.6).unit()}
	sc.bg = newBackground(rng, w, h, sc.light)
	sc.bg.items, sc.bg.front = nil, nil
	sc.illum = newLattice(rng, w, h, 100)
	for i, p := range people {
		p.solve()
		p.oz = float64(i) * 1e4
		sc.people = append(sc.people, p)
	}
	return sc
}

func stagedPerson(yaw, scale, x, y float64) *person {
	p := &person{look: look{build: 1, skin: [3]float64{0.8, 0.6, 0.5}, shirt: [3]float64{0.2, 0.3, 0.7},
		pants: [3]float64{0.2, 0.2, 0.2}, gloves: [3]float64{0.9, 0.8, 0.2}, boots: [3]float64{0.1, 0.1, 0.1}}}
	p.pose.yaw = yaw
	for s := range p.pose.arm {
		p.pose.arm[s].elev = deg(12)
	}
	p.scale, p.ox, p.oy = scale, x, y
	return p
}

// profile is a person seen from their right, arms raised forward clear of
// the hips, head turned a little towards the camera.
func profile() *person {
	p := stagedPerson(math.Pi/2, 220, 200, 150)
	for s := range p.pose.arm {
		p.pose.arm[s] = armPose{elev: deg(70), plane: deg(90), elbow: deg(20)}
	}
	p.pose.headYaw = -deg(20)
	return p
}

// TestStagedVisibility checks the visibility flags of hand-placed scenes
// whose answer is known from the geometry alone.
func TestStagedVisibility(t *testing.T) {
	const L, R = 0, 1 // sides
	limb := func(side int) []int {
		return []int{kLShoulder + side, kLElbow + side, kLWrist + side, kLHip + side, kLKnee + side, kLAnkle + side}
	}
	type want struct {
		person int
		joints []int
		v      float64
	}
	for _, tc := range []struct {
		name   string
		people []*person
		want   []want
	}{
		{
			// A nearer person straight in front hides the torso of the one
			// behind; the nearer one's torso is visible.
			name:   "behind",
			people: []*person{stagedPerson(0, 150, 200, 130), stagedPerson(0, 220, 200, 150)},
			want: []want{
				{0, []int{kLShoulder, kRShoulder, kLHip, kRHip}, 1},
				{1, []int{kLShoulder, kRShoulder, kLHip, kRHip, kLKnee, kRKnee, kNose, kLEye, kREye}, 2},
			},
		},
		{
			// Facing the camera with the pelvis 10 pixels from the right
			// edge: the left side (on the picture's right) is outside.
			name:   "cut",
			people: []*person{stagedPerson(0, 220, 390, 150)},
			want: []want{
				{0, limb(L), 0},
				{0, limb(R), 2},
			},
		},
		{
			// Side view, facing the picture's right (yaw +90 deg): the left
			// side is the far one, hidden behind the right.
			name:   "profile",
			people: []*person{profile()},
			want: []want{
				{0, []int{kLShoulder, kLHip, kLKnee, kLAnkle, kLEar, kLEye}, 1},
				{0, []int{kRShoulder, kRHip, kRKnee, kRAnkle, kREar, kREye, kNose}, 2},
			},
		},
		{
			// Seen from behind: the face is turned away.
			name:   "back",
			people: []*person{stagedPerson(math.Pi, 220, 200, 150)},
			want: []want{
				{0, []int{kNose, kLEye, kREye}, 1},
				{0, []int{kLShoulder, kRShoulder, kLKnee, kRKnee, kLAnkle, kRAnkle}, 2},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := stagedScene(400, 300, tc.people...)
			c := sc.render(-1)
			for _, w := range tc.want {
				for _, k := range w.joints {
					_, _, v := sc.jointVisibility(c, w.person, k)
					if float64(v) != w.v {
						j := sc.people[w.person].cam(sc.people[w.person].joints[k])
						t.Errorf("person %d %s at (%.1f,%.1f): v = %d, want %v", w.person, coco.KeypointNames[k], j.x, j.y, v, w.v)
					}
				}
			}
		})
	}
}
