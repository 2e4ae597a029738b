#ifndef DSHAP_CALIBRATE_H
#define DSHAP_CALIBRATE_H
#include "engine/forward.h"
/* Set BN running statistics of a randomly initialised model from one
 * forward pass over a random batch (see calibrate.c for why). */
dshap_status net_calibrate_bn(dshap_net *net, dshap_model *m, uint64_t seed);
#endif
