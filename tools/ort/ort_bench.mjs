// ort_bench.mjs: times an ONNX model with ONNX Runtime's CPU provider.
//
// Usage: node ort_bench.mjs MODEL.onnx THREADS ITERS [WARMUP] [BATCH] [HxW]
//
// One session per run: intraOpNumThreads THREADS, interOpNumThreads 1,
// graphOptimizationLevel "all", sequential execution. The input is a fixed
// pseudo-random [BATCH, 3, H, W] float32 tensor (HxW default 256x192). After WARMUP runs
// (default 3) it times ITERS runs one by one and prints one line:
//
//   ort threads=T batch=B size=HxW iters=N median_ms=M min_ms=M mean_ms=M cpu_ms=C cpus=P
//
// cpu_ms is the process's CPU time (user + system) per timed pass: about
// THREADS x median_ms when the threads are busy all along.
import * as ort from 'onnxruntime-node';
import os from 'node:os';

const [model, threadsArg, itersArg, warmupArg, batchArg, sizeArg] = process.argv.slice(2);
if (!model || !threadsArg || !itersArg) {
  console.error('usage: node ort_bench.mjs MODEL.onnx THREADS ITERS [WARMUP] [BATCH] [HxW]');
  process.exit(2);
}
const threads = parseInt(threadsArg, 10);
const iters = parseInt(itersArg, 10);
const warmup = warmupArg === undefined ? 3 : parseInt(warmupArg, 10);
const batch = batchArg === undefined ? 1 : parseInt(batchArg, 10);
const [height, width] = (sizeArg === undefined ? '256x192' : sizeArg).split('x').map((v) => parseInt(v, 10));
for (const [name, v, lo] of [['THREADS', threads, 1], ['ITERS', iters, 1], ['WARMUP', warmup, 0], ['BATCH', batch, 1], ['H', height, 1], ['W', width, 1]]) {
  if (!Number.isInteger(v) || v < lo) {
    console.error(`ort_bench: ${name} must be an integer >= ${lo}, got ${v}`);
    process.exit(2);
  }
}

const session = await ort.InferenceSession.create(model, {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const shape = [batch, 3, height, width];
const data = new Float32Array(shape.reduce((a, b) => a * b));
let s = 0x2545f491n;
for (let i = 0; i < data.length; i++) {
  // xorshift64, top bits to [-1, 1): a normalised-crop-like input.
  s ^= (s << 13n) & 0xffffffffffffffffn;
  s ^= s >> 7n;
  s ^= (s << 17n) & 0xffffffffffffffffn;
  data[i] = Number(s >> 40n) / 2 ** 23 - 1;
}
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
for (let i = 0; i < warmup; i++) await session.run(feeds);
const times = [];
const cpu0 = process.cpuUsage();
for (let i = 0; i < iters; i++) {
  const t0 = process.hrtime.bigint();
  await session.run(feeds);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1e3 / iters;
times.sort((a, b) => a - b);
const mid = times.length >> 1;
const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
const mean = times.reduce((a, b) => a + b, 0) / times.length;
console.log(`ort threads=${threads} batch=${batch} size=${height}x${width} iters=${iters} median_ms=${median.toFixed(2)} min_ms=${times[0].toFixed(2)} mean_ms=${mean.toFixed(2)} cpu_ms=${cpuMs.toFixed(2)} cpus=${os.cpus().length}`);
