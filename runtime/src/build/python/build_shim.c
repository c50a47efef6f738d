/* What makes componentize-py's build deterministic (reproducible.rs).
 *
 * Preloaded (LD_PRELOAD) into the host python3 that runs componentize-py,
 * whose wasmtime initialises the guest CPython and snapshots its memory. The
 * guest sees three things from the host that change from one build to the
 * next, and each leaves traces in the snapshot (directly, or as leftovers in
 * memory that is later reused: object padding, freed buffers):
 *
 * 1. Entropy. getrandom(2), getentropy(3) and syscall(SYS_getrandom) return a
 *    stream seeded from $CHARMBOX_BUILD_SEED. The guest's string-hash secret
 *    comes from there (through WASI's random).
 * 2. Clocks. clock_gettime(CLOCK_MONOTONIC and CLOCK_REALTIME) count calls
 *    per thread, one microsecond each (the wall clock from 2000-01-01): the
 *    thread that runs the guest makes the same calls in the same order every
 *    build, so it reads the same times.
 * 3. File metadata. componentize-py extracts its standard library afresh for
 *    every build, so files have new times and inode numbers; its wasmtime
 *    stats them both through libc and with raw syscalls (rustix). On x86_64 a
 *    seccomp filter traps the stat family (statx, newfstatat, fstat, stat,
 *    lstat) unless issued from this shim's own stub; the SIGSYS handler runs
 *    the call through the stub and rewrites the result: one fixed time, one
 *    device, inode numbers given in order of first sight. Elsewhere this part
 *    is left out (builds then differ in a few hundred bytes). The filter is
 *    installed only in a Python interpreter (componentize-py starts no other
 *    programs, and a filter outlives execve while its handler does not).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/types.h>

#define FIXED_TIME 946684800 /* 2000-01-01T00:00:00Z, as reproducible.rs */

/* ---- 1. entropy ---------------------------------------------------------- */

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

/* ---- 2. clocks ----------------------------------------------------------- */

static __thread uint64_t monotonic_calls, realtime_calls;

/* `calls` microseconds after `base` seconds. */
static void counted(struct timespec *ts, uint64_t base, uint64_t *calls) {
    uint64_t us = (*calls)++;
    ts->tv_sec = (time_t)(base + us / 1000000);
    ts->tv_nsec = (long)(us % 1000000) * 1000;
}

int clock_gettime(clockid_t id, struct timespec *ts) {
    if (id == CLOCK_MONOTONIC) {
        counted(ts, 1000, &monotonic_calls);
        return 0;
    }
    if (id == CLOCK_REALTIME) {
        counted(ts, FIXED_TIME, &realtime_calls);
        return 0;
    }
    static int (*real)(clockid_t, struct timespec *) = NULL;
    if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    return real(id, ts);
}

/* ---- 3. file metadata (x86_64) ------------------------------------------- */

#if defined(__x86_64__)
#include <signal.h>
#include <ucontext.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* The one place the filter lets a stat syscall through. */
extern long charmbox_raw_syscall(long nr, long a, long b, long c, long d, long e);
extern char charmbox_raw_syscall_end[];
__asm__(".text\n"
        ".globl charmbox_raw_syscall\n"
        ".type charmbox_raw_syscall,@function\n"
        "charmbox_raw_syscall:\n"
        "  mov %rdi, %rax\n  mov %rsi, %rdi\n  mov %rdx, %rsi\n"
        "  mov %rcx, %rdx\n  mov %r8, %r10\n  mov %r9, %r8\n"
        "  syscall\n  ret\n"
        ".globl charmbox_raw_syscall_end\n"
        "charmbox_raw_syscall_end:\n");

#define INODE_SLOTS 65536

/* Real (device, inode) -> the number given it; lock-free, filled once. */
static uint64_t inode_keys[INODE_SLOTS];
static uint32_t inode_values[INODE_SLOTS];
static uint32_t next_inode = 1000;

static uint64_t stable_inode(uint64_t dev, uint64_t ino) {
    uint64_t key = ((dev << 40) ^ ino) | (1ULL << 63);
    uint64_t slot = (key * 0x9e3779b97f4a7c15ULL) >> 48;
    for (int probes = 0; probes < INODE_SLOTS; probes++, slot = (slot + 1) % INODE_SLOTS) {
        uint64_t seen = __atomic_load_n(&inode_keys[slot], __ATOMIC_ACQUIRE);
        if (seen == 0) {
            uint64_t empty = 0;
            if (__atomic_compare_exchange_n(&inode_keys[slot], &empty, key, 0,
                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                uint32_t v = __atomic_fetch_add(&next_inode, 1, __ATOMIC_ACQ_REL);
                __atomic_store_n(&inode_values[slot], v, __ATOMIC_RELEASE);
                return v;
            }
            seen = empty;
        }
        if (seen == key) {
            uint32_t v;
            while (!(v = __atomic_load_n(&inode_values[slot], __ATOMIC_ACQUIRE))) {
            }
            return v;
        }
    }
    return ino; /* table full: the real number */
}

static void fix_stat(struct stat *s) {
    s->st_ino = stable_inode(s->st_dev, s->st_ino);
    s->st_dev = 1;
    s->st_atim.tv_sec = s->st_mtim.tv_sec = s->st_ctim.tv_sec = FIXED_TIME;
    s->st_atim.tv_nsec = s->st_mtim.tv_nsec = s->st_ctim.tv_nsec = 0;
}

static void fix_statx(struct statx *s) {
    uint64_t dev = ((uint64_t)s->stx_dev_major << 20) | s->stx_dev_minor;
    s->stx_ino = stable_inode(dev, s->stx_ino);
    s->stx_dev_major = 0;
    s->stx_dev_minor = 1;
    s->stx_atime.tv_sec = s->stx_mtime.tv_sec = FIXED_TIME;
    s->stx_ctime.tv_sec = s->stx_btime.tv_sec = FIXED_TIME;
    s->stx_atime.tv_nsec = s->stx_mtime.tv_nsec = 0;
    s->stx_ctime.tv_nsec = s->stx_btime.tv_nsec = 0;
}

static void on_sigsys(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)info;
    greg_t *r = ((ucontext_t *)context)->uc_mcontext.gregs;
    long nr = r[REG_RAX];
    long ret = charmbox_raw_syscall(nr, r[REG_RDI], r[REG_RSI], r[REG_RDX], r[REG_R10], r[REG_R8]);
    if (ret == 0) {
        if (nr == SYS_statx)
            fix_statx((struct statx *)r[REG_R8]);
        else if (nr == SYS_newfstatat)
            fix_stat((struct stat *)r[REG_RDX]);
        else
            fix_stat((struct stat *)r[REG_RSI]);
    }
    r[REG_RAX] = ret;
}

/* Whether this process is a Python interpreter. A seccomp filter outlives
 * execve but the SIGSYS handler does not: a shell (pyenv's `python3` is a
 * bash script) that exec'd with the filter would kill the program it starts
 * at its first stat. So the filter goes only into the interpreter itself. */
static int is_python(void) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = 0;
    const char *base = strrchr(exe, '/');
    return strncmp(base ? base + 1 : exe, "python", 6) == 0;
}

__attribute__((constructor)) static void trap_stat_calls(void) {
    if (!is_python()) return;
    uint64_t lo = (uint64_t)(uintptr_t)charmbox_raw_syscall;
    uint64_t hi = (uint64_t)(uintptr_t)charmbox_raw_syscall_end;
    if (lo >> 32 != hi >> 32) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGSYS, &sa, NULL) != 0) return;
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* issued by the stub: allowed */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(lo >> 32), 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)lo, 0, 2),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)hi, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* the stat family from anywhere else: trapped */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_statx, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_newfstatat, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fstat, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_stat, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_lstat, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return;
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}
#endif
