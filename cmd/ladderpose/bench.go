package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ladderpose/ladderpose/gpu"
	"github.com/ladderpose/ladderpose/internal/benchmodel"
	"github.com/ladderpose/ladderpose/internal/devnet"
	"github.com/ladderpose/ladderpose/ops"
	"github.com/ladderpose/ladderpose/posemodel"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "time the network on this CPU or GPU, stage by stage",
		run:     runBench,
	})
}

// benchOptions are the flags of "ladderpose bench".
type benchOptions struct {
	weights       string
	size          string
	side          bool
	batch         int
	iters, warmup int
	seed          uint64
	dataset       int
	device        deviceChoice
	precision     precisionChoice
	// place, if set, puts the network on its device instead of -device
	// (tests use an emulated GPU).
	place func(devnet.LoadFunc) (*devnet.Net, error)
}

// runBench implements "ladderpose bench": it times Forward on one batch
// and prints, per stage (posemodel.Stages), the median time per batch, its
// share of the median forward time, its FLOPs and rate, then the whole
// forward's time per batch and per image, images/s and GFLOP/s, and the
// process's peak resident memory.
func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	var o benchOptions
	fs.StringVar(&o.weights, "weights", "", "safetensors `checkpoint` (file or folder) to time; default: random weights of -size")
	fs.StringVar(&o.size, "size", "B", "ViTPose `size` S, B, L or H for random weights")
	fs.BoolVar(&o.side, "side", false, "with the default ladder side network (added, freshly initialised, to a checkpoint without one)")
	fs.IntVar(&o.batch, "batch", 1, "images per forward pass")
	fs.IntVar(&o.dataset, "dataset", 0, "the ViTPose+ expert to use: Hugging Face's dataset_index (0: COCO)")
	fs.IntVar(&o.iters, "iters", 10, "timed forward passes")
	fs.IntVar(&o.warmup, "warmup", 2, "untimed forward passes first")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the random weights and input")
	dev := addDeviceFlag(fs)
	prec := addPrecisionFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ladderpose bench [-weights W | -size S|B|L|H] [-side] [-batch 1] [-iters 10] [-warmup 2] [-device auto|cpu|cuda] [-precision float32|int8]\n\n"+
			"Times the network (no cropping or decoding) on a random input batch, on the CPU with\n"+
			"GOMAXPROCS threads or on the GPU (-device), and prints the median time of each stage,\n"+
			"images/s and GFLOP/s (2 x the multiply-accumulates of every convolution, linear layer\n"+
			"and matrix product). On a GPU each pass includes copying the input to the device and\n"+
			"the heatmaps back, and the stage times come from -iters further passes that\n"+
			"synchronise the device at every stage boundary (the timed passes do not).\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o.device = *dev
	o.precision = *prec
	switch {
	case fs.NArg() != 0:
		return fmt.Errorf("%w: bench takes no arguments, got %q", errUsage, fs.Args())
	case o.batch < 1:
		return fmt.Errorf("%w: -batch %d must be at least 1", errUsage, o.batch)
	case o.iters < 1:
		return fmt.Errorf("%w: -iters %d must be at least 1", errUsage, o.iters)
	case o.warmup < 0:
		return fmt.Errorf("%w: -warmup %d must not be negative", errUsage, o.warmup)
	}
	sizeSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "size" {
			sizeSet = true
		}
	})
	if o.weights != "" && sizeSet {
		return fmt.Errorf("%w: -size is for random weights; a checkpoint (-weights) has its own size", errUsage)
	}
	if o.weights == "" {
		if _, err := posemodel.StandardConfig(o.size); err != nil {
			return fmt.Errorf("%w: -size: %v", errUsage, err)
		}
	}
	return bench(o, stdout, stderr)
}

// bench builds or loads the model, puts it on the device and runs the
// timing.
func bench(o benchOptions, stdout, stderr io.Writer) (err error) {
	var desc string
	place := o.place
	if place == nil {
		place = func(l devnet.LoadFunc) (*devnet.Net, error) { return devnet.Load(string(o.device), gpu.Options{}, l) }
	}
	m, net, err := placeNet(stderr, place, func(inferenceOnly bool) (*posemodel.Model, error) {
		if o.weights == "" {
			fmt.Fprintf(stderr, "bench: building ViT-%s with random weights...\n", o.size)
			desc = fmt.Sprintf("ViT-%s, random weights (seed %d)", o.size, o.seed)
			m, err := benchmodel.Random(o.size, o.side, o.seed)
			if err == nil && o.precision == posemodel.PrecisionInt8 {
				err = m.Quantize()
			}
			return m, err
		}
		m, err := posemodel.Load(o.weights, posemodel.LoadOptions{InferenceOnly: inferenceOnly, Precision: string(o.precision)})
		if err != nil {
			return nil, err
		}
		desc = "weights " + o.weights
		if o.side && !m.HasSide() {
			if err := m.InitSide(nil, o.seed); err != nil {
				return nil, err
			}
			desc += fmt.Sprintf(" + a fresh default side network (seed %d)", o.seed)
		}
		return m, nil
	})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, net.Close()) }()
	if err := net.SetDataset(o.dataset); err != nil {
		return err
	}
	gn, onGPU := net.(*gpuNet)
	cfg := m.Cfg
	var params int64
	for _, p := range m.Params() {
		n := 1 // from the shape: layers held only packed have no Data
		for _, d := range p.Shape {
			n *= d
		}
		params += int64(n)
	}
	if onGPU {
		gn.n.Model = nil // the weights are on the GPU: the host copy can go
	}

	in := benchmodel.Input(cfg, o.batch, o.seed)
	if cfg.Side != nil {
		if err := net.Keep("level_fre", "level_spa"); err != nil { // for the FLOP count
			return err
		}
	}
	var cur map[string]time.Duration
	timer := func(stage string, d time.Duration) { cur[stage] += d }

	// On the CPU every timed pass also times its stages. On a GPU the stage
	// timer synchronises the device at each stage boundary, so the timed
	// passes run without it and the stage times come from as many passes
	// after them.
	total, staged0 := o.warmup+o.iters, o.warmup
	if onGPU {
		total, staged0 = o.warmup+2*o.iters, o.warmup+o.iters
	} else {
		net.SetStageTimer(timer)
	}
	stageTimes := map[string][]float64{}
	var walls, untimed []float64
	var levels []benchmodel.Levels
	start := time.Now()
	last := start
	for it := 0; it < total; it++ {
		if onGPU && it == staged0 {
			net.SetStageTimer(timer)
		}
		cur = map[string]time.Duration{}
		t0 := time.Now()
		if _, err := net.Forward(in); err != nil {
			return err
		}
		wall := time.Since(t0)
		if it == 0 && cfg.Side != nil {
			if levels, err = keptLevels(net); err != nil {
				return err
			}
		}
		if it >= o.warmup && it < o.warmup+o.iters {
			walls = append(walls, wall.Seconds())
		}
		if it >= staged0 {
			var sum time.Duration
			for st, d := range cur {
				stageTimes[st] = append(stageTimes[st], d.Seconds())
				sum += d
			}
			untimed = append(untimed, (wall - sum).Seconds())
		}
		if now := time.Now(); it == total-1 || now.Sub(last) >= time.Second {
			last = now
			el := now.Sub(start).Seconds()
			rate := float64(it+1) / el
			eta := time.Duration(float64(total-it-1) / rate * float64(time.Second)).Round(time.Second)
			extra := ""
			if onGPU {
				extra = fmt.Sprintf(", %d with the stage timer", o.iters)
			}
			fmt.Fprintf(stderr, "bench: %d/%d passes (%d warm-up%s), %.2f passes/s, ETA %v\n", it+1, total, o.warmup, extra, rate, eta)
		}
	}
	flops, err := benchmodel.BatchFLOPs(cfg, o.batch, levels)
	if err != nil {
		return err
	}

	w := bufio.NewWriter(stdout)
	if onGPU {
		fmt.Fprintf(w, "GPU: %s, IEEE float32 products; host CPU: %s, GOMAXPROCS %d\n", strings.TrimPrefix(net.Device(), "gpu: "), cpuName(), runtime.GOMAXPROCS(0))
	} else {
		fmt.Fprintf(w, "CPU: %s, %d logical CPUs, kernel path %s, GOMAXPROCS %d\n", cpuName(), runtime.NumCPU(), ops.Path(), runtime.GOMAXPROCS(0))
	}
	if m.Precision() == posemodel.PrecisionInt8 {
		fmt.Fprintf(w, "precision: int8 (backbone linear layers as int8 GEMMs, kernel %s)\n", ops.Int8Path())
	}
	side := "no side network"
	if s := cfg.Side; s != nil {
		side = fmt.Sprintf("side network C=%d e=%d heads=%d nodes=%d", s.Channels, s.FusionWidth, s.FusionHeads, s.Nodes)
		if len(levels) > 0 {
			side += fmt.Sprintf(" (fusion levels of image 0: fre %d, spa %d)", levels[0].Fre, levels[0].Spa)
		}
	}
	fmt.Fprintf(w, "model: %s: D=%d depth=%d heads=%d, %s head, %s; %s parameters (%s as float32)\n",
		desc, cfg.Dim, cfg.Depth, cfg.Heads, cfg.Head, side, group(params), mib(4*params))
	fmt.Fprintf(w, "input: batch %d of %dx%d; %d timed passes after %d warm-up passes; medians per pass,\n"+
		"shares of the sum of the stage medians\n",
		o.batch, cfg.Input[0], cfg.Input[1], o.iters, o.warmup)
	if onGPU {
		fmt.Fprintf(w, "(on the GPU: passes include the input's upload and the heatmaps' download; stage times\n"+
			"from %d more passes synchronised at every stage boundary, the forward row from the timed ones)\n", o.iters)
	}
	fmt.Fprintln(w)

	// Shares are of the sum of the row medians (stages and the untimed
	// rest), so that they add up to 100%; the median of the whole forward
	// pass is a little different from that sum.
	wall := median(walls)
	type row struct {
		name string
		t    float64
		f    float64
	}
	var list []row
	for _, st := range posemodel.Stages {
		if ts, ok := stageTimes[st]; ok {
			list = append(list, row{st, median(ts), float64(flops[st])})
		}
	}
	list = append(list, row{"(untimed)", median(untimed), 0})
	var sum float64
	for _, r := range list {
		sum += r.t
	}
	rows := [][]string{{"STAGE", "MS/BATCH", "SHARE", "GFLOP/BATCH", "GFLOP/S"}}
	for _, r := range list {
		g, rt := "-", "-"
		if r.f > 0 {
			g, rt = gflop(r.f), rate(r.f, r.t)
		}
		rows = append(rows, []string{r.name, ms(r.t), pct(r.t / sum), g, rt})
	}
	all := float64(benchmodel.Total(flops))
	rows = append(rows, []string{"forward", ms(wall), "-", gflop(all), rate(all, wall)})
	writeTable(w, rows, []bool{false, true, true, true, true})
	fmt.Fprintf(w, "\n%.1f ms/image, %.3f images/s, %.1f GFLOP/s (median of %d; fastest pass %.1f ms/image)\n",
		1e3*wall/float64(o.batch), float64(o.batch)/wall, all/wall/1e9, len(walls), 1e3*slices.Min(walls)/float64(o.batch))
	if hwm, ok := peakRSS(); ok {
		fmt.Fprintf(w, "peak resident memory: %s (weights %s as float32)\n", mib(hwm), mib(4*params))
	}
	if onGPU {
		fmt.Fprintf(w, "GPU memory: weights about %s, activations %s\n", mib(4*params), mib(4*int64(gn.n.GPU.ArenaValues())))
	}
	return w.Flush()
}

// keptLevels reads the fusion levels a Forward kept in net.
func keptLevels(net network) ([]benchmodel.Levels, error) {
	fre, ok1 := net.Intermediate("level_fre")
	spa, ok2 := net.Intermediate("level_spa")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("bench: the model kept no fusion levels")
	}
	out := make([]benchmodel.Levels, fre.Len())
	for i := range out {
		out[i] = benchmodel.Levels{Fre: int(fre.Data()[i]), Spa: int(spa.Data()[i])}
	}
	return out, nil
}

// median returns the median of xs (sorting a copy).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func ms(sec float64) string      { return strconv.FormatFloat(1e3*sec, 'f', 2, 64) }
func pct(x float64) string       { return strconv.FormatFloat(100*x, 'f', 1, 64) + "%" }
func gflop(f float64) string     { return strconv.FormatFloat(f/1e9, 'f', 3, 64) }
func mib(bytes int64) string     { return strconv.FormatFloat(float64(bytes)/(1<<20), 'f', 1, 64) + " MiB" }
func rate(f, sec float64) string { return strconv.FormatFloat(f/sec/1e9, 'f', 1, 64) }

// cpuName returns the CPU's brand name, "unknown CPU" if it has none.
func cpuName() string {
	if n := strings.TrimSpace(ops.CPUName()); n != "" {
		return n
	}
	return "unknown CPU"
}

// peakRSS returns the process's peak resident set size (VmHWM), on Linux.
func peakRSS() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return kb << 10, true
				}
			}
		}
	}
	return 0, false
}
