#!/usr/bin/env bash
# tools/test.sh: everything CI checks, in one command (the README's test
# command; .ci/run installs qemu-user and runs it).
#
#   1. gofmt, go vet (amd64, arm64, the noasm tag, CGO_ENABLED=0) and
#      staticcheck
#   2. go test ./... on the dispatch path this CPU selects, and the parallel
#      kernels under the race detector
#   3. the kernel and model tests again on the pure-Go path
#      (LADDERPOSE_NOASM=1) and, on AVX-512 hosts, on the AVX2 path
#      (LADDERPOSE_NOAVX512=1)
#   4. arm64: the NEON kernels' tests cross-compiled and run under
#      qemu-aarch64 (skipped with a message when qemu is missing)
#   5. the training pipeline end to end (ladderpose demo -quick)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
step() { printf '\n== %s\n' "$*"; }

step gofmt
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$bad" ]; then
	echo "gofmt would change:"; echo "$bad"; exit 1
fi

step go vet
go vet ./...
GOARCH=arm64 go vet ./...
go vet -tags noasm ./...
CGO_ENABLED=0 go build ./...

step staticcheck
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

step "go test ./... (kernel path: $(grep -qw avx512f /proc/cpuinfo && echo avx512 || echo avx2 or generic))"
go test -count=1 ./...

step "race detector on the parallel kernels (helper goroutines, GEMM, convolution)"
if command -v gcc >/dev/null && [ "$(go env CGO_ENABLED)" = 1 ]; then
	go test -race -count=1 -run 'Fork|Parallel|Gemm|Conv2D|Winograd' ./ops
	# the video command's three goroutines, and concurrent detection
	go test -race -count=1 -run 'TestVideoCommand|TestVideoBadInput' ./cmd/ladderpose
	go test -race -count=1 -run 'Concurrent' ./detect
else
	echo "skipped: -race needs cgo and a C compiler"
fi

step "pure-Go kernels (LADDERPOSE_NOASM=1)"
LADDERPOSE_NOASM=1 go test -count=1 ./ops/... ./nn/...
LADDERPOSE_NOASM=1 go test -count=1 -short ./posemodel/... # the short set: ViT-S on the pure-Go GEMM takes minutes

if grep -qw avx512f /proc/cpuinfo; then
	step "AVX2 kernels on an AVX-512 host (LADDERPOSE_NOAVX512=1)"
	LADDERPOSE_NOAVX512=1 go test -count=1 ./ops/... ./posemodel/... ./detect/...
fi

if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
	echo "warning: ffmpeg/ffprobe not installed: the video tests were skipped (apt-get install -y ffmpeg)"
fi

step "arm64 under qemu"
if command -v qemu-aarch64 >/dev/null; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	for pkg in ops tensor weights nn posemodel; do
		GOARCH=arm64 go test -c -o "$tmp/$pkg.test" "./$pkg"
		if [ ! -e "$tmp/$pkg.test" ]; then
			echo "-- $pkg: no tests"
			continue
		fi
		echo "-- $pkg (arm64, NEON)"
		run=.
		if [ "$pkg" = posemodel ]; then
			# Emulation is slow: one plain and one side-network golden
			# run the NEON kernels through the whole network; training,
			# determinism and the other goldens use the same kernels and
			# are tested natively above.
			run='ViTPoseGoldens/vitpose_tiny/mmpose|SideGoldens/side_tiny$'
		fi
		(cd "$pkg" && qemu-aarch64 "$tmp/$pkg.test" -test.short -test.count=1 -test.run "$run")
	done
	echo "-- ops (arm64, pure Go)"
	(cd ops && LADDERPOSE_NOASM=1 qemu-aarch64 "$tmp/ops.test" -test.short -test.count=1)
else
	echo "qemu-aarch64 not installed: arm64 tests skipped (apt-get install -y qemu-user)"
fi
step "training end to end: ladderpose demo -quick"
# Synthetic data, side-tuning of every ablation setting from the shipped
# pretrained model, evaluation, reports: about 4 minutes on 2 cores.
demo=$(mktemp -d)
# -min-tune-gain 0: side-tuning must improve on the untuned pretrained model
# (0.091 -> 0.106 AP on this machine), so broken training fails here. The
# gain over the frozen baseline is not checked: at this scale it is +0.001,
# within the noise of 45 validation people (issue 7's note).
go run ./cmd/ladderpose demo -quick -min-tune-gain 0 -out "$demo" >"$demo.log" 2>&1 || { cat "$demo.log"; exit 1; }
tail -n 14 "$demo.log"
for f in ablation.json ablation.md report.json demo_model.safetensors; do
	[ -s "$demo/$f" ] || { echo "demo -quick did not write $f"; exit 1; }
done
rm -rf "$demo" "$demo.log"

step "all checks passed"
