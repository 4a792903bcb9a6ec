package posemodel

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ladderpose/ladderpose/nn"
	"github.com/ladderpose/ladderpose/ops"
	"github.com/ladderpose/ladderpose/weights"
)

// Naming conventions of checkpoints.
const (
	NamesMMPose      = "mmpose"
	NamesHuggingFace = "huggingface"
)

// LoadOptions tune Load.
type LoadOptions struct {
	// SidePath, if set, is a safetensors file with the side network (and
	// optionally the head) that replaces or adds to the main file's.
	SidePath string
	// Config, if set, is used instead of the one found in the checkpoint.
	Config *Config
	// InferenceOnly keeps the backbone's linear weights only in the packed
	// form the kernels read (packed straight from the mapped file), and
	// drops each tensor's file pages from memory once read, so that loading
	// holds about one copy of the weights: the model can run Forward but
	// not be trained or saved (those parameters have no Data).
	InferenceOnly bool
	// Precision is "float32", "int8" or "" (the checkpoint's own: int8 for
	// a file written by WriteQuantized, else float32). At "int8" the
	// backbone's linear layers run as int8 GEMMs (see Model.Quantize),
	// quantized from the float weights at load, or read as they are from a
	// quantized file. A quantized file cannot load at "float32". An int8
	// model cannot be trained.
	Precision string
}

// checkpoint reads tensors under SPEC.md's (mmpose) names from one or more
// safetensors files whose own names may follow Hugging Face's convention.
type checkpoint struct {
	files []*weights.File // later files take precedence
	names string          // naming convention of files[0]
	used  map[string]bool
	last  []stored // the stored tensors the last read touched
}

type stored struct {
	f    *weights.File
	name string
}

// evictLast drops the file pages of the tensors the last read touched.
func (ck *checkpoint) evictLast() error {
	for _, s := range ck.last {
		if err := s.f.Evict(s.name); err != nil {
			return err
		}
	}
	return nil
}

func (ck *checkpoint) close() {
	for _, f := range ck.files {
		f.Close()
	}
}

// hfName maps an mmpose name to its Hugging Face name (SPEC.md section 10);
// qkv tensors map to "" and are joined from query, key and value.
func hfName(name string) string {
	r := strings.NewReplacer(
		"backbone.patch_embed.proj.", "backbone.embeddings.patch_embeddings.projection.",
		"backbone.last_norm.", "backbone.layernorm.",
		"keypoint_head.deconv_layers.0.", "head.deconv1.",
		"keypoint_head.deconv_layers.1.", "head.batchnorm1.",
		"keypoint_head.deconv_layers.3.", "head.deconv2.",
		"keypoint_head.deconv_layers.4.", "head.batchnorm2.",
		"keypoint_head.final_layer.", "head.conv.",
	)
	if name == "backbone.pos_embed" {
		return "backbone.embeddings.position_embeddings"
	}
	if rest, ok := strings.CutPrefix(name, "backbone.blocks."); ok {
		i, field, _ := strings.Cut(rest, ".")
		pre := "backbone.encoder.layer." + i + "."
		switch {
		case strings.HasPrefix(field, "attn.qkv."):
			return ""
		case strings.HasPrefix(field, "norm1."):
			return pre + "layernorm_before." + strings.TrimPrefix(field, "norm1.")
		case strings.HasPrefix(field, "norm2."):
			return pre + "layernorm_after." + strings.TrimPrefix(field, "norm2.")
		case strings.HasPrefix(field, "attn.proj."):
			return pre + "attention.output.dense." + strings.TrimPrefix(field, "attn.proj.")
		}
		return pre + field // mlp.fc1, mlp.fc2
	}
	return r.Replace(name)
}

// lookup finds the file and stored name holding an mmpose-named tensor.
func (ck *checkpoint) lookup(name string) (*weights.File, string, bool) {
	for i := len(ck.files) - 1; i >= 0; i-- {
		f := ck.files[i]
		if f.Has(name) {
			return f, name, true
		}
		if h := hfName(name); h != "" && h != name && f.Has(h) {
			return f, h, true
		}
	}
	return nil, "", false
}

// has reports whether the checkpoint holds the named tensor.
func (ck *checkpoint) has(name string) bool {
	if _, _, ok := ck.lookup(name); ok {
		return true
	}
	if strings.Contains(name, ".attn.qkv.") {
		_, _, ok := ck.lookup(qkvPart(name, "query"))
		return ok
	}
	return false
}

// qkvPart names the Hugging Face query/key/value tensor of a qkv tensor.
func qkvPart(name, part string) string {
	rest := strings.TrimPrefix(name, "backbone.blocks.")
	i, field, _ := strings.Cut(rest, ".")
	kind := strings.TrimPrefix(field, "attn.qkv.")
	return "backbone.encoder.layer." + i + ".attention.attention." + part + "." + kind
}

// read returns the tensor's values and shape.
func (ck *checkpoint) read(name string) ([]float32, []int, error) {
	ck.last = ck.last[:0]
	if f, st, ok := ck.lookup(name); ok {
		ck.used[f.Path()+"\x00"+st] = true
		ck.last = append(ck.last, stored{f, st})
		v, s, err := f.Float32(st)
		if err != nil {
			return nil, nil, err
		}
		return v, s, nil
	}
	if strings.Contains(name, ".attn.qkv.") {
		// Hugging Face: qkv = the rows of query, key and value.
		var out []float32
		var shape []int
		for _, part := range []string{"query", "key", "value"} {
			f, st, ok := ck.lookup(qkvPart(name, part))
			if !ok {
				return nil, nil, fmt.Errorf("missing tensor %q (%s)", qkvPart(name, part), name)
			}
			ck.used[f.Path()+"\x00"+st] = true
			ck.last = append(ck.last, stored{f, st})
			v, s, err := f.Float32(st)
			if err != nil {
				return nil, nil, err
			}
			if shape == nil {
				shape = append([]int(nil), s...)
			} else if !sameInts(s, shape) {
				return nil, nil, fmt.Errorf("tensor %q has shape %v, unlike the query's %v", st, s, shape)
			}
			out = append(out, v...)
		}
		shape[0] *= 3
		return out, shape, nil
	}
	return nil, nil, fmt.Errorf("missing tensor %q%s", name, ck.hint(name))
}

func (ck *checkpoint) hint(name string) string {
	if ck.names == NamesHuggingFace {
		if h := hfName(name); h != "" && h != name {
			return fmt.Sprintf(" (Hugging Face name %q)", h)
		}
	}
	return ""
}

// set reads a tensor into a parameter, checking its shape.
func (ck *checkpoint) set(p *nn.Param) error {
	v, s, err := ck.read(p.Name)
	if err != nil {
		return err
	}
	if !sameInts(s, p.Shape) {
		return fmt.Errorf("tensor %q has shape %v, want %v", p.Name, s, p.Shape)
	}
	copy(p.Data, v)
	return nil
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Load reads a model from a safetensors checkpoint (or a folder holding
// model.safetensors and, for Hugging Face files, config.json), with mmpose
// or Hugging Face names, and prepares it for inference. The files are closed
// before Load returns: the model keeps its own copy of every weight.
func Load(path string, opt LoadOptions) (*Model, error) {
	p, err := resolvePath(path)
	if err != nil {
		return nil, fmt.Errorf("weights %s: %w", path, err)
	}
	f, err := weights.Open(p)
	if err != nil {
		return nil, err
	}
	return loadFile(f, filepath.Dir(p), opt)
}

// LoadBytes is Load for a safetensors checkpoint held in memory (one
// embedded with go:embed, say); name stands for its path in errors. The
// config comes from opt.Config, the "ladderpose.config" metadata or the
// standard sizes recognised from the shapes: there is no folder to hold a
// Hugging Face config.json. opt.SidePath, if set, is still a file. data
// must not change while LoadBytes runs; the model keeps no reference to it.
func LoadBytes(name string, data []byte, opt LoadOptions) (*Model, error) {
	f, err := weights.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return loadFile(f, "", opt)
}

// loadFile is Load once the main file f is open; dir is the folder where a
// Hugging Face config.json may lie ("" for none). It closes f.
func loadFile(f *weights.File, dir string, opt LoadOptions) (*Model, error) {
	p := f.Path()
	ck := &checkpoint{files: []*weights.File{f}, used: map[string]bool{}}
	defer ck.close()
	if opt.SidePath != "" {
		sp, err := resolvePath(opt.SidePath)
		if err != nil {
			return nil, fmt.Errorf("side weights %s: %w", opt.SidePath, err)
		}
		sf, err := weights.Open(sp)
		if err != nil {
			return nil, err
		}
		ck.files = append(ck.files, sf)
	}
	switch {
	case f.Has("backbone.patch_embed.proj.weight"):
		ck.names = NamesMMPose
	case f.Has("backbone.embeddings.patch_embeddings.projection.weight"):
		ck.names = NamesHuggingFace
	default:
		names := f.Names()
		ex := ""
		if len(names) > 0 {
			ex = fmt.Sprintf("; it holds %d tensors, e.g. %q", len(names), names[0])
		}
		return nil, fmt.Errorf("weights %s: unknown checkpoint layout: no backbone patch embedding (backbone.patch_embed.proj.weight or backbone.embeddings.patch_embeddings.projection.weight)%s", p, ex)
	}
	cfg, err := ck.config(dir, opt)
	if err != nil {
		return nil, fmt.Errorf("weights %s: %w", p, err)
	}
	m, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("weights %s: %w", p, err)
	}
	prec, err := ParsePrecision(opt.Precision)
	if err != nil {
		return nil, fmt.Errorf("weights %s: %w", p, err)
	}
	switch quantized := ck.hasQuantized(m); {
	case quantized && prec == PrecisionFloat32:
		return nil, fmt.Errorf("weights %s: the backbone's linear weights are stored as int8 (a file written by ladderpose quantize): it runs only at precision int8, not float32", p)
	case quantized || prec == PrecisionInt8:
		m.quant = map[*nn.Linear]*ops.QuantizedB{}
	}
	if err := m.loadFrom(ck, opt.InferenceOnly); err != nil {
		return nil, fmt.Errorf("weights %s: %w", p, err)
	}
	if err := m.Prepare(); err != nil {
		return nil, fmt.Errorf("weights %s: %w", p, err)
	}
	return m, nil
}

// config resolves the model config: an explicit one, the ladderpose.config
// metadata (of the side file, then the main file), a Hugging Face
// config.json in dir (the main file's folder; "" for none), or the standard
// sizes recognised from shapes.
func (ck *checkpoint) config(dir string, opt LoadOptions) (Config, error) {
	if opt.Config != nil {
		return *opt.Config, opt.Config.Validate()
	}
	var cfg Config
	found := false
	for i := len(ck.files) - 1; i >= 0 && !found; i-- {
		if s, ok := ck.files[i].Metadata()[MetadataKey]; ok {
			c, err := ParseConfig(s)
			if err != nil {
				return Config{}, fmt.Errorf("metadata %q of %s: %w", MetadataKey, ck.files[i].Path(), err)
			}
			cfg, found = c, true
			// A side file's config may carry only the side network: the
			// backbone sizes then come from the main file below.
			if i > 0 && ck.files[0].Metadata()[MetadataKey] != "" {
				mc, err := ParseConfig(ck.files[0].Metadata()[MetadataKey])
				if err != nil {
					return Config{}, fmt.Errorf("metadata %q: %w", MetadataKey, err)
				}
				mc.Side = cfg.Side
				cfg = mc
			}
		}
	}
	if !found && dir != "" {
		hc, err := readHFConfig(filepath.Join(dir, "config.json"))
		if err != nil {
			return Config{}, err
		}
		if hc != nil {
			cfg, found = *hc, true
		}
	}
	if !found {
		c, err := ck.inferConfig()
		if err != nil {
			return Config{}, err
		}
		cfg = c
	}
	if err := ck.checkKeypoints(&cfg); err != nil {
		return Config{}, err
	}
	if cfg.Side == nil && ck.has("side.stem.conv1.weight") {
		side, err := ck.inferSide()
		if err != nil {
			return Config{}, err
		}
		cfg.Side = side
	}
	return cfg, cfg.Validate()
}

// checkKeypoints takes the keypoint count from the head when the config
// names none (a config.json without id2label), and otherwise checks that
// the config's names agree with the head's outputs, naming both.
func (ck *checkpoint) checkKeypoints(cfg *Config) error {
	const bias = "keypoint_head.final_layer.bias"
	if !ck.has(bias) {
		if cfg.Keypoints == 0 {
			return fmt.Errorf("missing tensor %q%s: the keypoint count is in neither config.json (id2label) nor the head", bias, ck.hint(bias))
		}
		return nil // reported as missing when the head loads
	}
	_, s, err := ck.read(bias)
	if err != nil {
		return err
	}
	if len(s) != 1 {
		return fmt.Errorf("tensor %q has shape %v, want [K]", bias, s)
	}
	switch {
	case cfg.Keypoints == 0:
		cfg.Keypoints = s[0]
	case len(cfg.KeypointNames) > 0 && len(cfg.KeypointNames) != s[0]:
		return fmt.Errorf("config.json's id2label has %d names but the head predicts %d keypoints (tensor %q%s has shape %v)", len(cfg.KeypointNames), s[0], bias, ck.hint(bias), s)
	}
	return nil
}

// inferExperts finds a ViTPose+ mixture of experts in the checkpoint's
// first block: the number of experts and their width (part_features).
func (ck *checkpoint) inferExperts(cfg *Config) error {
	n := 0
	for ck.has("backbone.blocks.0.mlp.experts." + strconv.Itoa(n) + ".weight") {
		n++
	}
	if n == 0 {
		return nil
	}
	_, s, err := ck.read("backbone.blocks.0.mlp.experts.0.weight")
	if err != nil {
		return err
	}
	if len(s) != 2 {
		return fmt.Errorf("tensor %q has shape %v, want [part_features, hidden]", "backbone.blocks.0.mlp.experts.0.weight", s)
	}
	if n > 1 {
		cfg.Experts, cfg.PartFeatures = n, s[0]
	}
	return nil
}

// inferConfig recognises ViTPose-S/B/L/H from the tensor shapes.
func (ck *checkpoint) inferConfig() (Config, error) {
	_, s, err := ck.read("backbone.patch_embed.proj.weight")
	if err != nil {
		return Config{}, err
	}
	d := s[0]
	depth := 0
	for ck.has("backbone.blocks." + strconv.Itoa(depth) + ".norm1.weight") {
		depth++
	}
	var cfg Config
	ok := false
	for _, st := range standardSizes {
		if st.dim == d && st.depth == depth {
			cfg, _ = StandardConfig(st.name)
			ok = true
		}
	}
	if !ok {
		return Config{}, fmt.Errorf("backbone width %d and depth %d are not a standard ViTPose size (S, B, L, H): give the config in the %q metadata or a config.json", d, depth, MetadataKey)
	}
	if ck.names == NamesHuggingFace {
		cfg.LNEps = 1e-12
	}
	if err := ck.inferExperts(&cfg); err != nil {
		return Config{}, err
	}
	switch {
	case ck.has("keypoint_head.deconv_layers.0.weight"):
		cfg.Head = "classic"
	case ck.has("keypoint_head.final_layer.weight"):
		cfg.Head = "simple"
	default:
		return Config{}, errors.New("no heatmap head (keypoint_head.* or head.*)")
	}
	if _, fs, err := ck.read("keypoint_head.final_layer.weight"); err == nil && len(fs) == 4 {
		cfg.Keypoints = fs[0]
		if fs[2] == 3 {
			cfg.Head = "simple"
		}
	}
	return cfg, nil
}

// inferSide reads the side network's sizes from its tensors, with SPEC.md's
// 4 fusion heads (the head count is not visible in the shapes).
func (ck *checkpoint) inferSide() (*SideConfig, error) {
	_, s, err := ck.read("side.stem.conv2.weight")
	if err != nil {
		return nil, err
	}
	_, e, err := ck.read("side.asf.fre.vit_proj.weight")
	if err != nil {
		return nil, err
	}
	side := &SideConfig{Channels: s[0], FusionWidth: e[0], FusionHeads: DefaultSide.FusionHeads, Nodes: DefaultSide.Nodes}
	return side, nil
}

// New returns a model of the given config with zero weights (BatchNorm in its
// initial state); load weights with Load or initialise a side network with
// InitSide, then call Prepare.
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := cfg.Dim
	eps := float32(cfg.LNEps)
	m := &Model{Cfg: cfg,
		patchW:   nn.NewParam("backbone.patch_embed.proj.weight", d, 3, 16, 16),
		patchB:   nn.NewParam("backbone.patch_embed.proj.bias", d),
		pos:      nn.NewParam("backbone.pos_embed", 1, 1+cfg.Tokens(), d),
		lastNorm: nn.NewLayerNorm("backbone.last_norm", d, eps),
	}
	for i := 0; i < cfg.Depth; i++ {
		pre := "backbone.blocks." + strconv.Itoa(i) + "."
		m.blocks = append(m.blocks, &vitBlock{
			norm1: nn.NewLayerNorm(pre+"norm1", d, eps),
			qkv:   nn.NewLinear(pre+"attn.qkv", d, 3*d, true),
			proj:  nn.NewLinear(pre+"attn.proj", d, d, true),
			norm2: nn.NewLayerNorm(pre+"norm2", d, eps),
			fc1:   nn.NewLinear(pre+"mlp.fc1", d, cfg.Hidden(), true),
			fc2:   nn.NewLinear(pre+"mlp.fc2", cfg.Hidden(), cfg.SharedOut(), true),
		})
		if cfg.MoE() {
			blk := m.blocks[i]
			for e := 0; e < cfg.Experts; e++ {
				blk.experts = append(blk.experts, nn.NewLinear(pre+"mlp.experts."+strconv.Itoa(e), cfg.Hidden(), cfg.PartFeatures, true))
			}
		}
	}
	if cfg.Head == "classic" {
		m.head = newClassicHead(cfg)
	} else {
		m.head = newSimpleHead(cfg)
	}
	if cfg.Side != nil {
		m.side = newSideNet(cfg)
	}
	return m, nil
}

// loadFrom fills every parameter from the checkpoint. With inferenceOnly
// the backbone's linear weights are packed (or, at int8 precision,
// quantized) straight from the file and not kept unpacked; weights stored
// quantized are read as they are (their Data stays nil); every tensor's
// file pages are evicted once read.
func (m *Model) loadFrom(ck *checkpoint, inferenceOnly bool) error {
	linears := map[*nn.Param]*nn.Linear{}
	for _, blk := range m.blocks {
		for _, l := range blk.linears() {
			linears[l.W] = l
		}
	}
	for _, p := range m.Params() {
		l := linears[p]
		var qb *ops.QuantizedB
		if l != nil && m.quant != nil {
			q, ok, err := ck.readQuantized(l)
			if err != nil {
				return err
			}
			if ok {
				qb = q
			}
		}
		switch {
		case p.Name == "backbone.pos_embed":
			if err := m.loadPos(ck); err != nil {
				return err
			}
		case qb != nil:
			m.quant[l] = qb
			p.Data = nil
		case l != nil && inferenceOnly:
			v, s, err := ck.read(p.Name)
			if err != nil {
				return err
			}
			if !sameInts(s, p.Shape) {
				return fmt.Errorf("tensor %q has shape %v, want %v", p.Name, s, p.Shape)
			}
			if m.quant != nil {
				q, err := ops.QuantizeWeights(v, l.Out, l.In)
				if err != nil {
					return fmt.Errorf("tensor %q: %w", p.Name, err)
				}
				m.quant[l] = q
			} else {
				l.PackFrom(v)
			}
			p.Data = nil
		default:
			if err := ck.set(p); err != nil {
				return err
			}
		}
		if err := ck.evictLast(); err != nil {
			return err
		}
	}
	return nil
}

// loadPos reads the position embedding, resizing its patch part by bicubic
// interpolation when the checkpoint's grid differs (as ViTPose does).
func (m *Model) loadPos(ck *checkpoint) error {
	v, s, err := ck.read("backbone.pos_embed")
	if err != nil {
		return err
	}
	d := m.Cfg.Dim
	gh, gw := m.Cfg.GridH(), m.Cfg.GridW()
	if len(s) != 3 || s[0] != 1 || s[2] != d || s[1] < 2 {
		return fmt.Errorf("tensor %q has shape %v, want [1, %d, %d]", "backbone.pos_embed", s, 1+gh*gw, d)
	}
	if s[1] == 1+gh*gw {
		copy(m.pos.Data, v)
		return nil
	}
	n0 := s[1] - 1
	h0, w0, ok := gridOf(n0, gh, gw)
	if !ok {
		return fmt.Errorf("tensor %q has shape %v: %d patch positions form neither a square grid nor a %d:%d one, cannot resize to %dx%d", "backbone.pos_embed", s, n0, gh, gw, gh, gw)
	}
	copy(m.pos.Data[:d], v[:d]) // the cls position is kept
	resizeBicubicTokens(m.pos.Data[d:], v[d:], h0, w0, gh, gw, d)
	return nil
}

// gridOf finds the grid of n positions: one with the target's aspect ratio,
// else a square one.
func gridOf(n, gh, gw int) (int, int, bool) {
	for h := 1; h <= n; h++ {
		if n%h == 0 && (n/h)*gh == h*gw {
			return h, n / h, true
		}
	}
	r := int(math.Round(math.Sqrt(float64(n))))
	if r*r == n {
		return r, r, true
	}
	return 0, 0, false
}

// resizeBicubicTokens resizes tokens [h0*w0, d] on an h0 x w0 grid to
// [h*w, d] as torch.nn.functional.interpolate(mode="bicubic",
// align_corners=False) on the [d, h0, w0] map (A = -0.75, clamped borders).
func resizeBicubicTokens(dst, src []float32, h0, w0, h, w, d int) {
	cubic := func(t float64) [4]float64 {
		const a = -0.75
		c1 := func(x float64) float64 { return ((a+2)*x-(a+3))*x*x + 1 }
		c2 := func(x float64) float64 { return ((a*x-5*a)*x+8*a)*x - 4*a }
		return [4]float64{c2(t + 1), c1(t), c1(1 - t), c2(2 - t)}
	}
	// Coefficients are float32 in PyTorch's CPU kernel (scalar_t accscalar).
	type tap struct {
		i [4]int
		w [4]float32
	}
	axis := func(in, out int) []tap {
		ts := make([]tap, out)
		scale := float32(in) / float32(out)
		for o := range ts {
			x := (float32(o)+0.5)*scale - 0.5
			fl := float32(math.Floor(float64(x)))
			c := cubic(float64(x - fl))
			for k := 0; k < 4; k++ {
				ts[o].i[k] = min(max(int(fl)-1+k, 0), in-1)
				ts[o].w[k] = float32(c[k])
			}
		}
		return ts
	}
	ty, tx := axis(h0, h), axis(w0, w)
	for oy := 0; oy < h; oy++ {
		for ox := 0; ox < w; ox++ {
			out := dst[(oy*w+ox)*d : (oy*w+ox+1)*d]
			for c := 0; c < d; c++ {
				var acc float32
				for ky := 0; ky < 4; ky++ {
					var row float32
					for kx := 0; kx < 4; kx++ {
						row += tx[ox].w[kx] * src[(ty[oy].i[ky]*w0+tx[ox].i[kx])*d+c]
					}
					acc += ty[oy].w[ky] * row
				}
				out[c] = acc
			}
		}
	}
}

// Prepare builds the inference form of the weights: packed linear layers
// (quantized ones at int8 precision), convolutions with their BatchNorms
// folded in. Call it after loading or changing weights.
func (m *Model) Prepare() error {
	c := m.Cfg
	var err error
	m.patch, err = ops.NewConv2D(m.patchW.Data, m.patchB.Data, ops.Conv2DParams{InC: 3, OutC: c.Dim, KH: 16, KW: 16,
		StrideH: 16, StrideW: 16, PadH: 2, PadW: 2})
	if err != nil {
		return fmt.Errorf("backbone.patch_embed.proj: %w", err)
	}
	if m.quant != nil {
		if err := m.quantizeLinears(); err != nil {
			return err
		}
	} else {
		for _, blk := range m.blocks {
			for _, l := range blk.linears() {
				if l.W.Data != nil { // else packed at an inference-only load
					l.Pack()
				}
			}
		}
	}
	if m.side != nil {
		if err := m.side.prepare(); err != nil {
			return err
		}
	}
	return m.head.prepare()
}
