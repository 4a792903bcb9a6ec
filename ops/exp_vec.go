package ops

// Helpers that run a vector kernel, which handles only whole vectors of w
// lanes, over slices of any length: the body goes to the kernel directly and
// the last len%w elements through a w-lane stack buffer, so every element is
// computed by the same instructions wherever it sits.

// maxLanes is the widest vector (AVX-512: 16 float32).
const maxLanes = 16

// expAffineVec runs an exp kernel of w lanes over dst and src; the sum is the
// kernel's over the body plus the tail's outputs added in order.
func expAffineVec(dst, src []float32, a, b float32, w int, k func(dst, src []float32, a, b float32) float32) float32 {
	n := len(dst)
	src = src[:n]
	body := n - n%w
	var sum float32
	if body > 0 {
		sum = k(dst[:body], src[:body], a, b)
	}
	if body < n {
		var buf [maxLanes]float32
		copy(buf[:], src[body:])
		k(buf[:w], buf[:w], a, b)
		sum = addTail(dst[body:], buf[:], sum)
	}
	return sum
}

// addTail copies the first len(dst) kernel outputs of buf into dst and
// returns sum plus them, added in order.
func addTail(dst, buf []float32, sum float32) float32 {
	for i := range dst {
		dst[i] = buf[i]
		sum += buf[i]
	}
	return sum
}

// unaryVec runs an element-wise kernel of w lanes over dst and src.
func unaryVec(dst, src []float32, w int, k func(dst, src []float32)) {
	n := len(dst)
	src = src[:n]
	body := n - n%w
	if body > 0 {
		k(dst[:body], src[:body])
	}
	if body < n {
		var buf [maxLanes]float32
		copy(buf[:], src[body:])
		k(buf[:w], buf[:w])
		copy(dst[body:], buf[:n-body])
	}
}
