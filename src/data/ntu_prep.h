/* NTU preprocessing, steps 2–6 of FORMATS.md "NTU preprocessing", exactly as
 * the published pipeline (ShapGCN's ntu_gendata + TransformNTU) computes them:
 * float32 storage between steps, rotations built in double from float32
 * vectors, results rounded back to float32. */
#ifndef DSHAP_NTU_PREP_H
#define DSHAP_NTU_PREP_H

#define NTU_TRANSFORMS_N 4
/* The transforms applied after the energy ordering, in order (the data.h5
 * `transforms` attribute). */
extern const char *const ntu_transforms[NTU_TRANSFORMS_N];

/* s: (2, T, 25, 3) body slots as read (slot m = m-th listed body), frames
 * [frames, T) zero. any_two: some frame listed exactly two bodies (then the
 * slots are ordered by energy). In place. */
void ntu_preprocess(float *s, int T, int frames, int any_two);

/* (2, T, 25, 3) → (3, T, 25, 2), the data.h5 layout (C, T, V, M). */
void ntu_to_ctvm(const float *s, int T, float *x);

#endif
