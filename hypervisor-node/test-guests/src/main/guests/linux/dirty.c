/*
 * atoll-dirty MB [MBPS]: the Linux test guest's memory dirtier, for migration benchmarks.
 *
 * Holds MB MiB of random data in RAM and keeps rewriting it, one changed byte per 4 KiB page:
 * every page touched is a whole page the migration must send again, so the guest dirties memory
 * at MBPS MB/s (10^6 bytes of pages a second; 0 or absent: as fast as the vCPU goes) at the cost
 * of one store a page. The busybox dd loop it replaces copied every byte, and under TCG that
 * copy capped the rate near 30 MB/s. Each second it writes the rate it reached over that second
 * (MB/s, an integer) to /run/atoll-dirty.rate, for the `dirtyrate` command. Runs until killed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t) t.tv_sec * 1000000000u + (uint64_t) t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2 || atol(argv[1]) <= 0) {
        return 2;
    }
    size_t bytes = (size_t) atol(argv[1]) << 20;
    double rate = argc > 2 ? atof(argv[2]) * 1e6 : 0;
    uint8_t *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        return 1;
    }
    madvise(mem, bytes, MADV_NOHUGEPAGE); /* 4 KiB pages, as most guest memory */
    uint64_t x = 0x9e3779b97f4a7c15u ^ now_ns();
    for (size_t i = 0; i + 8 <= bytes; i += 8) { /* xorshift64: random, so no page is a zero page */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *(uint64_t *) (mem + i) = x;
    }
    size_t pages = bytes / 4096;
    size_t page = 0;
    uint64_t dirtied = 0;
    uint64_t start = now_ns();
    uint64_t second = start;
    uint64_t at_second = 0;
    for (;;) {
        for (int k = 0; k < 256; k++) { /* 1 MiB of pages between clock reads */
            mem[page * 4096 + (dirtied & 4095)] ^= (uint8_t) (x >> (dirtied & 31)) | 1;
            dirtied++;
            if (++page == pages) {
                page = 0;
            }
        }
        uint64_t t = now_ns();
        if (t - second >= 1000000000u) {
            FILE *f = fopen("/run/atoll-dirty.rate.tmp", "w");
            if (f != NULL) {
                fprintf(f, "%llu\n", (unsigned long long) ((dirtied - at_second) * 4096 * 1000 / (t - second)));
                fclose(f);
                rename("/run/atoll-dirty.rate.tmp", "/run/atoll-dirty.rate");
            }
            second = t;
            at_second = dirtied;
        }
        if (rate > 0) {
            uint64_t due = start + (uint64_t) ((double) dirtied * 4096 / rate * 1e9);
            t = now_ns();
            if (due > t) {
                struct timespec s = {(time_t) ((due - t) / 1000000000u), (long) ((due - t) % 1000000000u)};
                nanosleep(&s, NULL);
            }
        }
    }
}
