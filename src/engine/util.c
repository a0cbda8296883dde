/*
 * Small helpers every part of the engine uses: growing an array, UTF-16 pools, a stable sort of
 * indices, the name hash.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

int fsi_grow(void *arrp, size_t *cap, size_t need, size_t elem)
{
    void *p;
    if (need <= *cap)
        return 1;
    size_t ncap = *cap ? *cap : 4;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return 0;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem)
        return 0;
    memcpy(&p, arrp, sizeof p);
    p = realloc(p, ncap * elem);
    if (!p)
        return 0;
    memcpy(arrp, &p, sizeof p);
    *cap = ncap;
    return 1;
}

int fsi_pool_reserve(fsi_u16pool *pool, size_t extra)
{
    return FSI_GROW(pool->p, pool->cap, pool->len + extra);
}
void fsi_pool_free(fsi_u16pool *pool)
{
    free(pool->p);
    pool->p = NULL;
    pool->len = pool->cap = 0;
}

int fsi_sort_u32(uint32_t *a, size_t n, fsi_cmp_fn cmp, void *ctx)
{
    if (n < 2)
        return 1;
    /* insertion sort for runs of 16, then bottom-up merges */
    const size_t run = 16;
    for (size_t lo = 0; lo < n; lo += run) {
        size_t hi = lo + run < n ? lo + run : n;
        for (size_t i = lo + 1; i < hi; i++) {
            uint32_t v = a[i];
            size_t j = i;
            while (j > lo && cmp(ctx, a[j - 1], v) > 0) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
    }
    if (n <= run)
        return 1;
    uint32_t *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return 0;
    uint32_t *s = a, *d = tmp;
    for (size_t w = run; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                d[k++] = cmp(ctx, s[j], s[i]) < 0 ? s[j++] : s[i++];
            while (i < mid)
                d[k++] = s[i++];
            while (j < hi)
                d[k++] = s[j++];
        }
        uint32_t *t = s;
        s = d;
        d = t;
    }
    if (s != a)
        memcpy(a, s, n * sizeof *a);
    free(tmp);
    return 1;
}

uint32_t fsi_name_hash(const uint16_t *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 16777619u;
    }
    return h;
}
