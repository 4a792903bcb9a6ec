//go:build cgo && linux

package gpu_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ladderpose/ladderpose/gpu"
)

// fakeCUDA builds the fake driver, cuBLAS and NVRTC of testdata/fakecuda as
// libcuda.so.1, libcublas.so.13 and libnvrtc.so.13 in a folder, and returns
// it with the log file the fakes append their calls to. The fakes let the
// real CUDA backend (cuda.go, cuda_dl.c: library search, symbol binding,
// every call's arguments, status conversion) run on a host without a GPU.
func fakeCUDA(t *testing.T) (dir, logPath string) {
	t.Helper()
	cc := "cc"
	if _, err := exec.LookPath(cc); err != nil {
		if _, err := exec.LookPath("gcc"); err != nil {
			t.Skip("no C compiler to build the fake CUDA libraries")
		}
		cc = "gcc"
	}
	dir = t.TempDir()
	src, err := filepath.Abs(filepath.Join("testdata", "fakecuda"))
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range []struct{ src, name string }{
		{"cuda.c", "libcuda.so.1"}, {"cublas.c", "libcublas.so.13"}, {"nvrtc.c", "libnvrtc.so.13"},
	} {
		out, err := exec.Command(cc, "-shared", "-fPIC", "-O1", "-w", "-o", filepath.Join(dir, lib.name), filepath.Join(src, lib.src)).CombinedOutput()
		if err != nil {
			t.Fatalf("building %s: %v\n%s", lib.name, err, out)
		}
	}
	logPath = filepath.Join(dir, "calls.log")
	t.Setenv("LP_FAKE_LOG", logPath)
	for _, k := range []string{"LP_FAKE_NO_DEVICE", "LP_FAKE_OOM", "LP_FAKE_LAUNCH_FAIL", "LP_FAKE_CUBLAS_FAIL", "LP_FAKE_NVRTC_FAIL"} {
		t.Setenv(k, "0")
	}
	return dir, logPath
}

// readLog returns the fakes' log and empties it.
func readLog(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	os.Remove(path)
	return string(b)
}

func TestCUDABackendOnFakeLibraries(t *testing.T) {
	dir, logPath := fakeCUDA(t)
	opts := gpu.Options{LibraryDirs: []string{dir}}
	d, err := gpu.Open(opts)
	if err != nil {
		t.Fatalf("Open on the fake libraries: %v", err)
	}
	defer d.Close()
	info := d.Info()
	t.Logf("device: %v", info)
	if info.Backend != "cuda" || info.Name != "Fake GPU" || info.ComputeMajor != 9 || info.ComputeMinor != 0 || info.MemoryBytes != 80<<30 {
		t.Errorf("device info %+v", info)
	}
	for _, w := range []string{"driver CUDA 13.0", "cuBLAS 13.0.1 (libcublas.so.13)", "NVRTC 13.0 (libnvrtc.so.13)"} {
		if !strings.Contains(info.Versions, w) {
			t.Errorf("versions %q lack %q", info.Versions, w)
		}
	}
	log := readLog(t, logPath)
	for _, w := range []string{"stream flags 1", "cublas stream set 1", "cublas math mode 0", "cublas atomics mode 0"} {
		if !strings.Contains(log, w) {
			t.Errorf("Open's calls lack %q:\n%s", w, log)
		}
	}

	// Memory round trip through the driver's copies.
	v := []float32{1, 2, 3, 4, 5}
	a, err := d.Alloc(5)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := d.Alloc(5)
	if err := d.Upload(a, v); err != nil {
		t.Fatal(err)
	}
	if err := d.Copy(b, a); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 5)
	if err := d.Download(got, b); err != nil {
		t.Fatal(err)
	}
	for i := range v {
		if got[i] != v[i] {
			t.Fatalf("round trip: %v, want %v", got, v)
		}
	}

	// Matrix products through cublasSgemm_v2 / StridedBatched: the
	// row-major to column-major swap and every argument.
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []struct {
		ta, tb  bool
		m, n, k int
		batch   int
	}{{false, true, 5, 7, 3, 1}, {true, false, 4, 6, 9, 3}} {
		ar, ac := tc.m, tc.k
		if tc.ta {
			ar, ac = tc.k, tc.m
		}
		br, bc := tc.k, tc.n
		if tc.tb {
			br, bc = tc.n, tc.k
		}
		lda, ldb, ldc := ac+1, bc+2, tc.n+1
		sa, sb, sc := ar*lda+3, br*ldb, tc.m*ldc+1
		av, bv, cv := randn(rng, tc.batch*sa, 1), randn(rng, tc.batch*sb, 1), randn(rng, tc.batch*sc, 1)
		want := append([]float32(nil), cv...)
		for i := 0; i < tc.batch; i++ {
			gemmRef(tc.ta, tc.tb, tc.m, tc.n, tc.k, 0.5, av[i*sa:], lda, bv[i*sb:], ldb, 2, want[i*sc:], ldc)
		}
		da, db, dc := upload(t, d, av), upload(t, d, bv), upload(t, d, cv)
		if err := d.GemmStrided(tc.ta, tc.tb, tc.m, tc.n, tc.k, 0.5, da, lda, sa, db, ldb, sb, 2, dc, ldc, sc, tc.batch); err != nil {
			t.Fatal(err)
		}
		check(t, "gemm through the fake cuBLAS", download(t, d, dc, len(cv)), want)
	}
	log = readLog(t, logPath)
	if !strings.Contains(log, "sgemm 1 0 7 5 3") || !strings.Contains(log, "sgemm batched 0 1 6 4 9 batch 3") {
		t.Errorf("cuBLAS calls:\n%s", log)
	}

	// A launch: compiled for sm_90 at first use, then the kernel, shape and
	// arguments as the driver receives them.
	x := upload(t, d, make([]float32, 16))
	scratch := upload(t, d, make([]float32, gpu.ReduceScratch(2)))
	if err := d.Softmax(x, 2, 8, scratch); err != nil {
		t.Fatal(err)
	}
	if err := d.Synchronize(); err != nil {
		t.Fatal(err)
	}
	log = readLog(t, logPath)
	want := "launch row_max_partials grid 1 1 1 block 256 1 1 shared 0 stream 1 args " + hex(uint64(scratch.Ptr)) + " " + hex(uint64(x.Ptr)) + " 2 8 1"
	if !strings.Contains(log, "nvrtc option --gpu-architecture=sm_90") || !strings.Contains(log, want) {
		t.Errorf("launch log lacks the sm_90 compile or %q:\n%s", want, log)
	}
	if err := d.LayerNorm(x, x, 2, 8, x, x, 0.5, scratch); err != nil {
		t.Fatal(err)
	}
	log = readLog(t, logPath)
	p, stats := hex(uint64(x.Ptr)), hex(uint64(scratch.Ptr)+4*2*2*32) // after the partials of 2 rows
	want = "launch layernorm_apply grid 1 1 1 block 256 1 1 shared 0 stream 1 args " + p + " " + p + " " + stats + " " + p + " " + p + " 2 8"
	if strings.Contains(log, "nvrtc option") || !strings.Contains(log, want) {
		t.Errorf("second launch: want no compile and %q:\n%s", want, log)
	}

	// Out of memory is an error naming the status; the device stays usable.
	t.Setenv("LP_FAKE_OOM", "1")
	_, err = d.Alloc(10)
	t.Logf("alloc without memory: %v", err)
	var ce *gpu.Error
	if !errors.As(err, &ce) || ce.Name != "CUDA_ERROR_OUT_OF_MEMORY" || !strings.Contains(err.Error(), "out of memory") {
		t.Errorf("alloc without memory: %v, want CUDA_ERROR_OUT_OF_MEMORY", err)
	}
	t.Setenv("LP_FAKE_OOM", "0")
	if _, err := d.Alloc(10); err != nil {
		t.Errorf("alloc after an out-of-memory error: %v", err)
	}

	// A kernel that fails: the error surfaces at the next synchronisation,
	// and the device then refuses work.
	t.Setenv("LP_FAKE_LAUNCH_FAIL", "1")
	if err := d.BiasAct(x, 16, gpu.Buf{}, 1, 1, 1); err != nil {
		t.Fatal(err)
	}
	err = d.Download(got, b)
	t.Logf("download after a failed kernel: %v", err)
	if !errors.As(err, &ce) || ce.Name != "CUDA_ERROR_LAUNCH_FAILED" {
		t.Errorf("download after a failed kernel: %v, want CUDA_ERROR_LAUNCH_FAILED", err)
	}
	if err := d.BiasAct(x, 16, gpu.Buf{}, 1, 1, 1); err == nil || !strings.Contains(err.Error(), "earlier failure") {
		t.Errorf("launch on a failed device: %v, want the sticky error", err)
	}
	t.Setenv("LP_FAKE_LAUNCH_FAIL", "0")
	if err := d.Close(); err == nil {
		t.Log("close after the failure reported nothing")
	}
}

func hex(v uint64) string {
	const digits = "0123456789abcdef"
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v >>= 4 {
		b = append([]byte{digits[v&15]}, b...)
	}
	return string(b)
}

// TestCUDABackendFailures checks Open's and the compiler's failures on the
// fake libraries: each is an error naming the status, never a crash, and
// "no usable GPU" ones wrap ErrUnavailable.
func TestCUDABackendFailures(t *testing.T) {
	// On a host with CUDA libraries of its own, the search would go on to
	// them after a fake fails: those cases run only on hosts without.
	_, hostErr := gpu.Open(gpu.Options{})
	bare := hostErr != nil && strings.Contains(hostErr.Error(), "cannot load the NVIDIA driver")
	dir, _ := fakeCUDA(t)
	opts := gpu.Options{LibraryDirs: []string{dir}}
	cases := []struct {
		env, want   string
		unavailable bool
	}{
		{"LP_FAKE_NO_DEVICE", "CUDA_ERROR_NO_DEVICE", true},
	}
	if bare {
		cases = append(cases, struct {
			env, want   string
			unavailable bool
		}{"LP_FAKE_CUBLAS_FAIL", "CUBLAS_STATUS_NOT_INITIALIZED", true})
	}
	for _, tc := range cases {
		t.Setenv(tc.env, "1")
		d, err := gpu.Open(opts)
		t.Setenv(tc.env, "0")
		t.Logf("%s: %v", tc.env, err)
		if err == nil {
			d.Close()
			t.Errorf("%s: Open succeeded", tc.env)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || errors.Is(err, gpu.ErrUnavailable) != tc.unavailable {
			t.Errorf("%s: %v, want %s (unavailable %v)", tc.env, err, tc.want, tc.unavailable)
		}
	}
	if _, err := gpu.Open(gpu.Options{LibraryDirs: []string{dir}, Ordinal: 1}); !errors.Is(err, gpu.ErrUnavailable) || !strings.Contains(err.Error(), "device 1 does not exist") {
		t.Errorf("Open(ordinal 1): %v", err)
	}

	// A compile failure is reported with NVRTC's log and is not sticky.
	d, err := gpu.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	x, err := d.Alloc(4)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("LP_FAKE_NVRTC_FAIL", "1")
	err = d.BiasAct(x, 4, gpu.Buf{}, 1, 1, 1)
	t.Setenv("LP_FAKE_NVRTC_FAIL", "0")
	t.Logf("compile failure: %v", err)
	if err == nil || !strings.Contains(err.Error(), "NVRTC_ERROR_COMPILATION") || !strings.Contains(err.Error(), "fake compile error") {
		t.Errorf("compile failure: %v, want NVRTC's status and log", err)
	}
	if err := d.BiasAct(x, 4, gpu.Buf{}, 1, 1, 1); err != nil {
		t.Errorf("launch after a failed compile: %v", err)
	}

	// Only the driver present: no cuBLAS is an unavailable GPU.
	if bare {
		only := t.TempDir()
		if err := os.Link(filepath.Join(dir, "libcuda.so.1"), filepath.Join(only, "libcuda.so.1")); err != nil {
			t.Fatal(err)
		}
		_, err := gpu.Open(gpu.Options{LibraryDirs: []string{only}})
		t.Logf("driver without cuBLAS: %v", err)
		if !errors.Is(err, gpu.ErrUnavailable) || !strings.Contains(err.Error(), "no usable cuBLAS library") || !strings.Contains(err.Error(), "libcublas.so.13") {
			t.Errorf("driver without cuBLAS: %v", err)
		}
	}
}

// TestRealNVRTC compiles kernels.cu with a real NVRTC, through the CUDA
// backend (the fake driver and cuBLAS stand in for the GPU), and checks
// that the PTX has an unmangled entry with the right number of parameters
// for every kernel. NVRTC needs no GPU, but it is not on this project's
// machines: the test runs when LADDERPOSE_NVRTC_DIR names a folder holding
// libnvrtc (and the process's LD_LIBRARY_PATH includes it, for NVRTC's own
// libnvrtc-builtins), e.g. Debian's libnvrtc11.2 package unpacked.
func TestRealNVRTC(t *testing.T) {
	nvrtcDir := os.Getenv("LADDERPOSE_NVRTC_DIR")
	if nvrtcDir == "" {
		t.Skip("set LADDERPOSE_NVRTC_DIR (and LD_LIBRARY_PATH) to a folder with libnvrtc to compile the kernels with it")
	}
	dir, logPath := fakeCUDA(t)
	os.Remove(filepath.Join(dir, "libnvrtc.so.13")) // the real one instead
	image := filepath.Join(dir, "image.ptx")
	t.Setenv("LP_FAKE_IMAGE", image)
	// A device newer than the NVRTC knows: the kernels go to PTX (text) for
	// the newest architecture it supports.
	t.Setenv("LP_FAKE_CC", "99")
	d, err := gpu.Open(gpu.Options{LibraryDirs: []string{dir, nvrtcDir}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	t.Logf("device: %v", d.Info())
	x, err := d.Alloc(8)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.BiasAct(x, 8, gpu.Buf{}, 1, 1, 1); err != nil {
		t.Fatal(err)
	}
	t.Logf("calls: %s", readLog(t, logPath))
	ptx, err := os.ReadFile(image)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := gpu.ParseKernels(gpu.KernelSource)
	if err != nil {
		t.Fatal(err)
	}
	src := string(ptx)
	for _, s := range sigs {
		i := strings.Index(src, ".entry "+s.Name+"(")
		if i < 0 {
			t.Errorf("PTX has no entry %s", s.Name)
			continue
		}
		j := strings.Index(src[i:], ")")
		if n := strings.Count(src[i:i+j], ".param"); n != len(s.Params) {
			t.Errorf("PTX entry %s has %d parameters, kernels.cu %d", s.Name, n, len(s.Params))
		}
	}
	t.Logf("%d kernels in %d bytes of PTX (%s)", len(sigs), len(ptx), strings.SplitN(src[strings.Index(src, ".target"):], "\n", 2)[0])
}
