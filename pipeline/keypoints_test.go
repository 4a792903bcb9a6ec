package pipeline

import (
	"reflect"
	"testing"
)

func TestCanonicalKeypointName(t *testing.T) {
	for in, want := range map[string]string{
		"L_Eye":          "left_eye",
		"left_eye":       "left_eye",
		"LeftEye":        "left_eye",
		"left-eye":       "left_eye",
		"R_Shoulder":     "right_shoulder",
		"Nose":           "nose",
		"r_big_toe":      "right_big_toe",
		"kp13":           "kp13",
		"":               "",
		"  Right  Knee ": "right_knee",
	} {
		if got := CanonicalKeypointName(in); got != want {
			t.Errorf("CanonicalKeypointName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKeypointSets(t *testing.T) {
	coco := COCOKeypoints()
	// Hugging Face's COCO names are COCO's set, with its flip pairs.
	hf := []string{"Nose", "L_Eye", "R_Eye", "L_Ear", "R_Ear", "L_Shoulder", "R_Shoulder", "L_Elbow", "R_Elbow",
		"L_Wrist", "R_Wrist", "L_Hip", "R_Hip", "L_Knee", "R_Knee", "L_Ankle", "R_Ankle"}
	ks := NewKeypointSet(17, hf, nil)
	if !ks.COCO || !reflect.DeepEqual(ks.FlipPairs, coco.FlipPairs) || !reflect.DeepEqual(ks.Sigmas, coco.Sigmas) || !reflect.DeepEqual(ks.Skeleton, coco.Skeleton) {
		t.Errorf("Hugging Face COCO names: %+v, want the COCO set", ks)
	}
	// The pairs derived from COCO's own names are pipeline.FlipPairs.
	var derived [][2]int
	names := coco.Names
	ks2 := NewKeypointSet(17, append(append([]string(nil), names[1:]...), names[0]), nil) // not COCO's order: derived
	if ks2.COCO {
		t.Fatal("reordered COCO names taken for COCO's set")
	}
	for _, p := range ks2.FlipPairs {
		derived = append(derived, [2]int{(p[0] + 1) % 17, (p[1] + 1) % 17})
	}
	if !reflect.DeepEqual(derived, coco.FlipPairs) {
		t.Errorf("pairs derived from COCO's names (shifted) %v, want %v", derived, coco.FlipPairs)
	}
	if ks2.Sigmas != nil {
		t.Errorf("a non-COCO set has sigmas %v", ks2.Sigmas)
	}
	// An unnamed 17-keypoint set is COCO's; an unnamed 14-keypoint one has
	// no pairs.
	if ks := NewKeypointSet(17, nil, nil); !ks.COCO {
		t.Error("unnamed 17 keypoints are not taken for COCO's")
	}
	kp14 := make([]string, 14)
	for i := range kp14 {
		kp14[i] = "kp" + string(rune('a'+i))
	}
	if ks := NewKeypointSet(14, kp14, [][2]int{{0, 1}}); ks.COCO || ks.FlipPairs != nil || len(ks.Skeleton) != 1 || len(ks.Sides) != 14 {
		t.Errorf("14 unnamed-like keypoints: %+v", ks)
	}
	// Mixed spellings, one-word sided names, an unpaired left name, a
	// name with both sides.
	ks = NewKeypointSet(7, []string{"sternum", "lshoulder", "rshoulder", "LeftHeel", "right_heel", "left_only", "left_right"}, nil)
	if want := [][2]int{{1, 2}, {3, 4}}; !reflect.DeepEqual(ks.FlipPairs, want) {
		t.Errorf("pairs %v, want %v", ks.FlipPairs, want)
	}
	if want := []int{0, 1, 2, 1, 2, 0, 0}; !reflect.DeepEqual(ks.Sides, want) {
		t.Errorf("sides %v, want %v", ks.Sides, want)
	}
}

// hidden hides an *RGB's type from the drawing functions' fast path.
type hidden struct{ *RGB }

// TestOpaqueCopyFastPath checks that the direct copy of packed RGB gives
// the same picture as image/draw's generic path.
func TestOpaqueCopyFastPath(t *testing.T) {
	m := NewRGB(37, 23)
	for i := range m.Pix {
		m.Pix[i] = uint8(i*131 + i/7)
	}
	fast := DrawBoxes(m, []LabeledBox{{X0: 2, Y0: 3, X1: 20, Y1: 15, Caption: "id 1"}})
	slow := DrawBoxes(hidden{m}, []LabeledBox{{X0: 2, Y0: 3, X1: 20, Y1: 15, Caption: "id 1"}})
	if !reflect.DeepEqual(fast.Pix, slow.Pix) {
		t.Error("the direct copy differs from image/draw's")
	}
}
