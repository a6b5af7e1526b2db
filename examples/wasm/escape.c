// escape: tries to leave its sandbox — symlinks and hard links out of /outputs, `..` paths, and
// writes to the read-only /inputs — and reports each attempt to /outputs/report.txt as
// "<attempt>: refused (<error>)" or "<attempt>: ALLOWED". Exits 0 either way.
// Expects a file /inputs/in.txt.
// Build: clang --target=wasm32-wasi -O2 -Wl,--strip-all -o escape.wasm escape.c  (or ./build.sh)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static FILE *report;

static void check(const char *attempt, int result) {
  if (result < 0) fprintf(report, "%s: refused (%s)\n", attempt, strerror(errno));
  else fprintf(report, "%s: ALLOWED\n", attempt);
}

static int open_close(const char *path, int flags) {
  int fd = open(path, flags, 0644);
  if (fd >= 0) close(fd);
  return fd;
}

int main(void) {
  report = fopen("/outputs/report.txt", "w");
  if (!report) {
    perror("/outputs/report.txt");
    return 1;
  }
  check("symlink to /etc/passwd", symlink("/etc/passwd", "/outputs/passwd"));
  check("symlink to ..", symlink("..", "/outputs/up"));
  check("symlink to an input", symlink("/inputs/in.txt", "/outputs/in-link"));
  check("hard link to an input", link("/inputs/in.txt", "/outputs/in-hard"));
  check("create /outputs/../escaped.txt", open_close("/outputs/../escaped.txt", O_CREAT | O_WRONLY));
  check("create ../../escaped.txt from cwd", open_close("../../escaped.txt", O_CREAT | O_WRONLY));
  check("read /etc/passwd", open_close("/etc/passwd", O_RDONLY));
  check("read /outputs/../../../etc/passwd", open_close("/outputs/../../../etc/passwd", O_RDONLY));
  check("create /inputs/new.txt", open_close("/inputs/new.txt", O_CREAT | O_WRONLY));
  check("open /inputs/in.txt for writing", open_close("/inputs/in.txt", O_WRONLY));
  check("truncate /inputs/in.txt", open_close("/inputs/in.txt", O_WRONLY | O_TRUNC));
  check("append to /inputs/in.txt", open_close("/inputs/in.txt", O_WRONLY | O_APPEND));
  check("unlink /inputs/in.txt", unlink("/inputs/in.txt"));
  check("mkdir /inputs/dir", mkdir("/inputs/dir", 0755));
  check("rename /inputs/in.txt to /outputs/moved.txt", rename("/inputs/in.txt", "/outputs/moved.txt"));
  int fd = open("/inputs/in.txt", O_RDONLY);
  check("write through a read-only input fd", fd < 0 ? -1 : (int)write(fd, "x", 1));
  check("ftruncate a read-only input fd", fd < 0 ? -1 : ftruncate(fd, 0));
  if (fd >= 0) close(fd);
  fclose(report);
  return 0;
}
