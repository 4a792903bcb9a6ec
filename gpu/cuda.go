//go:build cgo && linux

package gpu

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "cuda_dl.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unsafe"
)

// Library names tried in order (newest first); each is also looked for in
// Options.LibraryDirs first.
var (
	driverLib    = "libcuda.so.1"
	cublasLibs   = []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"}
	nvrtcLibs    = []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"}
	maxNVRTCArch = 64
)

// cudaBackend runs on an NVIDIA GPU through the driver API, cuBLAS and
// NVRTC, all loaded with dlopen.
type cudaBackend struct {
	c      *C.lp_cuda
	dev    C.CUdevice
	ctx    C.CUcontext
	stream C.CUstream
	blas   C.cublasHandle_t
	mod    C.CUmodule
	funcs  []C.CUfunction
	info   Info
	cc     int // compute capability as 10*major + minor
}

// Open opens CUDA device opts.Ordinal: it loads libcuda.so.1, cuBLAS and
// NVRTC, creates a stream and a cuBLAS handle on the device's primary
// context and returns the device. The kernels are compiled by NVRTC at
// their first use. An error wrapping ErrUnavailable means there is no
// usable GPU here (no driver, no device, a missing library); any other
// error is a GPU that failed.
func Open(opts Options) (*Device, error) {
	be, err := openCUDA(opts)
	if err != nil {
		return nil, err
	}
	d, err := NewDevice(be)
	if err != nil {
		be.Close()
		return nil, err
	}
	return d, nil
}

func (b *cudaBackend) cuErr(op string, r C.CUresult) error {
	if r == 0 {
		return nil
	}
	return &Error{Op: op, Code: int(r), Name: C.GoString(C.lp_cu_error_name(b.c, r)), Msg: C.GoString(C.lp_cu_error_string(b.c, r))}
}

// libProblems collects why libraries did not load, for one short message:
// the names not found at all, and the other reasons in full.
type libProblems struct {
	dirs     []string
	notFound []string
	other    []string
}

func (lp *libProblems) add(path, msg string) {
	if strings.Contains(msg, "cannot open shared object file") {
		lp.notFound = append(lp.notFound, filepath.Base(path))
		return
	}
	lp.other = append(lp.other, msg)
}

func (lp *libProblems) String() string {
	parts := append([]string(nil), lp.other...)
	if len(lp.notFound) > 0 {
		where := "the loader's paths"
		if len(lp.dirs) > 0 {
			where = strings.Join(lp.dirs, ", ") + " and " + where
		}
		seen := map[string]bool{}
		var names []string
		for _, n := range lp.notFound {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		parts = append(parts, fmt.Sprintf("%s not found in %s", strings.Join(names, ", "), where))
	}
	return strings.Join(parts, "; ")
}

// openLib dlopens name with load, looking in dirs first, then where the
// dynamic loader looks; it returns the path that loaded, or records why
// none did in lp and returns "".
func openLib(dirs []string, name string, lp *libProblems, load func(path string, err *C.char, n C.int) C.int) string {
	paths := make([]string, 0, len(dirs)+1)
	for _, d := range dirs {
		paths = append(paths, filepath.Join(d, name))
	}
	paths = append(paths, name)
	for _, p := range paths {
		var buf [512]C.char
		if load(p, &buf[0], C.int(len(buf))) == 0 {
			return p
		}
		lp.add(p, C.GoString(&buf[0]))
	}
	return ""
}

func openCUDA(opts Options) (*cudaBackend, error) {
	c := (*C.lp_cuda)(C.calloc(1, C.size_t(unsafe.Sizeof(C.lp_cuda{}))))
	if c == nil {
		return nil, fmt.Errorf("gpu: out of host memory")
	}
	b := &cudaBackend{c: c}
	fail := func(err error) (*cudaBackend, error) {
		C.lp_close_libs(c)
		C.free(unsafe.Pointer(c))
		return nil, err
	}
	withC := func(f func(cp *C.char, err *C.char, n C.int) C.int) func(string, *C.char, C.int) C.int {
		return func(p string, err *C.char, n C.int) C.int {
			cp := C.CString(p)
			defer C.free(unsafe.Pointer(cp))
			return f(cp, err, n)
		}
	}
	drvProblems := &libProblems{dirs: opts.LibraryDirs}
	if openLib(opts.LibraryDirs, driverLib, drvProblems, withC(func(p, e *C.char, n C.int) C.int { return C.lp_open_driver(c, p, e, n) })) == "" {
		return fail(unavailable("cannot load the NVIDIA driver library %s (%v)", driverLib, drvProblems))
	}
	var count C.int
	if err := b.cuErr("cuInit", C.lp_device_count(c, &count)); err != nil {
		return fail(unavailable("no CUDA device answers (%v)", err))
	}
	if count == 0 {
		return fail(unavailable("the NVIDIA driver sees no CUDA device"))
	}
	if opts.Ordinal < 0 || opts.Ordinal >= int(count) {
		return fail(unavailable("CUDA device %d does not exist (%d present)", opts.Ordinal, count))
	}
	var info C.lp_devinfo
	if err := b.cuErr("cuDevicePrimaryCtxRetain", C.lp_device_open(c, C.int(opts.Ordinal), &b.dev, &b.ctx, &b.stream, &info)); err != nil {
		return fail(fmt.Errorf("gpu: opening CUDA device %d: %w", opts.Ordinal, err))
	}
	closeDev := func(err error) (*cudaBackend, error) {
		C.lp_device_close(c, b.dev, b.ctx, b.stream)
		return fail(err)
	}
	drv := int(info.driver_version)
	b.cc = 10*int(info.cc_major) + int(info.cc_minor)
	b.info = Info{Backend: "cuda", Name: C.GoString(&info.name[0]), Ordinal: opts.Ordinal,
		ComputeMajor: int(info.cc_major), ComputeMinor: int(info.cc_minor), MemoryBytes: int64(info.total_mem)}

	// cuBLAS: the first library whose handle can be created on this driver.
	var blasPath string
	blasProblems := &libProblems{dirs: opts.LibraryDirs}
	var version C.int
	for _, name := range cublasLibs {
		p := openLib(opts.LibraryDirs, name, blasProblems, withC(func(p, e *C.char, n C.int) C.int { return C.lp_open_cublas(c, p, e, n) }))
		if p == "" {
			continue
		}
		tf := C.int(0)
		if opts.TF32 {
			tf = 1
		}
		if st := C.lp_blas_create(c, b.ctx, b.stream, tf, &b.blas, &version); st != 0 {
			blasProblems.other = append(blasProblems.other, fmt.Sprintf("%s: %v", p, cublasError("cublasCreate", int(st))))
			C.lp_close_cublas(c)
			continue
		}
		blasPath = p
		break
	}
	if blasPath == "" {
		return closeDev(unavailable("no usable cuBLAS library (%v)", blasProblems))
	}

	// NVRTC: the first library whose major version the driver supports
	// (code from a newer major release does not load; within one, the
	// kernels compile to SASS, which minor-version compatibility covers).
	var nvrtcPath string
	nvrtcProblems := &libProblems{dirs: opts.LibraryDirs}
	var major, minor C.int
	for _, name := range nvrtcLibs {
		p := openLib(opts.LibraryDirs, name, nvrtcProblems, withC(func(p, e *C.char, n C.int) C.int { return C.lp_open_nvrtc(c, p, e, n) }))
		if p == "" {
			continue
		}
		C.lp_nvrtc_version(c, &major, &minor)
		if int(major) > drv/1000 {
			nvrtcProblems.other = append(nvrtcProblems.other, fmt.Sprintf("%s is NVRTC %d.%d, a newer major release than the driver's CUDA %s", p, major, minor, cudaVersion(drv)))
			C.lp_close_nvrtc(c)
			continue
		}
		nvrtcPath = p
		break
	}
	if nvrtcPath == "" {
		C.lp_blas_destroy(c, b.ctx, b.blas)
		return closeDev(unavailable("no usable NVRTC library (%v)", nvrtcProblems))
	}
	v := int(version)
	b.info.Versions = fmt.Sprintf("driver CUDA %s, cuBLAS %d.%d.%d (%s), NVRTC %d.%d (%s)", cudaVersion(drv),
		v/10000, v%10000/100, v%100, filepath.Base(blasPath), major, minor, filepath.Base(nvrtcPath))
	if opts.TF32 {
		b.info.Versions += ", TF32 products"
	}
	return b, nil
}

// cudaVersion formats a CUDA version number (1000*major + 10*minor).
func cudaVersion(v int) string { return fmt.Sprintf("%d.%d", v/1000, v%1000/10) }

func (b *cudaBackend) Info() Info { return b.info }

func (b *cudaBackend) Alloc(bytes int64) (Ptr, error) {
	var p C.CUdeviceptr
	if err := b.cuErr("cuMemAlloc", C.lp_alloc(b.c, b.ctx, &p, C.size_t(bytes))); err != nil {
		return 0, err
	}
	return Ptr(p), nil
}

func (b *cudaBackend) Free(p Ptr) error {
	return b.cuErr("cuMemFree", C.lp_free(b.c, b.ctx, C.CUdeviceptr(p)))
}

func (b *cudaBackend) Upload(dst Ptr, src []byte) error {
	return b.cuErr("cuMemcpyHtoDAsync", C.lp_upload(b.c, b.ctx, b.stream, C.CUdeviceptr(dst), unsafe.Pointer(&src[0]), C.size_t(len(src))))
}

func (b *cudaBackend) Download(dst []byte, src Ptr) error {
	return b.cuErr("cuMemcpyDtoHAsync", C.lp_download(b.c, b.ctx, b.stream, unsafe.Pointer(&dst[0]), C.CUdeviceptr(src), C.size_t(len(dst))))
}

func (b *cudaBackend) Copy(dst, src Ptr, bytes int64) error {
	return b.cuErr("cuMemcpyDtoDAsync", C.lp_copy(b.c, b.ctx, b.stream, C.CUdeviceptr(dst), C.CUdeviceptr(src), C.size_t(bytes)))
}

func (b *cudaBackend) Synchronize() error {
	return b.cuErr("cuStreamSynchronize", C.lp_synchronize(b.c, b.ctx, b.stream))
}

// LoadKernels compiles the kernels with NVRTC for this device and loads
// them: to SASS for sm_XY when NVRTC supports the device's architecture
// (no driver JIT involved), else to PTX for the newest compute_XY NVRTC
// supports that the device runs, which the driver JIT-compiles.
func (b *cudaBackend) LoadKernels(source string, sigs []KernelSig) error {
	archs := make([]C.int, maxNVRTCArch)
	n := int(C.lp_nvrtc_archs(b.c, &archs[0], C.int(len(archs))))
	hasCubin := C.lp_nvrtc_has_cubin(b.c) != 0
	arch, cubin := b.cc, hasCubin
	if n > 0 {
		best := 0
		for _, a := range archs[:n] {
			if int(a) <= b.cc {
				best = max(best, int(a))
			}
		}
		if best == 0 {
			return fmt.Errorf("NVRTC supports no architecture up to the device's sm_%d", b.cc)
		}
		arch, cubin = best, hasCubin && best == b.cc
	}
	opt := fmt.Sprintf("--gpu-architecture=sm_%d", arch)
	if !cubin {
		opt = fmt.Sprintf("--gpu-architecture=compute_%d", arch)
	}
	image, err := b.compile(NVRTCPrelude+source, []string{opt}, cubin)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(image))
	if err := b.cuErr("cuModuleLoadData", C.lp_module_load(b.c, b.ctx, image, &b.mod)); err != nil {
		var ce *Error
		if errors.As(err, &ce) && ce.Name == "CUDA_ERROR_UNSUPPORTED_PTX_VERSION" {
			return fmt.Errorf("kernels compiled to PTX with %s: %w (NVRTC is newer than the driver and does not know this GPU's sm_%d: use an NVRTC as old as the driver, or update the driver)", opt, err, b.cc)
		}
		return fmt.Errorf("kernels compiled with %s: %w", opt, err)
	}
	b.funcs = make([]C.CUfunction, len(sigs))
	for i, s := range sigs {
		name := C.CString(s.Name)
		err := b.cuErr("cuModuleGetFunction "+s.Name, C.lp_module_function(b.c, b.ctx, b.mod, name, &b.funcs[i]))
		C.free(unsafe.Pointer(name))
		if err != nil {
			return err
		}
	}
	return nil
}

// compile runs NVRTC and returns the malloc'd image (PTX or CUBIN).
func (b *cudaBackend) compile(src string, opts []string, cubin bool) (*C.char, error) {
	csrc := C.CString(src)
	defer C.free(unsafe.Pointer(csrc))
	copts := make([]*C.char, len(opts))
	for i, o := range opts {
		copts[i] = C.CString(o)
	}
	defer func() {
		for _, o := range copts {
			C.free(unsafe.Pointer(o))
		}
	}()
	// The option array lives in C memory, like the strings it points to.
	arr := (**C.char)(C.malloc(C.size_t(len(copts)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	defer C.free(unsafe.Pointer(arr))
	copy(unsafe.Slice(arr, len(copts)), copts)
	cb := C.int(0)
	if cubin {
		cb = 1
	}
	var image, log *C.char
	r := C.lp_nvrtc_compile(b.c, csrc, arr, C.int(len(copts)), cb, &image, &log)
	logText := ""
	if log != nil {
		logText = strings.TrimSpace(C.GoString(log))
		C.free(unsafe.Pointer(log))
	}
	if r != 0 {
		return nil, &Error{Op: "nvrtcCompileProgram " + strings.Join(opts, " "), Code: int(r), Name: C.GoString(C.lp_nvrtc_error(b.c, r)), Msg: logText}
	}
	return image, nil
}

func (b *cudaBackend) Launch(kernel int, grid, block Dim3, args []uint64) error {
	if kernel < 0 || kernel >= len(b.funcs) {
		return fmt.Errorf("kernel %d not loaded", kernel)
	}
	var p *C.ulonglong
	if len(args) > 0 {
		p = (*C.ulonglong)(unsafe.Pointer(&args[0]))
	}
	return b.cuErr("cuLaunchKernel", C.lp_launch(b.c, b.ctx, b.stream, b.funcs[kernel], C.uint(grid.X), C.uint(block.X), p, C.int(len(args))))
}

func (b *cudaBackend) Gemm(g GemmArgs) error {
	tb := func(v bool) C.int {
		if v {
			return 1
		}
		return 0
	}
	st := C.lp_sgemm(b.c, b.ctx, b.blas, tb(g.TransA), tb(g.TransB), C.int(g.M), C.int(g.N), C.int(g.K), C.float(g.Alpha),
		C.CUdeviceptr(g.A), C.int(g.LDA), C.longlong(g.StrideA), C.CUdeviceptr(g.B), C.int(g.LDB), C.longlong(g.StrideB),
		C.float(g.Beta), C.CUdeviceptr(g.C), C.int(g.LDC), C.longlong(g.StrideC), C.int(g.Batch))
	if st != 0 {
		op := "cublasSgemm_v2"
		if g.Batch > 1 {
			op = "cublasSgemmStridedBatched"
		}
		return cublasError(op, int(st))
	}
	return nil
}

func (b *cudaBackend) Close() error {
	if b.c == nil {
		return nil
	}
	err := b.Synchronize()
	if b.mod != nil {
		C.lp_module_unload(b.c, b.ctx, b.mod)
	}
	C.lp_blas_destroy(b.c, b.ctx, b.blas)
	C.lp_device_close(b.c, b.dev, b.ctx, b.stream)
	C.lp_close_libs(b.c)
	C.free(unsafe.Pointer(b.c))
	b.c = nil
	return err
}
