/*
 * The metadata store: every block the writers render, kept compactly (a block's trailing zeros are
 * not stored, so an almost empty directory block costs a few dozen bytes), and the segments that say
 * which relative blocks of the session they are (struct fsi_plan). The plan positions the store at
 * each reservation, in block order, and the writer that made the reservation fills it; the cursor
 * and the overlay read the blocks back.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "writer.h"

int fsi_store_init(fsi_meta_store *ms, size_t blocks)
{
    memset(ms, 0, sizeof *ms);
    ms->end = UINT64_MAX;
    if (!FSI_GROW(ms->off, ms->ocap, blocks + 1))
        return 0;
    ms->off[0] = 0;
    return 1;
}

/* Make the next n stored blocks relative blocks ms->at ..: the last segment goes on, or a new one
 * starts. 0 past the reservation, out of memory or segments. */
static int extend(fsi_meta_store *ms, size_t n)
{
    if (!n)
        return 1;
    if (ms->at + n > ms->end || ms->at + n > UINT32_MAX || !FSI_GROW(ms->off, ms->ocap, ms->nblk + n + 1))
        return 0;
    fsi_meta_seg *s = ms->nsegs ? &ms->segs[ms->nsegs - 1] : NULL;
    if (!s || s->first + (uint64_t)s->count != ms->at || s->store + s->count != ms->nblk) {
        if (ms->nsegs == FSI_MAX_SEGS)
            return 0;
        s = &ms->segs[ms->nsegs++];
        s->first = (uint32_t)ms->at;
        s->count = 0;
        s->store = ms->nblk;
    }
    s->count += (uint32_t)n;
    ms->at += n;
    return 1;
}

int fsi_store_blocks(fsi_meta_store *ms, const uint8_t *buf, size_t n)
{
    if (!extend(ms, n))
        return 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *blk = buf + i * FSI_BLOCK_SIZE;
        size_t used = FSI_BLOCK_SIZE;
        while (used && !blk[used - 1])
            used--;
        if (!FSI_GROW(ms->data, ms->cap, ms->len + used))
            return 0;
        memcpy(ms->data + ms->len, blk, used);
        ms->len += used;
        ms->off[++ms->nblk] = ms->len;
    }
    return 1;
}

int fsi_store_zeros(fsi_meta_store *ms, size_t n)
{
    if (!extend(ms, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        ms->off[++ms->nblk] = ms->len;
    return 1;
}

int fsi_store_zeros_to(fsi_meta_store *ms, uint64_t rel)
{
    return rel < ms->at ? 0 : rel == ms->at || fsi_store_zeros(ms, (size_t)(rel - ms->at));
}

int fsi_store_skip_to(fsi_meta_store *ms, uint64_t rel)
{
    if (rel < ms->at || rel > ms->end)
        return 0;
    ms->at = rel;
    return 1;
}

int fsi_store_repeat(fsi_meta_store *ms, size_t store, size_t n)
{
    if (store + n > ms->nblk || ms->at + n > ms->end || ms->nsegs == FSI_MAX_SEGS)
        return 0;
    ms->segs[ms->nsegs++] = (fsi_meta_seg){ (uint32_t)ms->at, (uint32_t)n, store };
    ms->at += n;
    return 1;
}

void fsi_store_give(fsi_meta_store *ms, fsi_plan *p)
{
    if (ms->len) {                              /* give back the unused part */
        uint8_t *shrunk = realloc(ms->data, ms->len);
        if (shrunk)
            ms->data = shrunk;
    }
    p->meta = ms->data;
    p->meta_off = ms->off;
    p->nsegs = ms->nsegs;
    memcpy(p->segs, ms->segs, sizeof p->segs);
    ms->data = NULL;
    ms->off = NULL;
    fsi_store_free(ms);
}

void fsi_store_free(fsi_meta_store *ms)
{
    free(ms->data);
    free(ms->off);
    memset(ms, 0, sizeof *ms);
}

void fsi_store_read(const fsi_plan *p, uint64_t blk, size_t in, uint8_t *out, size_t n)
{
    size_t c = 0, bi = 0;
    for (size_t t = 0; t < p->nsegs; t++) {
        const fsi_meta_seg *s = &p->segs[t];
        if (blk >= s->first && blk - s->first < s->count) {
            bi = s->store + (size_t)(blk - s->first);
            size_t stored = (size_t)(p->meta_off[bi + 1] - p->meta_off[bi]);
            c = stored > in ? stored - in : 0;
            if (c > n)
                c = n;
            break;
        }
    }
    if (c)
        memcpy(out, p->meta + p->meta_off[bi] + in, c);
    memset(out + c, 0, n - c);
}
