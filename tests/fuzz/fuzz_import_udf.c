/*
 * libFuzzer harness: fsi_import(FSI_FS_UDF) over a sparse volume described by the input.
 *   bytes 0-2  the volume's size in blocks (little-endian, low 18 bits, so the anchors at N - 1 and
 *              N - 257 can lie anywhere); bit 23: reads of blocks the input does not give fail;
 *              bit 22: fix the tags (checksum and CRC, ECMA-167 3/7.2) of the descriptors a block
 *              starts with (FIDs in a row), so that mutations reach what the CRCs protect
 *   byte 3     the session start, in units of 64 blocks
 *   then       records: block (3 bytes LE, taken modulo the size), length L (2 bytes LE, at most
 *              2048), L bytes: the block's first L bytes (the rest are zeros). A block given twice
 *              has its last record. Other blocks read as zeros (or fail, see bit 23).
 * The import must read only inside the volume, answer only the documented statuses, and build a
 * tree whose files' extents lie inside the volume; a few bytes of each file are read through its
 * source. Time and memory must stay bounded (libFuzzer's -timeout and -rss_limit_mb).
 *
 * Seeds (tests/fuzz/corpus/import_udf): images of native fsimage (UDF 1.02 alone, 1.50 with ISO 9660
 * and Joliet, 2.01, 2.50 with the metadata mirror, 2.60 without it) and of mkudffs + udfclient
 * (embedded files and directories, strategy 4096), converted by this file built with
 * -DFSI_FUZZ_MAKE_SEED: `cc -DFSI_FUZZ_MAKE_SEED -Iinclude tests/fuzz/fuzz_import_udf.c -o mkseed
 * && ./mkseed IMAGE > SEED` (every non-zero block with its trailing zeros cut).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fsi_internal.h"          /* fsi_udf_crc, fsi_udf_tag_checksum (white-box: the writer's tag code) */

#define BS 2048u
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_import_udf: check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

#ifndef FSI_FUZZ_MAKE_SEED

typedef struct rec {
    uint32_t lba;
    uint16_t len;
    uint32_t order;
    const uint8_t *data;
} rec;


/* Make the tags of the descriptors at the start of a block (of len meaningful bytes) valid. */
static void fix_tags(uint8_t *b, size_t len)
{
    size_t pos = 0;
    while (pos + 16 <= BS) {
        uint8_t *d = b + pos;
        uint16_t id = (uint16_t)(d[0] | d[1] << 8);
        if (!((id >= 1 && id <= 9) || (id >= 256 && id <= 266)))
            break;
        size_t crc_len = (size_t)(d[10] | d[11] << 8);
        if (crc_len > BS - pos - 16)
            crc_len = BS - pos - 16;
        uint16_t crc = fsi_udf_crc(d + 16, crc_len);
        d[8] = (uint8_t)crc;
        d[9] = (uint8_t)(crc >> 8);
        d[4] = fsi_udf_tag_checksum(d);
        if (id != 257 || pos + 38 > BS)
            break;
        pos += (38 + (size_t)(d[36] | d[37] << 8) + d[19] + 3) & ~(size_t)3;   /* the next FID */
        if (pos >= len)
            break;
    }
}

typedef struct vol {
    rec *r;
    size_t n;
    uint64_t total;
    int fail_unlisted;
} vol;

static int by_lba(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    if (x->lba != y->lba) return x->lba < y->lba ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int read_blocks(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    vol *v = ctx;
    CHECK(count >= 1 && lba < v->total && count <= v->total - lba);
    for (uint32_t i = 0; i < count; i++) {
        uint64_t b = lba + i;
        uint8_t *out = (uint8_t *)buf + (size_t)i * BS;
        size_t lo = 0, hi = v->n;                   /* the last record of block b */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (v->r[mid].lba <= b) lo = mid + 1; else hi = mid;
        }
        if (!lo || v->r[lo - 1].lba != b) {
            if (v->fail_unlisted) return 1;
            memset(out, 0, BS);
            continue;
        }
        const rec *r = &v->r[lo - 1];
        memcpy(out, r->data, r->len);
        memset(out + r->len, 0, BS - r->len);
    }
    return 0;
}

static void progress(void *ctx, const uint16_t *path, size_t len, int64_t dirs_done, int64_t dirs_total,
                     int64_t files_done, int64_t files_total)
{
    (void)ctx; (void)dirs_total; (void)files_total;
    CHECK(len >= 1 && path[0] == '\\');
    CHECK(dirs_done >= 0 && files_done >= 0);
}

/* Walk the tree without recursion: check every file's extents and read a few of its bytes. */
static void check_tree(fsi_image *img, uint64_t total)
{
    size_t cap = 64, sp = 0, files = 0, dirs = 0;
    fsi_node **st = malloc(cap * sizeof *st);
    CHECK(st);
    st[sp++] = fsi_image_root(img);
    while (sp) {
        fsi_node *d = st[--sp];
        for (size_t i = 0; i < fsi_dir_child_count(d); i++) {
            fsi_node *c = fsi_dir_child(d, i);
            if (!c) continue;
            if (fsi_node_is_dir(c)) {
                dirs++;
                if (sp == cap) { cap *= 2; st = realloc(st, cap * sizeof *st); CHECK(st); }
                st[sp++] = c;
                continue;
            }
            files++;
            fsi_source *src = fsi_node_source(c);
            uint64_t size = fsi_node_size(c), sum = 0;
            CHECK(size == 0 || src);
            if (!src) continue;
            size_t ne;
            const fsi_disc_extent *e = fsi_source_disc_extents(src, &ne);
            for (size_t k = 0; k < ne; k++) {
                CHECK(e[k].len > 0 && e[k].len < (UINT64_C(1) << 30));
                CHECK(k + 1 == ne || e[k].len % BS == 0);
                CHECK(e[k].lba == FSI_HOLE || (e[k].lba < total && (e[k].len + BS - 1) / BS <= total - e[k].lba));
                sum += e[k].len;
            }
            CHECK(!ne || sum == size);
            if (files > 64) continue;
            uint8_t buf[4096];
            void *h = NULL;
            CHECK(src->ops->open(src, &h) == FSI_OK);
            size_t got = 0, want = size < sizeof buf ? (size_t)size : sizeof buf;
            fsi_status rs = src->ops->read(src, h, size - want, buf, want, &got);
            CHECK(rs == FSI_OK || rs == FSI_E_READ);
            CHECK(rs != FSI_OK || got == want);
            src->ops->close(src, h);
        }
    }
    free(st);
    CHECK(files == fsi_image_file_count(img) && dirs == fsi_image_dir_count(img));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    vol v = { 0 };
    v.total = ((uint64_t)data[0] | (uint64_t)data[1] << 8 | (uint64_t)(data[2] & 0x03) << 16);
    v.fail_unlisted = data[2] >> 7;
    int fix = (data[2] >> 6) & 1;
    uint64_t ss = (uint64_t)data[3] * 64;
    data += 4;
    size -= 4;
    if (!v.total) return 0;
    v.r = malloc((size / 5 + 1) * sizeof *v.r);
    CHECK(v.r);
    for (size_t pos = 0; size - pos >= 5;) {
        uint32_t lba = data[pos] | data[pos + 1] << 8 | (uint32_t)data[pos + 2] << 16;
        uint16_t len = (uint16_t)(data[pos + 3] | data[pos + 4] << 8);
        pos += 5;
        if (len > BS) len = BS;
        if (len > size - pos) len = (uint16_t)(size - pos);
        rec *r = &v.r[v.n];
        r->lba = (uint32_t)(lba % v.total);
        r->len = len;
        r->order = (uint32_t)v.n;
        r->data = data + pos;
        v.n++;
        pos += len;
    }
    qsort(v.r, v.n, sizeof *v.r, by_lba);
    uint8_t *fixed = NULL;                  /* fixed copies of the blocks, BS each */
    if (fix && v.n) {
        fixed = calloc(v.n, BS);
        CHECK(fixed);
        for (size_t i = 0; i < v.n; i++) {
            uint8_t *b = fixed + i * BS;
            memcpy(b, v.r[i].data, v.r[i].len);
            fix_tags(b, v.r[i].len);
            v.r[i].data = b;
            v.r[i].len = BS;
        }
    }
    fsi_medium *m = fsi_medium_new(read_blocks, &v, NULL, v.total);
    CHECK(m);
    fsi_image *img = NULL;
    fsi_import_info info;
    fsi_err err;
    fsi_status st = fsi_import(m, ss, FSI_FS_UDF, &img, &info, progress, NULL, &err);
    if (getenv("FSI_FUZZ_VERBOSE"))
        fprintf(stderr, "import_udf: %llu blocks, %zu records: status %d\n", (unsigned long long)v.total, v.n, st);
    CHECK(st == FSI_OK || st == FSI_E_CORRUPT || st == FSI_E_MEDIUM_READ || st == FSI_E_FS_NOT_FOUND ||
          st == FSI_E_FS_FEATURE || st == FSI_E_NOMEM);
    CHECK(err.code == st);
    if (st == FSI_OK) {
        CHECK(img && info.fs == FSI_FS_UDF && info.volume_name_len <= 128);
        CHECK(info.files == fsi_image_file_count(img) && info.dirs == fsi_image_dir_count(img));
        check_tree(img, v.total);
        fsi_image_free(img);
    } else {
        CHECK(!img);
        CHECK(st == FSI_E_NOMEM || err.fs == FSI_FS_UDF);
    }
    fsi_medium_unref(m);                /* the sources were freed with the tree */
    free(fixed);
    free(v.r);
    return 0;
}

#else   /* FSI_FUZZ_MAKE_SEED: an image file -> a seed of the format above, on stdout */

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: %s IMAGE > SEED\n", argv[0]); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    fseek(f, 0, SEEK_END);
    uint64_t total = (uint64_t)ftell(f) / BS;
    fseek(f, 0, SEEK_SET);
    if (!total || total >= (1u << 18)) { fprintf(stderr, "%s: no size for a seed\n", argv[1]); return 1; }
    uint8_t hdr[4] = { (uint8_t)total, (uint8_t)(total >> 8), (uint8_t)(total >> 16), 0 }, b[BS];
    fwrite(hdr, 1, 4, stdout);
    for (uint64_t n = 0; fread(b, 1, BS, f) == BS; n++) {
        size_t len = BS;
        while (len && !b[len - 1]) len--;
        if (!len) continue;
        uint8_t h[5] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)len, (uint8_t)(len >> 8) };
        fwrite(h, 1, 5, stdout);
        fwrite(b, 1, len, stdout);
    }
    fclose(f);
    return 0;
}

#endif
