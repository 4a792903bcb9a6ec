// Package posemodel is ladderpose's network: a ViTPose backbone (frozen in
// training), the paper's ladder side network and the heatmap heads, exactly
// as SPEC.md defines them, with loading from mmpose- or Hugging Face-named
// safetensors checkpoints.
package posemodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// Config describes a model (SPEC.md section 0). It travels in a checkpoint's
// safetensors metadata under "ladderpose.config".
type Config struct {
	Dim       int         `json:"dim"`
	Depth     int         `json:"depth"`
	Heads     int         `json:"heads"`
	MLPRatio  float64     `json:"mlp_ratio"`
	LNEps     float64     `json:"ln_eps"`
	Head      string      `json:"head"` // "classic" or "simple"
	Keypoints int         `json:"keypoints"`
	Input     [2]int      `json:"input"` // H, W
	Side      *SideConfig `json:"side"`

	// Experts > 1 makes the backbone's MLP a ViTPose+ mixture of experts:
	// each block's fc2 has Dim - PartFeatures shared outputs and one
	// PartFeatures-output expert per dataset, chosen per forward pass
	// (Workspace.SetDataset; 0 is COCO). 0 or 1: a plain MLP.
	Experts      int `json:"experts,omitempty"`
	PartFeatures int `json:"part_features,omitempty"`

	// KeypointNames names the Keypoints heatmaps in order (Hugging Face's
	// id2label); empty means COCO's 17 keypoints when Keypoints is 17 and
	// unnamed otherwise. Skeleton lists the pairs of keypoints a drawing
	// joins (config.json's edges); empty means COCO's skeleton when the
	// keypoints are COCO's and none otherwise.
	KeypointNames []string `json:"keypoint_names,omitempty"`
	Skeleton      [][2]int `json:"skeleton,omitempty"`
}

// MoE reports whether the backbone's MLPs are ViTPose+ mixtures of experts.
func (c Config) MoE() bool { return c.Experts > 1 }

// SharedOut returns the number of outputs of each block's shared fc2: Dim,
// or Dim - PartFeatures for a ViTPose+ backbone.
func (c Config) SharedOut() int {
	if c.MoE() {
		return c.Dim - c.PartFeatures
	}
	return c.Dim
}

// SideConfig sizes the ladder side network.
type SideConfig struct {
	Channels    int `json:"channels"`     // C
	FusionWidth int `json:"fusion_width"` // e = C/2 by default
	FusionHeads int `json:"fusion_heads"` // nh
	Nodes       int `json:"nodes"`        // V
}

// MetadataKey is the safetensors metadata key holding the JSON Config.
const MetadataKey = "ladderpose.config"

// DefaultSide is SPEC.md's side network size.
var DefaultSide = SideConfig{Channels: 128, FusionWidth: 64, FusionHeads: 4, Nodes: 16}

// Standard ViTPose backbone sizes (SPEC.md section 0).
var standardSizes = []struct {
	name              string
	dim, depth, heads int
}{
	{"S", 384, 12, 12}, {"B", 768, 12, 12}, {"L", 1024, 24, 16}, {"H", 1280, 32, 16},
}

// StandardConfig returns the config of ViTPose-S, -B, -L or -H with the
// classic head and no side network.
func StandardConfig(size string) (Config, error) {
	for _, s := range standardSizes {
		if s.name == size {
			return Config{Dim: s.dim, Depth: s.depth, Heads: s.heads, MLPRatio: 4, LNEps: 1e-6,
				Head: "classic", Keypoints: 17, Input: [2]int{256, 192}}, nil
		}
	}
	return Config{}, fmt.Errorf("unknown ViTPose size %q (want S, B, L or H)", size)
}

// GridH returns the token grid height H/16.
func (c Config) GridH() int { return c.Input[0] / 16 }

// GridW returns the token grid width W/16.
func (c Config) GridW() int { return c.Input[1] / 16 }

// Tokens returns N = GridH * GridW.
func (c Config) Tokens() int { return c.GridH() * c.GridW() }

// Hidden returns the MLP width, int(Dim * MLPRatio).
func (c Config) Hidden() int { return int(float64(c.Dim) * c.MLPRatio) }

// HeatmapH returns the heatmap height (H/4).
func (c Config) HeatmapH() int { return c.Input[0] / 4 }

// HeatmapW returns the heatmap width (W/4).
func (c Config) HeatmapW() int { return c.Input[1] / 4 }

// Taps returns the backbone blocks whose outputs feed the ladder:
// k*depth/4 - 1 for k = 1, 2, 3 (SPEC.md section 1.5).
func (c Config) Taps() [3]int {
	return [3]int{c.Depth/4 - 1, 2*c.Depth/4 - 1, 3*c.Depth/4 - 1}
}

// Validate checks that the config describes a model this engine can run.
func (c Config) Validate() error {
	switch {
	case c.Dim <= 0 || c.Depth <= 0 || c.Heads <= 0:
		return fmt.Errorf("config: dim %d, depth %d, heads %d must be positive", c.Dim, c.Depth, c.Heads)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("config: dim %d is not divisible by heads %d", c.Dim, c.Heads)
	case !(c.MLPRatio > 0) || c.Hidden() <= 0:
		return fmt.Errorf("config: mlp_ratio %v must be positive", c.MLPRatio)
	case !(c.LNEps > 0) || math.IsInf(c.LNEps, 0):
		return fmt.Errorf("config: ln_eps %v must be positive", c.LNEps)
	case c.Head != "classic" && c.Head != "simple":
		return fmt.Errorf("config: head %q (want \"classic\" or \"simple\")", c.Head)
	case c.Keypoints <= 0:
		return fmt.Errorf("config: keypoints %d must be positive", c.Keypoints)
	case c.Experts < 0:
		return fmt.Errorf("config: experts %d must not be negative", c.Experts)
	case c.MoE() && (c.PartFeatures <= 0 || c.PartFeatures >= c.Dim):
		return fmt.Errorf("config: part_features %d must be positive and smaller than the width %d for %d experts", c.PartFeatures, c.Dim, c.Experts)
	case len(c.KeypointNames) != 0 && len(c.KeypointNames) != c.Keypoints:
		return fmt.Errorf("config: %d keypoint names for %d keypoints", len(c.KeypointNames), c.Keypoints)
	case c.Input[0] <= 0 || c.Input[1] <= 0 || c.Input[0]%16 != 0 || c.Input[1]%16 != 0:
		return fmt.Errorf("config: input %dx%d must be positive multiples of 16", c.Input[0], c.Input[1])
	}
	for i, e := range c.Skeleton {
		if e[0] < 0 || e[0] >= c.Keypoints || e[1] < 0 || e[1] >= c.Keypoints {
			return fmt.Errorf("config: skeleton edge %d %v names a keypoint outside 0..%d", i, e, c.Keypoints-1)
		}
	}
	if s := c.Side; s != nil {
		switch {
		case s.Channels <= 0 || s.FusionWidth <= 0 || s.FusionHeads <= 0 || s.Nodes <= 0:
			return fmt.Errorf("config: side sizes %+v must be positive", *s)
		case 2*s.FusionWidth != s.Channels:
			return fmt.Errorf("config: side fusion_width %d must be channels/2 = %d (the fused output is [B, N, 2e] = [B, N, C])", s.FusionWidth, s.Channels/2)
		case s.FusionWidth%s.FusionHeads != 0:
			return fmt.Errorf("config: side fusion_width %d is not divisible by fusion_heads %d", s.FusionWidth, s.FusionHeads)
		case s.Nodes > s.Channels:
			return fmt.Errorf("config: side nodes %d exceed channels %d", s.Nodes, s.Channels)
		case c.Depth < 4:
			return fmt.Errorf("config: depth %d: the ladder taps need at least 4 blocks", c.Depth)
		}
	}
	return nil
}

// ParseConfig decodes a "ladderpose.config" JSON object, filling SPEC.md's
// defaults for omitted fields, and validates it.
func ParseConfig(s string) (Config, error) {
	c := Config{MLPRatio: 4, LNEps: 1e-6, Head: "classic", Keypoints: 17, Input: [2]int{256, 192}}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, c.Validate()
}

// JSON returns the config as the JSON object stored in checkpoints.
func (c Config) JSON() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // a Config always marshals
	}
	return string(b)
}

// hfConfig is the part of a Hugging Face VitPose config.json we read.
type hfConfig struct {
	ModelType      string `json:"model_type"`
	BackboneConfig struct {
		HiddenSize        int     `json:"hidden_size"`
		NumHiddenLayers   int     `json:"num_hidden_layers"`
		NumAttentionHeads int     `json:"num_attention_heads"`
		MLPRatio          float64 `json:"mlp_ratio"`
		LayerNormEps      float64 `json:"layer_norm_eps"`
		ImageSize         []int   `json:"image_size"`
		NumExperts        int     `json:"num_experts"`
		PartFeatures      int     `json:"part_features"`
		HiddenAct         string  `json:"hidden_act"`
		PatchSize         []int   `json:"patch_size"`
	} `json:"backbone_config"`
	UseSimpleDecoder bool              `json:"use_simple_decoder"`
	NumLabels        int               `json:"num_labels"`
	ID2Label         map[string]string `json:"id2label"`
	Edges            [][]int           `json:"edges"`
}

// readHFConfig reads a Hugging Face config.json. It returns (nil, nil) when
// the file does not exist. The keypoint count comes from id2label (Hugging
// Face writes no num_labels; when a file has both they must agree); with
// neither it is 0, to be taken from the head's tensors.
func readHFConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := parseHFConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// parseHFConfig decodes a Hugging Face VitPose config.json.
func parseHFConfig(b []byte) (*Config, error) {
	var h hfConfig
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, err
	}
	if h.ModelType != "" && h.ModelType != "vitpose" {
		return nil, fmt.Errorf("model_type %q is not a VitPose model (want \"vitpose\")", h.ModelType)
	}
	bc := h.BackboneConfig
	if bc.HiddenSize == 0 || bc.NumHiddenLayers == 0 || bc.NumAttentionHeads == 0 {
		return nil, errors.New("backbone_config lacks hidden_size, num_hidden_layers or num_attention_heads")
	}
	if bc.HiddenAct != "" && bc.HiddenAct != "gelu" {
		return nil, fmt.Errorf("backbone_config.hidden_act %q: only \"gelu\" is implemented", bc.HiddenAct)
	}
	if len(bc.PatchSize) != 0 && (len(bc.PatchSize) != 2 || bc.PatchSize[0] != 16 || bc.PatchSize[1] != 16) {
		return nil, fmt.Errorf("backbone_config.patch_size %v: only 16x16 patches are implemented", bc.PatchSize)
	}
	c := Config{Dim: bc.HiddenSize, Depth: bc.NumHiddenLayers, Heads: bc.NumAttentionHeads,
		MLPRatio: bc.MLPRatio, LNEps: bc.LayerNormEps, Head: "classic", Input: [2]int{256, 192}}
	if c.MLPRatio == 0 {
		c.MLPRatio = 4
	}
	if c.LNEps == 0 {
		c.LNEps = 1e-12 // Hugging Face's default
	}
	if h.UseSimpleDecoder {
		c.Head = "simple"
	}
	if len(bc.ImageSize) == 2 {
		c.Input = [2]int{bc.ImageSize[0], bc.ImageSize[1]}
	}
	switch {
	case bc.NumExperts < 0:
		return nil, fmt.Errorf("backbone_config.num_experts %d must not be negative", bc.NumExperts)
	case bc.NumExperts > 1:
		if bc.PartFeatures <= 0 || bc.PartFeatures >= bc.HiddenSize {
			return nil, fmt.Errorf("backbone_config.part_features %d must be positive and smaller than hidden_size %d (num_experts %d)", bc.PartFeatures, bc.HiddenSize, bc.NumExperts)
		}
		c.Experts, c.PartFeatures = bc.NumExperts, bc.PartFeatures
	}
	if len(h.ID2Label) > 0 {
		names := make([]string, len(h.ID2Label))
		for k, v := range h.ID2Label {
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(names) {
				return nil, fmt.Errorf("id2label: key %q is not an index in 0..%d", k, len(names)-1)
			}
			names[i] = v
		}
		c.Keypoints, c.KeypointNames = len(names), names
	}
	if h.NumLabels > 0 {
		if c.Keypoints != 0 && c.Keypoints != h.NumLabels {
			return nil, fmt.Errorf("num_labels %d disagrees with id2label's %d names", h.NumLabels, c.Keypoints)
		}
		c.Keypoints = h.NumLabels
	}
	for i, e := range h.Edges {
		if len(e) != 2 {
			return nil, fmt.Errorf("edges[%d] has %d values, want 2", i, len(e))
		}
		c.Skeleton = append(c.Skeleton, [2]int{e[0], e[1]})
	}
	return &c, nil
}

// resolvePath turns a weights path that is a folder into the
// model.safetensors inside it.
func resolvePath(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		p := filepath.Join(path, "model.safetensors")
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s is a folder without model.safetensors", path)
		}
		return p, nil
	}
	return path, nil
}
