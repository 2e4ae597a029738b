/* Deterministic random numbers (splitmix64-seeded xoshiro256**): the same
 * seed gives the same stream on every machine and rank. */
#ifndef DSHAP_RNG_H
#define DSHAP_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} rng_t;

void rng_seed(rng_t *r, uint64_t seed);
uint64_t rng_next(rng_t *r);
double rng_uniform(rng_t *r);              /* [0, 1) */
double rng_normal(rng_t *r);               /* standard normal (Box-Muller) */
uint64_t rng_below(rng_t *r, uint64_t n);  /* uniform integer in [0, n) */

#endif
