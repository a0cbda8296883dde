/*
 * Which file systems a volume holds, from its first blocks: the ECMA-119 volume descriptor set
 * (PVD: ISO 9660; SVD with a UCS-2 escape sequence: Joliet) and the ECMA-167 volume recognition
 * sequence (NSR02/NSR03) confirmed by an anchor volume descriptor pointer at 256, N-1 or N-257.
 * Every block read is bounds-checked against the volume size; nothing is trusted.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

/* ECMA-167 3/10.2: an AVDP recorded at lba (its tag: identifier 2, checksum, location). */
static int is_avdp(const uint8_t *b, uint64_t lba) { return fsi_udf_tag_is(b, 2, (uint32_t)lba); }

unsigned fsi_identify(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks)
{
    return fsi_identify_session(read, ctx, total_blocks, 0);
}

/* Walk the volume recognition area of the session at ss (the descriptor set, then the extended
 * area BEA01 .. TEA01): the file systems its descriptors announce, whether it has an NSR
 * descriptor, and the first block after it. */
static unsigned walk_vrs(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks, uint64_t ss, int *any_out,
                         int *nsr_out, uint64_t *end)
{
    uint8_t b[FSI_BLOCK_SIZE];
    unsigned fs = 0;
    int nsr = 0, any = 0;
    uint64_t lba = ss + 16;
    for (; lba < ss + 16 + 64 && lba < total_blocks; lba++) {
        if (read(ctx, lba, 1, b))
            break;
        if (!memcmp(b + 1, "CD001", 5)) {
            any = 1;
            if (b[0] == 1)
                fs |= FSI_FS_ISO9660;
            else if (b[0] == 2 && b[88] == '%' && b[89] == '/' && (b[90] == '@' || b[90] == 'C' || b[90] == 'E'))
                fs |= FSI_FS_JOLIET;
        } else if (!memcmp(b + 1, "BEA01", 5) || !memcmp(b + 1, "TEA01", 5) || !memcmp(b + 1, "BOOT2", 5) ||
                   !memcmp(b + 1, "CDW02", 5)) {
            any = 1;
        } else if (!memcmp(b + 1, "NSR02", 5) || !memcmp(b + 1, "NSR03", 5)) {
            any = nsr = 1;
        } else
            break;                          /* the recognition sequence ends at the first other block */
    }
    *any_out = any;
    *nsr_out = nsr;
    *end = lba;
    return fs;
}

uint64_t fsi_recognition_end(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks, uint64_t ss)
{
    int any, nsr;
    uint64_t end = ss + 16;
    if (ss < total_blocks)
        walk_vrs(read, ctx, total_blocks, ss, &any, &nsr, &end);
    return end;
}

unsigned fsi_identify_session(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks, uint64_t ss)
{
    uint8_t b[FSI_BLOCK_SIZE];
    int nsr, any;
    uint64_t end;
    if (ss >= total_blocks)
        return 0;
    unsigned fs = walk_vrs(read, ctx, total_blocks, ss, &any, &nsr, &end);
    if (nsr) {
        const uint64_t anchors[3] = { ss + 256, total_blocks - 1, total_blocks - 257 };
        for (int i = 0; i < 3; i++) {
            if (anchors[i] < ss + 256 || anchors[i] >= total_blocks || (i && total_blocks <= ss + 257))
                continue;
            if (!read(ctx, anchors[i], 1, b) && is_avdp(b, anchors[i])) {
                fs |= FSI_FS_UDF;
                break;
            }
        }
    }
    if (!fs && any)
        return FSI_FS_UNKNOWN;
    return fs;
}

/* In the main volume descriptor sequence an AVDP (b) points at (ECMA-167 3/10.2: extent_ad at 16),
 * the first descriptor with tag identifier tag, read into b; 0 when there is none before the
 * terminating descriptor (8) or within 64 blocks. */
static int find_in_mvds(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks, uint8_t *b, uint16_t tag)
{
    uint32_t len = fsi_le32(b + 16) / FSI_BLOCK_SIZE;
    uint64_t loc = fsi_le32(b + 20);
    for (uint32_t k = 0; k < len && k < 64 && loc + k < total_blocks; k++) {
        if (read(ctx, loc + k, 1, b))
            return 0;
        uint16_t t = fsi_le16(b);
        if (t == tag)
            return 1;
        if (t == 8)
            return 0;
    }
    return 0;
}

int fsi_identify_udf_revision(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks, uint64_t ss)
{
    uint8_t b[FSI_BLOCK_SIZE];
    const uint64_t anchors[3] = { ss + 256, total_blocks - 1, total_blocks - 257 };
    for (int i = 0; i < 3; i++) {
        if (anchors[i] < ss + 256 || anchors[i] >= total_blocks || (i && total_blocks <= ss + 257))
            continue;
        if (read(ctx, anchors[i], 1, b) || !is_avdp(b, anchors[i]))
            continue;
        /* the LVD's domain identifier suffix: the revision */
        if (find_in_mvds(read, ctx, total_blocks, b, 6) && !memcmp(b + 216 + 1, "*OSTA UDF Compliant", 19))
            return b[216 + 24] | b[216 + 25] << 8;
    }
    return 0;
}

/* Where the volume of the session at ss ends (absolute block), 0 when there is none: the PVD's
 * volume space size (ECMA-119 8.4.8; a later session's counts from block 0), else, for UDF alone,
 * the end of the partition its anchor at ss + 256 leads to (ECMA-167 3/10.5: starting location +
 * length). */
static uint64_t session_end(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks, uint64_t ss)
{
    uint8_t b[FSI_BLOCK_SIZE];
    int any, nsr;
    uint64_t end;
    if (ss >= total_blocks)
        return 0;
    walk_vrs(read, ctx, total_blocks, ss, &any, &nsr, &end);
    for (uint64_t lba = ss + 16; lba < end; lba++)
        if (!read(ctx, lba, 1, b) && b[0] == 1 && !memcmp(b + 1, "CD001", 5))
            return fsi_le32(b + 80);
    if (!nsr || ss + 256 >= total_blocks || read(ctx, ss + 256, 1, b) || !is_avdp(b, ss + 256))
        return 0;
    if (!find_in_mvds(read, ctx, total_blocks, b, 5))
        return 0;
    return (uint64_t)fsi_le32(b + 188) + fsi_le32(b + 192);         /* the PD's partition end */
}

uint64_t fsi_last_session(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks)
{
    uint64_t ss = 0;
    for (int guard = 0; guard < 1000; guard++) {
        uint64_t end = session_end(read, ctx, total_blocks, ss), next = 0;
        if (end <= ss || end >= total_blocks)
            break;
        /* the next session starts where this volume ends, or after the padding some writers put
         * behind it (xorriso: a few hundred blocks) */
        for (uint64_t k = end; k < total_blocks && k < end + 1024 && !next; k++)
            if (session_end(read, ctx, total_blocks, k) > k)
                next = k;
        if (!next)
            break;
        ss = next;
    }
    return ss;
}

uint64_t fsi_overwrite_session_start(uint64_t volume_end, uint64_t written_end, uint32_t write_unit,
                                     uint64_t vrs_end)
{
    uint64_t end = volume_end > written_end ? volume_end : written_end, unit = write_unit > 32 ? write_unit : 32;
    if (end < 257)
        end = 257;
    end = (end + unit - 1) / unit * unit;
    return vrs_end > end ? vrs_end : end;
}
