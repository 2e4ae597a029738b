/* The dshap executable: the command line lives in libdshap (dshap_cli_main). */
#include <dshap/cli.h>

int main(int argc, char **argv) { return dshap_cli_main(argc, argv); }
