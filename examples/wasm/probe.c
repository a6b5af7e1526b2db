// probe: reads one mounted input file every way WASI allows — stat, a whole read, pread at offsets,
// seeks — lists /inputs, then tries every way to change the file (write, truncate, append,
// allocate, rename, unlink, re-time, set flags, gain rights), and writes what it saw to
// /outputs/probe.txt: one "<what>: <value>" line per probe, "<attempt>: refused (<error>)" or
// "<attempt>: ALLOWED" per change. Exits 0 either way. WASI preview1 has no chmod or chown.
//
//   probe [path (default /inputs/data.bin)] [full | ends]
//   full (default): the whole file is read with read() and hashed (FNV-1a 64);
//   ends: only the first and last bytes are read (for large sparse files).
// Build: clang --target=wasm32-wasi -O2 -Wl,--strip-all -o probe.wasm probe.c  (or ./build.sh)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <wasi/api.h>

static FILE *report;

static void check(const char *attempt, int result) {
  if (result < 0) fprintf(report, "%s: refused (%s)\n", attempt, strerror(errno));
  else fprintf(report, "%s: ALLOWED\n", attempt);
}

/** A raw WASI call: its errno mapped to the libc convention. */
static int wasi(__wasi_errno_t error) {
  if (error == 0) return 0;
  errno = error;
  return -1;
}

static int open_close(const char *path, int flags) {
  int fd = open(path, flags, 0644);
  if (fd >= 0) close(fd);
  return fd;
}

static void hex(const unsigned char *bytes, ssize_t n) {
  for (ssize_t i = 0; i < n; i++) fprintf(report, "%02x", bytes[i]);
}

static void pread_at(int fd, off_t offset) {
  unsigned char buf[8];
  ssize_t n = pread(fd, buf, sizeof buf, offset);
  fprintf(report, "pread(8) at %lld: ", (long long)offset);
  if (n < 0) fprintf(report, "error (%s)\n", strerror(errno));
  else {
    fprintf(report, "%zd bytes ", n);
    hex(buf, n);
    fprintf(report, "\n");
  }
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "/inputs/data.bin";
  int full = argc <= 2 || strcmp(argv[2], "ends") != 0;
  report = fopen("/outputs/probe.txt", "w");
  if (!report) {
    perror("/outputs/probe.txt");
    return 1;
  }

  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(report, "stat: error (%s)\n", strerror(errno));
    fclose(report);
    return 0;
  }
  fprintf(report, "stat: size=%lld regular=%d nlink=%llu mtime=%lld\n", (long long)st.st_size, S_ISREG(st.st_mode),
          (unsigned long long)st.st_nlink, (long long)st.st_mtim.tv_sec);

  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(report, "open: error (%s)\n", strerror(errno));
    fclose(report);
    return 0;
  }
  struct stat fst;
  fstat(fd, &fst);
  fprintf(report, "fstat: size=%lld same inode as stat=%d\n", (long long)fst.st_size, fst.st_ino == st.st_ino);
  fprintf(report, "fcntl(F_GETFL) read-only: %d\n", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
  fprintf(report, "posix_fadvise(SEQUENTIAL): %d\n", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));

  if (full) {
    // A whole read in odd-sized chunks, through two iovecs per call (readv), hashed.
    static unsigned char a[65521], b[4099];
    uint64_t hash = 0xcbf29ce484222325ULL;
    long long total = 0;
    for (;;) {
      struct iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
      ssize_t n = readv(fd, iov, 2);
      if (n < 0) {
        fprintf(report, "read: error (%s)\n", strerror(errno));
        break;
      }
      if (n == 0) break;
      for (ssize_t i = 0; i < n; i++) hash = (hash ^ (i < (ssize_t)sizeof a ? a[i] : b[i - sizeof a])) * 0x100000001b3ULL;
      total += n;
    }
    fprintf(report, "read: %lld bytes fnv1a64=%016llx\n", total, (unsigned long long)hash);
    fprintf(report, "read at end: %zd\n", read(fd, a, 1));
  }

  pread_at(fd, 0);
  pread_at(fd, st.st_size / 2);
  pread_at(fd, st.st_size > 5 ? st.st_size - 5 : 0);
  pread_at(fd, st.st_size);
  pread_at(fd, st.st_size + 10);

  fprintf(report, "lseek(0, SEEK_END): %lld\n", (long long)lseek(fd, 0, SEEK_END));
  fprintf(report, "lseek(3, SEEK_SET): %lld\n", (long long)lseek(fd, 3, SEEK_SET));
  unsigned char four[4];
  ssize_t got = read(fd, four, sizeof four);
  fprintf(report, "read(4) after seek: ");
  hex(four, got < 0 ? 0 : got);
  fprintf(report, "\n");
  fprintf(report, "lseek(-2, SEEK_CUR): %lld\n", (long long)lseek(fd, -2, SEEK_CUR));
  errno = 0;
  off_t negative = lseek(fd, -1, SEEK_SET);
  fprintf(report, "lseek(-1, SEEK_SET): %lld (%s)\n", (long long)negative, strerror(errno));

  DIR *dir = opendir("/inputs");
  if (dir) {
    struct dirent *entry;
    while ((entry = readdir(dir))) {
      struct stat es;
      char child[512];
      snprintf(child, sizeof child, "/inputs/%s", entry->d_name);
      int ok = stat(child, &es) == 0;
      fprintf(report, "list /inputs: %s type=%d size=%lld\n", entry->d_name, entry->d_type, ok ? (long long)es.st_size : -1LL);
    }
    closedir(dir);
  }

  // Paths relative to a directory fd (openat), when a directory input is mounted at /inputs/dir.
  int dir_fd = open("/inputs/dir", O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    const char *relative[] = {"sub/leaf.txt", "sub/../sub/leaf.txt", "../dir/sub/leaf.txt", "../data.bin", "sub"};
    for (int i = 0; i < 5; i++) {
      int rel_fd = openat(dir_fd, relative[i], O_RDONLY);
      char buf[16];
      ssize_t n = rel_fd < 0 ? -1 : read(rel_fd, buf, sizeof buf);
      if (rel_fd < 0) fprintf(report, "openat(/inputs/dir, %s): error (%s)\n", relative[i], strerror(errno));
      else if (n < 0) fprintf(report, "openat(/inputs/dir, %s): read error (%s)\n", relative[i], strerror(errno));
      else fprintf(report, "openat(/inputs/dir, %s): %zd bytes\n", relative[i], n);
      if (rel_fd >= 0) close(rel_fd);
    }
    close(dir_fd);
  }

  check("open for writing", open_close(path, O_WRONLY));
  check("open for reading and writing", open_close(path, O_RDWR));
  check("open with O_TRUNC", open_close(path, O_RDONLY | O_TRUNC));
  check("open with O_APPEND", open_close(path, O_WRONLY | O_APPEND));
  check("open with O_CREAT|O_EXCL", open_close(path, O_CREAT | O_EXCL | O_WRONLY));
  check("open as a directory", open_close(path, O_RDONLY | O_DIRECTORY));
  check("write", (int)write(fd, "x", 1));
  check("pwrite", (int)pwrite(fd, "x", 1, 0));
  check("ftruncate", ftruncate(fd, 0));
  check("truncate", truncate(path, 0));
  int allocated = posix_fallocate(fd, 0, 1 << 20); // returns the error instead of setting errno
  errno = allocated;
  check("posix_fallocate", allocated == 0 ? 0 : -1);
  check("fsync", fsync(fd));
  struct timespec times[2] = {{0, 0}, {0, 0}};
  check("futimens", futimens(fd, times));
  check("utimensat", utimensat(AT_FDCWD, path, times, 0));
  check("fd_fdstat_set_flags(APPEND)", wasi(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND)));
  check("fd_fdstat_set_rights(all)", wasi(__wasi_fd_fdstat_set_rights(fd, ~(__wasi_rights_t)0, ~(__wasi_rights_t)0)));
  check("rename within /inputs", rename(path, "/inputs/renamed.bin"));
  check("rename to /outputs", rename(path, "/outputs/moved.bin"));
  check("rename over it", rename("/outputs/probe.txt", path));
  check("unlink", unlink(path));
  check("rmdir", rmdir(path));
  check("mkdir over it", mkdir(path, 0755));
  check("hard link", link(path, "/outputs/hard.bin"));
  check("symlink over it", symlink("/outputs/probe.txt", path));
  __wasi_size_t used;
  check("readdir on the file", wasi(__wasi_fd_readdir(fd, (uint8_t *)four, sizeof four, 0, &used)));
  check("close", close(fd));
  check("read after close", (int)read(fd, four, 1));

  struct stat after;
  stat(path, &after);
  fprintf(report, "stat after: size=%lld\n", (long long)after.st_size);
  fclose(report);
  return 0;
}
