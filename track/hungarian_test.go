package track

import (
	"math"
	"math/rand"
	"testing"
)

// bruteForce returns the least total cost over all assignments of
// min(rows, cols) pairs, by trying every injection of the smaller side.
func bruteForce(cost [][]float64) float64 {
	n, m := len(cost), len(cost[0])
	best := math.Inf(1)
	if n <= m {
		used := make([]bool, m)
		var rec func(i int, sum float64)
		rec = func(i int, sum float64) {
			if i == n {
				best = math.Min(best, sum)
				return
			}
			for j := 0; j < m; j++ {
				if !used[j] {
					used[j] = true
					rec(i+1, sum+cost[i][j])
					used[j] = false
				}
			}
		}
		rec(0, 0)
		return best
	}
	t := make([][]float64, m)
	for j := range t {
		t[j] = make([]float64, n)
		for i := range t[j] {
			t[j][i] = cost[i][j]
		}
	}
	return bruteForce(t)
}

func TestHungarianAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 3000; trial++ {
		n, m := 1+rng.Intn(6), 1+rng.Intn(6)
		cost := make([][]float64, n)
		for i := range cost {
			cost[i] = make([]float64, m)
			for j := range cost[i] {
				if trial%2 == 0 {
					cost[i][j] = float64(rng.Intn(4)) // many ties
				} else {
					cost[i][j] = rng.NormFloat64() * 10
				}
			}
		}
		assign, err := Hungarian(cost)
		if err != nil {
			t.Fatal(err)
		}
		if len(assign) != n {
			t.Fatalf("%d rows, %d assignments", n, len(assign))
		}
		usedCol := make([]bool, m)
		pairs, sum := 0, 0.0
		for i, j := range assign {
			if j < 0 {
				continue
			}
			if j >= m || usedCol[j] {
				t.Fatalf("trial %d: column %d assigned twice or out of range: %v", trial, j, assign)
			}
			usedCol[j] = true
			pairs++
			sum += cost[i][j]
		}
		if pairs != min(n, m) {
			t.Fatalf("trial %d: %d pairs for a %dx%d matrix", trial, pairs, n, m)
		}
		if want := bruteForce(cost); math.Abs(sum-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("trial %d (%dx%d): total %v, brute force %v\n%v", trial, n, m, sum, want, cost)
		}
	}
}

func TestHungarianEdgeCases(t *testing.T) {
	if a, err := Hungarian(nil); err != nil || len(a) != 0 {
		t.Errorf("empty: %v %v", a, err)
	}
	if a, err := Hungarian([][]float64{{}, {}}); err != nil || len(a) != 2 || a[0] != -1 || a[1] != -1 {
		t.Errorf("no columns: %v %v", a, err)
	}
	if _, err := Hungarian([][]float64{{1, 2}, {3}}); err == nil {
		t.Error("ragged matrix accepted")
	}
	if _, err := Hungarian([][]float64{{1, math.NaN()}}); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := Hungarian([][]float64{{math.Inf(1)}}); err == nil {
		t.Error("Inf accepted")
	}
	// A case whose answer is known: the diagonal is not the optimum.
	a, err := Hungarian([][]float64{{4, 1, 3}, {2, 0, 5}, {3, 2, 2}})
	if err != nil || a[0] != 1 || a[1] != 0 || a[2] != 2 { // 1 + 2 + 2 = 5
		t.Errorf("3x3: %v %v, want [1 0 2]", a, err)
	}
}
