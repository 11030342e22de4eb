/*
 * The raw-ZeroMQ peer of `switchyard bench alltoall --transport zmq`: the same star exchange over
 * libzmq alone, between processes on ipc sockets as Switchyard's echo hosts are (each host binds
 * a ROUTER, the coordinator connects a DEALER to each, 4 MiB kernel buffers), with no framing,
 * checksums, ledger or copies beyond libzmq's own: the coordinator sends DISPATCH bytes to every
 * host (zero-copy), each answers with COMBINE bytes at once. One round trip is from the first send
 * to the last answer; prints the median of ITERATIONS after WARMUP. It shows what the transport
 * itself costs on this machine, beside what Switchyard's ZeroMQ path adds.
 *
 *   raw_zmq_alltoall HOSTS DISPATCH_BYTES COMBINE_BYTES ITERATIONS WARMUP
 */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void set_buffers(void *socket) {
    int bytes = 4 << 20, linger = 0;
    zmq_setsockopt(socket, ZMQ_SNDBUF, &bytes, sizeof bytes);
    zmq_setsockopt(socket, ZMQ_RCVBUF, &bytes, sizeof bytes);
    zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
}

static void no_free(void *data, void *hint) { (void)data; (void)hint; }

/* A host: answers every message with COMBINE bytes until it gets an empty one. */
static int serve(const char *endpoint, long combine) {
    void *context = zmq_ctx_new(), *socket = zmq_socket(context, ZMQ_ROUTER);
    set_buffers(socket);
    if (zmq_bind(socket, endpoint) != 0) { perror("zmq_bind"); return 1; }
    char *out = malloc((size_t)combine);
    memset(out, 2, (size_t)combine);
    for (;;) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&id, socket, 0) < 0 || zmq_msg_recv(&body, socket, 0) < 0) return 1;
        size_t size = zmq_msg_size(&body);
        zmq_msg_close(&body);
        if (size == 0) { zmq_msg_close(&id); break; }
        zmq_msg_t answer;
        zmq_msg_init_data(&answer, out, (size_t)combine, no_free, NULL);
        zmq_msg_send(&id, socket, ZMQ_SNDMORE);
        zmq_msg_send(&answer, socket, 0);
    }
    zmq_close(socket);
    zmq_ctx_term(context);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOSTS DISPATCH_BYTES COMBINE_BYTES ITERATIONS WARMUP\n", argv[0]);
        return 2;
    }
    int hosts = atoi(argv[1]), iterations = atoi(argv[4]), warmup = atoi(argv[5]);
    long dispatch = atol(argv[2]), combine = atol(argv[3]);
    if (hosts < 1 || hosts > 256 || dispatch < 1 || combine < 1 || dispatch > (1L << 30) || combine > (1L << 30)
        || iterations < 1 || iterations > 100000 || warmup < 0 || warmup > 100000) {
        fprintf(stderr, "raw_zmq_alltoall: hosts in 1...256, sizes in 1...2^30 bytes, iterations in 1...100000, warmup in 0...100000\n");
        return 2;
    }
    char folder[] = "/tmp/raw-zmq-XXXXXX";
    if (!mkdtemp(folder)) { perror("mkdtemp"); return 1; }
    char (*endpoints)[64] = calloc((size_t)hosts, 64);
    pid_t *children = calloc((size_t)hosts, sizeof(pid_t));
    for (int h = 0; h < hosts; h++) {
        snprintf(endpoints[h], 64, "ipc://%s/host-%d", folder, h);
        children[h] = fork();
        if (children[h] == 0) _exit(serve(endpoints[h], combine));
    }
    void *context = zmq_ctx_new();
    void **sockets = calloc((size_t)hosts, sizeof(void *));
    for (int h = 0; h < hosts; h++) {
        sockets[h] = zmq_socket(context, ZMQ_DEALER);
        set_buffers(sockets[h]);
        zmq_connect(sockets[h], endpoints[h]);
    }
    size_t outBytes = (size_t)dispatch * (size_t)hosts;
    if (outBytes > ((size_t)1 << 38)) return 2;
    char *out = malloc(outBytes);
    if (!out) { perror("malloc"); return 1; }
    memset(out, 1, outBytes);
    zmq_pollitem_t *items = calloc((size_t)hosts, sizeof(zmq_pollitem_t));
    double *samples = calloc((size_t)iterations, sizeof(double));
    int status = 0;
    for (int i = 0; i < warmup + iterations && status == 0; i++) {
        double start = now();
        for (int h = 0; h < hosts; h++) {
            zmq_msg_t message;
            zmq_msg_init_data(&message, out + (size_t)h * (size_t)dispatch, (size_t)dispatch, no_free, NULL);
            zmq_msg_send(&message, sockets[h], 0);
        }
        int waiting = hosts;
        char *answered = calloc((size_t)hosts, 1);
        while (waiting > 0) {
            for (int h = 0; h < hosts; h++) items[h] = (zmq_pollitem_t){ sockets[h], 0, answered[h] ? 0 : ZMQ_POLLIN, 0 };
            if (zmq_poll(items, hosts, 30000) <= 0) { fprintf(stderr, "raw_zmq_alltoall: no answer within 30 s\n"); status = 1; break; }
            for (int h = 0; h < hosts; h++) {
                if (!(items[h].revents & ZMQ_POLLIN)) continue;
                zmq_msg_t answer;
                zmq_msg_init(&answer);
                zmq_msg_recv(&answer, sockets[h], 0);
                zmq_msg_close(&answer);
                answered[h] = 1;
                waiting--;
            }
        }
        free(answered);
        if (i >= warmup) samples[i - warmup] = now() - start;
    }
    for (int h = 0; h < hosts; h++) zmq_send(sockets[h], "", 0, 0);
    for (int h = 0; h < hosts; h++) zmq_close(sockets[h]);
    zmq_ctx_term(context);
    for (int h = 0; h < hosts; h++) {
        int child;
        /* A host that missed its empty message (lost with its connection) is stopped here. */
        if (waitpid(children[h], &child, WNOHANG) == 0) { usleep(100000); if (waitpid(children[h], &child, WNOHANG) == 0) { kill(children[h], SIGKILL); waitpid(children[h], &child, 0); } }
    }
    for (int h = 0; h < hosts; h++) unlink(endpoints[h] + 6);
    rmdir(folder);
    if (status != 0) return status;
    qsort(samples, (size_t)iterations, sizeof(double), compare);
    printf("raw-zmq hosts=%d dispatch_bytes=%ld combine_bytes=%ld round_trip_us=%.1f\n", hosts, dispatch, combine, samples[iterations / 2] * 1e6);
    return 0;
}
