/* libdshap.so is the engine archive linked whole (CMakeLists.txt); this
 * translation unit only gives the shared-library target a source of its own
 * and checks at compile time that the public header stands alone. */
#include "dshap/dshap.h"

_Static_assert(DSHAP_API_VERSION == 1, "dshap.h API version");
