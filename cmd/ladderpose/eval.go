package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

const evalUsage = `usage: ladderpose eval -gt ANNOTATIONS.json -dt RESULTS.json [-type keypoints|bbox] [-json]

With -type keypoints (the default), evaluates COCO keypoint results exactly
as pycocotools' COCOeval with iouType "keypoints" and prints its 10 summary
lines, then per-keypoint AP and AR and the counts. Per-keypoint AP/AR of
keypoint k is COCOeval's AP/AR (OKS .50:.05:.95, area all, maxDets 20) on
the data reduced to keypoint k: the similarity of a result and a person is
that keypoint's OKS term exp(-d^2 / (2 s^2 k^2)), and people whose keypoint
k is unlabelled are ignored like people without keypoints.

With -type bbox, evaluates COCO detection results ([{"image_id",
"category_id", "bbox": [x, y, w, h], "score"}]) against a COCO instances
file exactly as COCOeval with iouType "bbox" (every category, maxDets 1,
10, 100, areas all/small/medium/large) and prints its 12 summary lines and
the counts.

With -json, prints one JSON object instead: "stats" (the 10 keypoint or 12
box numbers in COCOeval's order, -1 where there is no ground truth),
"stat_names", for keypoints "keypoints" (name, ap, ar per keypoint), and
the counts.

flags:`

// runEval implements "ladderpose eval".
func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	gtPath := fs.String("gt", "", "COCO person-keypoint annotation `file` (ground truth)")
	dtPath := fs.String("dt", "", "COCO keypoint results `file`")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the tables")
	typ := fs.String("type", "keypoints", "evaluation `type`: keypoints or bbox")
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
		return runBoxEval(*gtPath, *dtPath, *asJSON, stdout)
	default:
		fs.Usage()
		return fmt.Errorf("%w: -type %q: want keypoints or bbox", errUsage, *typ)
	}
	gt, err := coco.ReadDataset(*gtPath)
	if err != nil {
		return err
	}
	dt, err := coco.ReadResults(*dtPath)
	if err != nil {
		return err
	}
	r, err := coco.Evaluate(gt, dt)
	if err != nil {
		return fmt.Errorf("%s against %s: %w", *dtPath, *gtPath, err)
	}
	var out bytes.Buffer
	if *asJSON {
		if err := writeEvalJSON(&out, r); err != nil {
			return err
		}
	} else {
		writeEvalText(&out, r)
	}
	_, err = stdout.Write(out.Bytes())
	return err
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

func writeEvalJSON(w io.Writer, r *coco.EvalResult) error {
	v := evalJSON{
		Stats: r.Stats[:], StatNames: statNames[:],
		Images: r.Images, Categories: r.Categories,
		GroundTruth: r.GroundTruth, IgnoredGroundTruth: r.IgnoredGroundTruth,
		Results: r.Results, EvaluatedResults: r.EvaluatedResults,
	}
	for k, name := range coco.KeypointNames {
		v.Keypoints = append(v.Keypoints, keypointJSON{Name: name, AP: r.KeypointAP[k], AR: r.KeypointAR[k]})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(v)
}

func writeEvalText(w io.Writer, r *coco.EvalResult) {
	io.WriteString(w, r.Summary())
	fmt.Fprintf(w, "\nPer keypoint (that keypoint's OKS alone) @[ IoU=0.50:0.95 | area=   all | maxDets=%3d ]\n", coco.MaxDets)
	fmt.Fprintf(w, " %-16s %7s %7s\n", "keypoint", "AP", "AR")
	for k, name := range coco.KeypointNames {
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
