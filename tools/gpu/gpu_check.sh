#!/usr/bin/env bash
# tools/gpu/gpu_check.sh: the checks that need an NVIDIA GPU, run on a GPU
# host from a checkout of the repository (see tools/gpu/README.md).
#
#   1. build the test binaries of gpu and gpumodel (if Go is installed here;
#      else use the ones in $BIN, built elsewhere with tools/gpu/build.sh)
#   2. gpu: Open, Select and every kernel on the emulator and on the GPU's
#      driver and libraries
#   3. gpumodel: TestGPUGoldens (GPU vs PyTorch and CPU heatmaps at 1e-4 on
#      the tiny and small test models, bit-identical from run to run)
#   4. the benchmarks BenchmarkGPUViTPose/B/batch{1,32} and
#      BenchmarkGPUFullModel/B/batch32 (images/s)
#   5. PyTorch eager on the same models and batches (tools/gpu/torch_eager.py)
#
# Environment: BIN (test binaries, default bin/gpu), BENCHTIME (default
# 20x), ITERS (PyTorch passes, default 20). cuBLAS and NVRTC are looked for
# where the loader finds them; a Python environment's nvidia-*-cu12/13
# wheels are added to LD_LIBRARY_PATH when present.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bin=${BIN:-$root/bin/gpu}
case $bin in /*) ;; *) bin=$root/$bin ;; esac

if command -v go >/dev/null; then
	mkdir -p "$bin"
	go test -c -o "$bin/gpu.test" ./gpu
	go test -c -o "$bin/gpumodel.test" ./gpumodel
fi
for t in gpu gpumodel; do
	[ -x "$bin/$t.test" ] || { echo "no $bin/$t.test: install Go or build it with tools/gpu/build.sh"; exit 1; }
done

# CUDA libraries from pip wheels (nvidia-cublas-cu12, nvidia-cuda-nvrtc-cu12, ...).
if extra=$(python3 - 2>/dev/null <<'PY'
import glob, os
import nvidia
dirs = set()
for base in nvidia.__path__:
    for p in glob.glob(os.path.join(base, "*", "lib", "lib*.so*")):
        dirs.add(os.path.dirname(p))
print(":".join(sorted(dirs)))
PY
) && [ -n "$extra" ]; then
	export LD_LIBRARY_PATH=$extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi

echo "== nvidia-smi"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || echo "(nvidia-smi not found)"

echo "== gpu: device selection and kernels"
(cd gpu && "$bin/gpu.test" -test.count=1 -test.v -test.run 'Open|Select' 2>&1 | grep -E '^(---|ok|PASS|FAIL)|Open:|Select\(' || true)
(cd gpu && "$bin/gpu.test" -test.count=1)

echo "== gpumodel: GPU against PyTorch and the CPU engine, run-to-run identity"
(cd gpumodel && "$bin/gpumodel.test" -test.count=1 -test.v -test.run 'TestGPUGoldens')

echo "== gpumodel: benchmarks"
(cd gpumodel && "$bin/gpumodel.test" -test.run '^$' -test.bench 'GPU' -test.benchtime "${BENCHTIME:-20x}")

echo "== PyTorch eager"
python3 tools/gpu/torch_eager.py --iters "${ITERS:-20}"
