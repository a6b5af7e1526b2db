/* The train kernel (ml/kernels/train.ts) ported to C for one figure only: the WASM module's time
 * against the same algorithm built natively (scripts/bench-ml.ts builds it with clang -O2).
 * Same shard parsing into nonzero features, PCG32 initialisation and shuffling, minibatch SGD
 * loop and model file; the exp comes from libm, so its bytes may differ from the module's.
 * Not a job module and not part of the build. Usage: train SHARD OUT_MODEL EPOCHS LR BATCH HIDDEN SEED */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint64_t state, inc; } pcg32;
static uint32_t pcg_next(pcg32 *r) {
  uint64_t old = r->state;
  r->state = old * 6364136223846793005ULL + r->inc;
  uint32_t x = (uint32_t)(((old >> 18) ^ old) >> 27), rot = (uint32_t)(old >> 59);
  return (x >> rot) | (x << ((32 - rot) & 31));
}
static pcg32 pcg_new(uint64_t seed, uint64_t stream) {
  pcg32 r = {0, (stream << 1) | 1};
  pcg_next(&r); r.state += seed; pcg_next(&r);
  return r;
}
static float uniform(pcg32 *r) { return (float)(pcg_next(r) >> 8) * (1.0f / 16777216.0f); }

static void die(const char *m) { fprintf(stderr, "train: %s\n", m); exit(1); }

int main(int argc, char **argv) {
  if (argc != 8) die("usage: train SHARD OUT_MODEL EPOCHS LR BATCH HIDDEN SEED");
  int epochs = atoi(argv[3]), batch = atoi(argv[5]), h = atoi(argv[6]);
  double lr = atof(argv[4]);
  uint64_t seed = strtoull(argv[7], 0, 10);
  FILE *f = fopen(argv[1], "rb");
  if (!f) die("cannot open shard");
  fseek(f, 0, SEEK_END); long size = ftell(f); fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(size);
  if (fread(b, 1, size, f) != (size_t)size) die("short read");
  fclose(f);
  uint32_t rows, d; uint16_t c;
  memcpy(&rows, b + 8, 4); memcpy(&d, b + 12, 4); memcpy(&c, b + 16, 2);
  if (memcmp(b, "SHRD", 4) || b[6] != 1 || (long)(20 + (uint64_t)rows * d + rows) != size) die("bad shard (u8 shards only)");
  const uint8_t *px = b + 20, *labels = b + 20 + (size_t)rows * d;
  int *start = malloc((rows + 1) * sizeof(int));
  size_t nz = 0;
  for (size_t i = 0; i < (size_t)rows * d; i++) nz += px[i] != 0;
  int *idx = malloc(nz * sizeof(int)); float *val = malloc(nz * sizeof(float));
  size_t k = 0;
  for (uint32_t r = 0; r < rows; r++) {
    start[r] = (int)k;
    for (uint32_t i = 0; i < d; i++) { uint8_t v = px[(size_t)r * d + i]; if (v) { idx[k] = i; val[k] = (float)v / 255.0f; k++; } }
  }
  start[rows] = (int)k;
  size_t P = h == 0 ? (size_t)d * c + c : (size_t)d * h + h + (size_t)h * c + c;
  float *p = calloc(P, sizeof(float)), *g = malloc(P * sizeof(float));
  pcg32 init = pcg_new(seed, 1), shuf = pcg_new(seed, 2);
  if (h > 0) {
    float r1 = (float)sqrt(6.0 / d), r2 = (float)sqrt(6.0 / (h + c));
    for (size_t i = 0; i < (size_t)d * h; i++) p[i] = (2.0f * uniform(&init) - 1.0f) * r1;
    for (size_t i = 0; i < (size_t)h * c; i++) p[(size_t)d * h + h + i] = (2.0f * uniform(&init) - 1.0f) * r2;
  }
  int H = h > 0 ? h : 1;
  float *z = malloc(H * 4), *a = malloc(H * 4), *dh = malloc(H * 4), *lg = malloc(c * 4), *pr = malloc(c * 4);
  int *order = malloc(rows * sizeof(int));
  for (uint32_t i = 0; i < rows; i++) order[i] = (int)i;
  size_t b1 = (size_t)d * h, w2 = b1 + h, b2 = w2 + (size_t)h * c;
  for (int e = 0; e < epochs; e++) {
    for (int i = (int)rows - 1; i > 0; i--) {
      int j = (int)(((uint64_t)pcg_next(&shuf) * (uint64_t)(i + 1)) >> 32);
      int t = order[i]; order[i] = order[j]; order[j] = t;
    }
    double loss = 0;
    for (uint32_t s0 = 0; s0 < rows; s0 += batch) {
      uint32_t s1 = s0 + batch < rows ? s0 + batch : rows;
      memset(g, 0, P * sizeof(float));
      for (uint32_t ii = s0; ii < s1; ii++) {
        int r = order[ii], y = labels[r];
        if (h > 0) {
          for (int j = 0; j < h; j++) z[j] = p[b1 + j];
          for (int q = start[r]; q < start[r + 1]; q++) { float xv = val[q]; const float *row = p + (size_t)idx[q] * h; for (int j = 0; j < h; j++) z[j] += xv * row[j]; }
          for (int j = 0; j < h; j++) a[j] = z[j] > 0 ? z[j] : 0;
          for (int q = 0; q < c; q++) lg[q] = p[b2 + q];
          for (int j = 0; j < h; j++) { if (a[j] == 0) continue; const float *row = p + w2 + (size_t)j * c; for (int q = 0; q < c; q++) lg[q] += a[j] * row[q]; }
        } else {
          for (int q = 0; q < c; q++) lg[q] = p[(size_t)d * c + q];
          for (int q = start[r]; q < start[r + 1]; q++) { float xv = val[q]; const float *row = p + (size_t)idx[q] * c; for (int j = 0; j < c; j++) lg[j] += xv * row[j]; }
        }
        float top = lg[0], sum = 0;
        for (int q = 1; q < c; q++) top = lg[q] > top ? lg[q] : top;
        for (int q = 0; q < c; q++) { pr[q] = expf(lg[q] - top); sum += pr[q]; }
        for (int q = 0; q < c; q++) pr[q] /= sum;
        loss += log((double)sum) - (double)(lg[y] - top);
        pr[y] -= 1;
        if (h > 0) {
          for (int q = 0; q < c; q++) g[b2 + q] += pr[q];
          for (int j = 0; j < h; j++) {
            const float *row = p + w2 + (size_t)j * c; float *grow = g + w2 + (size_t)j * c, back = 0;
            for (int q = 0; q < c; q++) { back += pr[q] * row[q]; if (a[j] != 0) grow[q] += a[j] * pr[q]; }
            dh[j] = z[j] > 0 ? back : 0;
          }
          for (int j = 0; j < h; j++) g[b1 + j] += dh[j];
          for (int q = start[r]; q < start[r + 1]; q++) { float xv = val[q]; float *grow = g + (size_t)idx[q] * h; for (int j = 0; j < h; j++) grow[j] += xv * dh[j]; }
        } else {
          for (int q = 0; q < c; q++) g[(size_t)d * c + q] += pr[q];
          for (int q = start[r]; q < start[r + 1]; q++) { float xv = val[q]; float *grow = g + (size_t)idx[q] * c; for (int j = 0; j < c; j++) grow[j] += xv * pr[j]; }
        }
      }
      float step = (float)(lr / (double)(s1 - s0));
      for (size_t i = 0; i < P; i++) p[i] -= step * g[i];
    }
    fprintf(stderr, "epoch %d loss %.6f\n", e + 1, loss / rows);
  }
  uint8_t header[32] = {'S', 'M', 'D', 'L', 1, 0, (uint8_t)(h > 0 ? 2 : 1), 0};
  uint32_t dims[3] = {d, (uint32_t)h, c}; uint64_t samples = rows;
  memcpy(header + 8, dims, 12); memcpy(header + 24, &samples, 8);
  FILE *o = fopen(argv[2], "wb");
  if (!o) die("cannot write model");
  fwrite(header, 1, 32, o); fwrite(p, sizeof(float), P, o); fclose(o);
  return 0;
}
