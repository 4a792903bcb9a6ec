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
// # Video sequences
//
// GenerateVideo renders a sequence (VideoOptions: size, length, frame
// rate, people, interference, seed) over one static industrial
// background, and WriteVideo encodes it with ffmpeg (package video) to
// DIR/video.mp4 (H.264, yuv420p) with DIR/tracks.json and DIR/gt.coco.json.
// The people walk with a gait cycle of the 3-D skeleton (hips, knees and
// arms swinging in phase, the feet on the deck), at a depth that sets their
// size and ground line. The first two cross: they walk towards each other
// at different depths and meet in the middle of the sequence, so that the
// nearer one hides the farther one for several frames and their
// left-right order swaps. The others walk, turning now and then (and back
// at the picture's edges and depth limits), or stand and turn on the spot.
// Interference changes over time, as a timeline of events drawn from the
// seed: bloom spots passing across the picture, flicker (a brightness
// oscillation), motion-blur bursts and low-light stretches with sensor
// noise, and at Heavy sometimes a constant haze. Frame i depends only on
// the options: the motion is simulated in order, the frames are rendered
// in parallel and delivered in order, so the frames and the truth are the
// same byte for byte for any Workers or GOMAXPROCS; the interference uses
// its own streams, so the truth is the same at every level.
//
// tracks.json (VideoTruth) is one JSON object, PoseTrack-like:
//
//	{"format": "ladderpose-synth-video", "version": 1,
//	 "width": W, "height": H, "fps": F, "frames": N, "seed": S,
//	 "options": {"people": P, "interference": "none"|"mixed"|"heavy"},
//	 "tracks": [{"id": 1, "motion": "cross"|"walk"|"turn",
//	             "first_frame": 0, "last_frame": 99, "visible_frames": 100}, ...],
//	 "per_frame": [{"frame": 0, "time": 0,
//	                "effects": {"bloom": 0.8, "flicker": 1.05, "motion_blur": 4.2,
//	                            "low_light": 0.5, "haze": 0.7},
//	                "people": [{"track": 1, "box": [x, y, w, h], "area": A,
//	                            "num_keypoints": K,
//	                            "keypoints": [x, y, v, ... 17 triples]}, ...]}, ...]}
//
// Frames count from 0 and time is frame / fps. Track ids count from 1 and
// are the same person in every frame. "effects" lists the interference
// applied to that frame (absent when clean). "people" holds, far to near,
// every person with a visible pixel, annotated as in the image mode:
// keypoints in COCO order with COCO's visibility, box the tight box of the
// visible pixels, area their count. gt.coco.json (VideoTruth.COCO) holds
// the same annotations as a COCO person-keypoint dataset with one image per
// frame, image id = frame number, so that keypoint results with image_id =
// frame number are evaluated per frame by "ladderpose eval".
//
// The default image size is 384 x 288 (DefaultWidth x DefaultHeight):
// people are then 110 to 265 pixels tall, enough for 256 x 192 top-down
// crops.
package synth
