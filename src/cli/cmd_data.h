/* Subcommands of `dshap data` that live in their own files. */
#ifndef DSHAP_CMD_DATA_H
#define DSHAP_CMD_DATA_H

int cmd_data_import_npy(int argc, char **argv);
int cmd_data_synth(int argc, char **argv);

#endif
