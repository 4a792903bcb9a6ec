package synth

import (
	"math"
	"math/rand/v2"
)

// lattice is a grid of random values for smooth value noise.
type lattice struct {
	cell   float64 // pixels per lattice cell
	gw, gh int
	v      []float32
}

func newLattice(rng *rand.Rand, w, h int, cell float64) *lattice {
	gw, gh := int(float64(w)/cell)+2, int(float64(h)/cell)+2
	l := &lattice{cell: cell, gw: gw, gh: gh, v: make([]float32, gw*gh)}
	for i := range l.v {
		l.v[i] = float32(rng.Float64()*2 - 1)
	}
	return l
}

// at is the smoothly interpolated noise value in [-1, 1] at pixel (x, y).
func (l *lattice) at(x, y float64) float64 {
	fx, fy := x/l.cell, y/l.cell
	ix, iy := int(fx), int(fy)
	tx, ty := fx-float64(ix), fy-float64(iy)
	ix, iy = min(max(ix, 0), l.gw-2), min(max(iy, 0), l.gh-2)
	tx, ty = tx*tx*(3-2*tx), ty*ty*(3-2*ty)
	i := iy*l.gw + ix
	a := float64(l.v[i]) + (float64(l.v[i+1])-float64(l.v[i]))*tx
	b := float64(l.v[i+l.gw]) + (float64(l.v[i+l.gw+1])-float64(l.v[i+l.gw]))*tx
	return a + (b-a)*ty
}

// fbm is a sum of lattices at falling scales with halving amplitudes.
type fbm []*lattice

func newFBM(rng *rand.Rand, w, h int, cell float64, octaves int) fbm {
	f := make(fbm, octaves)
	for i := range f {
		f[i] = newLattice(rng, w, h, max(cell/float64(int(1)<<i), 2))
	}
	return f
}

func (f fbm) at(x, y float64) float64 {
	s, a := 0.0, 0.5
	for _, l := range f {
		s += a * l.at(x, y)
		a *= 0.5
	}
	return s
}

// coarseField samples a smooth field every step pixels over a w x h
// picture (plus one sample past each edge) for cheap bilinear lookups.
type coarseField struct {
	step   int
	gw, gh int
	v      []float32
}

func newCoarseField(w, h, step int, f func(x, y float64) float64) *coarseField {
	c := &coarseField{step: step, gw: (w+step-1)/step + 1, gh: (h+step-1)/step + 1}
	c.v = make([]float32, c.gw*c.gh)
	for j := 0; j < c.gh; j++ {
		for i := 0; i < c.gw; i++ {
			c.v[j*c.gw+i] = float32(f(float64(i*step), float64(j*step)))
		}
	}
	return c
}

// row fills out[x] with the field along row y.
func (c *coarseField) row(y int, out []float32) {
	j := y / c.step
	ty := float32(y-j*c.step) / float32(c.step)
	r0, r1 := c.v[j*c.gw:], c.v[(j+1)*c.gw:]
	inv := 1 / float32(c.step)
	for x := range out {
		i := x / c.step
		tx := float32(x-i*c.step) * inv
		a := r0[i] + (r0[i+1]-r0[i])*tx
		b := r1[i] + (r1[i+1]-r1[i])*tx
		out[x] = a + (b-a)*ty
	}
}

// background is the scene behind (and a few things in front of) the people:
// a wall or sky over a deck seen in perspective, with pipes, rails, beams,
// cabinets and lamps, all with grime.
type background struct {
	w, h           int
	top0, top1     [3]float64 // wall gradient, top to horizon
	floor0, floor1 [3]float64 // deck gradient, horizon to bottom
	horizon        float64
	vpx            float64 // vanishing point x
	grid           bool
	gridDepth      float64 // world scale of the deck grid
	gridCol        [3]float64
	noise          fbm
	noiseAmp       float64
	grain          *lattice
	items          []drawItem // structures behind the people
	front          []drawItem // occluders in front of the people
}

var (
	wallColors = [][3]float64{
		{0.55, 0.62, 0.70}, {0.70, 0.75, 0.80}, {0.35, 0.38, 0.40}, {0.22, 0.24, 0.27},
		{0.50, 0.48, 0.42}, {0.62, 0.60, 0.55}, {0.30, 0.40, 0.48}, {0.15, 0.17, 0.20},
	}
	deckColors = [][3]float64{
		{0.35, 0.42, 0.35}, {0.42, 0.42, 0.42}, {0.45, 0.36, 0.28}, {0.28, 0.30, 0.32},
		{0.55, 0.52, 0.45}, {0.22, 0.28, 0.36},
	}
	structColors = [][3]float64{
		{0.90, 0.75, 0.12}, {0.55, 0.57, 0.60}, {0.75, 0.18, 0.12}, {0.25, 0.45, 0.30},
		{0.85, 0.85, 0.82}, {0.50, 0.30, 0.18}, {0.20, 0.30, 0.55}, {0.30, 0.30, 0.32},
	}
)

// plainPaint is a single-coloured shaded material.
type plainPaint struct {
	c     [3]float64
	light vec3
	spec  float64
}

func (m *plainPaint) color(h *hit, x, y float64) (float64, float64, float64) {
	return shade(m.c, h.n, m.light, m.spec)
}

// stripePaint is a flat material with diagonal warning stripes.
type stripePaint struct {
	a, b  [3]float64
	pitch float64
}

func (m *stripePaint) color(h *hit, x, y float64) (float64, float64, float64) {
	c := m.a
	if math.Mod(math.Abs(x+y), m.pitch) < m.pitch/2 {
		c = m.b
	}
	return c[0], c[1], c[2]
}

func newBackground(rng *rand.Rand, w, h int, light vec3) *background {
	fw, fh := float64(w), float64(h)
	bg := &background{w: w, h: h}
	bg.top0 = jitter(rng, wallColors[rng.IntN(len(wallColors))], 0.15)
	bg.top1 = jitter(rng, bg.top0, 0.25)
	bg.floor0 = jitter(rng, deckColors[rng.IntN(len(deckColors))], 0.15)
	bg.floor1 = jitter(rng, bg.floor0, 0.25)
	bg.horizon = uni(rng, -0.05, 0.45) * fh
	bg.vpx = uni(rng, -0.3, 1.3) * fw
	bg.grid = rng.Float64() < 0.6
	bg.gridDepth = uni(rng, 0.6, 1.6) * fh
	bg.gridCol = scaleCol(bg.floor0, uni(rng, 0.45, 0.75))
	ms := float64(min(w, h))
	bg.noise = newFBM(rng, w, h, ms/3, 4)
	bg.noiseAmp = uni(rng, 0.06, 0.22)
	bg.grain = newLattice(rng, w, h, 1.5)

	z := -1e6
	nextZ := func() float64 { z += 10; return z }
	pipe := func(a, b vec3, r float64, c [3]float64, flanges bool) []drawItem {
		zz := nextZ()
		a.z, b.z = zz, zz
		it := []drawItem{{newCapsule(a, b, r, r), &plainPaint{c, light, 0.3}, zz}}
		if flanges {
			d := b.sub(a)
			l := math.Hypot(d.x, d.y)
			u := d.mul(1 / l)
			pitch := uni(rng, 4, 10) * r
			for t := uni(rng, 0, pitch); t < l; t += pitch {
				zf := nextZ()
				p := a.add(u.mul(t))
				p.z = zf
				q := p.add(u.mul(0.5 * r))
				q.z = zf
				it = append(it, drawItem{newCapsule(p, q, 1.35*r, 1.35*r), &plainPaint{scaleCol(c, 0.85), light, 0.3}, zf})
			}
		}
		return it
	}
	rail := func(y0, height, slope, r float64, c [3]float64) []drawItem {
		var it []drawItem
		x0, x1 := uni(rng, -0.2, 0.5)*fw, uni(rng, 0.5, 1.2)*fw
		post := uni(rng, 0.12, 0.3) * fw
		for x := x0; x <= x1; x += post {
			zz := nextZ()
			yt := y0 + slope*(x-x0)
			it = append(it, drawItem{newCapsule(v3(x, yt, zz), v3(x, yt+height, zz), r, r), &plainPaint{c, light, 0.3}, zz})
		}
		for _, f := range []float64{0, 0.5} {
			zz := nextZ()
			a := v3(x0, y0+f*height, zz)
			b := v3(x1, y0+f*height+slope*(x1-x0), zz)
			it = append(it, drawItem{newCapsule(a, b, r, r), &plainPaint{c, light, 0.3}, zz})
		}
		return it
	}
	randomPipe := func(front bool) []drawItem {
		c := jitter(rng, structColors[rng.IntN(len(structColors))], 0.1)
		r := uni(rng, 0.012, 0.06) * ms
		if front {
			r = uni(rng, 0.008, 0.025) * ms
		}
		switch rng.IntN(3) {
		case 0: // horizontal
			y := uni(rng, 0, 1) * fh
			return pipe(v3(-0.1*fw, y, 0), v3(1.1*fw, y+uni(rng, -0.1, 0.1)*fh, 0), r, c, rng.Float64() < 0.6)
		case 1: // vertical
			x := uni(rng, 0, 1) * fw
			return pipe(v3(x, -0.1*fh, 0), v3(x+uni(rng, -0.05, 0.05)*fw, 1.1*fh, 0), r, c, rng.Float64() < 0.6)
		default: // diagonal, from an edge
			a := v3(uni(rng, -0.1, 1.1)*fw, -0.1*fh, 0)
			b := v3(uni(rng, -0.1, 1.1)*fw, uni(rng, 0.3, 1.1)*fh, 0)
			return pipe(a, b, r, c, rng.Float64() < 0.4)
		}
	}

	n := 2 + rng.IntN(7)
	for i := 0; i < n; i++ {
		switch k := rng.IntN(10); {
		case k < 4:
			bg.items = append(bg.items, randomPipe(false)...)
		case k < 6:
			c := jitter(rng, structColors[rng.IntN(2)], 0.1)
			hgt := uni(rng, 0.12, 0.3) * fh
			bg.items = append(bg.items, rail(uni(rng, 0, 0.85)*fh, hgt, uni(rng, -0.08, 0.08), uni(rng, 0.004, 0.012)*ms, c)...)
		case k < 8: // cabinet or panel, sometimes with warning stripes
			zz := nextZ()
			x, y := uni(rng, -0.1, 0.9)*fw, uni(rng, -0.1, 0.8)*fh
			bw, bh := uni(rng, 0.08, 0.4)*fw, uni(rng, 0.1, 0.5)*fh
			c := jitter(rng, structColors[rng.IntN(len(structColors))], 0.15)
			r := uni(rng, 0.002, 0.01) * ms
			var m material = &plainPaint{c, light, 0}
			if rng.Float64() < 0.2 {
				m = &stripePaint{c, scaleCol(darkCol, 1.5), uni(rng, 0.03, 0.08) * ms}
			}
			bg.items = append(bg.items, drawItem{newHull(v3(x, y, zz), v3(x+bw, y, zz), v3(x, y+bh, zz), v3(x+bw, y+bh, zz), r, true, 0, 0), m, zz})
			zz = nextZ() // a darker inset panel or door
			ix, iy := x+bw*0.15, y+bh*0.15
			bg.items = append(bg.items, drawItem{newHull(v3(ix, iy, zz), v3(ix+bw*0.7, iy, zz), v3(ix, iy+bh*0.7, zz), v3(ix+bw*0.7, iy+bh*0.7, zz), r, true, 0, 0), &plainPaint{scaleCol(c, 0.8), light, 0}, zz})
		case k < 9: // I-beam
			zz := nextZ()
			c := jitter(rng, structColors[rng.IntN(len(structColors))], 0.15)
			bw := uni(rng, 0.03, 0.08) * ms
			var a, b vec3
			if rng.IntN(2) == 0 {
				x := uni(rng, 0, 1) * fw
				a, b = v3(x, -0.1*fh, zz), v3(x, 1.1*fh, zz)
			} else {
				y := uni(rng, 0, 0.6) * fh
				a, b = v3(-0.1*fw, y, zz), v3(1.1*fw, y, zz)
			}
			bg.items = append(bg.items, drawItem{newCapsule(a, b, bw, bw), &plainPaint{c, v3(0, 0, 1), 0}, zz})
			zz = nextZ()
			a.z, b.z = zz, zz
			bg.items = append(bg.items, drawItem{newCapsule(a, b, bw*0.3, bw*0.3), &plainPaint{scaleCol(c, 0.6), v3(0, 0, 1), 0}, zz})
		default: // lamp
			zz := nextZ()
			c := [3]float64{1.2, 1.15, 0.95}
			p := v3(uni(rng, 0, 1)*fw, uni(rng, 0, 0.5)*fh, zz)
			bg.items = append(bg.items, drawItem{newDisc(p, v3(0, uni(rng, -0.5, 0.5), 1), uni(rng, 0.01, 0.04)*ms, 1), &plainPaint{c, v3(0, 0, 1), 0}, zz})
		}
	}
	if rng.Float64() < 0.25 { // something between the camera and the people
		z = 1e7
		if rng.IntN(2) == 0 {
			bg.front = randomPipe(true)
		} else {
			c := jitter(rng, structColors[rng.IntN(2)], 0.1)
			bg.front = rail(uni(rng, 0.4, 0.9)*fh, uni(rng, 0.15, 0.3)*fh, uni(rng, -0.05, 0.05), uni(rng, 0.005, 0.012)*ms, c)
		}
	}
	return bg
}

// gridLine is the coverage of lines of half-width hw at the integers of u,
// for a pixel whose footprint spans du in u; far-away lines fade to their
// mean coverage instead of aliasing.
func gridLine(u, du, hw float64) float64 {
	d := math.Abs(u - math.Round(u))
	c := clamp((hw-d)/du+0.5, 0, 1)
	mean := 2 * hw
	f := smoothstep(0.15, 0.5, du)
	return c*(1-f) + mean*f
}

// paint fills c with the wall, the deck and the structures behind people.
func (bg *background) paint(c *canvas) {
	w, h := c.w, c.h
	n := w * h
	pr, pg, pb := c.f.Pix[:n], c.f.Pix[n:2*n], c.f.Pix[2*n:]
	noise := newCoarseField(w, h, 4, bg.noise.at)
	nrow := make([]float32, w)
	for y := 0; y < h; y++ {
		fy := float64(y)
		noise.row(y, nrow)
		var base [3]float64
		floor := fy > bg.horizon
		if floor {
			t := (fy - bg.horizon) / max(float64(h)-bg.horizon, 1)
			for i := range base {
				base[i] = bg.floor0[i] + (bg.floor1[i]-bg.floor0[i])*t
			}
		} else {
			t := clamp(fy/max(bg.horizon, 1), 0, 1)
			for i := range base {
				base[i] = bg.top0[i] + (bg.top1[i]-bg.top0[i])*t
			}
		}
		dy := fy - bg.horizon + 1
		for x := 0; x < w; x++ {
			fx := float64(x)
			col := base
			if floor && bg.grid {
				// Deck plates: lines across (constant depth) and along
				// (towards the vanishing point), in world units.
				depth := bg.gridDepth / dy
				along := depth / 12
				dAlong := along / dy
				lat := (fx - bg.vpx) / dy * bg.gridDepth / 40
				dLat := bg.gridDepth / 40 / dy
				g := max(gridLine(along, dAlong, 0.04), gridLine(lat, dLat, 0.04))
				for i := range col {
					col[i] += (bg.gridCol[i] - col[i]) * g
				}
			}
			k := 1 + bg.noiseAmp*float64(nrow[x]) + 0.04*bg.grain.at(fx, fy)
			i := y*w + x
			pr[i], pg[i], pb[i] = float32(col[0]*k), float32(col[1]*k), float32(col[2]*k)
		}
	}
	for _, it := range bg.items {
		c.draw(it.s, it.m, 0)
	}
}
