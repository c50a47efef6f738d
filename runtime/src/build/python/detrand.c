/* Deterministic randomness for componentize-py's build (reproducible.rs).
 *
 * Preloaded (LD_PRELOAD) into the host python3 that runs componentize-py:
 * getrandom(2), getentropy(3) and syscall(SYS_getrandom) return a stream
 * seeded from $CHARMBOX_BUILD_SEED instead of the kernel's entropy. The
 * guest CPython snapshotted by the build draws its string-hash secret from
 * there (through WASI's random), so the same inputs give the same
 * component. Nothing else of the build needs real entropy.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* Every call gets the same stream (seeded, and keyed by the length asked):
 * the build's threads draw in an order that varies from run to run, so a
 * shared stream would hand each consumer different bytes each time. */
static void fill(void *buf, size_t len) {
    const char *s = getenv("CHARMBOX_BUILD_SEED");
    uint64_t state = (s ? strtoull(s, NULL, 10) : 0) ^ (uint64_t)len;
    unsigned char *p = buf;
    while (len > 0) {
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        size_t n = len < 8 ? len : 8;
        memcpy(p, &z, n);
        p += n;
        len -= n;
    }
}

ssize_t getrandom(void *buf, size_t len, unsigned int flags) {
    (void)flags;
    fill(buf, len);
    return (ssize_t)len;
}

int getentropy(void *buf, size_t len) {
    fill(buf, len);
    return 0;
}

long syscall(long number, ...) {
    va_list ap;
    va_start(ap, number);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_getrandom) {
        fill((void *)a, (size_t)b);
        return b;
    }
    static long (*real)(long, ...) = NULL;
    if (!real) real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    return real(number, a, b, c, d, e, f);
}
