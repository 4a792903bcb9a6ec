// Package train trains ladderpose models: side-tuning a ladder side network
// (and the head) on a frozen ViTPose, training the head alone, or full
// fine-tuning, with the joint loss of SPEC.md section 8, AdamW, validation
// AP every epoch, atomic checkpoints and bit-identical resumption.
package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ladderpose/ladderpose/coco"
	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/posemodel"
	"github.com/ladderpose/ladderpose/tensor"
	"github.com/ladderpose/ladderpose/weights"
)

// Options configure a training run.
type Options struct {
	TrainAnn, ValAnn string // COCO person-keypoint files
	ImageDir         string // folder of the images both files name
	Out              string // run folder: checkpoints, state, log.csv, curves.png

	Train posemodel.TrainOptions // mode, side network use, ablation variant

	Epochs, Batch int
	LR            float64 // AdamW learning rate (paper: 5e-4)
	WeightDecay   float64 // AdamW weight decay on weights (paper: 1e-4)
	Lambda        float64 // loss weight of L_K (paper: 0.7)
	Warmup        int     // warm-up steps
	StepDecay     []int   // epochs at which the rate is multiplied by 0.1; cosine decay when empty
	ClipNorm      float64 // gradient-norm clipping (0: none)
	Seed          uint64
	Augment       Augment
	Workers       int // data loading goroutines (0: GOMAXPROCS)
	Resume        bool

	ValBatch int  // evaluation batch (0: Batch)
	Flip     bool // flip test in validation

	Progress io.Writer // progress lines (nil: none)
	Quiet    bool      // no per-step progress, only epoch lines
}

// EpochStats summarise one epoch.
type EpochStats struct {
	Epoch            int
	Loss, LK, LS     float64 // means over the epoch's steps
	AP, AP50, AP75   float64 // validation (-1 without validation data)
	Seconds          float64
	ImagesPerSecond  float64
	MedianStepMillis float64
}

// Result summarises a run.
type Result struct {
	Epochs          []EpochStats
	BestAP          float64
	BestEpoch       int
	TrainSeconds    float64
	TrainableParams int
	// PeakBytes is the training memory: the activation arenas' peak plus
	// the trainable parameters' gradients and AdamW's two moments.
	PeakBytes int64
	// MedianStepMillis is the median time of one optimisation step.
	MedianStepMillis float64
}

// ErrInterrupted reports a run stopped by its context (Ctrl-C) after saving
// its state.
var ErrInterrupted = errors.New("training interrupted; state saved, continue with -resume")

// checkpoint names in the run folder
const (
	lastName  = "side.safetensors"
	bestName  = "side_best.safetensors"
	stateName = "state.safetensors"
)

// CheckpointNames returns the last and best checkpoint file names of a run
// for its mode: side.safetensors / side_best.safetensors hold the trained
// tensors (side.* and keypoint_head.*, loadable with -side over the
// backbone), model.safetensors / model_best.safetensors the whole model for
// full fine-tuning.
func CheckpointNames(mode posemodel.TrainMode) (last, best string) {
	if mode == posemodel.FullTuning {
		return "model.safetensors", "model_best.safetensors"
	}
	return lastName, bestName
}

// Train runs the training loop on m (whose weights it updates in place).
func Train(ctx context.Context, m *posemodel.Model, o Options) (*Result, error) {
	if o.Epochs < 1 || o.Batch < 1 {
		return nil, fmt.Errorf("train: epochs %d and batch %d must be positive", o.Epochs, o.Batch)
	}
	if o.Train.UseSide && !m.HasSide() {
		return nil, fmt.Errorf("train: the model has no side network (create one with init-side)")
	}
	if k := m.Cfg.Keypoints; k != coco.NumKeypoints {
		return nil, fmt.Errorf("train: the model predicts %d keypoints; training reads COCO person keypoints (17) and the joint loss uses COCO's skeleton, so it needs a 17-keypoint COCO model", k)
	}
	if o.ValBatch == 0 {
		o.ValBatch = o.Batch
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	h, w := m.Cfg.Input[0], m.Cfg.Input[1]
	ds, err := OpenDataset(o.TrainAnn, o.ImageDir, h, w)
	if err != nil {
		return nil, err
	}
	var ev *Evaluator
	if o.ValAnn != "" {
		gt, err := coco.ReadDataset(o.ValAnn)
		if err != nil {
			return nil, err
		}
		if ev, err = NewEvaluator(gt, o.ImageDir, h, w); err != nil {
			return nil, err
		}
	}
	loader := NewLoader(ds, o.Batch, o.Seed, o.Augment, o.Workers)
	defer loader.Close()
	perEpoch := loader.Batches(0)
	if perEpoch < 1 {
		return nil, fmt.Errorf("train: %d samples make no batch of %d", ds.Len(), o.Batch)
	}
	m.EnableGrads(o.Train)
	var trainable []*nn.Param
	res := &Result{BestAP: -1, BestEpoch: -1}
	for _, p := range m.Params() {
		if p.Grad != nil {
			trainable = append(trainable, p)
			res.TrainableParams += p.Len()
		}
	}
	opt := nn.NewAdamW(trainable, o.LR)
	opt.WeightDecay = o.WeightDecay
	total := o.Epochs * perEpoch
	sched := nn.Schedule{Base: o.LR, Warmup: o.Warmup, Total: total, Gamma: 0.1}
	for _, e := range o.StepDecay {
		sched.Steps = append(sched.Steps, e*perEpoch)
	}

	// Resume.
	start := 0
	if o.Resume {
		st, hist, best, bestEpoch, err := loadState(filepath.Join(o.Out, stateName), m, opt)
		if err != nil {
			return nil, err
		}
		start, res.Epochs, res.BestAP, res.BestEpoch = st, hist, best, bestEpoch
	}
	if o.Resume {
		// Rows a stopped run wrote after its last saved state come again.
		if err := TrimCSVLog(filepath.Join(o.Out, "log.csv"), "step", float64(start)); err != nil {
			return nil, err
		}
	}
	log, err := NewCSVLog(filepath.Join(o.Out, "log.csv"), []string{"step", "epoch", "loss", "loss_k", "loss_s", "lr", "grad_norm", "images_per_s", "val_ap", "val_ap50", "val_ap75"})
	if err != nil {
		return nil, err
	}
	defer log.Close()

	tp := nn.NewTape(true)
	ws := posemodel.NewWorkspace()
	per := 3 * h * w
	img := make([]float32, o.Batch*per)
	kp := make([]float32, o.Batch*17*3)
	var stepTimes []float64
	t0 := time.Now()
	lastPrint := time.Time{}
	var epochLoss, epochLK, epochLS float64
	var epochSteps int
	epochStart := time.Now()
	for step := start; step < total; step++ {
		epoch, bi := step/perEpoch, step%perEpoch
		if bi == 0 || step == start {
			epochLoss, epochLK, epochLS, epochSteps = 0, 0, 0, 0
			epochStart = time.Now()
		}
		if err := ctx.Err(); err != nil {
			if serr := saveState(filepath.Join(o.Out, stateName), m, opt, step, res); serr != nil {
				return res, serr
			}
			if serr := saveCheckpoint(filepath.Join(o.Out, lastNameFor(o)), m, trainable); serr != nil {
				return res, serr
			}
			return res, ErrInterrupted
		}
		ts := time.Now()
		if err := loader.Batch(ctx, epoch, bi, img, kp); err != nil {
			if ctx.Err() != nil {
				continue // handled at the top of the next iteration
			}
			return res, err
		}
		tp.Reset()
		for _, p := range trainable {
			p.ZeroGrad()
		}
		hm, err := m.TrainForward(tp, ws, img, o.Batch, o.Train)
		if err != nil {
			return res, err
		}
		loss, parts, err := posemodel.JointLoss(tp, hm, kp, o.Lambda, h, w)
		if err != nil {
			return res, fmt.Errorf("train: step %d: %w; the last good checkpoint is %s", step, err, filepath.Join(o.Out, lastNameFor(o)))
		}
		if math.IsNaN(parts.Loss) || math.IsInf(parts.Loss, 0) {
			return res, fmt.Errorf("train: step %d: the loss is %v; stopped, the last good checkpoint is %s", step, parts.Loss, filepath.Join(o.Out, lastNameFor(o)))
		}
		if err := tp.Backward(loss); err != nil {
			return res, err
		}
		gn := nn.ClipGradNorm(trainable, o.ClipNorm)
		if math.IsNaN(gn) || math.IsInf(gn, 0) {
			return res, fmt.Errorf("train: step %d: the gradient norm is %v; stopped, the last good checkpoint is %s", step, gn, filepath.Join(o.Out, lastNameFor(o)))
		}
		opt.LR = sched.At(step)
		opt.Update()
		if peak := int64(tp.Peak()+ws.Peak()) * 4; peak > res.PeakBytes {
			res.PeakBytes = peak
		}
		dt := time.Since(ts).Seconds()
		stepTimes = append(stepTimes, dt)
		epochLoss += parts.Loss
		epochLK += parts.Keypoint
		epochLS += parts.Skeleton
		epochSteps++
		rate := float64(o.Batch) / dt
		if err := log.Append(step+1, epoch+1, parts.Loss, parts.Keypoint, parts.Skeleton, opt.LR, gn, rate, "", "", ""); err != nil {
			return res, err
		}
		if o.Progress != nil && !o.Quiet && time.Since(lastPrint) > 500*time.Millisecond {
			lastPrint = time.Now()
			done := step + 1 - start
			eta := time.Duration(float64(time.Since(t0)) / float64(done) * float64(total-step-1))
			fmt.Fprintf(o.Progress, "\rstep %d/%d epoch %d/%d  L_K %.5f  L_S %.4f  lr %.2g  %.1f img/s  ETA %s   ",
				step+1, total, epoch+1, o.Epochs, parts.Keypoint, parts.Skeleton, opt.LR, rate, eta.Round(time.Second))
		}
		if bi != perEpoch-1 {
			continue
		}
		// End of epoch: validation, checkpoints, state, curves.
		es := EpochStats{Epoch: epoch + 1, Loss: epochLoss / float64(epochSteps), LK: epochLK / float64(epochSteps),
			LS: epochLS / float64(epochSteps), AP: -1, AP50: -1, AP75: -1, Seconds: time.Since(epochStart).Seconds()}
		es.ImagesPerSecond = float64(epochSteps*o.Batch) / es.Seconds
		es.MedianStepMillis = 1000 * median(stepTimes[max(0, len(stepTimes)-epochSteps):])
		if ev != nil {
			r, err := Validate(ctx, m, ev, o.Train, o.ValBatch, o.Flip)
			if err != nil {
				if ctx.Err() != nil {
					continue
				}
				return res, err
			}
			es.AP, es.AP50, es.AP75 = r.Stats[0], r.Stats[1], r.Stats[2]
			if err := log.Append(step+1, epoch+1, "", "", "", "", "", "", es.AP, es.AP50, es.AP75); err != nil {
				return res, err
			}
		}
		res.Epochs = append(res.Epochs, es)
		if err := saveCheckpoint(filepath.Join(o.Out, lastNameFor(o)), m, trainable); err != nil {
			return res, err
		}
		if es.AP > res.BestAP || ev == nil {
			res.BestAP, res.BestEpoch = es.AP, es.Epoch
			if err := saveCheckpoint(filepath.Join(o.Out, bestNameFor(o)), m, trainable); err != nil {
				return res, err
			}
		}
		if err := saveState(filepath.Join(o.Out, stateName), m, opt, step+1, res); err != nil {
			return res, err
		}
		if err := writeCurves(filepath.Join(o.Out, "curves.png"), res.Epochs); err != nil {
			return res, err
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "\repoch %d/%d  loss %.5f (L_K %.5f, L_S %.4f)  val AP %.4f (AP50 %.4f)  %.1f img/s  %.0fs\n",
				es.Epoch, o.Epochs, es.Loss, es.LK, es.LS, es.AP, es.AP50, es.ImagesPerSecond, es.Seconds)
		}
	}
	res.TrainSeconds = time.Since(t0).Seconds()
	res.MedianStepMillis = 1000 * median(stepTimes)
	for _, p := range trainable {
		res.PeakBytes += int64(3 * 4 * p.Len()) // gradient + two moments
	}
	if err := m.Prepare(); err != nil {
		return res, err
	}
	return res, nil
}

func lastNameFor(o Options) string { l, _ := CheckpointNames(o.Train.Mode); return l }
func bestNameFor(o Options) string { _, b := CheckpointNames(o.Train.Mode); return b }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// Validate evaluates m (prepared for inference first) on the evaluator's
// data. Ablation variants run through the eval-mode tape, the full network
// and plain ViTPose through the inference forward.
func Validate(ctx context.Context, m *posemodel.Model, ev *Evaluator, o posemodel.TrainOptions, batch int, flip bool) (*coco.EvalResult, error) {
	if err := m.Prepare(); err != nil {
		return nil, err
	}
	ws := posemodel.NewWorkspace()
	var f HeatmapFunc
	if (o.UseSide && o.Variant != posemodel.VariantFull) || (!o.UseSide && m.HasSide()) {
		tp := nn.NewTape(false)
		eo := posemodel.TrainOptions{Mode: posemodel.HeadOnly, UseSide: o.UseSide, Variant: o.Variant}
		f = func(images []float32, b int) ([]float32, error) {
			tp.Reset()
			hm, err := m.TrainForward(tp, ws, images, b, eo)
			if err != nil {
				return nil, err
			}
			return hm.Data(), nil
		}
	} else {
		f = func(images []float32, b int) ([]float32, error) {
			hm, err := m.Forward(ws, tensor.FromSlice(images, b, 3, m.Cfg.Input[0], m.Cfg.Input[1]))
			if err != nil {
				return nil, err
			}
			return hm.Data(), nil
		}
	}
	r, _, err := ev.Run(ctx, f, batch, flip)
	return r, err
}

// saveCheckpoint writes, atomically and with the model's config, the whole
// model after full fine-tuning, else every side.* and keypoint_head.* tensor
// (BatchNorm statistics included), which loads with -side over any copy of
// the backbone as one consistent network.
func saveCheckpoint(path string, m *posemodel.Model, trainable []*nn.Param) error {
	full := false
	for _, p := range trainable {
		full = full || strings.HasPrefix(p.Name, "backbone.")
	}
	var ts []weights.Tensor
	for _, p := range m.Params() {
		if full || strings.HasPrefix(p.Name, "side.") || strings.HasPrefix(p.Name, "keypoint_head.") {
			ts = append(ts, weights.Tensor{Name: p.Name, DType: weights.F32, Shape: p.Shape, Data: p.Data})
		}
	}
	return weights.Write(path, ts, map[string]string{posemodel.MetadataKey: m.Cfg.JSON()})
}

// saveState writes everything needed to resume bit-identically: the model's
// trainable tensors and BatchNorm statistics, AdamW's moments and step, and
// the history, atomically.
func saveState(path string, m *posemodel.Model, opt *nn.AdamW, step int, res *Result) error {
	var ts []weights.Tensor
	for _, p := range m.Params() {
		if p.Grad != nil || p.Buffer {
			ts = append(ts, weights.Tensor{Name: "param." + p.Name, DType: weights.F32, Shape: p.Shape, Data: p.Data})
		}
	}
	for name, v := range opt.State() {
		ts = append(ts, weights.Tensor{Name: "adam." + name, DType: weights.F32, Shape: []int{len(v)}, Data: v})
	}
	hist := make([]float32, 0, 10*len(res.Epochs))
	for _, e := range res.Epochs {
		hist = append(hist, float32(e.Epoch), float32(e.Loss), float32(e.LK), float32(e.LS), float32(e.AP), float32(e.AP50), float32(e.AP75),
			float32(e.Seconds), float32(e.ImagesPerSecond), float32(e.MedianStepMillis))
	}
	ts = append(ts, weights.Tensor{Name: "history", DType: weights.F32, Shape: []int{len(res.Epochs), 10}, Data: hist})
	meta := map[string]string{
		posemodel.MetadataKey: m.Cfg.JSON(),
		"step":                strconv.Itoa(step),
		"adam_step":           strconv.Itoa(opt.Step),
		"best_ap":             strconv.FormatFloat(res.BestAP, 'g', -1, 64),
		"best_epoch":          strconv.Itoa(res.BestEpoch),
	}
	return weights.Write(path, ts, meta)
}

// loadState restores a state written by saveState.
func loadState(path string, m *posemodel.Model, opt *nn.AdamW) (int, []EpochStats, float64, int, error) {
	f, err := weights.Open(path)
	if err != nil {
		return 0, nil, 0, 0, fmt.Errorf("resume: %w", err)
	}
	defer f.Close()
	meta := f.Metadata()
	if meta[posemodel.MetadataKey] != m.Cfg.JSON() {
		return 0, nil, 0, 0, fmt.Errorf("resume %s: the saved model config differs from this model's", path)
	}
	for _, p := range m.Params() {
		if p.Grad == nil && !p.Buffer {
			continue
		}
		v, s, err := f.Float32("param." + p.Name)
		if err != nil {
			return 0, nil, 0, 0, fmt.Errorf("resume: %w", err)
		}
		if err := p.Set(v, s); err != nil {
			return 0, nil, 0, 0, fmt.Errorf("resume %s: %w", path, err)
		}
	}
	step, err1 := strconv.Atoi(meta["step"])
	astep, err2 := strconv.Atoi(meta["adam_step"])
	best, err3 := strconv.ParseFloat(meta["best_ap"], 64)
	bestEpoch, err4 := strconv.Atoi(meta["best_epoch"])
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return 0, nil, 0, 0, fmt.Errorf("resume %s: bad metadata: %w", path, err)
	}
	if err := opt.SetState(astep, func(name string) ([]float32, error) {
		v, _, err := f.Float32("adam." + name)
		return v, err
	}); err != nil {
		return 0, nil, 0, 0, fmt.Errorf("resume %s: %w", path, err)
	}
	h, hs, err := f.Float32("history")
	if err != nil {
		return 0, nil, 0, 0, fmt.Errorf("resume: %w", err)
	}
	var hist []EpochStats
	for i := 0; i < hs[0]; i++ {
		r := h[i*10 : (i+1)*10]
		hist = append(hist, EpochStats{Epoch: int(r[0]), Loss: float64(r[1]), LK: float64(r[2]), LS: float64(r[3]), AP: float64(r[4]),
			AP50: float64(r[5]), AP75: float64(r[6]), Seconds: float64(r[7]), ImagesPerSecond: float64(r[8]), MedianStepMillis: float64(r[9])})
	}
	return step, hist, best, bestEpoch, nil
}

// writeCurves draws the loss and validation AP per epoch.
func writeCurves(path string, hist []EpochStats) error {
	var lk, ls, ap Series
	lk.Name, ls.Name, ap.Name = "L_K", "L_S", "val AP"
	ap.Right = true
	for _, e := range hist {
		lk.X, lk.Y = append(lk.X, float64(e.Epoch)), append(lk.Y, e.LK)
		ls.X, ls.Y = append(ls.X, float64(e.Epoch)), append(ls.Y, e.LS)
		if e.AP >= 0 {
			ap.X, ap.Y = append(ap.X, float64(e.Epoch)), append(ap.Y, e.AP)
		}
	}
	return WriteCurves(path, []Series{lk, ls, ap})
}
