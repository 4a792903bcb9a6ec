// Package ladderpose estimates human pose in images: top-down, with a ViTPose
// network and optionally the ladder side network of "A Fine-Tuning Method via
// Adaptive Symmetric Fusion and Multi-Graph Aggregation for Human Pose
// Estimation" (Symmetry 2025), in pure Go.
//
// Load a checkpoint once, then ask for the poses of the people in an image:
//
//	est, err := ladderpose.Load("vitpose-b.safetensors")
//	img, err := ladderpose.LoadImage("street.jpg")
//	poses, err := est.Estimate(ctx, img, boxes) // boxes from a person detector; nil: the whole image
//
// Each Pose has the 17 COCO keypoints in image pixels with their scores,
// its box and the person score after mmpose's rescoring and OKS non-maximum
// suppression (SPEC.md section 9: box rule, UDP crop, flip test, DARK-UDP
// decoding). With a side network, Pose.Fusion says how finely the network's
// adaptive symmetric fusion split that person's token grid (levels 1 to 4,
// from the similarity of the backbone and side features).
//
// # Concurrency and threads
//
// An Estimator is safe for concurrent use by any number of goroutines: the
// model is read-only after Load, and each call takes its own scratch
// workspace from a pool (one per call in flight; a workspace grows to the
// largest batch it has run and is then reused without allocating). Within
// one call the kernels split their work over GOMAXPROCS goroutines, so
// runtime.GOMAXPROCS (or the GOMAXPROCS environment variable) is the thread
// setting; there is deliberately no other. Results do not depend on it: the
// numbers are bit-identical for any GOMAXPROCS and across runs.
//
// Several calls at once share the CPU; for throughput on many images prefer
// one EstimateBatch call, which puts the people of several images into the
// same network batches.
//
// # GPU
//
// WithDevice("cuda") or WithDevice("auto") runs the network on an NVIDIA GPU
// (package gpu; the CUDA libraries are loaded when Load runs, so a program
// built with cgo runs unchanged on machines without them, and one built
// with CGO_ENABLED=0 has no GPU). The estimator then holds one copy of the
// network on the device, serialised by a mutex: concurrent calls crop and
// decode in parallel on the CPU, but their network passes run one at a
// time, in the order they ask, each batch as one pass. Throughput therefore
// comes from large batches (WithBatchSize, or EstimateBatch over many
// images), not from more goroutines. The GPU is CUDA device 0 (the
// CUDA_VISIBLE_DEVICES environment variable chooses which physical GPU that
// is). Close releases the device memory. Estimator.Device says where the
// network runs.
package ladderpose
