/* Controls of the host emulation of the CUDA device layer (tests only). */
#ifndef DSHAP_EMU_H
#define DSHAP_EMU_H

#include <stdint.h>

/* What cuda_mem_info reports as the device's memory (default 4 GiB). */
void emu_set_free_memory(int64_t bytes);
/* Bytes of emulated device memory currently allocated. */
int64_t emu_live(void);

#endif
