package track

import (
	"fmt"
	"math"

	"github.com/ladderpose/ladderpose/pipeline"
)

// MatchDistance is the largest distance 1 - IoU at which two boxes match in
// EvaluateMOT (IoU >= 0.5).
const MatchDistance = 0.5

// Object is one box of one frame with its identity: a ground-truth person or
// a predicted track.
type Object struct {
	ID  int
	Box pipeline.Box
}

// MOTFrame is one frame's ground truth and predictions. Ids must be unique
// within a frame (on each side).
type MOTFrame struct {
	GT, Pred []Object
}

// MOTResult holds the metrics of EvaluateMOT (see the package doc for their
// definitions).
type MOTResult struct {
	Frames  int // frames evaluated
	GT      int // ground-truth boxes in all frames
	Pred    int // predicted boxes in all frames
	Matches int // matched pairs, ID switches included
	FN      int // misses
	FP      int // false positives
	IDSW    int // ID switches
	MOTA    float64
	MOTP    float64 // mean 1 - IoU over the matches (py-motmetrics' MOTP); NaN with no matches
	IDTP    int
	IDFP    int
	IDFN    int
	IDF1    float64
	IDP     float64
	IDR     float64
}

// distance returns 1 - IoU(a, b) and whether the boxes match (<= MatchDistance).
func distance(a, b pipeline.Box) (float64, bool) {
	d := 1 - IoU(a, b)
	return d, d <= MatchDistance
}

// checkObjects reports duplicate ids and broken boxes in one side of a frame.
func checkObjects(f int, side string, objs []Object) error {
	seen := make(map[int]bool, len(objs))
	for _, o := range objs {
		if seen[o.ID] {
			return fmt.Errorf("track: frame %d: %s id %d appears twice", f, side, o.ID)
		}
		seen[o.ID] = true
		b := o.Box
		for _, v := range [4]float64{b.X, b.Y, b.W, b.H} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("track: frame %d: %s id %d: box %+v is not finite", f, side, o.ID, b)
			}
		}
		if b.W < 0 || b.H < 0 {
			return fmt.Errorf("track: frame %d: %s id %d: box %+v has a negative side", f, side, o.ID, b)
		}
	}
	return nil
}

// EvaluateMOT computes CLEAR MOT (MOTA, MOTP, ID switches) and IDF1 over a
// sequence of frames, every frame of the sequence in order (frames without
// people too), as the package doc defines them. MOTA, MOTP, IDF1, IDP and
// IDR are NaN when their denominators are 0 (no ground truth, no matches, no
// boxes at all).
func EvaluateMOT(frames []MOTFrame) (MOTResult, error) {
	dfs := make([]distFrame, len(frames))
	for f, fr := range frames {
		if err := checkObjects(f, "ground-truth", fr.GT); err != nil {
			return MOTResult{}, err
		}
		if err := checkObjects(f, "predicted", fr.Pred); err != nil {
			return MOTResult{}, err
		}
		df := distFrame{oids: make([]int, len(fr.GT)), hids: make([]int, len(fr.Pred)), dist: make([][]float64, len(fr.GT))}
		for j, h := range fr.Pred {
			df.hids[j] = h.ID
		}
		for i, o := range fr.GT {
			df.oids[i] = o.ID
			df.dist[i] = make([]float64, len(fr.Pred))
			for j, h := range fr.Pred {
				d, ok := distance(o.Box, h.Box)
				if !ok {
					d = math.NaN()
				}
				df.dist[i][j] = d
			}
		}
		dfs[f] = df
	}
	res, _, err := evaluate(dfs)
	return res, err
}

// distFrame is one frame as py-motmetrics' MOTAccumulator.update takes it:
// object ids, hypothesis ids, and their distances, NaN for pairs that may
// not match.
type distFrame struct {
	oids, hids []int
	dist       [][]float64
}

// oh is an (object id, hypothesis id) pair.
type oh struct{ o, h int }

// evaluate runs CLEAR MOT and IDF1 on frames given as distances (ids unique
// within a frame, distances finite or NaN). It also returns, for IDF1, the
// number of frames each pair was within the distance.
func evaluate(frames []distFrame) (MOTResult, map[oh]int, error) {
	res := MOTResult{Frames: len(frames)}
	m := map[int]int{}         // object id -> the hypothesis it was last matched to
	lastMatch := map[int]int{} // object id -> the frame of its last match
	sumDist := 0.0
	together := map[oh]int{} // frames in which object o and hypothesis h were within the distance
	var gtIDs, predIDs []int
	gtIndex, predIndex := map[int]int{}, map[int]int{}

	for f, fr := range frames {
		no, nh := len(fr.oids), len(fr.hids)
		res.GT += no
		res.Pred += nh
		dist := fr.dist
		valid := func(i, j int) bool { return !math.IsNaN(dist[i][j]) }
		for i, o := range fr.oids {
			if _, ok := gtIndex[o]; !ok {
				gtIndex[o] = len(gtIDs)
				gtIDs = append(gtIDs, o)
			}
			for j, h := range fr.hids {
				if valid(i, j) {
					together[oh{o, h}]++
				}
			}
		}
		for _, h := range fr.hids {
			if _, ok := predIndex[h]; !ok {
				predIndex[h] = len(predIDs)
				predIDs = append(predIDs, h)
			}
		}
		oUsed := make([]bool, no)
		hUsed := make([]bool, nh)
		if no > 0 && nh > 0 {
			// 1. Objects matched in the previous frame keep their hypothesis.
			for i, o := range fr.oids {
				hPrev, ok := m[o]
				if !ok || lastMatch[o] != f-1 {
					continue
				}
				for j, h := range fr.hids {
					if !hUsed[j] && h == hPrev {
						if valid(i, j) {
							oUsed[i], hUsed[j] = true, true
							lastMatch[o] = f
							res.Matches++
							sumDist += dist[i][j]
						}
						break
					}
				}
			}
			// 2. The rest by the Hungarian algorithm.
			var rows, cols []int
			for i := range fr.oids {
				if !oUsed[i] {
					rows = append(rows, i)
				}
			}
			for j := range fr.hids {
				if !hUsed[j] {
					cols = append(cols, j)
				}
			}
			maxValid, anyValid := 0.0, false
			for _, i := range rows {
				for _, j := range cols {
					if valid(i, j) {
						maxValid, anyValid = math.Max(maxValid, dist[i][j]), true
					}
				}
			}
			if anyValid {
				inv := 2*maxValid + 1
				cost := make([][]float64, len(rows))
				for a, i := range rows {
					cost[a] = make([]float64, len(cols))
					for b, j := range cols {
						cost[a][b] = inv
						if valid(i, j) {
							cost[a][b] = dist[i][j]
						}
					}
				}
				assign, err := Hungarian(cost)
				if err != nil {
					return MOTResult{}, nil, fmt.Errorf("track: frame %d: %w", f, err)
				}
				for a, b := range assign {
					if b < 0 {
						continue
					}
					i, j := rows[a], cols[b]
					if !valid(i, j) {
						continue
					}
					o, h := fr.oids[i], fr.hids[j]
					if prev, ok := m[o]; ok && prev != h {
						res.IDSW++
					}
					m[o] = h
					lastMatch[o] = f
					oUsed[i], hUsed[j] = true, true
					res.Matches++
					sumDist += dist[i][j]
				}
			}
		}
		// 3. What is left: misses and false positives.
		for i := range oUsed {
			if !oUsed[i] {
				res.FN++
			}
		}
		for j := range hUsed {
			if !hUsed[j] {
				res.FP++
			}
		}
	}
	res.MOTA = ratio(float64(res.GT-res.FN-res.FP-res.IDSW), float64(res.GT))
	res.MOTP = ratio(sumDist, float64(res.Matches))

	// IDF1: the trajectory matching with the most frames together.
	if len(gtIDs) > 0 && len(predIDs) > 0 {
		cost := make([][]float64, len(gtIDs))
		for a := range cost {
			cost[a] = make([]float64, len(predIDs))
		}
		for k, n := range together {
			cost[gtIndex[k.o]][predIndex[k.h]] = -float64(n)
		}
		assign, err := Hungarian(cost)
		if err != nil {
			return MOTResult{}, nil, fmt.Errorf("track: IDF1: %w", err)
		}
		for a, b := range assign {
			if b >= 0 {
				res.IDTP += together[oh{gtIDs[a], predIDs[b]}]
			}
		}
	}
	res.IDFN = res.GT - res.IDTP
	res.IDFP = res.Pred - res.IDTP
	res.IDF1 = ratio(float64(2*res.IDTP), float64(2*res.IDTP+res.IDFP+res.IDFN))
	res.IDP = ratio(float64(res.IDTP), float64(res.IDTP+res.IDFP))
	res.IDR = ratio(float64(res.IDTP), float64(res.IDTP+res.IDFN))
	return res, together, nil
}

// ratio is a / b, NaN when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}
