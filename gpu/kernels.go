package gpu

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
)

// KernelSource is the CUDA C text of every kernel (kernels.cu), written in
// the subset of CUDA C that is also plain C: the CUDA backend compiles it
// with NVRTC after NVRTCPrelude, and package gpu/emu compiles it with the
// system C compiler after its own shim header to run the kernels on the
// CPU. See the comment at the top of kernels.cu for the rules.
//
//go:embed kernels.cu
var KernelSource string

// NVRTCPrelude defines, for NVRTC, the macros kernels.cu uses.
const NVRTCPrelude = `#define KERNEL extern "C" __global__ void
#define DEVFN static __device__ __forceinline__
#define NEG_INF (-__int_as_float(0x7f800000))
`

// ArgKind is the type of a kernel parameter.
type ArgKind byte

// Parameter types a kernel may take.
const (
	ArgPtr    ArgKind = 'p' // any pointer: a device address
	ArgInt    ArgKind = 'i' // int (32 bits)
	ArgFloat  ArgKind = 'f' // float
	ArgDouble ArgKind = 'd' // double
)

// KernelParam is one parameter of a kernel: its C type and name.
type KernelParam struct {
	Type string // as written, e.g. "const float *"
	Name string
	Kind ArgKind
}

// KernelSig is a kernel's name and parameters, parsed from KernelSource.
type KernelSig struct {
	Name   string
	Params []KernelParam
}

var (
	kernelDecl = regexp.MustCompile(`(?m)^KERNEL\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)`)
	// paramDecl is one parameter: [const] float|int|double [*] name.
	paramDecl = regexp.MustCompile(`^((?:const\s+)?(float|int|double)\s*(\*)?)\s*([A-Za-z_][A-Za-z0-9_]*)$`)
)

// ParseKernels returns the signatures of the kernels in src, in source
// order: every "KERNEL name(type name, ...)" declaration.
func ParseKernels(src string) ([]KernelSig, error) {
	var sigs []KernelSig
	seen := map[string]bool{}
	for _, m := range kernelDecl.FindAllStringSubmatch(src, -1) {
		name := m[1]
		if seen[name] {
			return nil, fmt.Errorf("gpu: kernel %s declared twice", name)
		}
		seen[name] = true
		sig := KernelSig{Name: name}
		for _, p := range strings.Split(m[2], ",") {
			p = strings.Join(strings.Fields(p), " ")
			pm := paramDecl.FindStringSubmatch(p)
			if pm == nil {
				return nil, fmt.Errorf("gpu: kernel %s: cannot parse parameter %q (want [const] float|int|double [*] name)", name, p)
			}
			typ, base, ptr, pname := strings.TrimSpace(pm[1]), pm[2], pm[3], pm[4]
			kind := ArgKind(base[0]) // 'f', 'i', 'd'
			if ptr != "" {
				kind = ArgPtr
			} else if strings.HasPrefix(typ, "const") {
				return nil, fmt.Errorf("gpu: kernel %s: parameter %q: a const value parameter is not supported", name, p)
			}
			sig.Params = append(sig.Params, KernelParam{Type: typ, Name: pname, Kind: kind})
		}
		sigs = append(sigs, sig)
	}
	if len(sigs) == 0 {
		return nil, fmt.Errorf("gpu: no KERNEL declarations in the kernel source")
	}
	return sigs, nil
}
