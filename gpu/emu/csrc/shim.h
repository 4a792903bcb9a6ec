/*
 * shim.h: the CUDA C names kernels.cu uses, for the system C compiler, so
 * that the kernels run on the CPU (package gpu/emu). A launch runs every
 * (block, thread) of its grid one after another on one host thread, with
 * blockIdx/threadIdx set before each call; this is exact for kernels.cu,
 * whose threads never communicate (no shared memory, barriers or shuffles).
 */
#ifndef LADDERPOSE_EMU_SHIM_H
#define LADDERPOSE_EMU_SHIM_H

#include <math.h>
#include <stddef.h>

typedef struct {
	unsigned int x, y, z;
} uint3;
typedef uint3 dim3;

extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

#define KERNEL void
#define DEVFN static inline
#define NEG_INF (-INFINITY)

#endif
