package synth

// The simulation, rendering and interference timeline of GenerateVideo.

import (
	"math"
	"math/rand/v2"
	"sort"
)

// videoRNG returns the generator of a sequence's scene, people and
// interference (stream 0) or of frame i's sensor noise (stream i+1).
func videoRNG(seed uint64, stream int) *rand.Rand {
	return SampleRNG(seed^0x766964656f5f7631, stream) // "video_v1"
}

// videoScene is what stays fixed through a sequence: the background
// (painted once), the lighting, the people's looks and scripts and the
// interference timeline.
type videoScene struct {
	o       VideoOptions
	sc      scene   // light, background and illumination; people per frame
	bgc     *canvas // the background painted once
	illumK  []float32
	walkers []*walker
	camTilt float64
	simSeed [2]uint64
	events  []videoEvent
	haze    float64 // density; 0: none
	air     [3]float64
	hazeRNG [2]uint64
}

func newVideoScene(o VideoOptions) *videoScene {
	rng := videoRNG(o.Seed, 0)
	srng, prng, irng := splitSeed(rng), splitSeed(rng), splitSeed(rng)
	w, h := o.Width, o.Height
	vs := &videoScene{o: o}
	sc := &vs.sc
	sc.w, sc.h = w, h
	sc.light = v3(uni(srng, -0.6, 0.6), uni(srng, -0.9, -0.4), uni(srng, 0.4, 0.8)).unit()
	sc.bg = newBackground(srng, w, h, sc.light)
	sc.illum = newLattice(srng, w, h, float64(min(w, h))/1.5)
	sc.illumAmp = uni(srng, 0.05, 0.2)

	vs.bgc = newCanvas(w, h)
	sc.bg.paint(vs.bgc)
	illum := newCoarseField(w, h, 4, func(x, y float64) float64 { return 1 + sc.illumAmp*sc.illum.at(x, y) })
	vs.illumK = make([]float32, w*h)
	for y := 0; y < h; y++ {
		illum.row(y, vs.illumK[y*w:(y+1)*w])
	}

	vs.camTilt = deg(uni(prng, 4, 18))
	vs.walkers = newWalkers(prng, o, vs.camTilt)
	vs.simSeed = [2]uint64{prng.Uint64(), prng.Uint64()}
	vs.newTimeline(irng)
	return vs
}

// renderScene draws the people of one frame over the cached background
// exactly as scene.render(-1) would draw the whole scene.
func (vs *videoScene) renderScene(sc *scene) *canvas {
	c := &canvas{w: vs.bgc.w, h: vs.bgc.h,
		f:     &Frame{W: vs.bgc.w, H: vs.bgc.h, Pix: append([]float32(nil), vs.bgc.f.Pix...)},
		z:     append([]float32(nil), vs.bgc.z...),
		owner: append([]uint8(nil), vs.bgc.owner...)}
	for i, p := range sc.people {
		for _, it := range p.items(sc.light) {
			c.draw(it.s, it.m, uint8(i+1))
		}
	}
	for _, it := range sc.bg.front {
		c.draw(it.s, it.m, 0)
	}
	n := c.w * c.h
	for i, k := range vs.illumK {
		c.f.Pix[i] *= k
		c.f.Pix[n+i] *= k
		c.f.Pix[2*n+i] *= k
	}
	return c
}

// frameScene places the people of one frame, far to near, and returns
// the scene with each person's track id.
func (vs *videoScene) frameScene(st []walkerState) (*scene, []int) {
	order := make([]int, len(st))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return st[order[a]].rel < st[order[b]].rel })
	sc := vs.sc
	sc.people = make([]*person, len(order))
	ids := make([]int, len(order))
	for rank, k := range order {
		p := vs.walkers[k].person(st[k], float64(vs.o.Height), sc.bg.horizon)
		p.oz = float64(rank) * 1e4
		sc.people[rank] = p
		ids[rank] = vs.walkers[k].id
	}
	return &sc, ids
}

// render draws frame i from the people's states.
func (vs *videoScene) render(i int, st []walkerState) *videoFrame {
	sc, ids := vs.frameScene(st)
	c := vs.renderScene(sc)
	anns, mask := sc.annotate(c)
	// annotate keeps the people with a visible pixel, in order.
	var area [256]int
	for _, o := range c.owner {
		area[o]++
	}
	fr := &videoFrame{i: i, people: make([]PersonTruth, 0, len(anns))}
	remap := make([]uint8, len(anns)+1)
	a := 0
	for idx := range sc.people {
		if area[idx+1] == 0 {
			continue
		}
		an := anns[a]
		fr.people = append(fr.people, PersonTruth{Track: ids[idx], Box: an.BBox, Area: an.Area, NumKeypoints: an.NumKeypoints, Keypoints: an.Keypoints})
		a++
		remap[a] = uint8(ids[idx])
	}
	for j, m := range mask {
		mask[j] = remap[m]
	}
	fr.mask = mask
	fr.effects, fr.err = vs.interfere(c.f, i)
	if fr.err == nil {
		fr.img = c.f.RGBA()
	}
	return fr
}

// Walking. Speeds are in standing heights per second (a person 1.75 m
// tall walking at 1.3 m/s covers about 0.75 heights a second); depth is
// carried by rel, the standing height over the picture height: under the
// orthographic camera a person at distance D (in heights) is drawn with
// rel = depthC / D, so walking towards the camera at speed v changes rel
// by rel^2 / depthC * v per second.
const (
	cruise     = 0.75 // speed at which the gait has its full amplitude
	depthC     = 3.6  // rel x distance
	relMin     = 0.36 // the farthest people turn back here
	relMax     = 0.9  // the nearest people turn back here
	edgeMargin = 0.07 // people turn back this far (fraction of the width) from the sides
	lookAhead  = 0.5  // seconds: turns start where people would cross a limit this much later
)

// walker is one person of a sequence: looks, gait and script, and the
// state of the simulation.
type walker struct {
	id     int
	motion string
	look   look
	base   pose
	legAmp float64    // peak hip flexion at full gait, radians
	armAbd [2]float64 // arms held this far from the body
	stride float64    // heights per gait cycle (two steps)
	head   [3]float64 // head yaw: amplitude, frequency (Hz), phase
	speed  float64    // cruise speed, heights per second; 0 for "turn"
	spin   float64    // turning on the spot, radians per second
	pref   float64    // which way (+1, -1) a half turn goes

	x, rel, yaw, phase, gait float64
	turning                  bool
	turnFrom, turnTo         float64
	turnT0, turnDur          float64
	nextTurn                 float64 // time of the next scripted turn
}

// walkerState is what a frame needs of a walker.
type walkerState struct {
	t, x, rel, yaw, phase, gait float64
}

func newWalker(rng *rand.Rand, id int, motion string, tilt float64) *walker {
	w := &walker{id: id, motion: motion, look: randomLook(rng), nextTurn: math.Inf(1)}
	b := &w.base
	b.kind = poseWalk
	b.tilt = tilt
	b.roll = deg(uni(rng, -2, 2))
	b.bend = deg(uni(rng, 0, 5))
	b.lean = deg(uni(rng, -2, 2))
	b.twist = deg(uni(rng, -5, 5))
	b.headPitch = deg(uni(rng, -10, 15))
	b.headRoll = deg(uni(rng, -4, 4))
	for s := 0; s < 2; s++ {
		b.leg[s].abd = deg(uni(rng, 1, 4))
		b.arm[s].twist = deg(uni(rng, -10, 20))
		w.armAbd[s] = deg(uni(rng, 6, 12))
	}
	w.legAmp = deg(uni(rng, 22, 30))
	w.stride = uni(rng, 0.75, 0.9)
	w.head = [3]float64{deg(uni(rng, 0, 30)), uni(rng, 0.1, 0.4), uni(rng, 0, 2*math.Pi)}
	w.pref = sign(rng)
	return w
}

// newWalkers draws the people and their scripts: the first two cross
// (when there are two or more), the others walk or turn on the spot.
func newWalkers(rng *rand.Rand, o VideoOptions, tilt float64) []*walker {
	fw, fh := float64(o.Width), float64(o.Height)
	T := float64(o.Frames) / o.FPS
	var ws []*walker
	if o.People >= 2 {
		a, b := newWalker(rng, 1, "cross", tilt), newWalker(rng, 2, "cross", tilt)
		near := uni(rng, 0.55, 0.8)
		far := max(near-uni(rng, 0.15, 0.25), relMin+0.02)
		if rng.IntN(2) == 0 {
			near, far = far, near
		}
		a.rel, b.rel = near, far
		a.speed, b.speed = uni(rng, 0.6, 0.9), uni(rng, 0.6, 0.9)
		if rng.IntN(2) == 0 { // a comes from the left
			a.yaw, b.yaw = math.Pi/2, -math.Pi/2
		} else {
			a.yaw, b.yaw = -math.Pi/2, math.Pi/2
		}
		// They meet at xm at time tm (unless the sequence is so long that
		// they would start far outside the picture).
		xm := uni(rng, 0.35, 0.65) * fw
		tm := uni(rng, 0.4, 0.6) * T
		for _, w := range []*walker{a, b} {
			v := w.speed * w.rel * fh // pixels per second
			w.x = xm - math.Sin(w.yaw)*v*tm
			w.x = clamp(w.x, -0.15*fw, 1.15*fw)
		}
		ws = append(ws, a, b)
	}
	for len(ws) < o.People {
		motion := "walk"
		if len(ws) > 0 && rng.Float64() < 0.35 {
			motion = "turn"
		}
		w := newWalker(rng, len(ws)+1, motion, tilt)
		w.x = uni(rng, 0.1, 0.9) * fw
		w.rel = uni(rng, 0.4, 0.85)
		w.yaw = uni(rng, -math.Pi, math.Pi)
		if motion == "walk" {
			w.speed = uni(rng, 0.5, 0.9)
			w.nextTurn = uni(rng, 1.5, 4)
		} else {
			w.spin = sign(rng) * deg(uni(rng, 40, 90))
		}
		ws = append(ws, w)
	}
	for _, w := range ws {
		w.phase = uni(rng, 0, 2*math.Pi)
		w.gait = min(w.speed/cruise, 1.2)
	}
	return ws
}

// person poses and places the walker for one frame.
func (w *walker) person(st walkerState, fh, horizon float64) *person {
	p := &person{look: w.look, pose: w.base}
	ps := &p.pose
	ps.yaw = st.yaw
	a := st.gait
	for s, ph := range [2]float64{st.phase, st.phase + math.Pi} {
		sn, cs := math.Sincos(ph)
		f := a * w.legAmp * sn
		sw := max(cs, 0)
		// The knee bends most in mid-swing, when the leg moves forward.
		ps.leg[s] = legPose{flex: f, abd: w.base.leg[s].abd, knee: deg(4) + a*deg(50)*sw*sw}
		// The arms swing against the legs, a pendulum in the sagittal
		// plane held slightly away from the body.
		alpha := -0.8 * f
		sa, ca := math.Sincos(alpha)
		sb, cb := math.Sincos(w.armAbd[s])
		ps.arm[s] = armPose{
			elev:  math.Acos(clamp(ca*cb, -1, 1)),
			plane: math.Atan2(sa*cb, sb),
			elbow: deg(12) + 0.9*max(alpha, 0) + a*deg(8),
			twist: w.base.arm[s].twist,
		}
	}
	ps.twist = w.base.twist + a*deg(5)*math.Sin(st.phase)
	ps.headYaw = w.head[0] * math.Sin(2*math.Pi*w.head[1]*st.t+w.head[2])
	p.solve()
	p.scale = st.rel * fh
	_, _, _, y1 := p.extent()
	// The lowest point (a foot) stands on the deck, lower for nearer people.
	ground := horizon + (fh-horizon)*st.rel/0.9
	p.ox = st.x
	p.oy = ground - y1
	return p
}

// sim steps the walkers through time.
type sim struct {
	vs  *videoScene
	ws  []walker
	rng *rand.Rand
	t   float64
	dt  float64
}

func (vs *videoScene) newSim() *sim {
	s := &sim{vs: vs, rng: rand.New(rand.NewPCG(vs.simSeed[0], vs.simSeed[1])), dt: 1 / vs.o.FPS}
	for _, w := range vs.walkers {
		s.ws = append(s.ws, *w)
	}
	return s
}

func (s *sim) snapshot() []walkerState {
	st := make([]walkerState, len(s.ws))
	for i := range s.ws {
		w := &s.ws[i]
		st[i] = walkerState{t: s.t, x: w.x, rel: w.rel, yaw: w.yaw, phase: w.phase, gait: w.gait}
	}
	return st
}

// wrapAngle returns a in (-pi, pi].
func wrapAngle(a float64) float64 {
	a = math.Mod(a, 2*math.Pi)
	if a > math.Pi {
		a -= 2 * math.Pi
	} else if a <= -math.Pi {
		a += 2 * math.Pi
	}
	return a
}

func (w *walker) startTurn(t, to float64) {
	d := wrapAngle(to - w.yaw)
	if math.Abs(d) > math.Pi-0.05 {
		d = w.pref * math.Abs(d)
	}
	w.turning = true
	w.turnFrom, w.turnTo = w.yaw, w.yaw+d
	w.turnT0 = t
	w.turnDur = 0.6 + 0.5*math.Abs(d)/math.Pi
}

// step advances the simulation by one frame.
func (s *sim) step() {
	fw, fh := float64(s.vs.o.Width), float64(s.vs.o.Height)
	dt := s.dt
	for i := range s.ws {
		w := &s.ws[i]
		mult := 1.0
		if w.turning {
			u := (s.t - w.turnT0) / w.turnDur
			if u >= 1 {
				w.yaw, w.turning = wrapAngle(w.turnTo), false
			} else {
				w.yaw = w.turnFrom + (w.turnTo-w.turnFrom)*smoothstep(0, 1, u)
				mult = 0.35 + 0.65*math.Abs(2*u-1) // slower mid-turn
			}
		} else if w.speed > 0 {
			// Turn back where the person would be in lookAhead seconds
			// (a turn takes 0.6 to 1.1 s).
			sx, cz := math.Sin(w.yaw), math.Cos(w.yaw)
			x := w.x + w.speed*sx*w.rel*fh*lookAhead
			rel := w.rel + w.rel*w.rel/depthC*w.speed*cz*lookAhead
			switch {
			case x < edgeMargin*fw && sx < -0.2 || x > (1-edgeMargin)*fw && sx > 0.2:
				w.startTurn(s.t, -w.yaw)
			case rel > relMax && cz > 0.2 || rel < relMin && cz < -0.2:
				w.startTurn(s.t, math.Pi-w.yaw)
			case s.t >= w.nextTurn:
				w.startTurn(s.t, w.yaw+sign(s.rng)*deg(uni(s.rng, 60, 150)))
				w.nextTurn = s.t + uni(s.rng, 1.5, 4)
			}
		}
		w.yaw += w.spin * dt
		v := w.speed * mult
		w.gait += (min(v/cruise, 1.2) - w.gait) * min(1, dt/0.25)
		sy, cy := math.Sincos(w.yaw)
		w.x += v * sy * w.rel * fh * dt
		w.rel += w.rel * w.rel / depthC * v * cy * dt
		w.phase = math.Mod(w.phase+2*math.Pi*v/w.stride*dt, 2*math.Pi)
	}
	s.t += dt
}

// Interference over time: events of four kinds, each with a start, an end
// and its parameters, drawn once per sequence.
type eventKind int

const (
	evBloom eventKind = iota // an over-exposed spot passing across
	evFlicker
	evBlur // a motion-blur burst (camera shake)
	evLowLight
	numEventKinds
)

type videoEvent struct {
	kind           eventKind
	t0, t1         float64
	x0, y0, x1, y1 float64 // bloom path
	radius, k      float64 // bloom radius (pixels) and strength; flicker amplitude; low-light gain
	freq, phase    float64 // flicker
	length, angle  float64 // motion blur
	noise          float64 // low light
}

// videoRecipe: per level, the probability that an event kind occurs in a
// sequence, and the gaps between its events (seconds).
var videoRecipes = [...]struct {
	prob       [numEventKinds]float64
	minKinds   int
	gap        [2]float64
	flickerAmp [2]float64
	hazeProb   float64
}{
	Mixed: {prob: [numEventKinds]float64{0.5, 0.35, 0.5, 0.4}, minKinds: 1, gap: [2]float64{1.5, 5}, flickerAmp: [2]float64{0.04, 0.12}},
	Heavy: {prob: [numEventKinds]float64{0.85, 0.6, 0.85, 0.7}, minKinds: 2, gap: [2]float64{0.5, 2.5}, flickerAmp: [2]float64{0.12, 0.3}, hazeProb: 0.35},
}

var eventDur = [numEventKinds][2]float64{evBloom: {1, 3}, evFlicker: {1.5, 4}, evBlur: {0.25, 0.8}, evLowLight: {1.5, 4}}

// newTimeline draws the interference events of the sequence.
func (vs *videoScene) newTimeline(rng *rand.Rand) {
	l := vs.o.Interference
	if l == None {
		return
	}
	rv, rc := &videoRecipes[l], &recipes[l]
	T := float64(vs.o.Frames) / vs.o.FPS
	fw, fh := float64(vs.o.Width), float64(vs.o.Height)
	ms := float64(min(vs.o.Width, vs.o.Height))
	kpx := ms / 288
	var on [numEventKinds]bool
	count := 0
	for k := range on {
		if rng.Float64() < rv.prob[k] {
			on[k] = true
			count++
		}
	}
	for count < rv.minKinds {
		if k := rng.IntN(int(numEventKinds)); !on[k] {
			on[k] = true
			count++
		}
	}
	for k := eventKind(0); k < numEventKinds; k++ {
		if !on[k] {
			continue
		}
		// The first event may already be under way at time 0.
		t := -uni(rng, 0, eventDur[k][1])
		for t < T {
			d := draw2(rng, eventDur[k])
			e := videoEvent{kind: k, t0: t, t1: t + d}
			switch k {
			case evBloom:
				e.x0, e.x1 = uni(rng, -0.1, 0.2)*fw, uni(rng, 0.8, 1.1)*fw
				if rng.IntN(2) == 0 {
					e.x0, e.x1 = e.x1, e.x0
				}
				e.y0, e.y1 = uni(rng, 0.1, 0.9)*fh, uni(rng, 0.1, 0.9)*fh
				e.radius, e.k = draw2(rng, rc.bloomR)*ms, draw2(rng, rc.bloomK)
			case evFlicker:
				e.k, e.freq, e.phase = draw2(rng, rv.flickerAmp), uni(rng, 0.5, 4), uni(rng, 0, 2*math.Pi)
			case evBlur:
				e.length, e.angle = draw2(rng, rc.motion)*kpx, uni(rng, 0, math.Pi)
			case evLowLight:
				e.k, e.noise = draw2(rng, rc.gain), draw2(rng, rc.noise)
			}
			if e.t1 > 0 {
				vs.events = append(vs.events, e)
			}
			t = e.t1 + draw2(rng, rv.gap)
		}
	}
	if rng.Float64() < rv.hazeProb {
		vs.haze = draw2(rng, rc.haze)
		g := uni(rng, 0.7, 0.95)
		vs.air = [3]float64{g * uni(rng, 0.95, 1.05), g, g * uni(rng, 0.95, 1.08)}
		vs.hazeRNG = [2]uint64{rng.Uint64(), rng.Uint64()}
	}
}

// envelope is 1 inside [t0, t1] away from the ends, ramping over ramp
// seconds (at most a quarter of the event) at both ends.
func envelope(t, t0, t1, ramp float64) float64 {
	ramp = min(ramp, (t1-t0)/4)
	return smoothstep(t0, t0+ramp, t) * smoothstep(t1, t1-ramp, t)
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// interfere applies the events active in frame i to f (haze, blooms,
// motion blur, flicker, low light: the order light takes) and returns what
// it applied.
func (vs *videoScene) interfere(f *Frame, i int) (map[string]float64, error) {
	t := float64(i) / vs.o.FPS
	eff := map[string]float64{}
	if vs.haze > 0 {
		if err := Haze(f, rand.New(rand.NewPCG(vs.hazeRNG[0], vs.hazeRNG[1])), vs.haze, vs.air); err != nil {
			return nil, err
		}
		eff["haze"] = round4(vs.haze)
	}
	var evs [numEventKinds][]*videoEvent
	for j := range vs.events {
		if e := &vs.events[j]; t >= e.t0 && t <= e.t1 {
			evs[e.kind] = append(evs[e.kind], e)
		}
	}
	for _, e := range evs[evBloom] {
		u := (t - e.t0) / (e.t1 - e.t0)
		k := e.k * envelope(t, e.t0, e.t1, 0.3)
		if k < 1e-3 {
			continue
		}
		if err := Bloom(f, e.x0+(e.x1-e.x0)*u, e.y0+(e.y1-e.y0)*u, e.radius, k); err != nil {
			return nil, err
		}
		eff["bloom"] = max(eff["bloom"], round4(k))
	}
	for _, e := range evs[evBlur] {
		u := (t - e.t0) / (e.t1 - e.t0)
		l := e.length * math.Sin(math.Pi*u)
		if l < 1 {
			continue
		}
		if err := MotionBlur(f, l, e.angle+0.3*(u-0.5)); err != nil {
			return nil, err
		}
		eff["motion_blur"] = round4(l)
	}
	for _, e := range evs[evFlicker] {
		g := 1 + e.k*envelope(t, e.t0, e.t1, 0.2)*math.Sin(2*math.Pi*e.freq*t+e.phase)
		gf := float32(g)
		for j := range f.Pix {
			f.Pix[j] *= gf
		}
		eff["flicker"] = round4(g)
	}
	for _, e := range evs[evLowLight] {
		env := envelope(t, e.t0, e.t1, 0.4)
		if env < 1e-3 {
			continue
		}
		g := 1 - (1-e.k)*env
		if err := LowLight(f, videoRNG(vs.o.Seed, i+1), g, e.noise*env); err != nil {
			return nil, err
		}
		eff["low_light"] = round4(g)
	}
	if len(eff) == 0 {
		return nil, nil
	}
	return eff, nil
}
