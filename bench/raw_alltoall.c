/*
 * The raw-MPI peer of `switchyard bench alltoall`: the same star exchange with plain
 * MPI_Isend/MPI_Irecv and nothing else (no framing, checksums, ledger or copies).
 * Rank 0 sends DISPATCH bytes to every other rank, each answers with COMBINE bytes; one round
 * trip is from the first send to the last answer. Prints the median of ITERATIONS after WARMUP.
 *
 *   mpirun -np N+1 raw_alltoall DISPATCH_BYTES COMBINE_BYTES ITERATIONS WARMUP
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc != 5 || size < 2) {
        if (rank == 0) fprintf(stderr, "usage: mpirun -np N+1 %s DISPATCH_BYTES COMBINE_BYTES ITERATIONS WARMUP\n", argv[0]);
        MPI_Finalize();
        return 2;
    }
    long dispatch = atol(argv[1]), combine = atol(argv[2]);
    int iterations = atoi(argv[3]), warmup = atoi(argv[4]);
    if (dispatch < 1 || combine < 1 || dispatch > (1L << 30) || combine > (1L << 30) || iterations < 1 || iterations > 100000 || warmup < 0 || warmup > 100000) {
        if (rank == 0) fprintf(stderr, "raw_alltoall: sizes must be in 1...2^30 bytes, iterations in 1...100000, warmup in 0...100000\n");
        MPI_Finalize();
        return 2;
    }
    int hosts = size - 1;
    char *out = malloc((size_t)(rank == 0 ? dispatch * hosts : combine));
    char *in = malloc((size_t)(rank == 0 ? combine * hosts : dispatch));
    MPI_Request *requests = malloc(sizeof(MPI_Request) * 2 * (size_t)hosts);
    double *samples = malloc(sizeof(double) * (size_t)iterations);
    memset(out, 1, (size_t)(rank == 0 ? dispatch * hosts : combine));
    for (int i = 0; i < warmup + iterations; i++) {
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == 0) {
            double start = MPI_Wtime();
            for (int h = 0; h < hosts; h++) {
                MPI_Irecv(in + (size_t)h * combine, (int)combine, MPI_BYTE, h + 1, 2, MPI_COMM_WORLD, &requests[hosts + h]);
                MPI_Isend(out + (size_t)h * dispatch, (int)dispatch, MPI_BYTE, h + 1, 1, MPI_COMM_WORLD, &requests[h]);
            }
            MPI_Waitall(2 * hosts, requests, MPI_STATUSES_IGNORE);
            if (i >= warmup) samples[i - warmup] = MPI_Wtime() - start;
        } else {
            MPI_Recv(in, (int)dispatch, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(out, (int)combine, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
        }
    }
    if (rank == 0) {
        qsort(samples, (size_t)iterations, sizeof(double), compare);
        printf("raw-mpi hosts=%d dispatch_bytes=%ld combine_bytes=%ld round_trip_us=%.1f\n", hosts, dispatch, combine, samples[iterations / 2] * 1e6);
    }
    free(out); free(in); free(requests); free(samples);
    MPI_Finalize();
    return 0;
}
