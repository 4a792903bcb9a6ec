#!/usr/bin/env bash
# tools/gpu/build.sh: builds the test binaries of gpu and gpumodel into
# $BIN (default bin/gpu) on a machine with Go and a C compiler, for a GPU
# host without Go (see tools/gpu/README.md). The binaries load libcuda,
# cuBLAS and NVRTC at run time, so no CUDA is needed here; they link the C
# library dynamically, so build on a system whose glibc is not newer than
# the GPU host's.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN:-bin/gpu}
mkdir -p "$bin"
export PATH=$PATH:/usr/local/go/bin
CGO_ENABLED=1 go test -c -o "$bin/gpu.test" ./gpu
CGO_ENABLED=1 go test -c -o "$bin/gpumodel.test" ./gpumodel
ls -l "$bin"
