// Package emu runs ladderpose's GPU kernels on the CPU, for tests on hosts
// without a GPU. Open compiles gpu.KernelSource with the system C compiler
// (through csrc/shim.h, which gives the CUDA names their C meaning) into a
// small program, csrc/harness.c, that plays the device: it holds the
// "device memory", runs each launch's threads one after another, computes
// the matrix products as cuBLAS defines them, and checks that every copy,
// product operand and pointer argument lies inside an allocation. The Go
// side talks to it over pipes, so the package needs no cgo.
//
// The emulation is exact for kernels.cu because its threads never
// communicate; it checks the kernels' index arithmetic and numerics and
// the host code that launches them, not GPU timing or the real cuBLAS.
package emu

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ladderpose/ladderpose/gpu"
)

//go:embed csrc/shim.h csrc/harness.c
var csrc embed.FS

// Request codes of the harness protocol (csrc/harness.c).
const (
	opAlloc = 1 + iota
	opFree
	opHtoD
	opDtoH
	opDtoD
	opLaunch
	opGemm
	opSync
	opQuit
)

// ErrNoCompiler is wrapped by Open's error when no C compiler is found.
var ErrNoCompiler = errors.New("no C compiler")

// compiler returns the C compiler to use: $CC, else cc, else gcc.
func compiler() (string, error) {
	if cc := os.Getenv("CC"); cc != "" {
		fields := strings.Fields(cc)
		if p, err := exec.LookPath(fields[0]); err == nil {
			return p, nil
		}
	}
	for _, name := range []string{"cc", "gcc", "clang"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("emu: %w (set CC, or install gcc)", ErrNoCompiler)
}

// wrappers returns the C glue between the harness and the kernels: for
// each kernel a function taking the launch's parameter slots, and the
// table the harness dispatches on.
func wrappers(sigs []gpu.KernelSig) string {
	var b strings.Builder
	for _, s := range sigs {
		fmt.Fprintf(&b, "static void w_%s(void **a)\n{\n\t%s(", s.Name, s.Name)
		for i, p := range s.Params {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*(%s *)a[%d]", p.Type, i)
		}
		b.WriteString(");\n}\n\n")
	}
	b.WriteString("struct kentry {\n\tconst char *name;\n\tvoid (*fn)(void **);\n\tconst char *kinds;\n};\n")
	b.WriteString("const struct kentry lp_kernels[] = {\n")
	for _, s := range sigs {
		kinds := make([]byte, len(s.Params))
		for i, p := range s.Params {
			kinds[i] = byte(p.Kind)
		}
		fmt.Fprintf(&b, "\t{\"%s\", w_%s, \"%s\"},\n", s.Name, s.Name, kinds)
	}
	fmt.Fprintf(&b, "};\nconst int lp_nkernels = %d;\n", len(sigs))
	return b.String()
}

// backend is the harness process.
type backend struct {
	cmd    *exec.Cmd
	in     *bufio.Writer
	inPipe io.WriteCloser
	out    *bufio.Reader
	stderr *bytes.Buffer
	dir    string
	source string
	sigs   []gpu.KernelSig
	dead   error
}

// Open compiles the kernels and the harness with the system C compiler
// (about a second) and starts an emulated device. Close the device to stop
// the harness and remove its files. The error wraps ErrNoCompiler when
// there is no C compiler.
func Open() (*gpu.Device, error) {
	cc, err := compiler()
	if err != nil {
		return nil, err
	}
	sigs, err := gpu.ParseKernels(gpu.KernelSource)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ladderpose-emu-")
	if err != nil {
		return nil, fmt.Errorf("emu: %w", err)
	}
	fail := func(err error) (*gpu.Device, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	for _, name := range []string{"shim.h", "harness.c"} {
		b, err := csrc.ReadFile("csrc/" + name)
		if err != nil {
			return fail(fmt.Errorf("emu: %w", err))
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fail(fmt.Errorf("emu: %w", err))
		}
	}
	kern := "#include \"shim.h\"\n#line 1 \"kernels.cu\"\n" + gpu.KernelSource + "\n#line 1 \"wrappers.c\"\n" + wrappers(sigs)
	if err := os.WriteFile(filepath.Join(dir, "kernels.c"), []byte(kern), 0o644); err != nil {
		return fail(fmt.Errorf("emu: %w", err))
	}
	exe := filepath.Join(dir, "harness")
	// Tuned for this CPU when the compiler can (the harness runs where it
	// is built), else portable.
	var out []byte
	for _, flags := range [][]string{{"-O3", "-march=native"}, {"-O2"}} {
		args := append(append([]string{"-std=gnu11", "-w"}, flags...), "-o", exe, "harness.c", "kernels.c", "-lm")
		build := exec.Command(cc, args...)
		build.Dir = dir
		if out, err = build.CombinedOutput(); err == nil {
			break
		}
	}
	if err != nil {
		return fail(fmt.Errorf("emu: compiling the kernels with %s: %v\n%s", cc, err, out))
	}
	be := &backend{dir: dir, source: gpu.KernelSource, sigs: sigs, stderr: &bytes.Buffer{}}
	be.cmd = exec.Command(exe)
	be.cmd.Stderr = be.stderr
	if be.inPipe, err = be.cmd.StdinPipe(); err != nil {
		return fail(fmt.Errorf("emu: %w", err))
	}
	outPipe, err := be.cmd.StdoutPipe()
	if err != nil {
		return fail(fmt.Errorf("emu: %w", err))
	}
	if err := be.cmd.Start(); err != nil {
		return fail(fmt.Errorf("emu: starting the harness: %w", err))
	}
	be.in = bufio.NewWriterSize(be.inPipe, 1<<16)
	be.out = bufio.NewReaderSize(outPipe, 1<<16)
	if err := be.handshake(); err != nil {
		be.Close()
		return nil, err
	}
	d, err := gpu.NewDevice(be)
	if err != nil {
		be.Close()
		return nil, err
	}
	return d, nil
}

// handshake reads the harness's kernel table and checks it against sigs.
func (b *backend) handshake() error {
	line, err := b.out.ReadString('\n')
	if err != nil {
		return b.died(err)
	}
	var n int
	if _, err := fmt.Sscanf(line, "ladderpose-emu %d\n", &n); err != nil || n != len(b.sigs) {
		return fmt.Errorf("emu: harness announced %q, want %d kernels", strings.TrimSpace(line), len(b.sigs))
	}
	for _, s := range b.sigs {
		line, err := b.out.ReadString('\n')
		if err != nil {
			return b.died(err)
		}
		if name, _, _ := strings.Cut(strings.TrimSpace(line), " "); name != s.Name {
			return fmt.Errorf("emu: harness kernel %q, want %q", name, s.Name)
		}
	}
	return nil
}

// died turns a broken pipe into an error naming how the harness ended.
func (b *backend) died(err error) error {
	if b.dead != nil {
		return b.dead
	}
	b.inPipe.Close()
	werr := b.cmd.Wait()
	msg := strings.TrimSpace(b.stderr.String())
	if werr != nil {
		b.dead = fmt.Errorf("emu: harness died (%v) during a request (%v) %s", werr, err, msg)
	} else {
		b.dead = fmt.Errorf("emu: harness stopped answering (%v) %s", err, msg)
	}
	return b.dead
}

// call sends one request and returns the answer's payload.
func (b *backend) call(op uint32, payload ...[]byte) ([]byte, error) {
	if b.dead != nil {
		return nil, b.dead
	}
	n := 0
	for _, p := range payload {
		n += len(p)
	}
	var h [16]byte
	binary.LittleEndian.PutUint32(h[0:], op)
	binary.LittleEndian.PutUint64(h[8:], uint64(n))
	b.in.Write(h[:])
	for _, p := range payload {
		b.in.Write(p)
	}
	if err := b.in.Flush(); err != nil {
		return nil, b.died(err)
	}
	if _, err := io.ReadFull(b.out, h[:]); err != nil {
		return nil, b.died(err)
	}
	status := binary.LittleEndian.Uint32(h[0:])
	data := make([]byte, binary.LittleEndian.Uint64(h[8:]))
	if _, err := io.ReadFull(b.out, data); err != nil {
		return nil, b.died(err)
	}
	if status != 0 {
		return nil, fmt.Errorf("emu: %s", data)
	}
	return data, nil
}

func u64s(v ...uint64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], x)
	}
	return b
}

func (b *backend) Info() gpu.Info {
	return gpu.Info{Backend: "emulator", Name: "kernels on the CPU (gpu/emu)"}
}

func (b *backend) Alloc(bytes int64) (gpu.Ptr, error) {
	r, err := b.call(opAlloc, u64s(uint64(bytes)))
	if err != nil {
		return 0, err
	}
	return gpu.Ptr(binary.LittleEndian.Uint64(r)), nil
}

func (b *backend) Free(p gpu.Ptr) error {
	_, err := b.call(opFree, u64s(uint64(p)))
	return err
}

func (b *backend) Upload(dst gpu.Ptr, src []byte) error {
	_, err := b.call(opHtoD, u64s(uint64(dst)), src)
	return err
}

func (b *backend) Download(dst []byte, src gpu.Ptr) error {
	r, err := b.call(opDtoH, u64s(uint64(src), uint64(len(dst))))
	if err != nil {
		return err
	}
	copy(dst, r)
	return nil
}

func (b *backend) Copy(dst, src gpu.Ptr, bytes int64) error {
	_, err := b.call(opDtoD, u64s(uint64(dst), uint64(src), uint64(bytes)))
	return err
}

func (b *backend) LoadKernels(source string, sigs []gpu.KernelSig) error {
	if source != b.source || len(sigs) != len(b.sigs) {
		return errors.New("emu: the harness was built from another kernel source")
	}
	return nil
}

func (b *backend) Launch(kernel int, grid, block gpu.Dim3, args []uint64) error {
	h := make([]byte, 32)
	for i, v := range []uint32{uint32(kernel), grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, uint32(len(args))} {
		binary.LittleEndian.PutUint32(h[4*i:], v)
	}
	_, err := b.call(opLaunch, h, u64s(args...))
	return err
}

// gemmRequest is the harness's struct gemm.
type gemmRequest struct {
	TA, TB, M, N, K, LDA, LDB, LDC, Batch, Pad int32
	Alpha, Beta                                float32
	A, B, C                                    uint64
	SA, SB, SC                                 int64
}

func (b *backend) Gemm(g gpu.GemmArgs) error {
	bit := func(v bool) int32 {
		if v {
			return 1
		}
		return 0
	}
	req := gemmRequest{TA: bit(g.TransA), TB: bit(g.TransB), M: int32(g.M), N: int32(g.N), K: int32(g.K),
		LDA: int32(g.LDA), LDB: int32(g.LDB), LDC: int32(g.LDC), Batch: int32(g.Batch), Alpha: g.Alpha, Beta: g.Beta,
		A: uint64(g.A), B: uint64(g.B), C: uint64(g.C), SA: g.StrideA, SB: g.StrideB, SC: g.StrideC}
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, &req)
	_, err := b.call(opGemm, buf.Bytes())
	return err
}

func (b *backend) Synchronize() error {
	_, err := b.call(opSync)
	return err
}

func (b *backend) Close() error {
	defer os.RemoveAll(b.dir)
	if b.dead != nil {
		return nil
	}
	b.call(opQuit)
	b.inPipe.Close()
	return b.cmd.Wait()
}
