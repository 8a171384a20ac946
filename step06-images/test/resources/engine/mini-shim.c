/*
 * A tiny container engine for EngineProtocolTest, shaped like containerd-shim and conmon:
 *
 *   mini-shim SOCKET|- COMMAND... [";" COMMAND...]...
 *
 * It is a child subreaper (PR_SET_CHILD_SUBREAPER), so every container process that the
 * runtime leaves behind becomes its child. It runs the commands one after the other, each
 * with a pipe of its own as stdin. With a console socket it listens on SOCKET, gives each
 * command a pipe for stdout and stderr and reads it until EOF (as the shim does with
 * "create" before it sends "start"), and takes every pty master that arrives. Without one,
 * the commands share its stdout and stderr.
 * Then it releases the processes, newest first: it writes "go\n" to each pty master and to
 * each command's stdin, and after each write that someone can read waits until one process
 * has ended (so an exec ends before its container's init, which would take it along).
 * Reaping until no child is left, it prints, for every process that was not a command:
 *   reaped PID STATUS        (STATUS: the exit code, or 128+N after signal N)
 * and for each command: command I STATUS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int masters[8], master_of[8], nmasters, ncommands;

static int status_of(int st) {
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* Waits for pid, reporting every other process reaped meanwhile. */
static int reap_until(pid_t pid) {
    for (;;) {
        int st;
        pid_t got = waitpid(-1, &st, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1; /* ECHILD */
        }
        if (got == pid) return status_of(st);
        printf("reaped %d %d\n", got, status_of(st));
        fflush(stdout);
    }
}

static void reap_one(void) {
    int st;
    pid_t got;
    while ((got = waitpid(-1, &st, 0)) < 0 && errno == EINTR) continue;
    if (got > 0) printf("reaped %d %d\n", got, status_of(st));
    fflush(stdout);
}

/* Takes every pty master waiting on the (non-blocking) listening socket. */
static void take_masters(int listener) {
    int conn;
    while ((conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
        char name[256], control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {name, sizeof name};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = control, .msg_controllen = sizeof control};
        int flags = fcntl(conn, F_GETFL);
        fcntl(conn, F_SETFL, flags & ~O_NONBLOCK);
        if (recvmsg(conn, &msg, 0) > 0 && CMSG_FIRSTHDR(&msg) && nmasters < 8) {
            master_of[nmasters] = ncommands - 1;
            memcpy(&masters[nmasters++], CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
        }
        close(conn);
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: mini-shim SOCKET|- COMMAND... [; COMMAND...]\n");
        return 2;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    signal(SIGPIPE, SIG_IGN); /* "go" to a stdin that nobody reads any more */
    int listener = -1;
    if (strcmp(argv[1], "-") != 0) {
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
        listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 8)) {
            perror("mini-shim: bind/listen");
            return 2;
        }
    }
    int statuses[16], inputs[16];
    for (int i = 2; i < argc && ncommands < 16; i++) {
        int start = i;
        while (i < argc && strcmp(argv[i], ";") != 0) i++;
        argv[i < argc ? i : argc] = NULL;
        int in[2], out[2] = {-1, -1};
        if (pipe2(in, O_CLOEXEC) || (listener >= 0 && pipe2(out, O_CLOEXEC))) return 2;
        pid_t pid = fork();
        if (pid == 0) {
            signal(SIGPIPE, SIG_DFL);
            dup2(in[0], 0);
            if (out[1] >= 0) {
                dup2(out[1], 1);
                dup2(out[1], 2);
            }
            execvp(argv[start], &argv[start]);
            _exit(127);
        }
        close(in[0]);
        inputs[ncommands] = in[1];
        if (out[1] >= 0) {
            /* Until EOF: every process that still holds the pipe delays us here. */
            close(out[1]);
            char buf[4096];
            ssize_t n;
            while ((n = read(out[0], buf, sizeof buf)) > 0) write(2, buf, n);
            close(out[0]);
        }
        statuses[ncommands++] = reap_until(pid);
        if (listener >= 0) take_masters(listener);
    }
    for (int c = ncommands - 1; c >= 0; c--) {
        for (int m = nmasters - 1; m >= 0; m--) {
            if (master_of[m] == c && write(masters[m], "go\n", 3) == 3) reap_one();
        }
        if (write(inputs[c], "go\n", 3) == 3) reap_one();
        close(inputs[c]);
    }
    reap_until(-2); /* no such PID: reaps every child that is left */
    for (int c = 0; c < ncommands; c++) printf("command %d %d\n", c, statuses[c]);
    return 0;
}
