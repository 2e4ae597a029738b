#include "cli/cli.h"
int cmd_features(int argc, char **argv) { return cli_usage_error("features", "not yet"); }
