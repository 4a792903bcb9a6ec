package track

import (
	"fmt"
	"math"
)

// Hungarian solves the rectangular linear assignment problem: it assigns
// rows to columns of cost, one to one, min(rows, columns) pairs in all, with
// the smallest total cost. It returns, for each row, its column, or -1 for a
// row left out (when there are more rows than columns). Every row must have
// the same length, and every cost must be finite. An empty matrix gives an
// empty result.
//
// The algorithm is the O(n^2 m) shortest augmenting path method with
// potentials (Kuhn-Munkres as Jonker-Volgenant style augmentation), run on
// the orientation with no more rows than columns.
func Hungarian(cost [][]float64) ([]int, error) {
	n := len(cost)
	if n == 0 {
		return []int{}, nil
	}
	m := len(cost[0])
	for i, row := range cost {
		if len(row) != m {
			return nil, fmt.Errorf("track: Hungarian: row %d has %d columns, row 0 has %d", i, len(row), m)
		}
		for j, c := range row {
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return nil, fmt.Errorf("track: Hungarian: cost[%d][%d] = %v is not finite", i, j, c)
			}
		}
	}
	res := make([]int, n)
	for i := range res {
		res[i] = -1
	}
	if m == 0 {
		return res, nil
	}
	if n <= m {
		colOf := solve(n, m, func(i, j int) float64 { return cost[i][j] })
		copy(res, colOf)
		return res, nil
	}
	// More rows than columns: solve the transpose and turn it round.
	rowOf := solve(m, n, func(i, j int) float64 { return cost[j][i] })
	for j, i := range rowOf {
		res[i] = j
	}
	return res, nil
}

// solve assigns each of n rows to one of m >= n columns with the least total
// c(i, j) and returns the column of each row. Indices inside are 1-based,
// with 0 as the virtual start column.
func solve(n, m int, c func(i, j int) float64) []int {
	u := make([]float64, n+1) // row potentials
	v := make([]float64, m+1) // column potentials
	p := make([]int, m+1)     // p[j]: the row assigned to column j (0: none)
	way := make([]int, m+1)   // the previous column on the augmenting path
	minv := make([]float64, m+1)
	used := make([]bool, m+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = math.Inf(1)
			used[j] = false
		}
		for {
			used[j0] = true
			i0 := p[j0]
			delta := math.Inf(1)
			j1 := 0
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				cur := c(i0-1, j-1) - u[i0] - v[j]
				if cur < minv[j] {
					minv[j] = cur
					way[j] = j0
				}
				if minv[j] < delta {
					delta = minv[j]
					j1 = j
				}
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 { // augment along the path
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	colOf := make([]int, n)
	for j := 1; j <= m; j++ {
		if p[j] != 0 {
			colOf[p[j]-1] = j - 1
		}
	}
	return colOf
}
