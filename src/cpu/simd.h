/* Hot elementwise kernels are compiled once per vector width and picked at
 * load time (GCC target_clones), so one portable binary uses AVX-512 or
 * AVX2 where the CPU has them. The clones run the same IEEE operations in
 * the same order (-ffp-contract=off: no fused multiply-adds), so the
 * results do not depend on which one runs. */
#ifndef DSHAP_SIMD_H
#define DSHAP_SIMD_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CPU_CLONES
#endif

#endif
