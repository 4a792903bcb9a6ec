package detect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readGoldenConfig(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(goldenDir, name, "config.json"))
	if os.IsNotExist(err) {
		t.Skipf("goldens not present at %s", goldenDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestParseConfigGolden checks the fields read from both golden configs.
func TestParseConfigGolden(t *testing.T) {
	c, err := ParseConfig(readGoldenConfig(t, "r18_small"))
	if err != nil {
		t.Fatal(err)
	}
	eq := func(name string, got, want any) {
		t.Helper()
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("%s = %s, want %s", name, g, w)
		}
	}
	eq("EmbeddingSize", c.EmbeddingSize, 32)
	eq("HiddenSizes", c.HiddenSizes, []int{32, 64, 128, 256})
	eq("Depths", c.Depths, []int{2, 2, 2, 2})
	eq("LayerType", c.LayerType, "basic")
	eq("BackboneAct", c.BackboneAct, "relu")
	eq("OutIndices", c.OutIndices, []int{2, 3, 4})
	eq("DModel", c.DModel, 128)
	eq("EncoderHiddenDim", c.EncoderHiddenDim, 128)
	eq("EncoderInChannels", c.EncoderInChannels, []int{64, 128, 256})
	eq("FeatStrides", c.FeatStrides, []int{8, 16, 32})
	eq("EncoderLayers", c.EncoderLayers, 1)
	eq("EncoderFFNDim", c.EncoderFFNDim, 512)
	eq("EncoderHeads", c.EncoderHeads, 8)
	eq("EncodeProjLayers", c.EncodeProjLayers, []int{2})
	eq("EncoderAct", c.EncoderAct, "gelu")
	eq("Act", c.Act, "silu")
	eq("HiddenExpansion", c.HiddenExpansion, 0.5)
	eq("PosTemperature", c.PosTemperature, 10000.0)
	eq("NormalizeBefore", c.NormalizeBefore, false)
	eq("NumQueries", c.NumQueries, 300)
	eq("NumFeatureLevels", c.NumFeatureLevels, 3)
	eq("DecoderLayers", c.DecoderLayers, 3)
	eq("DecoderHeads", c.DecoderHeads, 8)
	eq("DecoderFFNDim", c.DecoderFFNDim, 512)
	eq("DecoderPoints", c.DecoderPoints, 4)
	eq("DecoderInChannels", c.DecoderInChannels, []int{128, 128, 128})
	eq("DecoderAct", c.DecoderAct, "relu")
	eq("LearnInitialQuery", c.LearnInitialQuery, false)
	eq("WithBoxRefine", c.WithBoxRefine, true)
	eq("AnchorImageSize", c.AnchorImageSize, []int(nil))
	eq("LayerNormEps", c.LayerNormEps, 1e-5)
	eq("BatchNormEps", c.BatchNormEps, 1e-5)
	eq("len(Labels)", len(c.Labels), 80)
	eq("Labels[79]", c.Labels[79], "LABEL_79")
	eq("CSPHidden", c.CSPHidden(), 64)

	c, err = ParseConfig(readGoldenConfig(t, "r50_tiny"))
	if err != nil {
		t.Fatal(err)
	}
	eq("r50 LayerType", c.LayerType, "bottleneck")
	eq("r50 EncoderHeads", c.EncoderHeads, 4)
	eq("r50 EncoderInChannels", c.EncoderInChannels, []int{128, 256, 384})
	eq("r50 NumQueries", c.NumQueries, 100)
}

// mutateConfig returns the r18 golden config with edit applied to its
// decoded JSON.
func mutateConfig(t *testing.T, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readGoldenConfig(t, "r18_small"), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestParseConfigRefuses checks that what is not implemented, and sizes
// that do not fit together, are refused with an error naming the field.
func TestParseConfigRefuses(t *testing.T) {
	bb := func(m map[string]any) map[string]any { return m["backbone_config"].(map[string]any) }
	cases := []struct {
		field string
		edit  func(m map[string]any)
	}{
		{"model_type", func(m map[string]any) { m["model_type"] = "rt_detr_v2" }},
		{"model_type", func(m map[string]any) { delete(m, "model_type") }},
		{"decoder_n_levels", func(m map[string]any) { m["decoder_n_levels"] = 3 }},
		{"decoder_offset_scale", func(m map[string]any) { m["decoder_offset_scale"] = 0.5 }},
		{"decoder_method", func(m map[string]any) { m["decoder_method"] = "default" }},
		{"backbone_config.model_type", func(m map[string]any) { bb(m)["model_type"] = "resnet" }},
		{"backbone_config", func(m map[string]any) { delete(m, "backbone_config") }},
		{"use_timm_backbone", func(m map[string]any) { m["use_timm_backbone"] = true }},
		{"use_focal_loss", func(m map[string]any) { m["use_focal_loss"] = false }},
		{"backbone_config.layer_type", func(m map[string]any) { bb(m)["layer_type"] = "preactivation" }},
		{"backbone_config.hidden_act", func(m map[string]any) { bb(m)["hidden_act"] = "tanh" }},
		{"encoder_activation_function", func(m map[string]any) { m["encoder_activation_function"] = "gelu_new" }},
		{"activation_function", func(m map[string]any) { m["activation_function"] = "mish" }},
		{"decoder_activation_function", func(m map[string]any) { m["decoder_activation_function"] = 3 }},
		{"encoder_in_channels", func(m map[string]any) { m["encoder_in_channels"] = []int{64, 128}; m["encode_proj_layers"] = []int{1} }},
		{"encoder_in_channels", func(m map[string]any) { m["encoder_in_channels"] = []int{64, 128, 255} }},
		{"feat_strides", func(m map[string]any) { m["feat_strides"] = []int{8, 16} }},
		{"feat_strides", func(m map[string]any) { m["feat_strides"] = []int{8, 16, 64} }},
		{"num_feature_levels", func(m map[string]any) { m["num_feature_levels"] = 4 }},
		{"decoder_in_channels", func(m map[string]any) { m["decoder_in_channels"] = []int{128, 128, 64} }},
		{"d_model", func(m map[string]any) { m["d_model"] = 0 }},
		{"d_model", func(m map[string]any) { m["d_model"] = -128 }},
		{"d_model", func(m map[string]any) { m["d_model"] = 127.5 }},
		{"d_model", func(m map[string]any) { m["d_model"] = 100 }}, // not a multiple of 8 heads
		{"encoder_hidden_dim", func(m map[string]any) { m["encoder_hidden_dim"] = 130 }},
		{"encoder_ffn_dim", func(m map[string]any) { delete(m, "encoder_ffn_dim") }},
		{"num_queries", func(m map[string]any) { m["num_queries"] = "300" }},
		{"backbone_config.depths", func(m map[string]any) { bb(m)["depths"] = []int{2, 2, 2} }},
		{"backbone_config.hidden_sizes", func(m map[string]any) { bb(m)["hidden_sizes"] = []int{} }},
		{"backbone_config.embedding_size", func(m map[string]any) { bb(m)["embedding_size"] = 0 }},
		{"backbone_config.out_indices", func(m map[string]any) { bb(m)["out_indices"] = []int{2, 3, 5} }},
		{"backbone_config.out_indices", func(m map[string]any) { bb(m)["out_indices"] = []int{3, 2, 4} }},
		{"encode_proj_layers", func(m map[string]any) { m["encode_proj_layers"] = []int{3} }},
		{"hidden_expansion", func(m map[string]any) { m["hidden_expansion"] = 0 }},
		{"hidden_expansion", func(m map[string]any) { m["hidden_expansion"] = 0.001 }},
		{"layer_norm_eps", func(m map[string]any) { m["layer_norm_eps"] = -1 }},
		{"eval_size", func(m map[string]any) { m["eval_size"] = []int{640, 640} }},
		{"with_box_refine", func(m map[string]any) { m["with_box_refine"] = false }},
		{"anchor_image_size", func(m map[string]any) { m["anchor_image_size"] = []int{640} }},
		{"id2label", func(m map[string]any) { delete(m, "id2label") }},
		{"id2label", func(m map[string]any) {
			m["id2label"].(map[string]any)["80"] = "x"
			delete(m["id2label"].(map[string]any), "3")
		}},
		{"id2label", func(m map[string]any) {
			delete(m["id2label"].(map[string]any), "0")
			m["id2label"].(map[string]any)["00"] = "x"
		}},
		{"id2label", func(m map[string]any) { m["id2label"] = map[string]any{} }},
	}
	for _, c := range cases {
		_, err := ParseConfig(mutateConfig(t, c.edit))
		if err == nil {
			t.Errorf("%s: accepted", c.field)
			continue
		}
		if !strings.Contains(err.Error(), `"`+c.field+`"`) {
			t.Errorf("%s: error %q does not name the field", c.field, err)
		}
	}
	if _, err := ParseConfig([]byte(`[]`)); err == nil {
		t.Error("a JSON array was accepted")
	}
	if _, err := ParseConfig([]byte(`null`)); err == nil {
		t.Error("null was accepted")
	}
}

// TestParseConfigVariants checks accepted variations: older key names,
// anchor_image_size set, out_features instead of out_indices.
func TestParseConfigVariants(t *testing.T) {
	c, err := ParseConfig(mutateConfig(t, func(m map[string]any) {
		m["pe_temperature"] = 100
		delete(m, "positional_encoding_temperature")
		m["learnt_init_query"] = true
		delete(m, "learn_initial_query")
		m["anchor_image_size"] = []int{640, 640}
		delete(m["backbone_config"].(map[string]any), "out_indices")
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.PosTemperature != 100 || !c.LearnInitialQuery || len(c.AnchorImageSize) != 2 || len(c.OutIndices) != 3 || c.OutIndices[2] != 4 {
		t.Errorf("parsed %+v", c)
	}
}

// FuzzParseConfig checks that ParseConfig never panics and that what it
// accepts is consistent.
func FuzzParseConfig(f *testing.F) {
	for _, name := range goldenCases {
		if data, err := os.ReadFile(filepath.Join(goldenDir, name, "config.json")); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"model_type": "rt_detr", "backbone_config": {"model_type": "rt_detr_resnet"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		n := len(c.EncoderInChannels)
		if len(c.FeatStrides) != n || len(c.OutIndices) != n || len(c.DecoderInChannels) != n || c.NumFeatureLevels != n {
			t.Fatalf("inconsistent levels accepted: %+v", c)
		}
		if len(c.Labels) == 0 || c.DModel <= 0 || c.CSPHidden() <= 0 || c.DModel%c.DecoderHeads != 0 {
			t.Fatalf("bad sizes accepted: %+v", c)
		}
	})
}
