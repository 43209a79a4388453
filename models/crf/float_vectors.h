#pragma once
// Vectors of floats through the GCC and Clang vector extension, for the CRF's inner loops.
// Float4 (SSE2 on x86-64, NEON on arm64) runs everywhere; on x86-64 the kernels are compiled a
// second time for Float8 with AVX2 and FMA and chosen at run time where the processor has them,
// as libtorch chooses its own kernels. The two differ only in float rounding.
#include <cstdint>
#include <cstring>

namespace wsss::crf {

typedef float Float4 __attribute__((vector_size(16)));
typedef int32_t Int4 __attribute__((vector_size(16)));
typedef float Float8 __attribute__((vector_size(32)));
typedef int32_t Int8 __attribute__((vector_size(32)));

#if defined(__x86_64__) && defined(__GNUC__)
#define WSSS_CRF_WIDE 1
#else
#define WSSS_CRF_WIDE 0
#endif
#define WSSS_ALWAYS_INLINE inline __attribute__((always_inline))

template <class Vec>
constexpr int64_t kLanes = static_cast<int64_t>(sizeof(Vec) / sizeof(float));

// Vectors move through references: a Float8 passed by value outside AVX code would change the
// calling convention (GCC's -Wpsabi).
template <class Vec>
WSSS_ALWAYS_INLINE void loadVector(Vec& value, const float* source) {
  std::memcpy(&value, source, sizeof value);
}
template <class Vec>
WSSS_ALWAYS_INLINE void storeVector(float* target, const Vec& value) {
  std::memcpy(target, &value, sizeof value);
}

}  // namespace wsss::crf
