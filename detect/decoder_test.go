package detect

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/weights"
)

// decGoldenDir holds the RT-DETR reference cases (README.md there).
const decGoldenDir = "../../shared/goldens/detr"

// decGolden is one reference case as the decoder sees it: the decoder
// loaded from the case's weights, the encoder levels it starts from and the
// expected tensors.
type decGolden struct {
	name   string
	cfg    *Config
	net    *decoderNet
	exp    *weights.File
	levels [][]float32
	sizes  [][2]int
	batch  int
	imgH   int // input height and width (the postprocessing target size)
	imgW   int
}

func loadDecGolden(t testing.TB, name string) *decGolden {
	t.Helper()
	dir := filepath.Join(decGoldenDir, name)
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		t.Skipf("goldens not present at %s", dir)
	}
	cfg, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := weights.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	net, err := newDecoderNet(cfg, fileGetter(f))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := weights.Open(filepath.Join(dir, "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exp.Close() })
	in, err := weights.Open(filepath.Join(dir, "input.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	info, ok := in.Info("pixel_values")
	if !ok || len(info.Shape) != 4 {
		t.Fatalf("%s: input.safetensors has no pixel_values [B,3,H,W]", name)
	}
	g := &decGolden{name: name, cfg: cfg, net: net, exp: exp, imgH: info.Shape[2], imgW: info.Shape[3]}
	for l := 0; l < 3; l++ {
		x, shape := g.ref(t, "encoder_level"+string(rune('0'+l)))
		g.levels = append(g.levels, x)
		g.sizes = append(g.sizes, [2]int{shape[2], shape[3]})
		g.batch = shape[0]
	}
	return g
}

// ref returns an expected tensor and its shape.
func (g *decGolden) ref(t testing.TB, name string) ([]float32, []int) {
	t.Helper()
	d, s, err := g.exp.Float32(name)
	if err != nil {
		t.Fatalf("%s: expected %s: %v", g.name, name, err)
	}
	return d, s
}

// decMaxAbs returns max |x|.
func decMaxAbs(x []float32) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// goldenRows maps each of our query rows to the reference row holding the
// same selected position: row[b*Q+q] is the reference query index. It fails
// the test unless every image selects the same set of positions.
func goldenRows(t *testing.T, g *decGolden, ours []int) []int {
	t.Helper()
	ref, _ := g.ref(t, "enc_topk_indices")
	nq := g.cfg.NumQueries
	rows := make([]int, len(ours))
	for b := 0; b < g.batch; b++ {
		pos := map[int]int{}
		for q := 0; q < nq; q++ {
			pos[int(ref[b*nq+q])] = q
		}
		for q := 0; q < nq; q++ {
			gq, ok := pos[ours[b*nq+q]]
			if !ok {
				t.Fatalf("%s image %d: selected position %d (rank %d) is not among the reference's top %d", g.name, b, ours[b*nq+q], q, nq)
			}
			rows[b*nq+q] = gq
		}
	}
	return rows
}

// compareRows compares ours [B, L, Q, W] with ref [B, L, Q, W] row by row,
// our query q of image b against the reference's rows[b*Q+q], and returns
// the largest absolute difference (NaN: +Inf).
func compareRows(ours, ref []float32, rows []int, batch, layers, nq, width int) float64 {
	m := 0.0
	for b := 0; b < batch; b++ {
		for l := 0; l < layers; l++ {
			for q := 0; q < nq; q++ {
				o := ours[((b*layers+l)*nq+q)*width:][:width]
				r := ref[((b*layers+l)*nq+rows[b*nq+q])*width:][:width]
				for i := range o {
					d := math.Abs(float64(o[i]) - float64(r[i]))
					if d != d {
						return math.Inf(1)
					}
					m = math.Max(m, d)
				}
			}
		}
	}
	return m
}

// TestDecoderGolden runs query selection and the decoder on the reference
// encoder levels of both cases and compares every output with Hugging
// Face's (float64 run), matching rows through the selected positions, within
// the README's tolerances: logits 2e-4 absolute, pred_boxes 2e-5,
// init_reference_points 1e-4, every other tensor 3e-5 x its max |ref|.
func TestDecoderGolden(t *testing.T) {
	for _, name := range []string{"r18_small", "r50_tiny"} {
		t.Run(name, func(t *testing.T) {
			g := loadDecGolden(t, name)
			var out decoderOut
			if err := g.net.forward(g.levels, g.sizes, g.batch, &out); err != nil {
				t.Fatal(err)
			}
			nq, nc, nl, dm := g.cfg.NumQueries, g.cfg.NumLabels(), g.cfg.DecoderLayers, g.cfg.DModel
			rows := goldenRows(t, g, out.TopkIndices)

			// Order: a query may sit at another rank than in the reference
			// only where the reference's scores at the two ranks are within
			// float32 error of each other.
			scoresRef, _ := g.ref(t, "enc_topk_scores")
			tieTol := 2 * 3e-5 * decMaxAbs(scoresRef)
			moved := 0
			for i, gq := range rows {
				q := i % nq
				if gq == q {
					continue
				}
				moved++
				b := i / nq
				if gap := math.Abs(float64(scoresRef[b*nq+q]) - float64(scoresRef[b*nq+gq])); gap > tieTol {
					t.Errorf("image %d: position %d at rank %d, reference rank %d, but the reference scores there differ by %.3g (> %.3g)",
						b, out.TopkIndices[i], q, gq, gap, tieTol)
				}
			}
			for b := 0; b < g.batch; b++ {
				for q := 1; q < nq; q++ {
					if scoreAbove(out.TopkScores[b*nq+q], out.TopkScores[b*nq+q-1]) {
						t.Errorf("image %d: scores not descending at rank %d", b, q)
					}
				}
			}
			t.Logf("%s: same selected set; %d of %d rows at another rank (near ties)", name, moved, len(rows))

			for _, c := range []struct {
				name        string
				ours        []float32
				layers, w   int
				abs, relMax float64 // tolerance: abs, or relMax x max|ref|
			}{
				{"enc_topk_scores", out.TopkScores, 1, 1, 0, 3e-5},
				{"enc_topk_logits", out.TopkLogits, 1, nc, 0, 3e-5},
				{"enc_topk_bboxes", out.TopkBoxes, 1, 4, 0, 3e-5},
				{"init_reference_points", out.InitRef, 1, 4, 1e-4, 0},
				{"intermediate_logits", out.InterLogits, nl, nc, 0, 3e-5},
				{"intermediate_reference_points", out.InterRef, nl, 4, 0, 3e-5},
				{"decoder_last_hidden_state", out.Hidden, 1, dm, 0, 3e-5},
				{"logits", out.Logits, 1, nc, 2e-4, 0},
				{"pred_boxes", out.Boxes, 1, 4, 2e-5, 0},
			} {
				ref, shape := g.ref(t, c.name)
				if len(ref) != len(c.ours) {
					t.Fatalf("%s: %d values, reference %v", c.name, len(c.ours), shape)
				}
				tol := c.abs
				if c.relMax > 0 {
					tol = c.relMax * decMaxAbs(ref)
				}
				e := compareRows(c.ours, ref, rows, g.batch, c.layers, nq, c.w)
				t.Logf("%-30s max |err| %.3g (tolerance %.3g, max |ref| %.3g)", c.name, e, tol, decMaxAbs(ref))
				if !(e <= tol) {
					t.Errorf("%s: max |err| %.3g exceeds %.3g", c.name, e, tol)
				}
			}
		})
	}
}

// TestDecoderInvalidAnchors checks generate_anchors' valid mask on the
// non-square case: the r50_tiny levels (32x52, 16x26, 8x13) have exactly 64
// invalid anchors (the first and last columns of level 0, whose centres lie
// within 0.01 of the border), and invalid anchors hold the largest float32.
func TestDecoderInvalidAnchors(t *testing.T) {
	sizes := [][2]int{{32, 52}, {16, 26}, {8, 13}}
	seq := 32*52 + 16*26 + 8*13
	anchors, valid := make([]float32, 4*seq), make([]bool, seq)
	decAnchors(anchors, valid, sizes)
	n := 0
	for s, ok := range valid {
		if !ok {
			n++
			if x := s % 52; s >= 32*52 || (x != 0 && x != 51) {
				t.Errorf("anchor %d invalid: want only level 0's first and last columns", s)
			}
			if anchors[4*s] != math.MaxFloat32 {
				t.Errorf("invalid anchor %d holds %v", s, anchors[4*s])
			}
		}
	}
	if n != 64 {
		t.Errorf("%d invalid anchors, want 64", n)
	}
	// A valid anchor is the inverse sigmoid of (cx, cy, w, h): level 1 pixel (x 3, y 2).
	s := 32*52 + 2*26 + 3
	want := []float64{3.5 / 26, 2.5 / 16, 0.1, 0.1}
	for j, w := range want {
		if got := 1 / (1 + math.Exp(-float64(anchors[4*s+j]))); math.Abs(got-w) > 1e-7 {
			t.Errorf("anchor %d[%d] = sigmoid^-1 of %v, want %v", s, j, got, w)
		}
	}
}

// TestDecoderTopKTies checks the top-k order: descending, equal scores by
// increasing position, NaN above every number.
func TestDecoderTopKTies(t *testing.T) {
	nan := float32(math.NaN())
	scores := []float32{1, 3, 2, 3, nan, -1, 3, 2, nan}
	idx := make([]int, 7)
	queryTopK(idx, make([]int, len(scores)), scores)
	if want := []int{4, 8, 1, 3, 6, 2, 7}; !slices.Equal(idx, want) {
		t.Errorf("top-k order %v, want %v", idx, want)
	}
}

// TestDecoderDeterministic checks that forward gives the same bits at
// GOMAXPROCS 1 and 2, and again on a warm decoderOut.
func TestDecoderDeterministic(t *testing.T) {
	g := loadDecGolden(t, "r18_small")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	run := func(procs int, out *decoderOut) *decoderOut {
		runtime.GOMAXPROCS(procs)
		if err := g.net.forward(g.levels, g.sizes, g.batch, out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a := run(1, &decoderOut{})
	snap := func(o *decoderOut) [][]float32 {
		return [][]float32{slices.Clone(o.Logits), slices.Clone(o.Boxes), slices.Clone(o.TopkScores), slices.Clone(o.TopkLogits),
			slices.Clone(o.TopkBoxes), slices.Clone(o.InitRef), slices.Clone(o.InterLogits), slices.Clone(o.InterRef), slices.Clone(o.Hidden)}
	}
	sa, ia := snap(a), slices.Clone(a.TopkIndices)
	b := &decoderOut{}
	run(2, b)
	run(2, b) // warm
	sb := snap(b)
	for i := range sa {
		for j := range sa[i] {
			if math.Float32bits(sa[i][j]) != math.Float32bits(sb[i][j]) {
				t.Fatalf("output %d element %d differs: %v at GOMAXPROCS 1, %v at 2", i, j, sa[i][j], sb[i][j])
			}
		}
	}
	if !slices.Equal(ia, b.TopkIndices) {
		t.Fatal("selected positions differ between GOMAXPROCS 1 and 2")
	}
}

// randGetter returns a getter of seeded random weights of any requested
// shape (BatchNorm variances and LayerNorm gains around 1), for networks
// with other sizes than the goldens'.
func randGetter(seed uint64) getter {
	rng := rand.New(rand.NewPCG(seed, 7))
	return func(name string, shape ...int) ([]float32, error) {
		n := 1
		for _, s := range shape {
			n *= s
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.2)
			if strings.HasSuffix(name, "running_var") || strings.HasSuffix(name, "norm.weight") || strings.HasSuffix(name, "enc_output.1.weight") {
				v[i] = 1 + float32(math.Abs(rng.NormFloat64()*0.2))
			}
		}
		return v, nil
	}
}

// TestDecoderAllocs checks that a warm forward allocates O(kernel calls)
// small objects (the closures handed to ops.ParallelFor), not activations
// and nothing per row. It uses 32 queries: ops' exp kernel allocates for
// every softmax row whose length is not a multiple of its vector width (an
// ops issue, see the report), which nn.Attention's rows of 100 or 300 hit.
func TestDecoderAllocs(t *testing.T) {
	g := loadDecGolden(t, "r50_tiny")
	cfg := *g.cfg
	cfg.NumQueries = 32
	net, err := newDecoderNet(&cfg, randGetter(1))
	if err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		var out decoderOut
		if err := net.forward(g.levels, g.sizes, g.batch, &out); err != nil {
			t.Fatal(err)
		}
		var s0, s1 runtime.MemStats
		runtime.ReadMemStats(&s0)
		if err := net.forward(g.levels, g.sizes, g.batch, &out); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&s1)
		objs, bytes := s1.Mallocs-s0.Mallocs, s1.TotalAlloc-s0.TotalAlloc
		t.Logf("GOMAXPROCS %d: warm forward allocated %d objects, %d bytes", procs, objs, bytes)
		if objs > 256*uint64(procs) || bytes > 64<<10 {
			t.Errorf("GOMAXPROCS %d: warm forward allocated %d objects, %d bytes: want at most %d and 64 KiB", procs, objs, bytes, 256*procs)
		}
	}
}

// TestDecoderBadInput checks that malformed arguments give errors naming
// the problem.
func TestDecoderBadInput(t *testing.T) {
	g := loadDecGolden(t, "r50_tiny")
	var out decoderOut
	short := slices.Clone(g.levels)
	short[1] = short[1][:len(short[1])-1]
	wrongSize := slices.Clone(g.sizes)
	wrongSize[2] = [2]int{8, 12}
	for _, tc := range []struct {
		name   string
		levels [][]float32
		sizes  [][2]int
		batch  int
		want   string
	}{
		{"zero batch", g.levels, g.sizes, 0, "batch size 0"},
		{"two levels", g.levels[:2], g.sizes[:2], 1, "2 levels"},
		{"short level", short, g.sizes, 1, "level 1 has"},
		{"size mismatch", g.levels, wrongSize, 1, "level 2 has"},
		{"zero size", g.levels, [][2]int{{32, 52}, {0, 26}, {8, 13}}, 1, "level 1 has size 0x26"},
		{"too few positions", [][]float32{make([]float32, 64*4), make([]float32, 64), make([]float32, 64)}, [][2]int{{2, 2}, {1, 1}, {1, 1}}, 1, "fewer than num_queries"},
	} {
		err := g.net.forward(tc.levels, tc.sizes, tc.batch, &out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// A missing tensor is named.
	f, err := weights.Open(filepath.Join(decGoldenDir, "r50_tiny", "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	get := fileGetter(f)
	_, err = newDecoderNet(g.cfg, func(name string, shape ...int) ([]float32, error) {
		if name == "model.decoder.layers.1.encoder_attn.value_proj.bias" {
			return get("model.decoder.layers.1.encoder_attn.value_proj.missing", shape...)
		}
		return get(name, shape...)
	})
	if err == nil || !strings.Contains(err.Error(), "value_proj.missing") {
		t.Errorf("missing tensor: error %v", err)
	}
}

// BenchmarkDecoderForward times query selection and the decoder on the
// r18_small reference levels (batch 2, 300 queries, d_model 128).
func BenchmarkDecoderForward(b *testing.B) {
	g := loadDecGolden(b, "r18_small")
	var out decoderOut
	for range b.N {
		if err := g.net.forward(g.levels, g.sizes, g.batch, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N)/float64(g.batch), "ms/image")
}
