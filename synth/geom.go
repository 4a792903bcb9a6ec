package synth

import "math"

// vec3 is a 3-vector. In body space the axes are x = the person's left,
// y = up, z = forward; in camera space x = right (pixels), y = down
// (pixels), z = towards the viewer (pixels).
type vec3 struct{ x, y, z float64 }

func v3(x, y, z float64) vec3              { return vec3{x, y, z} }
func (a vec3) add(b vec3) vec3             { return vec3{a.x + b.x, a.y + b.y, a.z + b.z} }
func (a vec3) sub(b vec3) vec3             { return vec3{a.x - b.x, a.y - b.y, a.z - b.z} }
func (a vec3) mul(s float64) vec3          { return vec3{a.x * s, a.y * s, a.z * s} }
func (a vec3) dot(b vec3) float64          { return a.x*b.x + a.y*b.y + a.z*b.z }
func (a vec3) len() float64                { return math.Sqrt(a.dot(a)) }
func (a vec3) lerp(b vec3, t float64) vec3 { return a.add(b.sub(a).mul(t)) }

// unit returns a scaled to length 1 (or a itself when it is ~0).
func (a vec3) unit() vec3 {
	l := a.len()
	if l < 1e-12 {
		return a
	}
	return a.mul(1 / l)
}

// mat3 is a 3x3 rotation matrix; its columns are the rotated frame's axes.
type mat3 [3][3]float64

func (m mat3) apply(v vec3) vec3 {
	return vec3{
		m[0][0]*v.x + m[0][1]*v.y + m[0][2]*v.z,
		m[1][0]*v.x + m[1][1]*v.y + m[1][2]*v.z,
		m[2][0]*v.x + m[2][1]*v.y + m[2][2]*v.z,
	}
}

// applyT applies the transpose (the inverse of a rotation).
func (m mat3) applyT(v vec3) vec3 {
	return vec3{
		m[0][0]*v.x + m[1][0]*v.y + m[2][0]*v.z,
		m[0][1]*v.x + m[1][1]*v.y + m[2][1]*v.z,
		m[0][2]*v.x + m[1][2]*v.y + m[2][2]*v.z,
	}
}

func (m mat3) mul(n mat3) mat3 {
	var r mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			r[i][j] = m[i][0]*n[0][j] + m[i][1]*n[1][j] + m[i][2]*n[2][j]
		}
	}
	return r
}

// rotX turns y towards z by a radians (for a body: bends up towards forward).
func rotX(a float64) mat3 {
	s, c := math.Sincos(a)
	return mat3{{1, 0, 0}, {0, c, -s}, {0, s, c}}
}

// rotY turns z towards x by a radians (for a body: turns forward towards the left).
func rotY(a float64) mat3 {
	s, c := math.Sincos(a)
	return mat3{{c, 0, s}, {0, 1, 0}, {-s, 0, c}}
}

// rotZ turns x towards y by a radians.
func rotZ(a float64) mat3 {
	s, c := math.Sincos(a)
	return mat3{{c, -s, 0}, {s, c, 0}, {0, 0, 1}}
}

func clamp(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

func smoothstep(e0, e1, x float64) float64 {
	t := clamp((x-e0)/(e1-e0), 0, 1)
	return t * t * (3 - 2*t)
}

func deg(d float64) float64 { return d * math.Pi / 180 }
