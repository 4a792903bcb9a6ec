package main

import (
	"flag"
	"fmt"

	"github.com/ladderpose/ladderpose/posemodel"
)

// precisionChoice is the value of a -precision flag: "float32", "int8" or
// "" (not given: the checkpoint's own, int8 for a file written by
// "ladderpose quantize", else float32).
type precisionChoice string

func (p *precisionChoice) String() string { return string(*p) }

func (p *precisionChoice) Set(s string) error {
	v, err := posemodel.ParsePrecision(s)
	if err != nil {
		return err
	}
	if v == "" {
		return fmt.Errorf("empty precision (want float32 or int8)")
	}
	*p = precisionChoice(v)
	return nil
}

// addPrecisionFlag defines -precision on fs.
func addPrecisionFlag(fs *flag.FlagSet) *precisionChoice {
	var p precisionChoice
	fs.Var(&p, "precision", "arithmetic of the backbone's linear layers: float32 or int8 (int8 weights, per-token int8 activations, int32 sums; CPU only); default float32, or int8 for a file written by quantize")
	return &p
}
