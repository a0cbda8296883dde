/*
 * libFuzzer harness: fsi_identify (IdentifyFileSystemsOnDisc) over a volume made from the input.
 * The first 3 bytes give the volume's size in blocks (up to 2^20, so the anchors at N-1 and N-257
 * can lie anywhere) and whether reads outside the data fail; the rest, in 2048-byte pieces, gives
 * blocks 16, 17, ... and its last piece is also block 256 and each of the last 257 blocks (where the
 * UDF anchors are); other blocks read as zeros. fsi_identify must read only inside the volume and answer
 * only the documented bits. fsi_last_session over the same volume must read only inside it, a bounded
 * number of blocks, and answer a block inside it.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fsi/engine.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_identify: check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

typedef struct vol {
    const uint8_t *data;
    size_t nblocks;                     /* whole 2048-byte pieces of input */
    uint64_t total;
    int fail_past;                      /* reads past the data fail */
    unsigned reads, max_reads;
} vol;

static int read_blocks(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    vol *v = ctx;
    CHECK(count >= 1 && lba < v->total && count <= v->total - lba);
    CHECK(++v->reads <= v->max_reads);
    for (uint32_t i = 0; i < count; i++) {
        uint64_t b = lba + i;
        uint8_t *out = (uint8_t *)buf + (size_t)i * FSI_BLOCK_SIZE;
        /* blocks 16.. map to the pieces in order but the last; 256 and the last 257 blocks (where
         * anchors are) to the last piece */
        size_t front = v->nblocks > 1 ? v->nblocks - 1 : v->nblocks;
        uint64_t k = b >= 16 && b - 16 < front ? b - 16
                   : v->nblocks && (b == 256 || b + 257 >= v->total) ? v->nblocks - 1
                   : UINT64_MAX;
        if (k == UINT64_MAX) {
            if (v->fail_past) return 1;
            memset(out, 0, FSI_BLOCK_SIZE);
        } else
            memcpy(out, v->data + k * FSI_BLOCK_SIZE, FSI_BLOCK_SIZE);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t pad[64 * FSI_BLOCK_SIZE];
    vol v = { 0 };
    if (size < 3) return 0;
    v.total = ((uint64_t)data[0] | (uint64_t)data[1] << 8 | (uint64_t)(data[2] & 0x0F) << 16);
    v.fail_past = data[2] >> 7;
    size -= 3;
    data += 3;
    /* whole blocks from the input; a partial last piece padded with zeros */
    size_t n = size / FSI_BLOCK_SIZE + (size % FSI_BLOCK_SIZE != 0);
    if (n > 64) n = 64;
    size_t used = size < n * FSI_BLOCK_SIZE ? size : n * FSI_BLOCK_SIZE;
    memset(pad, 0, n * FSI_BLOCK_SIZE);
    memcpy(pad, data, used);
    v.data = pad;
    v.nblocks = n;
    v.max_reads = 16 + 64 + 3;
    unsigned fs = fsi_identify(read_blocks, &v, v.total);
    if (getenv("FSI_FUZZ_VERBOSE"))
        fprintf(stderr, "identify: %llu blocks, %zu pieces: %#x\n", (unsigned long long)v.total, n, fs);
    CHECK((fs & ~(FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF | FSI_FS_UNKNOWN)) == 0);
    CHECK(!(fs & FSI_FS_UNKNOWN) || fs == FSI_FS_UNKNOWN);
    if (v.total <= 16) CHECK(fs == 0);
    /* per session followed: its descriptors, the MVDS, and up to 1024 candidates after it */
    v.reads = 0;
    v.max_reads = 1000u * (1024u * 65u + 130u);
    uint64_t last = fsi_last_session(read_blocks, &v, v.total);
    CHECK(last == 0 || last < v.total);
    return 0;
}
