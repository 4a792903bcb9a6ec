#!/usr/bin/env bash
# compare-ort.sh: our ViTPose-B inference against ONNX Runtime, side by side, in one run.
#
# Exports ViTPose-B (tools/ref's PyTorch model, random weights) to ONNX with
# tools/ort/export_vitpose.py (torch.onnx.export, opset 17; the `onnx` Python
# package is not needed), installs onnxruntime-node into tools/ort/node_modules
# if missing (its post-install step, which fetches GPU parts, is skipped: the
# CPU build ships inside the package), then for each of ROUNDS rounds and for 1
# and 2 threads runs, one after the other,
#   ours: BenchmarkViTPose/B/batch1 (go test -cpu T, ITERS passes after the
#         benchmark's warm-up pass; its median pass, median-ms/image, the same
#         statistic as ORT's: a single slow pass on this shared machine would
#         move a mean)
#   ORT:  tools/ort/ort_bench.mjs (CPU provider, intraOpNumThreads T,
#         interOpNumThreads 1, graph optimisation "all", sequential; median of
#         ITERS passes after 3 warm-up passes)
# and prints the medians over the rounds, the ratio ours/ORT (time; <= 1.0 means
# we are at least as fast) and our GFLOP/s (37.05 GFLOP per image). The same
# go test run also times BenchmarkViTPose/B/batch1/int8 (the backbone's linear
# layers as int8 GEMMs, posemodel's int8 precision): its median pass is
# printed beside ORT's float32 as "ours int8", with int8/ORT and int8/ours
# (our int8 time over our float32 time). With ORT_INT8=1 an ONNX Runtime
# dynamic-int8 model is built from the float one as well
# (tools/ort/quantize_onnx.py: MatMulInteger with per-channel int8 weights,
# per-tensor dynamic uint8 activations) and timed beside it ("ORT int8"). PyTorch
# eager (Debian's 1.13 on the system BLAS, its threads capped by
# OPENBLAS_NUM_THREADS and OMP_NUM_THREADS, OpenMP's idle threads not
# spinning: OMP_WAIT_POLICY=PASSIVE) is timed once per thread count for
# reference (SKIP_TORCH=1 skips it). ORT and PyTorch also report their CPU time
# per pass, printed as "cores used" (CPU time / wall time) to show that each
# ran on the number of threads asked. Each process loads its own model; the
# rounds alternate so that both engines see the same machine load. On a shared
# machine the figures are noisy: the load average is printed before and after.
#
# Then tools/compare-ort-detr.sh times RT-DETR-r18 at 640x640 against ONNX
# Runtime in the same way, with the same ROUNDS and ITERS (SKIP_DETR=1 skips it).
#
# Usage: tools/compare-ort.sh [ROUNDS] [ITERS]   (default 5 and 5; raw outputs
# kept in $OUT_DIR, default /tmp/compare-ort)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
iters=${2:-5}
out=${OUT_DIR:-/tmp/compare-ort}
mkdir -p "$out"
export PATH=$PATH:/usr/local/go/bin

if [ ! -e tools/ort/node_modules/onnxruntime-node/package.json ]; then
	(cd tools/ort && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund >/dev/null)
fi
model="$out/vitpose_b.onnx"
if [ ! -s "$model" ]; then
	/usr/bin/python3 tools/ort/export_vitpose.py export "$model" B
fi
go test -c -o "$out/ladderpose.test" .
qmodel="$out/vitpose_b_int8.onnx"
if [ "${ORT_INT8:-0}" = 1 ] && [ ! -s "$qmodel" ]; then
	/usr/bin/python3 tools/ort/quantize_onnx.py "$model" "$qmodel"
fi

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
ortv=$(node -p "require('./tools/ort/node_modules/onnxruntime-node/package.json').version")
path=$(go run ./cmd/ladderpose bench -size S -iters 1 -warmup 0 2>/dev/null | sed -n 's/.*kernel path \([a-z0-9]*\).*/\1/p')
echo "CPU: $cpu ($(nproc) logical CPUs); our kernel path: $path; onnxruntime-node $ortv"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

: >"$out/ours.txt"
: >"$out/ort.txt"
: >"$out/ort_int8.txt"
: >"$out/torch.txt"
for r in $(seq "$rounds"); do
	for t in 1 2; do
		"$out/ladderpose.test" -test.run '^$' -test.bench 'ViTPose/B/batch1$' -test.benchtime "${iters}x" -test.cpu "$t" >>"$out/ours.txt"
		node tools/ort/ort_bench.mjs "$model" "$t" "$iters" 3 1 >>"$out/ort.txt"
		if [ "${ORT_INT8:-0}" = 1 ]; then
			node tools/ort/ort_bench.mjs "$qmodel" "$t" "$iters" 3 1 >>"$out/ort_int8.txt"
		fi
		if [ "$r" = 1 ] && [ "${SKIP_TORCH:-0}" != 1 ]; then
			OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t /usr/bin/python3 tools/ort/export_vitpose.py time "$t" 3 B >>"$out/torch.txt"
		fi
	done
	echo "round $r/$rounds done; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -g | awk '{a[NR]=$1} END{if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
field() { awk -v k="$1" '{for(i=1;i<=NF;i++) if (index($i, k"=")==1) print substr($i, length(k)+2)}'; }
printf "\nViTPose-B, batch 1, 256x192 (ms per image; medians of %d rounds of %d passes)\n" "$rounds" "$iters"
printf "%3s %10s %10s %12s %8s %8s %11s %12s %10s %9s %10s %9s\n" thr ours ORT "torch eager" ours/ORT "GFLOP/s" "ORT cores" "torch cores" "ours int8" int8/ORT int8/ours "ORT int8"
for t in 1 2; do
	suffix=""
	[ $t -gt 1 ] && suffix="-$t"
	ours=$({ grep "^BenchmarkViTPose/B/batch1${suffix}[[:space:]]" "$out/ours.txt" || true; } | awk '{for(i=1;i<=NF;i++) if ($i=="median-ms/image") print $(i-1)}' | median)
	ours8=$({ grep "^BenchmarkViTPose/B/batch1/int8${suffix}[[:space:]]" "$out/ours.txt" || true; } | awk '{for(i=1;i<=NF;i++) if ($i=="median-ms/image") print $(i-1)}' | median)
	ort8=$({ grep "^ort threads=$t " "$out/ort_int8.txt" || true; } | field median_ms | median)
	ort=$({ grep "^ort threads=$t " "$out/ort.txt" || true; } | field median_ms | median)
	tor=$({ grep "^torch threads=$t " "$out/torch.txt" || true; } | field median_ms | median)
	ortcpu=$({ grep "^ort threads=$t " "$out/ort.txt" || true; } | field cpu_ms | median)
	torcpu=$({ grep "^torch threads=$t " "$out/torch.txt" || true; } | field cpu_ms | median)
	awk -v t="$t" -v a="$ours" -v b="$ort" -v c="$tor" -v oc="$ortcpu" -v tc="$torcpu" -v a8="$ours8" -v b8="$ort8" \
		'BEGIN{printf "%3d %10.1f %10.1f %12s %8.2f %8.1f %11.2f %12s %10.1f %9.2f %10.2f %9s\n", t, a, b, (c=="nan" ? "-" : sprintf("%.1f", c)), a/b, 37.0457/a*1e3,
			oc/b, (c=="nan" ? "-" : sprintf("%.2f", tc/c)), a8, a8/b, a8/a, (b8=="nan" ? "-" : sprintf("%.1f", b8))}'
done
echo
echo "raw outputs in $out (ours.txt, ort.txt, ort_int8.txt, torch.txt)"

# RT-DETR-r18 at 640x640, the same way (SKIP_DETR=1 skips it).
if [ "${SKIP_DETR:-0}" != 1 ]; then
	echo
	OUT_DIR="$out" tools/compare-ort-detr.sh "$rounds" "$iters"
fi
