// Package synth generates a synthetic stand-in for the paper's private
// "high-interference" dataset (drilling-platform surveillance footage):
// pictures of articulated, work-clothed people on industrial decks with COCO
// person-keypoint annotations, optionally degraded by the interference of
// that footage (blur, motion blur, local over-exposure, low light with
// sensor noise, haze, JPEG artefacts).
//
// # Scenes
//
// Each image holds MinPeople to MaxPeople figures (default 1 to 4), each
// built from a 3-D kinematic skeleton with adult proportions in a random
// pose (standing, walking, arms up, bending, leaning, crouching, lying),
// seen from any direction by a slightly tilted orthographic camera, and
// drawn as anti-aliased, shaded capsules (limbs), a rounded slab (torso)
// and balls and discs (head, nose, eyes, ears, helmet) with a depth
// buffer, so people overlap and hide parts of themselves correctly. Body
// parts have consistent colours (coverall or shirt and trousers, gloves,
// boots, skin, helmet or hair) and the two sides differ: reflective bands
// on the left upper arm and left shin only, and a pocket on the left chest.
// Backgrounds are a wall or sky over a deck in perspective with pipes,
// rails, beams, cabinets and lamps, grime and uneven lighting; now and then
// a pipe or rail passes in front of the people.
//
// # Annotations
//
// Keypoint coordinates put pixel centres on integers: pixel (i, j) is
// sampled at the point (i, j), as OpenCV's warpAffine and the top-down crop
// of the pose pipeline assume. Visibility is COCO's: 0 for a keypoint
// outside the picture (with coordinates 0, 0), 2 when the keypoint's own
// body part is the nearest surface at its pixel, 1 otherwise (hidden by
// another person, by a structure in front, by the person's own body, or a
// face feature turned away from the camera). BBox is the tight box of the
// person's visible pixels, each pixel counted as the unit square around its
// centre (so it can start at -0.5), and Area the number of those pixels.
// A person with no visible pixel gets no annotation.
//
// # Interference
//
// InterfereFrame (on a float32 CHW Frame, the layout of a training crop)
// and Interfere (on an *image.RGBA) apply a random mix of effects at a
// Level: None, Mixed (about one image in five left clean, the others with
// one to a few mild-to-moderate effects) or Heavy (at least two
// moderate-to-strong effects). The single effects are exported too:
// GaussianBlur, MotionBlur, Bloom, LowLight, Haze and JPEGArtefacts.
//
// # Determinism
//
// Everything random is drawn from a caller's *rand.Rand (PCG): the same
// generator state gives the same picture, byte for byte, on a given
// platform. Generate derives image i's generator from (Seed, i) alone
// (SampleRNG), so a dataset does not depend on the number of workers or
// GOMAXPROCS, and RenderSample(SampleRNG(seed, i), opts) rebuilds image i
// in memory. RenderSample uses separate streams for the scene and the
// interference, so one generator state gives the same scene at every
// level.
//
// The default image size is 384 x 288 (DefaultWidth x DefaultHeight):
// people are then 110 to 265 pixels tall, enough for 256 x 192 top-down
// crops.
package synth
