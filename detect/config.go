package detect

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// Config is an RT-DETR configuration read from a Hugging Face config.json.
type Config struct {
	// backbone (backbone_config)

	EmbeddingSize          int    // backbone_config.embedding_size: stem width
	HiddenSizes            []int  // backbone_config.hidden_sizes: stage output widths
	Depths                 []int  // backbone_config.depths: blocks per stage
	LayerType              string // backbone_config.layer_type: "basic" or "bottleneck"
	BackboneAct            string // backbone_config.hidden_act
	DownsampleInFirstStage bool   // backbone_config.downsample_in_first_stage
	DownsampleInBottleneck bool   // backbone_config.downsample_in_bottleneck: stride on the bottleneck's first 1x1 conv
	OutIndices             []int  // backbone_config.out_indices: stages fed to the encoder (1-based; 0 is the stem)
	NumChannels            int    // backbone_config.num_channels: input image channels

	// hybrid encoder

	DModel            int     // d_model
	EncoderHiddenDim  int     // encoder_hidden_dim
	EncoderInChannels []int   // encoder_in_channels
	FeatStrides       []int   // feat_strides
	EncoderLayers     int     // encoder_layers (per AIFI); 0 skips AIFI
	EncoderFFNDim     int     // encoder_ffn_dim
	EncoderHeads      int     // encoder_attention_heads
	EncodeProjLayers  []int   // encode_proj_layers: levels that get an AIFI transformer encoder
	EncoderAct        string  // encoder_activation_function (AIFI FFN)
	Act               string  // activation_function (CCFM convolutions and RepVGG blocks)
	HiddenExpansion   float64 // hidden_expansion
	PosTemperature    float64 // positional_encoding_temperature
	NormalizeBefore   bool    // normalize_before

	// query selection and decoder

	NumQueries        int    // num_queries
	NumFeatureLevels  int    // num_feature_levels
	DecoderLayers     int    // decoder_layers
	DecoderHeads      int    // decoder_attention_heads
	DecoderFFNDim     int    // decoder_ffn_dim
	DecoderPoints     int    // decoder_n_points
	DecoderInChannels []int  // decoder_in_channels
	DecoderAct        string // decoder_activation_function
	LearnInitialQuery bool   // learn_initial_query
	WithBoxRefine     bool   // with_box_refine
	AnchorImageSize   []int  // anchor_image_size {h, w}; nil: anchors from the actual feature sizes

	LayerNormEps, BatchNormEps float64 // layer_norm_eps, batch_norm_eps

	Labels []string // id2label in index order; len(Labels) is the class count
}

// NumLabels returns the class count, len(c.Labels).
func (c *Config) NumLabels() int { return len(c.Labels) }

// supportedActs are the activation names (Hugging Face's ACT2FN keys) this
// package implements.
var supportedActs = map[string]bool{"relu": true, "gelu": true, "silu": true, "swish": true}

// v2Keys are RT-DETRv2 options this package does not implement.
var v2Keys = []string{"decoder_n_levels", "decoder_offset_scale", "decoder_method"}

// LoadConfig reads and validates a Hugging Face RT-DETR config.json.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("detect: reading config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// jsonObj is a JSON object with helpers that name the field in every error.
type jsonObj struct {
	prefix string
	m      map[string]json.RawMessage
}

func (o jsonObj) name(key string) string { return o.prefix + key }

// present reports whether key is there and not null.
func (o jsonObj) present(key string) bool {
	r, ok := o.m[key]
	return ok && strings.TrimSpace(string(r)) != "null"
}

func (o jsonObj) decode(key string, v any) error {
	r, ok := o.m[key]
	if !ok {
		return fmt.Errorf("config field %q is missing", o.name(key))
	}
	if err := json.Unmarshal(r, v); err != nil {
		return fmt.Errorf("config field %q: %v", o.name(key), err)
	}
	return nil
}

// posInt reads an integer > 0.
func (o jsonObj) posInt(key string) (int, error) {
	var f float64
	if err := o.decode(key, &f); err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f <= 0 || f > 1<<24 {
		return 0, fmt.Errorf("config field %q = %v: want a positive integer", o.name(key), f)
	}
	return int(f), nil
}

// posInts reads a non-empty list of integers > 0.
func (o jsonObj) posInts(key string) ([]int, error) {
	var fs []float64
	if err := o.decode(key, &fs); err != nil {
		return nil, err
	}
	if len(fs) == 0 || len(fs) > 64 {
		return nil, fmt.Errorf("config field %q has %d entries: want 1 to 64", o.name(key), len(fs))
	}
	out := make([]int, len(fs))
	for i, f := range fs {
		if f != math.Trunc(f) || f <= 0 || f > 1<<24 {
			return nil, fmt.Errorf("config field %q[%d] = %v: want a positive integer", o.name(key), i, f)
		}
		out[i] = int(f)
	}
	return out, nil
}

// posFloat reads a finite number > 0.
func (o jsonObj) posFloat(key string) (float64, error) {
	var f float64
	if err := o.decode(key, &f); err != nil {
		return 0, err
	}
	if !(f > 0) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("config field %q = %v: want a positive number", o.name(key), f)
	}
	return f, nil
}

// boolOr reads an optional boolean (def when absent or null).
func (o jsonObj) boolOr(key string, def bool) (bool, error) {
	if !o.present(key) {
		return def, nil
	}
	var b bool
	err := o.decode(key, &b)
	return b, err
}

func (o jsonObj) str(key string) (string, error) {
	var s string
	err := o.decode(key, &s)
	return s, err
}

// act reads an activation name and checks that it is implemented.
func (o jsonObj) act(key string) (string, error) {
	s, err := o.str(key)
	if err != nil {
		return "", err
	}
	if !supportedActs[s] {
		return "", fmt.Errorf("config field %q = %q: activation not implemented (have relu, gelu, silu)", o.name(key), s)
	}
	if s == "swish" {
		s = "silu"
	}
	return s, nil
}

// ParseConfig parses and validates a Hugging Face RT-DETR (v1) config.json.
// It refuses, naming the field, anything this package does not implement.
func ParseConfig(data []byte) (*Config, error) {
	c, err := parseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	return c, nil
}

func parseConfig(data []byte) (*Config, error) {
	top := jsonObj{}
	if err := json.Unmarshal(data, &top.m); err != nil {
		return nil, fmt.Errorf("config.json is not a JSON object: %v", err)
	}
	if top.m == nil {
		return nil, fmt.Errorf("config.json is not a JSON object")
	}
	mt, err := top.str("model_type")
	if err != nil {
		return nil, err
	}
	if mt != "rt_detr" {
		return nil, fmt.Errorf("config field \"model_type\" = %q: only \"rt_detr\" (RT-DETR v1) is implemented", mt)
	}
	for _, k := range v2Keys {
		if top.present(k) {
			return nil, fmt.Errorf("config field %q (RT-DETRv2 decoder option) is not implemented", k)
		}
	}
	if timm, err := top.boolOr("use_timm_backbone", false); err != nil {
		return nil, err
	} else if timm {
		return nil, fmt.Errorf("config field \"use_timm_backbone\" = true: only the built-in rt_detr_resnet backbone is implemented")
	}
	if focal, err := top.boolOr("use_focal_loss", true); err != nil {
		return nil, err
	} else if !focal {
		return nil, fmt.Errorf("config field \"use_focal_loss\" = false: only focal-loss (sigmoid) scoring is implemented")
	}
	if top.present("eval_size") {
		return nil, fmt.Errorf("config field \"eval_size\" is set: a fixed evaluation size (no AIFI position embedding) is not implemented")
	}
	if top.present("backbone_kwargs") {
		var kw map[string]any
		if err := top.decode("backbone_kwargs", &kw); err != nil {
			return nil, err
		}
		if len(kw) > 0 {
			return nil, fmt.Errorf("config field \"backbone_kwargs\" is set: only backbone_config is implemented")
		}
	}

	c := &Config{}
	if err := parseBackbone(top, c); err != nil {
		return nil, err
	}
	if err := parseEncoder(top, c); err != nil {
		return nil, err
	}
	if err := parseDecoder(top, c); err != nil {
		return nil, err
	}
	if c.LayerNormEps, err = top.posFloat("layer_norm_eps"); err != nil {
		return nil, err
	}
	if c.BatchNormEps, err = top.posFloat("batch_norm_eps"); err != nil {
		return nil, err
	}
	if c.Labels, err = parseLabels(top); err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

func parseBackbone(top jsonObj, c *Config) error {
	if !top.present("backbone_config") {
		return fmt.Errorf("config field \"backbone_config\" is missing: only the built-in rt_detr_resnet backbone is implemented")
	}
	bb := jsonObj{prefix: "backbone_config."}
	if err := top.decode("backbone_config", &bb.m); err != nil {
		return err
	}
	mt, err := bb.str("model_type")
	if err != nil {
		return err
	}
	if mt != "rt_detr_resnet" {
		return fmt.Errorf("config field \"backbone_config.model_type\" = %q: only \"rt_detr_resnet\" is implemented", mt)
	}
	if c.EmbeddingSize, err = bb.posInt("embedding_size"); err != nil {
		return err
	}
	if c.HiddenSizes, err = bb.posInts("hidden_sizes"); err != nil {
		return err
	}
	if c.Depths, err = bb.posInts("depths"); err != nil {
		return err
	}
	if len(c.Depths) != len(c.HiddenSizes) {
		return fmt.Errorf("config fields \"backbone_config.depths\" (%d stages) and \"backbone_config.hidden_sizes\" (%d) differ in length", len(c.Depths), len(c.HiddenSizes))
	}
	if c.LayerType, err = bb.str("layer_type"); err != nil {
		return err
	}
	if c.LayerType != "basic" && c.LayerType != "bottleneck" {
		return fmt.Errorf("config field \"backbone_config.layer_type\" = %q: want \"basic\" or \"bottleneck\"", c.LayerType)
	}
	if c.BackboneAct, err = bb.act("hidden_act"); err != nil {
		return err
	}
	if c.DownsampleInFirstStage, err = bb.boolOr("downsample_in_first_stage", false); err != nil {
		return err
	}
	if c.DownsampleInBottleneck, err = bb.boolOr("downsample_in_bottleneck", false); err != nil {
		return err
	}
	c.NumChannels = 3
	if bb.present("num_channels") {
		if c.NumChannels, err = bb.posInt("num_channels"); err != nil {
			return err
		}
	}
	if c.NumChannels != 3 {
		return fmt.Errorf("config field \"backbone_config.num_channels\" = %d: want 3 (RGB)", c.NumChannels)
	}
	// out_indices, or else out_features ("stageN").
	if bb.present("out_indices") {
		var fs []float64
		if err := bb.decode("out_indices", &fs); err != nil {
			return err
		}
		for i, f := range fs {
			if f != math.Trunc(f) || f < 1 || f > float64(len(c.Depths)) {
				return fmt.Errorf("config field \"backbone_config.out_indices\"[%d] = %v: want a stage 1..%d", i, f, len(c.Depths))
			}
			c.OutIndices = append(c.OutIndices, int(f))
		}
	} else if bb.present("out_features") {
		var names []string
		if err := bb.decode("out_features", &names); err != nil {
			return err
		}
		for i, n := range names {
			k, err := strconv.Atoi(strings.TrimPrefix(n, "stage"))
			if !strings.HasPrefix(n, "stage") || err != nil || k < 1 || k > len(c.Depths) {
				return fmt.Errorf("config field \"backbone_config.out_features\"[%d] = %q: want stage1..stage%d", i, n, len(c.Depths))
			}
			c.OutIndices = append(c.OutIndices, k)
		}
	} else {
		return fmt.Errorf("config field \"backbone_config.out_indices\" is missing")
	}
	if len(c.OutIndices) == 0 {
		return fmt.Errorf("config field \"backbone_config.out_indices\" is empty")
	}
	for i := 1; i < len(c.OutIndices); i++ {
		if c.OutIndices[i] <= c.OutIndices[i-1] {
			return fmt.Errorf("config field \"backbone_config.out_indices\" = %v: want strictly increasing stages", c.OutIndices)
		}
	}
	return nil
}

func parseEncoder(top jsonObj, c *Config) error {
	var err error
	if c.DModel, err = top.posInt("d_model"); err != nil {
		return err
	}
	if c.EncoderHiddenDim, err = top.posInt("encoder_hidden_dim"); err != nil {
		return err
	}
	if c.EncoderInChannels, err = top.posInts("encoder_in_channels"); err != nil {
		return err
	}
	if c.FeatStrides, err = top.posInts("feat_strides"); err != nil {
		return err
	}
	// encoder_layers may be 0: Hugging Face then skips AIFI.
	var nl float64
	if err := top.decode("encoder_layers", &nl); err != nil {
		return err
	}
	if nl != math.Trunc(nl) || nl < 0 || nl > 1<<10 {
		return fmt.Errorf("config field \"encoder_layers\" = %v: want a non-negative integer", nl)
	}
	c.EncoderLayers = int(nl)
	if c.EncoderFFNDim, err = top.posInt("encoder_ffn_dim"); err != nil {
		return err
	}
	if c.EncoderHeads, err = top.posInt("encoder_attention_heads"); err != nil {
		return err
	}
	var fs []float64
	if err := top.decode("encode_proj_layers", &fs); err != nil {
		return err
	}
	for i, f := range fs {
		if f != math.Trunc(f) || f < 0 || f >= float64(len(c.EncoderInChannels)) {
			return fmt.Errorf("config field \"encode_proj_layers\"[%d] = %v: want a level 0..%d", i, f, len(c.EncoderInChannels)-1)
		}
		for _, prev := range c.EncodeProjLayers {
			if prev == int(f) {
				return fmt.Errorf("config field \"encode_proj_layers\" repeats level %d", prev)
			}
		}
		c.EncodeProjLayers = append(c.EncodeProjLayers, int(f))
	}
	if c.EncoderAct, err = top.act("encoder_activation_function"); err != nil {
		return err
	}
	if c.Act, err = top.act("activation_function"); err != nil {
		return err
	}
	if c.HiddenExpansion, err = top.posFloat("hidden_expansion"); err != nil {
		return err
	}
	tkey := "positional_encoding_temperature"
	if !top.present(tkey) && top.present("pe_temperature") {
		tkey = "pe_temperature"
	}
	if c.PosTemperature, err = top.posFloat(tkey); err != nil {
		return err
	}
	if c.NormalizeBefore, err = top.boolOr("normalize_before", false); err != nil {
		return err
	}
	return nil
}

func parseDecoder(top jsonObj, c *Config) error {
	var err error
	if c.NumQueries, err = top.posInt("num_queries"); err != nil {
		return err
	}
	if c.NumFeatureLevels, err = top.posInt("num_feature_levels"); err != nil {
		return err
	}
	if c.DecoderLayers, err = top.posInt("decoder_layers"); err != nil {
		return err
	}
	if c.DecoderHeads, err = top.posInt("decoder_attention_heads"); err != nil {
		return err
	}
	if c.DecoderFFNDim, err = top.posInt("decoder_ffn_dim"); err != nil {
		return err
	}
	if c.DecoderPoints, err = top.posInt("decoder_n_points"); err != nil {
		return err
	}
	if c.DecoderInChannels, err = top.posInts("decoder_in_channels"); err != nil {
		return err
	}
	if c.DecoderAct, err = top.act("decoder_activation_function"); err != nil {
		return err
	}
	qkey := "learn_initial_query"
	if !top.present(qkey) && top.present("learnt_init_query") {
		qkey = "learnt_init_query"
	}
	if c.LearnInitialQuery, err = top.boolOr(qkey, false); err != nil {
		return err
	}
	if c.WithBoxRefine, err = top.boolOr("with_box_refine", true); err != nil {
		return err
	}
	if !c.WithBoxRefine {
		return fmt.Errorf("config field \"with_box_refine\" = false is not implemented")
	}
	if top.present("anchor_image_size") {
		if c.AnchorImageSize, err = top.posInts("anchor_image_size"); err != nil {
			return err
		}
		if len(c.AnchorImageSize) != 2 {
			return fmt.Errorf("config field \"anchor_image_size\" = %v: want [height, width]", c.AnchorImageSize)
		}
	}
	return nil
}

// parseLabels reads id2label, whose keys must be exactly "0".."C-1".
func parseLabels(top jsonObj) ([]string, error) {
	var m map[string]string
	if err := top.decode("id2label", &m); err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("config field \"id2label\" is empty")
	}
	if len(m) > 1<<20 {
		return nil, fmt.Errorf("config field \"id2label\" has %d labels: too many", len(m))
	}
	labels := make([]string, len(m))
	for k, v := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(m) || strconv.Itoa(i) != k {
			return nil, fmt.Errorf("config field \"id2label\" has key %q: want the class indices \"0\"..\"%d\"", k, len(m)-1)
		}
		labels[i] = v
	}
	return labels, nil
}

// check verifies that the sizes agree with each other.
func (c *Config) check() error {
	levels := len(c.EncoderInChannels)
	if levels > 8 {
		return fmt.Errorf("config field \"encoder_in_channels\" has %d levels: at most 8 are implemented", levels)
	}
	if len(c.OutIndices) != levels {
		return fmt.Errorf("config fields \"encoder_in_channels\" (%d levels) and \"backbone_config.out_indices\" (%d) differ in length", levels, len(c.OutIndices))
	}
	if len(c.FeatStrides) != levels {
		return fmt.Errorf("config fields \"feat_strides\" (%d levels) and \"encoder_in_channels\" (%d) differ in length", len(c.FeatStrides), levels)
	}
	if len(c.DecoderInChannels) != levels {
		return fmt.Errorf("config fields \"decoder_in_channels\" (%d levels) and \"encoder_in_channels\" (%d) differ in length", len(c.DecoderInChannels), levels)
	}
	if c.NumFeatureLevels != levels {
		return fmt.Errorf("config field \"num_feature_levels\" = %d: want the %d encoder levels (extra decoder levels are not implemented)", c.NumFeatureLevels, levels)
	}
	for i, idx := range c.OutIndices {
		// Stage s (1-based) of the ResNet outputs HiddenSizes[s-1] channels
		// and has stride 4 * 2^(s-1) (with the stem's 4).
		if want := c.HiddenSizes[idx-1]; c.EncoderInChannels[i] != want {
			return fmt.Errorf("config field \"encoder_in_channels\"[%d] = %d: backbone stage %d gives %d channels", i, c.EncoderInChannels[i], idx, want)
		}
		stride := 4 << (idx - 1) // stage 1 keeps the stem's stride 4
		if c.DownsampleInFirstStage {
			stride = 4 << idx
		}
		if c.FeatStrides[i] != stride {
			return fmt.Errorf("config field \"feat_strides\"[%d] = %d: backbone stage %d has stride %d", i, c.FeatStrides[i], idx, stride)
		}
	}
	for i, ch := range c.DecoderInChannels {
		if ch != c.EncoderHiddenDim {
			return fmt.Errorf("config field \"decoder_in_channels\"[%d] = %d: the encoder outputs \"encoder_hidden_dim\" = %d channels", i, ch, c.EncoderHiddenDim)
		}
	}
	if c.EncoderHiddenDim%c.EncoderHeads != 0 {
		return fmt.Errorf("config field \"encoder_hidden_dim\" = %d is not a multiple of \"encoder_attention_heads\" = %d", c.EncoderHiddenDim, c.EncoderHeads)
	}
	if c.EncoderHiddenDim%4 != 0 {
		return fmt.Errorf("config field \"encoder_hidden_dim\" = %d: the 2D sin-cos position embedding needs a multiple of 4", c.EncoderHiddenDim)
	}
	if c.DModel%c.DecoderHeads != 0 {
		return fmt.Errorf("config field \"d_model\" = %d is not a multiple of \"decoder_attention_heads\" = %d", c.DModel, c.DecoderHeads)
	}
	if c.HiddenExpansion > 64 {
		return fmt.Errorf("config field \"hidden_expansion\" = %v: too large", c.HiddenExpansion)
	}
	if c.CSPHidden() <= 0 {
		return fmt.Errorf("config field \"hidden_expansion\" = %v gives CSP width %d", c.HiddenExpansion, c.CSPHidden())
	}
	return nil
}

// CSPHidden returns the CSPRep layers' hidden width, int(encoder_hidden_dim *
// hidden_expansion) as Hugging Face computes it.
func (c *Config) CSPHidden() int { return int(float64(c.EncoderHiddenDim) * c.HiddenExpansion) }
