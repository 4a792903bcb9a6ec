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
	case c.Input[0] <= 0 || c.Input[1] <= 0 || c.Input[0]%16 != 0 || c.Input[1]%16 != 0:
		return fmt.Errorf("config: input %dx%d must be positive multiples of 16", c.Input[0], c.Input[1])
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
	BackboneConfig struct {
		HiddenSize        int     `json:"hidden_size"`
		NumHiddenLayers   int     `json:"num_hidden_layers"`
		NumAttentionHeads int     `json:"num_attention_heads"`
		MLPRatio          float64 `json:"mlp_ratio"`
		LayerNormEps      float64 `json:"layer_norm_eps"`
		ImageSize         []int   `json:"image_size"`
	} `json:"backbone_config"`
	UseSimpleDecoder bool `json:"use_simple_decoder"`
	NumLabels        int  `json:"num_labels"`
}

// readHFConfig reads a Hugging Face config.json. It returns (nil, nil) when
// the file does not exist.
func readHFConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h hfConfig
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	bc := h.BackboneConfig
	if bc.HiddenSize == 0 || bc.NumHiddenLayers == 0 || bc.NumAttentionHeads == 0 {
		return nil, fmt.Errorf("%s: backbone_config lacks hidden_size, num_hidden_layers or num_attention_heads", path)
	}
	c := Config{Dim: bc.HiddenSize, Depth: bc.NumHiddenLayers, Heads: bc.NumAttentionHeads,
		MLPRatio: bc.MLPRatio, LNEps: bc.LayerNormEps, Head: "classic", Keypoints: 17, Input: [2]int{256, 192}}
	if c.MLPRatio == 0 {
		c.MLPRatio = 4
	}
	if c.LNEps == 0 {
		c.LNEps = 1e-12 // Hugging Face's default
	}
	if h.UseSimpleDecoder {
		c.Head = "simple"
	}
	if h.NumLabels > 0 {
		c.Keypoints = h.NumLabels
	}
	if len(bc.ImageSize) == 2 {
		c.Input = [2]int{bc.ImageSize[0], bc.ImageSize[1]}
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
