package synth

import "math"

// The rasteriser draws anti-aliased shapes of a simple 3-D scene under an
// orthographic camera into a canvas with a depth buffer. Pixel (i, j) is
// sampled at the point x = i, y = j (pixel centres on integer coordinates,
// the convention of the keypoints). A shape reports, per pixel, its signed
// distance to the outline (coverage = clamp(0.5 - sd, 0, 1), a box filter one
// pixel wide), the depth of its visible surface and the surface normal,
// which the material uses for shading.

// hit is what a shape reports for one pixel.
type hit struct {
	sd float64 // signed distance to the outline in pixels, negative inside
	z  float64 // depth of the visible surface (larger is nearer the viewer)
	n  vec3    // unit surface normal, camera space
	t  float64 // position along a capsule's axis, 0 at a, 1 at b
}

// shape is one primitive of the scene.
type shape interface {
	// bounds is the pixel-space box outside which eval never reports coverage.
	bounds() (x0, y0, x1, y1 float64)
	// eval fills h for the pixel at (x, y) and reports false where the pixel
	// is certainly not covered.
	eval(x, y float64, h *hit) bool
}

// material colours a shape's pixel.
type material interface {
	color(h *hit, x, y float64) (r, g, b float64)
}

// zTol is the depth slack, in pixels, under which a new surface still
// counts as not hidden by the one already drawn.
const zTol = 1e-3

// canvas is the frame being drawn with its depth buffer and owner map.
type canvas struct {
	w, h  int
	f     *Frame
	z     []float32 // depth of the surface owning each pixel; -Inf for none
	owner []uint8   // who owns each pixel: 0 the scene, k > 0 person k-1
}

func newCanvas(w, h int) *canvas {
	c := &canvas{w: w, h: h, f: NewFrame(w, h), z: make([]float32, w*h), owner: make([]uint8, w*h)}
	ninf := float32(math.Inf(-1))
	for i := range c.z {
		c.z[i] = ninf
	}
	return c
}

// draw renders s with m. A pixel whose visible surface is nearer than s is
// left alone; otherwise s is blended in by its coverage, and where the
// coverage is at least one half s takes the pixel's depth and owner.
func (c *canvas) draw(s shape, m material, owner uint8) {
	bx0, by0, bx1, by1 := s.bounds()
	x0 := max(int(math.Floor(bx0)), 0)
	y0 := max(int(math.Floor(by0)), 0)
	x1 := min(int(math.Ceil(bx1)), c.w-1)
	y1 := min(int(math.Ceil(by1)), c.h-1)
	if x0 > x1 || y0 > y1 {
		return
	}
	n := c.w * c.h
	pr, pg, pb := c.f.Pix[:n], c.f.Pix[n:2*n], c.f.Pix[2*n:]
	var h hit
	for y := y0; y <= y1; y++ {
		fy := float64(y)
		for x := x0; x <= x1; x++ {
			fx := float64(x)
			if !s.eval(fx, fy, &h) {
				continue
			}
			cov := 0.5 - h.sd
			if cov <= 0 {
				continue
			}
			if cov > 1 {
				cov = 1
			}
			i := y*c.w + x
			if float32(h.z) < c.z[i]-zTol {
				continue
			}
			r, g, b := m.color(&h, fx, fy)
			a := float32(cov)
			pr[i] += (float32(r) - pr[i]) * a
			pg[i] += (float32(g) - pg[i]) * a
			pb[i] += (float32(b) - pb[i]) * a
			if cov >= 0.5 {
				c.z[i] = float32(h.z)
				c.owner[i] = owner
			}
		}
	}
}

// sphereShape is a ball: a disc in the picture, shaded as a sphere.
type sphereShape struct {
	c vec3
	r float64
}

func (s *sphereShape) bounds() (float64, float64, float64, float64) {
	return s.c.x - s.r - 1, s.c.y - s.r - 1, s.c.x + s.r + 1, s.c.y + s.r + 1
}

func (s *sphereShape) eval(x, y float64, h *hit) bool {
	dx, dy := x-s.c.x, y-s.c.y
	d2 := dx*dx + dy*dy
	lim := s.r + 0.5
	if d2 >= lim*lim {
		return false
	}
	d := math.Sqrt(d2)
	h.sd = d - s.r
	surfaceNormal(h, dx, dy, d, s.r, s.c.z)
	h.t = 0
	return true
}

// surfaceNormal fills h.z and h.n for a point at offset (dx, dy), distance d,
// from the centre of a sphere of radius r at depth cz.
func surfaceNormal(h *hit, dx, dy, d, r, cz float64) {
	if d >= r {
		h.z = cz
		if d > 0 {
			h.n = vec3{dx / d, dy / d, 0}
		} else {
			h.n = vec3{0, 0, 1}
		}
		return
	}
	hz := math.Sqrt(r*r - d*d)
	h.z = cz + hz
	h.n = vec3{dx / r, dy / r, hz / r}
}

// capsuleShape is a tapered cylinder with round ends from a (radius ra) to b
// (radius rb): a limb segment or a pipe.
type capsuleShape struct {
	a, b   vec3
	ra, rb float64
	abx    float64 // b - a in the picture
	aby    float64
	inv    float64 // 1 / |b - a|^2 in the picture, 0 when degenerate
	pick   float64 // t used when the axis points at the viewer
}

func newCapsule(a, b vec3, ra, rb float64) *capsuleShape {
	s := &capsuleShape{a: a, b: b, ra: ra, rb: rb, abx: b.x - a.x, aby: b.y - a.y}
	l2 := s.abx*s.abx + s.aby*s.aby
	if l2 > 1e-9 {
		s.inv = 1 / l2
	}
	if b.z+rb > a.z+ra {
		s.pick = 1
	}
	return s
}

func (s *capsuleShape) bounds() (float64, float64, float64, float64) {
	r := max(s.ra, s.rb) + 1
	return min(s.a.x, s.b.x) - r, min(s.a.y, s.b.y) - r, max(s.a.x, s.b.x) + r, max(s.a.y, s.b.y) + r
}

func (s *capsuleShape) eval(x, y float64, h *hit) bool {
	px, py := x-s.a.x, y-s.a.y
	t := s.pick
	if s.inv != 0 {
		t = clamp((px*s.abx+py*s.aby)*s.inv, 0, 1)
	}
	r := s.ra + (s.rb-s.ra)*t
	dx, dy := px-s.abx*t, py-s.aby*t
	d2 := dx*dx + dy*dy
	lim := r + 0.5
	if d2 >= lim*lim {
		return false
	}
	d := math.Sqrt(d2)
	h.sd = d - r
	surfaceNormal(h, dx, dy, d, r, s.a.z+(s.b.z-s.a.z)*t)
	h.t = t
	return true
}

// hullShape is a rounded quadrilateral slab: the convex hull of four balls
// of radius r (a torso, a box). Its depth is that of a sheet of balls swept
// over the bilinear patch between the corners, unless flat, where it is the
// first corner's depth with a normal facing the viewer.
type hullShape struct {
	corners [4]vec3 // patch corners (u, v): (0,0), (1,0), (0,1), (1,1)
	r       float64
	flat    bool
	poly    [][2]float64 // convex hull of the corners in the picture
	samples []vec3
}

func newHull(c00, c10, c01, c11 vec3, r float64, flat bool, nu, nv int) *hullShape {
	s := &hullShape{corners: [4]vec3{c00, c10, c01, c11}, r: r, flat: flat}
	s.poly = convexHull([][2]float64{{c00.x, c00.y}, {c10.x, c10.y}, {c11.x, c11.y}, {c01.x, c01.y}})
	if !flat {
		s.samples = make([]vec3, 0, nu*nv)
		for j := 0; j < nv; j++ {
			v := float64(j) / float64(nv-1)
			for i := 0; i < nu; i++ {
				u := float64(i) / float64(nu-1)
				s.samples = append(s.samples, c00.lerp(c10, u).lerp(c01.lerp(c11, u), v))
			}
		}
	}
	return s
}

func (s *hullShape) bounds() (float64, float64, float64, float64) {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range s.corners {
		x0, y0, x1, y1 = min(x0, c.x), min(y0, c.y), max(x1, c.x), max(y1, c.y)
	}
	return x0 - s.r - 1, y0 - s.r - 1, x1 + s.r + 1, y1 + s.r + 1
}

func (s *hullShape) eval(x, y float64, h *hit) bool {
	d, gx, gy := polySD(s.poly, x, y)
	sd := d - s.r
	if sd >= 0.5 {
		return false
	}
	h.sd = sd
	h.t = 0
	if s.flat {
		h.z = s.corners[0].z
		h.n = vec3{0, 0, 1}
		return true
	}
	// The normal is that of a slab with round edges of radius r: it turns
	// outwards over the last r pixels before the outline.
	rel := clamp(1+sd/s.r, 0, 1)
	h.n = vec3{gx * rel, gy * rel, math.Sqrt(1 - rel*rel)}
	// The depth is the front of the nearest ball of the swept sheet.
	best := math.Inf(-1)
	r2 := s.r * s.r
	for i := range s.samples {
		p := &s.samples[i]
		dx, dy := x-p.x, y-p.y
		if d2 := dx*dx + dy*dy; d2 < r2 {
			best = max(best, p.z+math.Sqrt(r2-d2))
		}
	}
	if math.IsInf(best, -1) { // on the scalloped rim between balls: nearest ball's edge
		bd := math.Inf(1)
		for i := range s.samples {
			p := &s.samples[i]
			dx, dy := x-p.x, y-p.y
			if d2 := dx*dx + dy*dy; d2 < bd {
				bd, best = d2, p.z
			}
		}
	}
	h.z = best
	return true
}

// convexHull returns the convex hull of pts in counter-clockwise order
// (Andrew's monotone chain), dropping duplicate and collinear points.
func convexHull(pts [][2]float64) [][2]float64 {
	p := append([][2]float64(nil), pts...)
	for i := 1; i < len(p); i++ { // insertion sort by (x, y)
		for j := i; j > 0 && (p[j][0] < p[j-1][0] || p[j][0] == p[j-1][0] && p[j][1] < p[j-1][1]); j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
	cross := func(o, a, b [2]float64) float64 {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	const eps = 1e-9
	var hull [][2]float64
	for _, q := range p {
		for len(hull) >= 2 && cross(hull[len(hull)-2], hull[len(hull)-1], q) <= eps {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, q)
	}
	lower := len(hull) + 1
	for i := len(p) - 2; i >= 0; i-- {
		q := p[i]
		for len(hull) >= lower && cross(hull[len(hull)-2], hull[len(hull)-1], q) <= eps {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, q)
	}
	hull = hull[:len(hull)-1]
	if len(hull) == 2 && hull[0] == hull[1] {
		hull = hull[:1]
	}
	return hull
}

// polySD is the signed distance from (x, y) to a convex counter-clockwise
// polygon (a segment or a point when it has fewer than three vertices), with
// the unit outward direction (gx, gy) of the outline nearest the point.
func polySD(poly [][2]float64, x, y float64) (d, gx, gy float64) {
	n := len(poly)
	best := math.Inf(1)
	var bx, by float64 // point minus its nearest outline point
	inside := n >= 3
	edges := n
	if n <= 2 {
		edges = 1
	}
	for i := 0; i < edges; i++ {
		a, b := poly[i], poly[(i+1)%n]
		ex, ey := b[0]-a[0], b[1]-a[1]
		px, py := x-a[0], y-a[1]
		t := 0.0
		if l2 := ex*ex + ey*ey; l2 > 0 {
			t = clamp((px*ex+py*ey)/l2, 0, 1)
		}
		dx, dy := px-ex*t, py-ey*t
		if d2 := dx*dx + dy*dy; d2 < best {
			best, bx, by = d2, dx, dy
		}
		if ex*py-ey*px < 0 {
			inside = false
		}
	}
	d = math.Sqrt(best)
	if d > 0 {
		gx, gy = bx/d, by/d
	}
	if inside {
		return -d, -gx, -gy
	}
	return d, gx, gy
}

// discShape is a flat round disc of radius R centred at c with normal n,
// seen as an ellipse, never thinner than 2*minHalf pixels (an ear, an eye, a
// helmet brim).
type discShape struct {
	c, n      vec3
	ax, ay    float64 // major axis direction in the picture
	bx, by    float64 // minor axis direction
	A, B      float64 // semi-axes
	flatDepth bool
}

func newDisc(c, n vec3, R, minHalf float64) *discShape {
	s := &discShape{c: c, n: n.unit(), A: R}
	nxy := math.Hypot(s.n.x, s.n.y)
	if nxy < 1e-9 {
		s.ax, s.ay, s.bx, s.by = 1, 0, 0, 1
	} else {
		s.bx, s.by = s.n.x/nxy, s.n.y/nxy
		s.ax, s.ay = -s.by, s.bx
	}
	s.B = max(R*math.Abs(s.n.z), minHalf)
	s.flatDepth = math.Abs(s.n.z) < 0.25
	return s
}

func (s *discShape) bounds() (float64, float64, float64, float64) {
	r := s.A + 1
	return s.c.x - r, s.c.y - r, s.c.x + r, s.c.y + r
}

func (s *discShape) eval(x, y float64, h *hit) bool {
	qx, qy := x-s.c.x, y-s.c.y
	u := (qx*s.ax + qy*s.ay) / s.A
	v := (qx*s.bx + qy*s.by) / s.B
	k := math.Sqrt(u*u + v*v)
	var sd float64
	if k < 1e-9 {
		sd = -s.B
	} else {
		// First-order distance to the ellipse k = 1: (k-1)/|grad k|.
		g := math.Sqrt(u*u/(s.A*s.A)+v*v/(s.B*s.B)) / k
		sd = (k - 1) / g
	}
	if sd >= 0.5 {
		return false
	}
	h.sd = sd
	h.t = k
	if s.flatDepth {
		h.z = s.c.z
	} else {
		h.z = s.c.z - (qx*s.n.x+qy*s.n.y)/s.n.z
	}
	h.n = s.n
	if h.n.z < 0 {
		h.n = h.n.mul(-1)
	}
	return true
}

// domeShape is the part of a ball of radius R at c on the far side of the
// plane dot(p - c, up) = cut*R: a helmet shell. Where the outer surface is cut
// away the inside of the shell's far wall shows (h.t = 1 there).
type domeShape struct {
	c   vec3
	R   float64
	up  vec3
	cut float64
}

func (s *domeShape) bounds() (float64, float64, float64, float64) {
	return s.c.x - s.R - 1, s.c.y - s.R - 1, s.c.x + s.R + 1, s.c.y + s.R + 1
}

func (s *domeShape) eval(x, y float64, h *hit) bool {
	dx, dy := x-s.c.x, y-s.c.y
	d2 := dx*dx + dy*dy
	lim := s.R + 0.5
	if d2 >= lim*lim {
		return false
	}
	d := math.Sqrt(d2)
	sdCircle := d - s.R
	hz := math.Sqrt(max(s.R*s.R-d2, 0))
	hzs := max(hz, 0.15*s.R) // keeps the cut-edge gradient finite at the rim
	// Height of the front and back surface points along up, in units of R,
	// and their gradients in the picture.
	for side := 1.0; side >= -1; side -= 2 {
		hgt := (dx*s.up.x + dy*s.up.y + side*hz*s.up.z) / s.R
		gx := (s.up.x - side*dx/hzs*s.up.z) / s.R
		gy := (s.up.y - side*dy/hzs*s.up.z) / s.R
		g := math.Max(math.Hypot(gx, gy), 1/s.R)
		sd := math.Max(sdCircle, (s.cut-hgt)/g)
		if sd < 0.5 {
			h.sd = sd
			if side > 0 {
				surfaceNormal(h, dx, dy, d, s.R, s.c.z)
				h.t = 0
			} else {
				h.z = s.c.z - hz
				h.n = vec3{-dx / s.R, -dy / s.R, hz / s.R}
				h.t = 1
			}
			return true
		}
	}
	return false
}
