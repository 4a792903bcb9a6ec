#!/usr/bin/env bash
# compare-ort-detr.sh: our RT-DETR-r18 at 640x640 against ONNX Runtime, side by
# side, in one run (tools/compare-ort.sh calls it after ViTPose-B; it also runs
# alone).
#
# tools/ort/export_detr.py builds RT-DETR-r18 (PekingU/rtdetr_r18vd's layout)
# with tools/ref/rtdetr_ref.py's seeded random weights and writes, into one
# folder, the ONNX export (opset 17, fixed 640x640 input) and the same weights
# as a Hugging Face checkpoint (model.safetensors + config.json). Our
# benchmark loads that folder (LADDERPOSE_DETR_R18=DIR), so both engines run
# the same network on the same weights. Then for each of ROUNDS rounds and
# for 1 and 2 threads, one after the other:
#   ours: BenchmarkDetect/r18/640 (go test -cpu T, ITERS passes after the
#         benchmark's warm-up pass; its median pass, median-ms/image)
#   ORT:  tools/ort/ort_bench.mjs (CPU provider, intraOpNumThreads T,
#         interOpNumThreads 1, graph optimisation "all", sequential; median of
#         ITERS passes after 3 warm-up passes)
# and prints the medians over the rounds, the ratio ours/ORT (time; <= 1.0
# means we are at least as fast), our GFLOP/s (58.39 GFLOP per image, as
# internal/detbench counts it) and ORT's CPU time per pass over its wall time
# ("cores used"). Both time the network alone: a [1, 3, 640, 640] input already
# resized and rescaled, logits and boxes out (no postprocessing).
# SKIP_TORCH=0 also times PyTorch eager once per thread count. PIN_CPU=N runs
# both engines' 1-thread passes on CPU N (taskset): on a virtual machine whose
# CPUs differ in speed (a busy neighbour on the host), that compares the two
# on the same CPU.
#
# Usage: tools/compare-ort-detr.sh [ROUNDS] [ITERS]   (default 3 and 5; raw
# outputs in $OUT_DIR, default /tmp/compare-ort)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
iters=${2:-5}
out=${OUT_DIR:-/tmp/compare-ort}
mkdir -p "$out"
export PATH=$PATH:/usr/local/go/bin

if [ ! -e tools/ort/node_modules/onnxruntime-node/package.json ]; then
	(cd tools/ort && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund >/dev/null)
fi
dir="$out/detr_r18"
if [ ! -s "$dir/model.onnx" ] || [ ! -s "$dir/model.safetensors" ]; then
	/usr/bin/python3 tools/ort/export_detr.py export "$dir" 640 2>"$out/export_detr.log"
fi
go test -c -o "$out/ladderpose.test" .

echo "RT-DETR-r18: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$out/ours_detr.txt"
: >"$out/ort_detr.txt"
: >"$out/torch_detr.txt"
for r in $(seq "$rounds"); do
	for t in 1 2; do
		pin=()
		if [ "$t" = 1 ] && [ -n "${PIN_CPU:-}" ]; then
			pin=(taskset -c "$PIN_CPU")
		fi
		LADDERPOSE_DETR_R18="$dir" "${pin[@]}" "$out/ladderpose.test" -test.run '^$' -test.bench 'Detect/r18/640$' \
			-test.benchtime "${iters}x" -test.cpu "$t" >>"$out/ours_detr.txt"
		"${pin[@]}" node tools/ort/ort_bench.mjs "$dir/model.onnx" "$t" "$iters" 3 1 640x640 >>"$out/ort_detr.txt"
		if [ "$r" = 1 ] && [ "${SKIP_TORCH:-1}" != 1 ]; then
			OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t /usr/bin/python3 tools/ort/export_detr.py time "$t" 3 640 >>"$out/torch_detr.txt" 2>/dev/null
		fi
	done
	echo "RT-DETR round $r/$rounds done; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -g | awk '{a[NR]=$1} END{if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
field() { awk -v k="$1" '{for(i=1;i<=NF;i++) if (index($i, k"=")==1) print substr($i, length(k)+2)}'; }
printf "\nRT-DETR-r18, batch 1, 640x640 (ms per image; medians of %d rounds of %d passes)\n" "$rounds" "$iters"
printf "%3s %10s %10s %12s %8s %8s %11s\n" thr ours ORT "torch eager" ours/ORT "GFLOP/s" "ORT cores"
for t in 1 2; do
	suffix=""
	[ $t -gt 1 ] && suffix="-$t"
	ours=$({ grep "^BenchmarkDetect/r18/640${suffix}[[:space:]]" "$out/ours_detr.txt" || true; } | awk '{for(i=1;i<=NF;i++) if ($i=="median-ms/image") print $(i-1)}' | median)
	ort=$({ grep "^ort threads=$t " "$out/ort_detr.txt" || true; } | field median_ms | median)
	tor=$({ grep "^torch threads=$t " "$out/torch_detr.txt" || true; } | field median_ms | median)
	ortcpu=$({ grep "^ort threads=$t " "$out/ort_detr.txt" || true; } | field cpu_ms | median)
	awk -v t="$t" -v a="$ours" -v b="$ort" -v c="$tor" -v oc="$ortcpu" \
		'BEGIN{printf "%3d %10.1f %10.1f %12s %8.2f %8.1f %11.2f\n", t, a, b, (c=="nan" ? "-" : sprintf("%.1f", c)), a/b, 58.39/a*1e3, oc/b}'
done
echo
echo "raw outputs in $out (ours_detr.txt, ort_detr.txt, torch_detr.txt)"
