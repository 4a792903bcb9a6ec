// cuda_names.hpp: just enough of CUDA's names for a C++ compiler to check
// that gpu.NVRTCPrelude + kernels.cu is valid C++ as NVRTC reads it
// (TestKernelsAreCxx); nothing here runs.
#include <cstring>
#include <math.h>

struct uint3 {
	unsigned int x, y, z;
};
typedef uint3 dim3;
extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

#define __global__
#define __device__
#define __forceinline__ inline
inline float __int_as_float(int i)
{
	float f;
	std::memcpy(&f, &i, sizeof f);
	return f;
}
