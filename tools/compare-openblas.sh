#!/usr/bin/env bash
# compare-openblas.sh: our SGEMM against Debian's OpenBLAS, side by side, in one run.
#
# Installs libopenblas-dev (if missing), builds tools/openblas/sgemm_bench.c,
# probes the machine's FMA peak (256-bit, and 512-bit on AVX-512 hosts), then
# for 1 and 2 threads alternates rounds of `go test -bench Sgemm$ ./ops` and
# cblas_sgemm on the same shapes (row-major, no transposes) and prints the
# medians, the ratio ours/OpenBLAS and our share of the FMA peak.
#
# OpenBLAS 0.3.21 does not know Zen 5; on AVX-512 hosts it is forced to its
# SkylakeX kernels (its best there), elsewhere it picks its own (Haswell on
# Zen 3). OPENBLAS_L2_SIZE is unset with it, as both must change together.
#
# Usage: tools/compare-openblas.sh [ROUNDS]   (default 5; raw outputs kept in
# $OUT_DIR, default /tmp/compare-openblas, for benchstat)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
out=${OUT_DIR:-/tmp/compare-openblas}
mkdir -p "$out"
export PATH=$PATH:/usr/local/go/bin

if [ ! -e /usr/include/x86_64-linux-gnu/cblas.h ] && [ ! -e /usr/include/cblas.h ] && ! ls /usr/include/*/cblas.h >/dev/null 2>&1; then
	apt-get install -y -qq libopenblas-dev >/dev/null
fi
gcc -O2 -o "$out/sgemm_bench" tools/openblas/sgemm_bench.c -lopenblas -lpthread
go test -c -o "$out/ops.test" ./ops

avx512=no
grep -qw avx512f /proc/cpuinfo && avx512=yes
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
[ $avx512 = yes ] && export OPENBLAS_CORETYPE=SkylakeX
path=$("$out/ops.test" -test.run 'TestGemmRagged' -test.v 2>&1 | sed -n 's/.*dispatch path \([a-z0-9]*\).*/\1/p' | head -1)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "CPU: $cpu; AVX-512: $avx512; our kernel path: $path; OpenBLAS coretype: ${OPENBLAS_CORETYPE:-auto}"

bits=256
[ $avx512 = yes ] && bits=512
declare -A peak
for t in 1 2; do
	peak[$t]=$("$out/sgemm_bench" peak $t $bits | awk '{print $2}')
	echo "FMA peak, $bits-bit, $t thread(s): ${peak[$t]} GFLOP/s"
done

: >"$out/ours.txt"
: >"$out/openblas.txt"
for t in 1 2; do
	for r in $(seq "$rounds"); do
		"$out/ops.test" -test.run '^$' -test.bench 'Sgemm$' -test.benchtime 300ms -test.cpu $t >>"$out/ours.txt"
		"$out/sgemm_bench" gemm $t 1 | sed "s/^/t$t /" >>"$out/openblas.txt"
	done
done

median() { sort -g | awk '{a[NR]=$1} END{if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
printf "\n%-16s %3s %10s %10s %7s %8s\n" shape thr ours openblas ratio "%peak"
for t in 1 2; do
	suffix=""
	[ $t -gt 1 ] && suffix="-$t"
	for shape in 192x768x2304 192x768x768 192x768x3072 192x3072x768 192x1280x3840 1024x1024x1024 3072x576x64 64x64x64; do
		ours=$(grep "^BenchmarkSgemm/${shape}${suffix}[[:space:]]" "$out/ours.txt" | awk '{for(i=1;i<=NF;i++) if ($i=="GFLOP/s") print $(i-1)}' | median)
		ob=$(grep "^t$t ${shape} " "$out/openblas.txt" | awk '{print $3}' | median)
		awk -v s="$shape" -v t="$t" -v a="$ours" -v b="$ob" -v p="${peak[$t]}" \
			'BEGIN{printf "%-16s %3d %10.1f %10.1f %7.2f %7.0f%%\n", s, t, a, b, a/b, 100*a/p}'
	done
done
echo
echo "medians of $rounds rounds; raw outputs in $out (benchstat $out/ours.txt)"
