#!/usr/bin/env bash
# The distributed library API (tests/api_mpi/api_mpi.c) under mpirun with 1,
# 2 and 3 ranks (oversubscribed on small machines).
# usage: test_api_mpi.sh API_MPI_PROGRAM MODEL.h5
set -euo pipefail
prog=$1 model=$2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
for np in 1 2 3; do
  mpirun -np "$np" "$prog" "$model"
done
