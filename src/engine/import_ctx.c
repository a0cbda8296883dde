/*
 * What the import readers (import_iso.c, import_udf*.c) share: bounded reads, node creation with
 * counting and duplicate handling, progress, sets of block addresses for loop detection.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

#include <stdio.h>

/* ---- sets of block addresses ------------------------------------------------------------------ */

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    return k;
}

static uint64_t key_of(unsigned part, uint32_t lb) { return ((uint64_t)part << 32 | lb) + 1; }

int fsi_blockset_add(fsi_blockset *s, unsigned part, uint32_t lb)
{
    uint64_t key = key_of(part, lb);
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        uint64_t *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (size_t i = 0; i < s->cap; i++) {
            uint64_t k = s->t[i];
            if (!k)
                continue;
            size_t j = (size_t)(mix(k) & (cap - 1));
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = k;
        }
        free(s->t);
        s->t = t;
        s->cap = cap;
    }
    size_t j = (size_t)(mix(key) & (s->cap - 1));
    while (s->t[j]) {
        if (s->t[j] == key)
            return 1;
        j = (j + 1) & (s->cap - 1);
    }
    s->t[j] = key;
    s->n++;
    return 0;
}

int fsi_blockset_has(const fsi_blockset *s, unsigned part, uint32_t lb)
{
    if (!s->cap)
        return 0;
    uint64_t key = key_of(part, lb);
    for (size_t j = (size_t)(mix(key) & (s->cap - 1)); s->t[j]; j = (j + 1) & (s->cap - 1))
        if (s->t[j] == key)
            return 1;
    return 0;
}

void fsi_blockset_clear(fsi_blockset *s)
{
    if (s->n)
        memset(s->t, 0, s->cap * sizeof *s->t);
    s->n = 0;
}

fsi_status fsi_imp_read(fsi_import_ctx *ic, uint64_t lba, uint32_t count, void *buf)
{
    fsi_status st = fsi_medium_read(ic->m, lba, count, buf);
    if (st) {
        fsi_err_set(ic->err, FSI_E_MEDIUM_READ, ic->fs, NULL);
        if (ic->err)
            ic->err->expected = lba;
    }
    return st;
}

fsi_status fsi_imp_corrupt(fsi_import_ctx *ic, const char *why)
{
    (void)why;
#ifdef FSI_IMPORT_DEBUG
    fprintf(stderr, "import: %s\n", why);
#endif
    fsi_err_set(ic->err, FSI_E_CORRUPT, ic->fs, NULL);
    return FSI_E_CORRUPT;
}

static fsi_status add_node(fsi_import_ctx *ic, fsi_node *parent, fsi_node *n, const fsi_times *t, int hidden,
                           fsi_node **out)
{
    if (t)
        fsi_node_set_times(n, t);
    fsi_node_set_hidden(n, hidden);
    fsi_status st = fsi_dir_attach(ic->img, parent, n, 0);
    if (st == FSI_E_DUP_NAME) {                         /* keep the first item of that name */
        fsi_node_unref(n);
        *out = NULL;
        return FSI_OK;
    }
    if (st) {
        fsi_node_unref(n);
        return st;
    }
    fsi_node_unref(n);                                  /* the tree holds it */
    *out = n;
    return FSI_OK;
}

static fsi_status count_item(fsi_import_ctx *ic)
{
    if (++ic->items > FSI_IMPORT_MAX_ITEMS)
        return fsi_imp_corrupt(ic, "too many items");
    return FSI_OK;
}

static fsi_status name_status(fsi_import_ctx *ic, fsi_status st)
{
    if (st == FSI_E_INVALID_NAME || st == FSI_E_INVALID_PARAM)
        return fsi_imp_corrupt(ic, "bad name");
    return st;
}

fsi_status fsi_imp_add_dir(fsi_import_ctx *ic, fsi_node *parent, const uint16_t *name, size_t len,
                           const fsi_times *t, int hidden, fsi_node **out)
{
    fsi_node *n;
    *out = NULL;
    fsi_status st = count_item(ic);
    if (st)
        return st;
    if ((st = fsi_node_new_dir(name, len, &n)))
        return name_status(ic, st);
    if ((st = add_node(ic, parent, n, t, hidden, out)))
        return st;
    if (*out)
        ic->info->dirs++;
    return FSI_OK;
}

static void report(fsi_import_ctx *ic, const fsi_node *n, int is_dir)
{
    if (!ic->progress)
        return;
    size_t len = fsi_node_path(n, NULL, 0);
    if (!fsi_pool_reserve(&ic->path, len + 1))
        return;
    fsi_node_path(n, ic->path.p, len);
    if (is_dir && !(len == 1 && ic->path.p[0] == '\\'))
        ic->path.p[len++] = '\\';
    ic->progress(ic->pctx, ic->path.p, len, (int64_t)ic->info->dirs, ic->dirs_total, (int64_t)ic->info->files,
                 ic->files_total);
}

fsi_status fsi_imp_add_file(fsi_import_ctx *ic, fsi_node *parent, const uint16_t *name, size_t len, uint64_t size,
                            fsi_source *src, const fsi_times *t, int hidden, fsi_node **out)
{
    fsi_node *n;
    *out = NULL;
    fsi_status st = count_item(ic);
    if (st)
        return st;
    if ((st = fsi_node_new_file(name, len, size, src, &n)))
        return name_status(ic, st);
    if ((st = add_node(ic, parent, n, t, hidden, out)))
        return st;
    if (*out) {
        ic->info->files++;
        report(ic, *out, 0);
    }
    return FSI_OK;
}

void fsi_imp_dir_progress(fsi_import_ctx *ic, const fsi_node *dir) { report(ic, dir, 1); }
