/*
 * libFuzzer harness: fsi_import of ISO 9660 and Joliet (ImportFileSystem) over a volume made from
 * the input (first byte: which tree; the rest, in 2048-byte blocks, is the medium from block 16 on,
 * after a zero system area, and the medium is zero-padded up to the volume space size its first
 * descriptor declares; at most 8 MiB). A successful import is then used as a multisession client would: every imported
 * file's bytes are read through its source, and a new session referencing the old extents is
 * planned and streamed. Any answer but FSI_OK, FSI_E_CORRUPT, FSI_E_FS_NOT_FOUND, FSI_E_FS_FEATURE,
 * FSI_E_MEDIUM_READ or FSI_E_NOMEM aborts; ASan/UBSan watch the rest.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fsi/engine.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_import_iso: check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)
#define MAX_BLOCKS 4096u

typedef struct vol { const uint8_t *data; uint64_t blocks; } vol;

static int read_blocks(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    vol *v = ctx;
    CHECK(lba < v->blocks && count <= v->blocks - lba);     /* fsi_medium bounds every read */
    memcpy(buf, v->data + lba * FSI_BLOCK_SIZE, (size_t)count * FSI_BLOCK_SIZE);
    return 0;
}

/* Read every file of the tree through its source (at most 64 MiB in all). */
static void read_all(const fsi_node *dir, uint64_t *budget)
{
    static uint8_t buf[65536];
    for (size_t i = 0; i < fsi_dir_child_count(dir); i++) {
        const fsi_node *c = fsi_dir_child(dir, i);
        if (!c) continue;
        if (fsi_node_is_dir(c)) {
            read_all(c, budget);
            continue;
        }
        fsi_source *s = fsi_node_source(c);
        uint64_t size = fsi_node_size(c);
        if (!s || !size) continue;
        void *h;
        if (s->ops->open(s, &h)) continue;
        for (uint64_t off = 0; off < size && *budget; ) {
            size_t got = 0, want = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
            if (s->ops->read(s, h, off, buf, want, &got) || !got) break;
            off += got;
            *budget = *budget > got ? *budget - got : 0;
        }
        s->ops->close(s, h);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t img[MAX_BLOCKS * FSI_BLOCK_SIZE];
    if (size < 1) return 0;
    unsigned fs = data[0] & 1 ? FSI_FS_JOLIET : FSI_FS_ISO9660;
    size--;
    data++;
    uint64_t blocks = 16 + (size + FSI_BLOCK_SIZE - 1) / FSI_BLOCK_SIZE;
    if (size >= 84) {                                   /* the declared volume space size */
        uint32_t vs = data[80] | data[81] << 8 | data[82] << 16 | (uint32_t)data[83] << 24;
        if (vs > blocks) blocks = vs;
    }
    if (blocks > MAX_BLOCKS) blocks = MAX_BLOCKS;
    size_t room = (size_t)(blocks - 16) * FSI_BLOCK_SIZE;
    size_t used = size < room ? size : room;
    memset(img, 0, (size_t)blocks * FSI_BLOCK_SIZE);
    memcpy(img + 16 * FSI_BLOCK_SIZE, data, used);
    vol v = { img, blocks };
    fsi_medium *m = fsi_medium_new(read_blocks, &v, NULL, blocks);
    CHECK(m);
    fsi_image *tree = NULL;
    fsi_import_info info;
    fsi_err err;
    fsi_status st = fsi_import(m, 0, fs, &tree, &info, NULL, NULL, &err);
    CHECK(st == FSI_OK || st == FSI_E_CORRUPT || st == FSI_E_FS_NOT_FOUND || st == FSI_E_FS_FEATURE ||
          st == FSI_E_MEDIUM_READ || st == FSI_E_NOMEM);
    CHECK((st == FSI_OK) == (tree != NULL));
    if (tree) {
        uint64_t budget = 64u << 20;
        CHECK(info.volume_blocks <= blocks);
        read_all(fsi_image_root(tree), &budget);
        /* a new session after the old volume, referencing its extents */
        fsi_plan_opts o = { 0 };
        o.fs = FSI_FS_ISO9660 | FSI_FS_JOLIET | (data[0] & 2 ? FSI_FS_UDF : 0);
        o.iso_level = 3;
        o.udf_revision = 0x250;
        o.session_start = (uint32_t)blocks;
        o.reuse_end = (uint32_t)blocks;
        fsi_plan *plan;
        if (fsi_plan_build(tree, &o, &plan, &err) == FSI_OK) {
            fsi_cursor *c = fsi_cursor_new(plan);
            static uint8_t out[256 * FSI_BLOCK_SIZE];
            uint64_t total = fsi_plan_total_blocks(plan);
            for (uint64_t b = 0; b < total && b < 4096; b += 256) {
                uint64_t n = total - b < 256 ? total - b : 256;
                fsi_status rs = fsi_cursor_read(c, b * FSI_BLOCK_SIZE, out, (size_t)n * FSI_BLOCK_SIZE, &err);
                CHECK(rs == FSI_OK || rs == FSI_E_READ || rs == FSI_E_INCONSISTENT);
            }
            fsi_cursor_free(c);
            fsi_plan_unref(plan);
        }
        fsi_image_free(tree);
    }
    fsi_medium_unref(m);
    return 0;
}
