package synth

import (
	"math"
	"math/rand/v2"
	"sort"
)

// A figure is an articulated person built from a kinematic skeleton with
// adult proportions, in units of the standing height (about 1.0 from the
// sole to the top of the head). Body space has x towards the person's left,
// y up and z forward, with the origin at the centre of the pelvis. The
// world frame is the camera's with y up (x right, z towards the viewer), so
// a person with yaw 0 faces the camera and shows their left side on the
// right of the picture.

// Keypoint indices (COCO order).
const (
	kNose = iota
	kLEye
	kREye
	kLEar
	kREar
	kLShoulder
	kRShoulder
	kLElbow
	kRElbow
	kLWrist
	kRWrist
	kLHip
	kRHip
	kLKnee
	kRKnee
	kLAnkle
	kRAnkle
	numJoints
)

// Proportions, in standing heights (the build factor scales widths).
const (
	hipX       = 0.085 // hip joints from the midline
	hipY       = -0.035
	shoulderX  = 0.125
	shoulderY  = 0.275
	neckY      = 0.285
	headUp     = 0.097 // head centre above the neck base
	headR      = 0.064
	upperArmL  = 0.175
	forearmL   = 0.15
	thighL     = 0.235
	shankL     = 0.225
	footL      = 0.125
	torsoTopX  = 0.06 // torso slab corners (ball centres) from the midline
	torsoBotX  = 0.045
	torsoTopY  = 0.25
	torsoR     = 0.066
	upperArmR0 = 0.038
	upperArmR1 = 0.031
	forearmR1  = 0.024
	handR      = 0.024 // a fist: a short capsule past the wrist
	handL      = 0.07
	thighR0    = 0.062
	thighR1    = 0.045
	shankR1    = 0.033
	footR      = 0.03
	neckR      = 0.03
)

type poseKind int

const (
	poseStand poseKind = iota
	poseWalk
	poseArmsUp
	poseBend
	poseLean
	poseCrouch
	poseLie
)

// poseWeights are the relative frequencies of the pose kinds.
var poseWeights = [...]float64{0.19, 0.19, 0.14, 0.14, 0.11, 0.11, 0.12}

// armPose: elev is the upper arm's angle from hanging down (pi = straight
// up), plane its direction when raised (0 to the side, pi/2 forward, -pi/2
// backward), elbow the elbow flexion and twist turns the forearm's bending
// plane from forward (0) towards up (pi/2).
type armPose struct{ elev, plane, elbow, twist float64 }

// legPose: flex is the hip flexion (forward positive), abd the abduction
// away from the midline, knee the knee flexion.
type legPose struct{ flex, abd, knee float64 }

type pose struct {
	kind                         poseKind
	yaw, tilt, roll              float64 // whole body: facing, camera tilt, in-picture roll
	bend, lean, twist            float64 // torso against pelvis
	headYaw, headPitch, headRoll float64
	arm                          [2]armPose // 0 left, 1 right
	leg                          [2]legPose
}

func uni(rng *rand.Rand, a, b float64) float64 { return a + (b-a)*rng.Float64() }

func pick(rng *rand.Rand, w []float64) int {
	tot := 0.0
	for _, x := range w {
		tot += x
	}
	r := rng.Float64() * tot
	for i, x := range w {
		if r < x {
			return i
		}
		r -= x
	}
	return len(w) - 1
}

func sign(rng *rand.Rand) float64 {
	if rng.IntN(2) == 0 {
		return -1
	}
	return 1
}

// randomPose draws a pose of a random kind, turned at most maxYaw degrees
// away from the camera.
func randomPose(rng *rand.Rand, maxYaw float64) pose {
	var p pose
	p.kind = poseKind(pick(rng, poseWeights[:]))
	p.yaw = uni(rng, -math.Pi, math.Pi)
	if maxYaw < 180 {
		p.yaw *= maxYaw / 180
	}
	p.tilt = deg(uni(rng, 0, 25))
	p.roll = deg(uni(rng, -4, 4))
	p.twist = deg(uni(rng, -15, 15))
	p.bend = deg(uni(rng, -3, 8))
	p.lean = deg(uni(rng, -4, 4))
	p.headYaw = deg(uni(rng, -40, 40))
	p.headPitch = deg(uni(rng, -15, 25))
	p.headRoll = deg(uni(rng, -8, 8))
	for s := 0; s < 2; s++ {
		p.arm[s] = armPose{deg(uni(rng, 5, 25)), deg(uni(rng, -30, 60)), deg(uni(rng, 5, 35)), deg(uni(rng, -20, 40))}
		p.leg[s] = legPose{deg(uni(rng, -4, 8)), deg(uni(rng, 0, 7)), deg(uni(rng, 0, 10))}
	}
	switch p.kind {
	case poseWalk:
		a := deg(uni(rng, 15, 32)) * math.Sin(uni(rng, 0, 2*math.Pi))
		for s, sg := range [2]float64{1, -1} {
			f := sg * a
			p.leg[s].flex = f
			if f < 0 { // the back leg pushes off or swings through
				p.leg[s].flex *= 0.8
				p.leg[s].knee = deg(uni(rng, 5, 35))
			} else {
				p.leg[s].knee = deg(uni(rng, 0, 15))
			}
			sw := -0.9 * f // arms swing against the legs
			p.arm[s].elev = math.Abs(sw) + deg(uni(rng, 3, 10))
			p.arm[s].plane = math.Copysign(math.Pi/2, sw) + deg(uni(rng, -15, 15))
			p.arm[s].elbow = deg(uni(rng, 10, 45))
		}
	case poseArmsUp:
		up := [2]bool{rng.Float64() < 0.75, rng.Float64() < 0.75}
		if !up[0] && !up[1] {
			up[rng.IntN(2)] = true
		}
		for s := 0; s < 2; s++ {
			if up[s] {
				p.arm[s] = armPose{deg(uni(rng, 95, 175)), deg(uni(rng, -30, 70)), deg(uni(rng, 0, 60)), deg(uni(rng, -10, 60))}
			}
		}
	case poseBend:
		p.bend = deg(uni(rng, 35, 95))
		for s := 0; s < 2; s++ {
			p.leg[s].knee = deg(uni(rng, 0, 35))
			p.leg[s].flex = deg(uni(rng, 0, 15))
			if rng.Float64() < 0.7 { // hanging towards the ground
				p.arm[s] = armPose{p.bend + deg(uni(rng, -25, 10)), deg(uni(rng, 70, 110)), deg(uni(rng, 0, 40)), deg(uni(rng, -20, 30))}
			} else { // reaching out
				p.arm[s] = armPose{deg(uni(rng, 60, 120)), deg(uni(rng, 40, 100)), deg(uni(rng, 0, 50)), deg(uni(rng, -20, 40))}
			}
		}
		p.headPitch = deg(uni(rng, -40, 5)) // looks ahead rather than at the feet
	case poseLean:
		sg := sign(rng)
		p.lean = sg * deg(uni(rng, 10, 25))
		side := 1 // a lean towards -x (the right) props on the right arm
		if sg < 0 {
			side = 0
		}
		p.arm[side] = armPose{deg(uni(rng, 50, 100)), deg(uni(rng, -20, 40)), deg(uni(rng, 0, 30)), deg(uni(rng, -20, 30))}
		p.leg[1-side].abd = deg(uni(rng, 5, 15))
		if rng.Float64() < 0.4 {
			p.bend = -deg(uni(rng, 5, 15))
		}
	case poseCrouch:
		p.bend = deg(uni(rng, 10, 40))
		for s := 0; s < 2; s++ {
			p.leg[s] = legPose{deg(uni(rng, 60, 110)), deg(uni(rng, 5, 20)), deg(uni(rng, 80, 140))}
			p.arm[s] = armPose{deg(uni(rng, 30, 80)), deg(uni(rng, 60, 100)), deg(uni(rng, 20, 70)), deg(uni(rng, -20, 40))}
		}
		if rng.Float64() < 0.4 { // one knee down
			s := rng.IntN(2)
			p.leg[s] = legPose{deg(uni(rng, -5, 15)), deg(uni(rng, 0, 10)), deg(uni(rng, 80, 110))}
		}
	case poseLie:
		p.roll = sign(rng) * deg(uni(rng, 75, 105))
		p.tilt = deg(uni(rng, 0, 20))
		p.bend = deg(uni(rng, -5, 15))
		for s := 0; s < 2; s++ {
			p.arm[s] = armPose{deg(uni(rng, 0, 120)), deg(uni(rng, -60, 90)), deg(uni(rng, 0, 60)), deg(uni(rng, -20, 60))}
			p.leg[s] = legPose{deg(uni(rng, -10, 35)), deg(uni(rng, 0, 15)), deg(uni(rng, 0, 50))}
		}
	}
	return p
}

// look is a person's appearance: work clothes of an industrial site.
type look struct {
	skin, hair, shirt, pants, boots, gloves, hat, vest [3]float64
	hasHat, hasVest, shortSleeves, coverall            bool
	build                                              float64 // width factor
}

var (
	clothColors = [][3]float64{
		{0.92, 0.45, 0.10}, {0.12, 0.18, 0.40}, {0.16, 0.32, 0.72}, {0.70, 0.13, 0.10},
		{0.16, 0.36, 0.20}, {0.45, 0.47, 0.50}, {0.60, 0.55, 0.38}, {0.86, 0.86, 0.83},
		{0.13, 0.13, 0.14}, {0.35, 0.22, 0.45},
	}
	pantsColors = [][3]float64{{0.10, 0.13, 0.25}, {0.12, 0.12, 0.13}, {0.40, 0.37, 0.28}, {0.30, 0.32, 0.34}, {0.22, 0.30, 0.48}}
	skinColors  = [][3]float64{{0.96, 0.80, 0.68}, {0.88, 0.68, 0.52}, {0.74, 0.53, 0.38}, {0.55, 0.38, 0.26}, {0.38, 0.26, 0.18}}
	hairColors  = [][3]float64{{0.08, 0.06, 0.05}, {0.25, 0.16, 0.09}, {0.55, 0.42, 0.25}, {0.55, 0.55, 0.55}}
	hatColors   = [][3]float64{{0.95, 0.95, 0.93}, {0.98, 0.85, 0.10}, {0.98, 0.50, 0.08}, {0.80, 0.12, 0.10}, {0.15, 0.35, 0.80}}
	vestColors  = [][3]float64{{0.85, 0.98, 0.12}, {1.00, 0.55, 0.08}}
	gloveColors = [][3]float64{{0.85, 0.75, 0.20}, {0.20, 0.20, 0.22}, {0.85, 0.85, 0.85}, {0.90, 0.45, 0.10}}
)

func jitter(rng *rand.Rand, c [3]float64, amt float64) [3]float64 {
	k := 1 + uni(rng, -amt, amt)
	for i := range c {
		c[i] = clamp(c[i]*k*(1+uni(rng, -amt/3, amt/3)), 0, 1)
	}
	return c
}

func randomLook(rng *rand.Rand) look {
	var l look
	l.skin = jitter(rng, skinColors[rng.IntN(len(skinColors))], 0.08)
	l.hair = jitter(rng, hairColors[rng.IntN(len(hairColors))], 0.1)
	l.shirt = jitter(rng, clothColors[rng.IntN(len(clothColors))], 0.12)
	l.coverall = rng.Float64() < 0.55
	if l.coverall {
		l.pants = l.shirt
	} else {
		l.pants = jitter(rng, pantsColors[rng.IntN(len(pantsColors))], 0.12)
	}
	l.boots = jitter(rng, [3]float64{0.16, 0.12, 0.09}, 0.3)
	l.gloves = jitter(rng, gloveColors[rng.IntN(len(gloveColors))], 0.1)
	l.hat = jitter(rng, hatColors[rng.IntN(len(hatColors))], 0.06)
	l.vest = jitter(rng, vestColors[rng.IntN(len(vestColors))], 0.06)
	l.hasHat = rng.Float64() < 0.7
	l.hasVest = rng.Float64() < 0.45
	l.shortSleeves = !l.coverall && rng.Float64() < 0.3
	l.build = uni(rng, 0.85, 1.15)
	return l
}

// person is one figure of a scene, with its skeleton solved in world space
// (units of standing height, origin at the pelvis) and its placement in the
// picture.
type person struct {
	look  look
	pose  pose
	scale float64 // pixels per standing height
	ox    float64 // picture position of the pelvis centre
	oy    float64
	oz    float64 // depth of the pelvis centre

	rp, rt, rh mat3 // pelvis, torso and head frames (body -> world)

	joints [numJoints]vec3 // world
	jointR [numJoints]float64
	// drawn is false for a face feature turned away from the camera, which
	// is then not painted (and so can only be occluded).
	drawn [numJoints]bool

	hand, toe, heel [2]vec3 // world: fist centre, toe and heel ends
	neck0, neck1    vec3
	headC           vec3
	torso           [4]vec3 // slab corners: bottom-left, bottom-right, top-left, top-right
}

// solve computes the skeleton's joints in world space.
func (p *person) solve() {
	ps := &p.pose
	b := p.look.build
	p.rp = rotZ(ps.roll).mul(rotX(-ps.tilt)).mul(rotY(ps.yaw))
	p.rt = p.rp.mul(rotX(ps.bend)).mul(rotZ(ps.lean)).mul(rotY(ps.twist))
	p.rh = p.rt.mul(rotY(ps.headYaw)).mul(rotX(ps.headPitch)).mul(rotZ(ps.headRoll))
	rp, rt, rh := p.rp, p.rt, p.rh

	for s, sg := range [2]float64{1, -1} { // left, right
		// Arm, in the torso frame.
		a := ps.arm[s]
		sh := v3(sg*shoulderX*b, shoulderY, 0)
		se, ce := math.Sincos(a.elev)
		sp, cp := math.Sincos(a.plane)
		d := v3(sg*se*cp, -ce, se*sp)
		st, ct := math.Sincos(a.twist)
		hint := v3(-sg*0.2, st, ct)
		q := hint.sub(d.mul(hint.dot(d)))
		if q.len() < 1e-3 {
			q = v3(-sg, 0, 0).sub(d.mul(-sg * d.x))
		}
		q = q.unit()
		sg2, cg := math.Sincos(a.elbow)
		f := d.mul(cg).add(q.mul(sg2))
		el := sh.add(d.mul(upperArmL))
		wr := el.add(f.mul(forearmL))
		p.joints[kLShoulder+s] = rt.apply(sh)
		p.joints[kLElbow+s] = rt.apply(el)
		p.joints[kLWrist+s] = rt.apply(wr)
		p.hand[s] = rt.apply(wr.add(f.mul(handL)))

		// Leg, in the pelvis frame.
		l := ps.leg[s]
		hp := v3(sg*hipX*b, hipY, 0)
		sf, cf := math.Sincos(l.flex)
		sa, ca := math.Sincos(l.abd)
		dt := v3(sg*sa, -cf*ca, sf*ca).unit()
		back := v3(0, -sf, -cf)
		qb := back.sub(dt.mul(back.dot(dt))).unit()
		sk, ck := math.Sincos(l.knee)
		dsh := dt.mul(ck).add(qb.mul(sk))
		kn := hp.add(dt.mul(thighL))
		an := kn.add(dsh.mul(shankL))
		fwd := v3(0, 0, 1)
		toe := fwd.sub(dsh.mul(fwd.dot(dsh)))
		if toe.len() < 0.2 {
			down := v3(0, -1, 0)
			toe = down.sub(dsh.mul(down.dot(dsh)))
		}
		toe = toe.unit()
		p.joints[kLHip+s] = rp.apply(hp)
		p.joints[kLKnee+s] = rp.apply(kn)
		p.joints[kLAnkle+s] = rp.apply(an)
		// The foot hangs under the ankle: its axis starts just below the
		// joint and slopes down to the toes, so the ankle stays in sight.
		p.toe[s] = rp.apply(an.add(toe.mul(footL)).add(dsh.mul(0.022)))
		p.heel[s] = rp.apply(an.sub(toe.mul(0.005)).add(dsh.mul(0.02)))

		p.jointR[kLShoulder+s] = upperArmR0 * b
		p.jointR[kLElbow+s] = upperArmR1 * b
		p.jointR[kLWrist+s] = forearmR1 * b
		p.jointR[kLHip+s] = thighR0 * b
		p.jointR[kLKnee+s] = thighR1 * b
		p.jointR[kLAnkle+s] = shankR1 * b
	}
	nb := rt.apply(v3(0, neckY, 0))
	p.headC = nb.add(rh.apply(v3(0, headUp, 0.01)))
	p.neck0 = rt.apply(v3(0, torsoTopY, 0))
	p.neck1 = p.headC.add(rh.apply(v3(0, -0.045, -0.01)))
	p.torso = [4]vec3{
		rp.apply(v3(torsoBotX*b, 0, 0)), rp.apply(v3(-torsoBotX*b, 0, 0)),
		rt.apply(v3(torsoTopX*b, torsoTopY, 0)), rt.apply(v3(-torsoTopX*b, torsoTopY, 0)),
	}
	// Face features sit on the head ball; they are painted only when they
	// face the camera.
	for k, dir := range [kLShoulder]vec3{
		kNose: v3(0, -0.2, 1), kLEye: v3(0.36, 0.12, 0.92), kREye: v3(-0.36, 0.12, 0.92),
		kLEar: v3(1, 0, -0.12), kREar: v3(-1, 0, -0.12),
	} {
		wd := rh.apply(dir.unit())
		p.joints[k] = p.headC.add(wd.mul(headR * 1.01))
		switch k {
		case kNose:
			p.jointR[k] = 0.17 * headR
			p.drawn[k] = wd.z > 0.05
		case kLEye, kREye:
			p.jointR[k] = 0.15 * headR
			p.drawn[k] = wd.z > 0.12
		default:
			p.jointR[k] = 0.24 * headR
			p.drawn[k] = wd.z > -0.4
		}
	}
	for k := kLShoulder; k < numJoints; k++ {
		p.drawn[k] = true
	}
}

// cam maps a world point to the camera (pixels).
func (p *person) cam(w vec3) vec3 {
	return vec3{p.ox + p.scale*w.x, p.oy - p.scale*w.y, p.oz + p.scale*w.z}
}

// camDir maps a world direction to the camera.
func camDir(w vec3) vec3 { return vec3{w.x, -w.y, w.z} }

// world maps a camera point back to world space.
func (p *person) world(c vec3) vec3 {
	return vec3{(c.x - p.ox) / p.scale, -(c.y - p.oy) / p.scale, (c.z - p.oz) / p.scale}
}

// extent is the picture box of the figure placed with its pelvis at (0, 0).
func (p *person) extent() (x0, y0, x1, y1 float64) {
	x0, y0, x1, y1 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	add := func(w vec3, r float64) {
		x, y := w.x*p.scale, -w.y*p.scale
		r *= p.scale
		x0, y0, x1, y1 = min(x0, x-r), min(y0, y-r), max(x1, x+r), max(y1, y+r)
	}
	for k := range p.joints {
		add(p.joints[k], p.jointR[k])
	}
	for s := 0; s < 2; s++ {
		add(p.hand[s], handR)
		add(p.toe[s], footR)
	}
	add(p.headC, headR*1.2)
	return
}

// bodyPart says which part of a person a shape is, for its material.
type bodyPart int

const (
	partTorso bodyPart = iota
	partUpperArm
	partForearm
	partHand
	partThigh
	partShank
	partFoot
	partNeck
	partHead
	partEar
	partEye
	partNose
	partMouth
	partHat
	partBrim
)

type drawItem struct {
	s   shape
	m   material
	key float64 // drawing order: far first
}

// items returns the person's shapes with their materials, far to near.
func (p *person) items(light vec3) []drawItem {
	l := &p.look
	b := l.build
	sc := p.scale
	var out []drawItem
	add := func(s shape, part bodyPart, side int, key float64) {
		out = append(out, drawItem{s, &bodyPaint{part: part, side: side, p: p, light: light}, key})
	}
	capsule := func(a, c vec3, ra, rc float64, part bodyPart, side int) {
		ca, cc := p.cam(a), p.cam(c)
		add(newCapsule(ca, cc, ra*sc, rc*sc), part, side, (ca.z+cc.z)/2)
	}
	for s := 0; s < 2; s++ {
		capsule(p.joints[kLShoulder+s], p.joints[kLElbow+s], upperArmR0*b, upperArmR1*b, partUpperArm, s)
		capsule(p.joints[kLElbow+s], p.joints[kLWrist+s], upperArmR1*b, forearmR1*b, partForearm, s)
		capsule(p.joints[kLWrist+s].lerp(p.hand[s], 0.25), p.hand[s], handR*b*1.05, handR*b*0.85, partHand, s)
		capsule(p.joints[kLHip+s], p.joints[kLKnee+s], thighR0*b, thighR1*b, partThigh, s)
		capsule(p.joints[kLKnee+s], p.joints[kLAnkle+s], thighR1*b, shankR1*b, partShank, s)
		capsule(p.heel[s], p.toe[s], footR*b, footR*b*0.8, partFoot, s)
	}
	var tc [4]vec3
	key := 0.0
	for i, c := range p.torso {
		tc[i] = p.cam(c)
		key += tc[i].z / 4
	}
	add(newHull(tc[0], tc[1], tc[2], tc[3], torsoR*b*sc, false, 4, 6), partTorso, 0, key)
	capsule(p.neck0, p.neck1, neckR*b, neckR*b*0.9, partNeck, 0)

	hc := p.cam(p.headC)
	hr := headR * sc
	add(&sphereShape{hc, hr}, partHead, 0, hc.z)
	up := camDir(p.rh.apply(v3(0, 1, 0)))
	for s := 0; s < 2; s++ {
		if p.drawn[kLEar+s] {
			e := p.cam(p.joints[kLEar+s])
			n := camDir(p.rh.apply(v3(1-2*float64(s), 0, -0.3)))
			add(newDisc(e, n, 0.24*hr, 0.08*hr), partEar, s, e.z)
		}
		if p.drawn[kLEye+s] {
			e := p.cam(p.joints[kLEye+s])
			n := camDir(p.joints[kLEye+s].sub(p.headC))
			add(newDisc(e, n, 0.15*hr, 0.04*hr), partEye, s, hc.z+1e-6)
		}
	}
	if p.drawn[kNose] {
		add(&sphereShape{p.cam(p.joints[kNose]), 0.17 * hr}, partNose, 0, hc.z+2e-6)
	}
	m0 := p.headC.add(p.rh.apply(v3(0.17, -0.5, 0.85).unit().mul(1.03 * headR)))
	m1 := p.headC.add(p.rh.apply(v3(-0.17, -0.5, 0.85).unit().mul(1.03 * headR)))
	if camDir(p.rh.apply(v3(0, -0.5, 0.85))).z > 0.15 {
		add(newCapsule(p.cam(m0), p.cam(m1), 0.055*hr, 0.055*hr), partMouth, 0, hc.z+3e-6)
	}
	if l.hasHat {
		dc := p.cam(p.headC.add(p.rh.apply(v3(0, 0.08*headR, -0.02*headR))))
		add(&domeShape{c: dc, R: 1.13 * hr, up: up, cut: 0.12}, partHat, 0, hc.z+4e-6)
		bc := p.cam(p.headC.add(p.rh.apply(v3(0, 0.2*headR, 0.62*headR))))
		bn := camDir(p.rh.apply(v3(0, 1, 0.2)))
		add(newDisc(bc, bn, 0.72*hr, 0.05*hr), partBrim, 0, bc.z)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// bodyPaint colours a body part.
type bodyPaint struct {
	part  bodyPart
	side  int // 0 left, 1 right
	p     *person
	light vec3
}

// shade lights a base colour: ambient, Lambert towards the light, a term
// for surfaces facing the camera and an optional specular highlight.
func shade(c [3]float64, n, light vec3, spec float64) (float64, float64, float64) {
	nl := n.dot(light)
	k := 0.33 + 0.47*max(nl, 0) + 0.3*max(n.z, 0)
	sp := 0.0
	if spec > 0 && nl > 0 {
		rv := 2*nl*n.z - light.z
		if rv > 0 {
			rv2 := rv * rv
			rv4 := rv2 * rv2
			sp = spec * rv4 * rv4 * rv4 * rv4
		}
	}
	return c[0]*k + sp, c[1]*k + sp, c[2]*k + sp
}

var (
	reflective = [3]float64{0.9, 0.92, 0.88}
	darkCol    = [3]float64{0.08, 0.07, 0.07}
)

func scaleCol(c [3]float64, k float64) [3]float64 { return [3]float64{c[0] * k, c[1] * k, c[2] * k} }

func (m *bodyPaint) color(h *hit, x, y float64) (float64, float64, float64) {
	l := &m.p.look
	left := m.side == 0
	spec := 0.0
	var c [3]float64
	switch m.part {
	case partTorso:
		loc := m.p.rt.applyT(m.p.world(vec3{x, y, h.z}))
		lx, ly, lz := loc.x/l.build, loc.y, loc.z
		switch {
		case ly < 0.045:
			c = l.pants
		case ly < 0.07:
			c = scaleCol(l.pants, 0.45) // belt
		case ly > 0.265:
			c = scaleCol(l.shirt, 0.8) // collar
		default:
			c = l.shirt
			if l.hasVest && ly < 0.255 && math.Abs(lx) < 0.1 {
				c = l.vest
				if lz > 0 && math.Abs(math.Abs(lx)-0.05) < 0.013 || lz < 0 && (math.Abs(ly-0.18) < 0.015 || math.Abs(ly-0.12) < 0.015) {
					c, spec = reflective, 0.25
				}
			} else if lz > 0 && math.Abs(lx) < 0.005 {
				c = scaleCol(l.shirt, 0.55) // zip
			} else if lz > 0 && lx > 0.025 && lx < 0.075 && ly > 0.19 && ly < 0.24 {
				c = scaleCol(l.shirt, 0.6) // pocket on the left chest
			}
		}
	case partUpperArm:
		c = l.shirt
		if l.shortSleeves && h.t > 0.55 {
			c = l.skin
		} else if left && h.t > 0.5 && h.t < 0.7 {
			c, spec = reflective, 0.25
		}
	case partForearm:
		c = scaleCol(l.shirt, 0.93)
		if l.shortSleeves {
			c = l.skin
		} else if h.t > 0.85 {
			c = scaleCol(l.shirt, 0.7) // cuff
		}
	case partHand:
		c = l.gloves
	case partThigh:
		c = l.pants
	case partShank:
		c = scaleCol(l.pants, 0.95)
		if left && h.t > 0.4 && h.t < 0.56 {
			c, spec = reflective, 0.25
		} else if h.t > 0.85 {
			c = scaleCol(l.boots, 1.2)
		}
	case partFoot:
		c = l.boots
		spec = 0.1
	case partNeck:
		c = scaleCol(l.skin, 0.9)
	case partHead:
		c = l.skin
		// Hair over the top and back of the head (under a helmet too).
		if dir := m.p.rh.applyT(camDir(h.n)); dir.y > 0.45 || dir.y-0.85*dir.z > 0.1 {
			c = l.hair
		}
	case partEar:
		c = scaleCol(l.skin, 0.85)
	case partEye:
		c = darkCol
	case partNose:
		c = scaleCol(l.skin, 0.92)
	case partMouth:
		c = [3]float64{l.skin[0] * 0.55, l.skin[1] * 0.3, l.skin[2] * 0.3}
	case partHat:
		c, spec = l.hat, 0.35
		if h.t == 1 {
			c, spec = scaleCol(l.hat, 0.35), 0
		}
	case partBrim:
		c, spec = scaleCol(l.hat, 0.9), 0.2
	}
	return shade(c, h.n, m.light, spec)
}
