package coco

// NumClasses is the number of COCO object categories (of 90 ids, 10 unused).
const NumClasses = 80

// ClassNames are the 80 COCO object category names in the order of their
// category ids, which is the order of the class labels 0..79 of detectors
// trained on COCO (Hugging Face's id2label for COCO: 0 "person", 1
// "bicycle", ..., 79 "toothbrush"). The names are COCO's own, spaces
// included ("traffic light", "hair drier").
var ClassNames = [NumClasses]string{
	"person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
	"traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat",
	"dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack",
	"umbrella", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball",
	"kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket",
	"bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
	"sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair",
	"couch", "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse",
	"remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
	"refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier",
	"toothbrush",
}

// classCategoryIDs are the COCO category ids of ClassNames: 1..90 without
// 12, 26, 29, 30, 45, 66, 68, 69, 71 and 83.
var classCategoryIDs = [NumClasses]int{
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
	22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
	46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
	67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90,
}

// classByName maps each of ClassNames to its label.
var classByName = func() map[string]int {
	m := make(map[string]int, NumClasses)
	for i, n := range ClassNames {
		m[n] = i
	}
	return m
}()

// ClassCategoryID returns the COCO category id of class label 0..79 (the
// index into ClassNames), and false for any other label.
func ClassCategoryID(label int) (int, bool) {
	if label < 0 || label >= NumClasses {
		return 0, false
	}
	return classCategoryIDs[label], true
}

// CategoryClass returns the class label 0..79 of a COCO category id, and
// false for an id that is not one of COCO's 80 categories.
func CategoryClass(id int) (int, bool) {
	if id < 0 || id >= len(categoryClass) || categoryClass[id] < 0 {
		return 0, false
	}
	return int(categoryClass[id]), true
}

// categoryClass maps category ids 0..90 to class labels, -1 where unused.
var categoryClass = func() (t [91]int8) {
	for i := range t {
		t[i] = -1
	}
	for l, id := range classCategoryIDs {
		t[id] = int8(l)
	}
	return t
}()

// CategoryID returns the COCO category id of a category name as COCO and
// Hugging Face spell it ("person" 1, "toothbrush" 90), and false for any
// other name (matching is exact: case and spaces count).
func CategoryID(name string) (int, bool) {
	l, ok := classByName[name]
	if !ok {
		return 0, false
	}
	return classCategoryIDs[l], true
}

// CategoryName returns the name of a COCO category id (1 "person", 90
// "toothbrush"), and false for an id that is not one of COCO's 80
// categories (0, the 10 unused ids, above 90).
func CategoryName(id int) (string, bool) {
	l, ok := CategoryClass(id)
	if !ok {
		return "", false
	}
	return ClassNames[l], true
}
