package ops

import (
	"os"
	"runtime"

	"github.com/klauspost/cpuid/v2"
)

// Kernel paths, from fastest to most portable.
const (
	PathAVX512  = "avx512"  // amd64 with AVX512F (+DQ, BW, VL) and OS support for Z registers
	PathAVX2    = "avx2"    // amd64 with AVX2 and FMA3
	PathNEON    = "neon"    // arm64 (Advanced SIMD is architectural)
	PathGeneric = "generic" // pure Go
)

// The dispatch table, chosen once at init from the CPU and the environment
// (LADDERPOSE_NOASM=1 forces the pure-Go path, LADDERPOSE_NOAVX512=1 the AVX2
// one). It is the package's only global state and is never written after init.
var (
	useAVX512 bool
	useAVX2   bool
	useNEON   bool
	kernPath  = PathGeneric
)

func init() {
	noasm := os.Getenv("LADDERPOSE_NOASM") == "1"
	noavx512 := os.Getenv("LADDERPOSE_NOAVX512") == "1"
	if noasm {
		return
	}
	switch runtime.GOARCH {
	case "amd64":
		useAVX2 = haveAVX2()
		useAVX512 = !noavx512 && haveAVX512()
	case "arm64":
		useNEON = true
	}
	useAVX2 = useAVX2 && haveAsm
	useAVX512 = useAVX512 && haveAsm
	useNEON = useNEON && haveAsm
	activeKernel = pickKernel()
	activeQKernel = pickQKernel()
	switch {
	case useAVX512:
		kernPath = PathAVX512
	case useAVX2:
		kernPath = PathAVX2
	case useNEON:
		kernPath = PathNEON
	}
}

// Path names the kernel path chosen at init: "avx512", "avx2", "neon" or
// "generic".
func Path() string { return kernPath }

// CPUName returns the processor's brand string, for reports.
func CPUName() string { return cpuid.CPU.BrandName }

// haveAVX2 reports whether the CPU (and OS) support AVX2 and FMA3; cpuid
// checks OSXSAVE/XCR0 for the AVX state itself.
func haveAVX2() bool {
	return runtime.GOARCH == "amd64" && cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3)
}

// haveAVX512 reports whether the CPU supports AVX512F, DQ, BW and VL and the
// OS saves the Z registers (cpuid checks XCR0 for the opmask and ZMM state).
func haveAVX512() bool {
	return haveAVX2() && cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX512VL)
}
