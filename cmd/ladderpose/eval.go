package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/ladderpose/ladderpose/coco"
)

func init() {
	register(&command{
		name:    "eval",
		summary: "score keypoint or box results against COCO ground truth (COCOeval)",
		run:     runEval,
	})
}

// statNames name coco.EvalResult.Stats in the JSON output.
var statNames = [10]string{"AP", "AP50", "AP75", "AP_medium", "AP_large", "AR", "AR50", "AR75", "AR_medium", "AR_large"}

// boxStatNames name coco.BoxEvalResult.Stats in the JSON output.
var boxStatNames = [12]string{"AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
	"AR1", "AR10", "AR100", "AR_small", "AR_medium", "AR_large"}

const evalUsage = `usage: ladderpose eval -gt ANNOTATIONS.json -dt RESULTS.json [-type keypoints|bbox] [-sigmas LIST|FILE] [-json]
       ladderpose eval -track -gt tracks.json -dt poses.jsonl [-json]

With -track, scores "ladderpose video"'s tracked poses against a "synth
-video" sequence: MOTA, MOTP, ID switches, IDF1 and keypoint AP ("eval
-track -h" defines each).

With -type keypoints (the default), evaluates COCO keypoint results exactly
as pycocotools' COCOeval with iouType "keypoints" and prints its 10 summary
lines, then per-keypoint AP and AR and the counts. Per-keypoint AP/AR of
keypoint k is COCOeval's AP/AR (OKS .50:.05:.95, area all, maxDets 20) on
the data reduced to keypoint k: the similarity of a result and a person is
that keypoint's OKS term exp(-d^2 / (2 s^2 k^2)), and people whose keypoint
k is unlabelled are ignored like people without keypoints.

Keypoints are COCO's 17 with COCO's OKS sigmas, unless -sigmas gives the
sigmas of another keypoint set: one per keypoint, as a comma-separated list
(-sigmas 0.079,0.079,0.072,...) or a file holding a JSON array of numbers
or numbers separated by white space or commas. Every person of -gt and -dt
must then have that many keypoints; the evaluation is COCOeval's with
params.kpt_oks_sigmas set to them, and per-keypoint rows are named by the
ground truth category's keypoint names (keypoint_0, ... without them).
Data with another number of keypoints than 17 and no -sigmas is refused.

With -type bbox, evaluates COCO detection results ([{"image_id",
"category_id", "bbox": [x, y, w, h], "score"}]) against a COCO instances
file exactly as COCOeval with iouType "bbox" (every category, maxDets 1,
10, 100, areas all/small/medium/large) and prints its 12 summary lines and
the counts.

With -json, prints one JSON object instead: "stats" (the 10 keypoint or 12
box numbers in COCOeval's order, -1 where there is no ground truth),
"stat_names", for keypoints "keypoints" (name, ap, ar per keypoint) and
"sigmas" (when given), and the counts.

flags:`

// runEval implements "ladderpose eval".
func runEval(args []string, stdout, stderr io.Writer) error {
	for _, a := range args {
		if a == "-track" || a == "--track" || a == "-track=true" || a == "--track=true" {
			return runEvalTrack(args, stdout, stderr)
		}
	}
	fs := newFlags("eval", stderr)
	fs.Bool("track", false, "evaluate tracked poses (video's JSON lines) against a synth -video sequence: see \"eval -track -h\"")
	gtPath := fs.String("gt", "", "COCO person-keypoint annotation `file` (ground truth)")
	dtPath := fs.String("dt", "", "COCO keypoint results `file`")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the tables")
	typ := fs.String("type", "keypoints", "evaluation `type`: keypoints or bbox")
	sigmaArg := fs.String("sigmas", "", "OKS sigmas, one per keypoint, of a keypoint set other than COCO's 17: a comma-separated `LIST|FILE` of numbers (a file: a JSON array, or numbers separated by white space or commas)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, evalUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *gtPath == "" || *dtPath == "" {
		fs.Usage()
		return fmt.Errorf("%w: both -gt and -dt are required", errUsage)
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	switch *typ {
	case "keypoints":
	case "bbox":
		if *sigmaArg != "" {
			fs.Usage()
			return fmt.Errorf("%w: -sigmas is for -type keypoints", errUsage)
		}
		return runBoxEval(*gtPath, *dtPath, *asJSON, stdout)
	default:
		fs.Usage()
		return fmt.Errorf("%w: -type %q: want keypoints or bbox", errUsage, *typ)
	}
	var sigmas []float64
	if *sigmaArg != "" {
		var err error
		if sigmas, err = parseSigmas(*sigmaArg); err != nil {
			return err
		}
	}
	gt, err := readWithFallback(*gtPath, len(sigmas), coco.ReadKeypointDataset)
	if err != nil {
		return err
	}
	dt, err := readWithFallback(*dtPath, len(sigmas), coco.ReadKeypointResults)
	if err != nil {
		return err
	}
	r, err := coco.EvaluateWith(gt, dt, coco.EvalOptions{Sigmas: sigmas})
	if err != nil {
		var kc *coco.KeypointCountError
		if errors.As(err, &kc) && kc.Sigmas == 0 {
			return fmt.Errorf("%s against %s: %w (eval -sigmas)", *dtPath, *gtPath, err)
		}
		return fmt.Errorf("%s against %s: %w", *dtPath, *gtPath, err)
	}
	names := keypointNames(gt, len(r.KeypointAP), sigmas != nil)
	var out bytes.Buffer
	if *asJSON {
		if err := writeEvalJSON(&out, r, names, sigmas); err != nil {
			return err
		}
	} else {
		writeEvalText(&out, r, names)
	}
	_, err = stdout.Write(out.Bytes())
	return err
}

// readWithFallback reads keypoint ground truth or results with k keypoints
// per person (COCO's 17 for k = 0). If that fails but the file reads as
// another keypoint count, the same for every person, that reading is
// returned, so that EvaluateWith names the count (and asks for -sigmas)
// instead of the first person not having k keypoints.
func readWithFallback[T any](path string, k int, read func(string, int) (T, error)) (T, error) {
	if k == 0 {
		k = coco.NumKeypoints
	}
	v, err := read(path, k)
	if err != nil {
		if other, err2 := read(path, 0); err2 == nil {
			return other, nil
		}
	}
	return v, err
}

// parseSigmas reads -sigmas: a comma-separated list of numbers, or else
// the path of a file holding a JSON array of numbers or numbers separated
// by white space or commas. Each must be finite and positive.
func parseSigmas(arg string) ([]float64, error) {
	what := "-sigmas"
	sigmas, listErr := parseNumbers(strings.Split(arg, ","))
	if listErr != nil {
		b, err := os.ReadFile(arg)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("-sigmas %q is neither a comma-separated list of numbers (%v) nor a file", arg, listErr)
		}
		if err != nil {
			return nil, fmt.Errorf("-sigmas: %w", err)
		}
		what = "-sigmas file " + arg
		text := strings.TrimSpace(string(b))
		if strings.HasPrefix(text, "[") {
			if err := json.Unmarshal([]byte(text), &sigmas); err != nil {
				return nil, fmt.Errorf("%s: want a JSON array of numbers: %v", what, err)
			}
		} else if sigmas, err = parseNumbers(strings.FieldsFunc(text, func(r rune) bool {
			return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
		})); err != nil {
			return nil, fmt.Errorf("%s: %v", what, err)
		}
	}
	if len(sigmas) == 0 {
		return nil, fmt.Errorf("%s: no sigmas", what)
	}
	for i, s := range sigmas {
		if math.IsNaN(s) || math.IsInf(s, 0) || s <= 0 {
			return nil, fmt.Errorf("%s: sigma %d is %v, want a finite positive number", what, i, s)
		}
	}
	return sigmas, nil
}

// parseNumbers parses each item (surrounding white space allowed) as a
// number.
func parseNumbers(items []string) ([]float64, error) {
	out := make([]float64, len(items))
	for i, item := range items {
		v, err := strconv.ParseFloat(strings.TrimSpace(item), 64)
		if err != nil {
			return nil, fmt.Errorf("item %d %q is not a number", i, item)
		}
		out[i] = v
	}
	return out, nil
}

// keypointNames names the rows of the per-keypoint table: COCO's names for
// COCO's evaluation (no -sigmas); else the keypoint names of the first
// ground truth category that names k of them, COCO's for 17 keypoints
// without such a category, or keypoint_0, keypoint_1, ...
func keypointNames(gt *coco.Dataset, k int, sigmasGiven bool) []string {
	if !sigmasGiven && k == coco.NumKeypoints {
		return coco.KeypointNames[:]
	}
	for _, c := range gt.Categories {
		if len(c.Keypoints) == k {
			return c.Keypoints
		}
	}
	if k == coco.NumKeypoints {
		return coco.KeypointNames[:]
	}
	names := make([]string, k)
	for i := range names {
		names[i] = fmt.Sprintf("keypoint_%d", i)
	}
	return names
}

// runBoxEval is "ladderpose eval -type bbox".
func runBoxEval(gtPath, dtPath string, asJSON bool, stdout io.Writer) error {
	gt, err := coco.ReadInstances(gtPath)
	if err != nil {
		return err
	}
	dt, err := coco.ReadBoxResults(dtPath)
	if err != nil {
		return err
	}
	r, err := coco.EvaluateBoxes(gt, dt)
	if err != nil {
		return fmt.Errorf("%s against %s: %w", dtPath, gtPath, err)
	}
	var out bytes.Buffer
	if asJSON {
		v := evalJSON{
			Stats: r.Stats[:], StatNames: boxStatNames[:],
			Images: r.Images, Categories: r.Categories,
			GroundTruth: r.GroundTruth, IgnoredGroundTruth: r.IgnoredGroundTruth,
			Results: r.Results, EvaluatedResults: r.EvaluatedResults,
		}
		enc := json.NewEncoder(&out)
		enc.SetIndent("", " ")
		if err := enc.Encode(v); err != nil {
			return err
		}
	} else {
		io.WriteString(&out, r.Summary())
		fmt.Fprintf(&out, "\n%s, %s; %s (%d ignored: crowd regions); %s (%d evaluated: the best %d per image and category)\n",
			count(r.Images, "image"), count(r.Categories, "category"), count(r.GroundTruth, "ground truth annotation"),
			r.IgnoredGroundTruth, count(r.Results, "detection"), r.EvaluatedResults, coco.BoxMaxDets)
	}
	_, err = stdout.Write(out.Bytes())
	return err
}

// evalJSON is the -json output; Keypoints only for -type keypoints.
type evalJSON struct {
	Stats              []float64      `json:"stats"`
	StatNames          []string       `json:"stat_names"`
	Keypoints          []keypointJSON `json:"keypoints,omitempty"`
	Sigmas             []float64      `json:"sigmas,omitempty"`
	Images             int            `json:"images"`
	Categories         int            `json:"categories"`
	GroundTruth        int            `json:"ground_truth"`
	IgnoredGroundTruth int            `json:"ignored_ground_truth"`
	Results            int            `json:"results"`
	EvaluatedResults   int            `json:"evaluated_results"`
}

type keypointJSON struct {
	Name string  `json:"name"`
	AP   float64 `json:"ap"`
	AR   float64 `json:"ar"`
}

// writeEvalJSON writes the -json output of a keypoint evaluation; names
// name its keypoints, sigmas are those given with -sigmas (nil for none).
func writeEvalJSON(w io.Writer, r *coco.EvalResult, names []string, sigmas []float64) error {
	v := evalJSON{
		Stats: r.Stats[:], StatNames: statNames[:], Sigmas: sigmas,
		Images: r.Images, Categories: r.Categories,
		GroundTruth: r.GroundTruth, IgnoredGroundTruth: r.IgnoredGroundTruth,
		Results: r.Results, EvaluatedResults: r.EvaluatedResults,
	}
	for k, name := range names {
		v.Keypoints = append(v.Keypoints, keypointJSON{Name: name, AP: r.KeypointAP[k], AR: r.KeypointAR[k]})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(v)
}

// writeEvalText writes the text output of a keypoint evaluation; names
// name its keypoints.
func writeEvalText(w io.Writer, r *coco.EvalResult, names []string) {
	io.WriteString(w, r.Summary())
	fmt.Fprintf(w, "\nPer keypoint (that keypoint's OKS alone) @[ IoU=0.50:0.95 | area=   all | maxDets=%3d ]\n", coco.MaxDets)
	fmt.Fprintf(w, " %-16s %7s %7s\n", "keypoint", "AP", "AR")
	for k, name := range names {
		fmt.Fprintf(w, " %-16s %7.3f %7.3f\n", name, r.KeypointAP[k], r.KeypointAR[k])
	}
	fmt.Fprintf(w, "\n%s, %s; %s (%d ignored: crowd or no keypoints); %s (%d evaluated: the best %d per image and category)\n",
		count(r.Images, "image"), count(r.Categories, "category"), count(r.GroundTruth, "ground truth annotation"),
		r.IgnoredGroundTruth, count(r.Results, "result"), r.EvaluatedResults, coco.MaxDets)
}

// count writes n and a noun, in the plural unless n is 1.
func count(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case strings.HasSuffix(noun, "y"):
		return fmt.Sprintf("%d %sies", n, noun[:len(noun)-1])
	default:
		return fmt.Sprintf("%d %ss", n, noun)
	}
}
