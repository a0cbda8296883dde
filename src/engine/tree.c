/*
 * The item tree: reference-counted nodes (directories and files) and the image that holds a root,
 * what a node answers about itself (name, path, times, flags, where it stands), and the error
 * detail every part of the engine fills in. A directory's children are dir.c's.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

/* ---- nodes ----------------------------------------------------------------------------------- */

static fsi_status check_name(const uint16_t *name, size_t len)
{
    if (!name || len == 0)
        return FSI_E_INVALID_PARAM;
    if (len > FSI_NAME_MAX)
        return FSI_E_INVALID_NAME;
    for (size_t i = 0; i < len; i++)
        if (name[i] == 0 || name[i] == '\\' || name[i] == '/')
            return FSI_E_INVALID_NAME;
    if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
        return FSI_E_INVALID_NAME;
    return FSI_OK;
}

fsi_node *fsi_node_alloc(const uint16_t *name, size_t len, int is_dir)
{
    fsi_node *n = calloc(1, sizeof *n + len * sizeof(uint16_t));
    if (!n)
        return NULL;
    n->refs = 1;
    n->is_dir = (uint8_t)(is_dir != 0);
    n->name_len = (uint16_t)len;
    if (len)
        memcpy(n->name, name, len * sizeof(uint16_t));
    n->hash = fsi_name_hash(n->name, len);
    return n;
}

fsi_status fsi_node_new_dir(const uint16_t *name, size_t name_len, fsi_node **out)
{
    if (!out)
        return FSI_E_INVALID_PARAM;
    *out = NULL;
    fsi_status st = check_name(name, name_len);
    if (st)
        return st;
    fsi_node *n = fsi_node_alloc(name, name_len, 1);
    if (!n)
        return FSI_E_NOMEM;
    *out = n;
    return FSI_OK;
}

fsi_status fsi_node_new_file(const uint16_t *name, size_t name_len, uint64_t size, fsi_source *src,
                             fsi_node **out)
{
    if (!out)
        return FSI_E_INVALID_PARAM;
    *out = NULL;
    fsi_status st = check_name(name, name_len);
    if (st)
        return st;
    if (size > 0 && !src)
        return FSI_E_INVALID_PARAM;
    fsi_node *n = fsi_node_alloc(name, name_len, 0);
    if (!n)
        return FSI_E_NOMEM;
    n->u.f.size = size;
    n->u.f.src = src;                   /* kept even for an empty file; the plan ignores it */
    fsi_source_ref(src);
    *out = n;
    return FSI_OK;
}

void fsi_node_ref(fsi_node *n)
{
    if (n)
        __atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
}

/* Free n (refs reached 0) and every descendant whose last reference was the tree's. Iterative: the
 * parent field of nodes waiting to be freed links them into a stack. */
static void node_destroy(fsi_node *n)
{
    fsi_node *stack = n;
    n->parent = NULL;
    while (stack) {
        fsi_node *x = stack;
        stack = x->parent;
        if (x->is_dir) {
            for (size_t i = 0; i < x->u.d.nkids; i++) {
                fsi_node *k = x->u.d.kids[i];
                if (!k)
                    continue;
                k->parent = NULL;
                if (__atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0) {
                    k->parent = stack;
                    stack = k;
                } else {
                    k->gone = 1;            /* someone holds it: it outlives its tree */
                }
            }
            free(x->u.d.kids);
            free(x->u.d.tab);
        } else {
            fsi_source_unref(x->u.f.src);
            fsi_node_free_streams(x);
        }
        free(x);
    }
}

void fsi_node_unref(fsi_node *n)
{
    if (n && __atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) == 0)
        node_destroy(n);
}

/* ---- image ----------------------------------------------------------------------------------- */

fsi_image *fsi_image_new(void)
{
    fsi_image *img = malloc(sizeof *img);
    if (!img)
        return NULL;
    img->root = fsi_node_alloc(NULL, 0, 1);
    if (!img->root) {
        free(img);
        return NULL;
    }
    img->root->is_root = 1;
    return img;
}

void fsi_image_free(fsi_image *img)
{
    if (!img)
        return;
    fsi_node_unref(img->root);
    free(img);
}

fsi_node *fsi_image_root(fsi_image *img) { return img ? img->root : NULL; }
uint64_t fsi_image_file_count(const fsi_image *img) { return img ? img->root->u.d.sub_files : 0; }
uint64_t fsi_image_dir_count(const fsi_image *img) { return img ? img->root->u.d.sub_dirs : 0; }

int fsi_node_is_dir(const fsi_node *n) { return n && n->is_dir; }

int fsi_node_standing(const fsi_image *img, const fsi_node *n)
{
    if (!n)
        return -1;
    while (n->parent)
        n = n->parent;
    if (img && n == img->root)
        return 1;
    return n->gone || n->is_root ? -1 : 0;
}
fsi_node *fsi_node_parent(const fsi_node *n) { return n ? n->parent : NULL; }

const uint16_t *fsi_node_name(const fsi_node *n, size_t *len)
{
    if (len)
        *len = n ? n->name_len : 0;
    return n ? n->name : NULL;
}

size_t fsi_node_path(const fsi_node *n, uint16_t *buf, size_t cap)
{
    if (!n)
        return 0;
    size_t total = 0;
    for (const fsi_node *a = n; a; a = a->parent)
        if (!a->is_root)
            total += 1 + a->name_len;
    if (total == 0) {
        if (cap > 0)
            buf[0] = '\\';
        return 1;
    }
    size_t end = total;
    for (const fsi_node *a = n; a; a = a->parent) {
        if (a->is_root)
            continue;
        size_t start = end - a->name_len;
        for (size_t k = 0; k < a->name_len; k++)
            if (start + k < cap)
                buf[start + k] = a->name[k];
        if (start - 1 < cap)
            buf[start - 1] = '\\';
        end = start - 1;
    }
    return total;
}

uint64_t fsi_node_size(const fsi_node *n) { return (n && !n->is_dir) ? n->u.f.size : 0; }
fsi_source *fsi_node_source(const fsi_node *n) { return (n && !n->is_dir) ? n->u.f.src : NULL; }

void fsi_node_get_times(const fsi_node *n, fsi_times *t)
{
    if (n && t)
        *t = n->times;
}

void fsi_node_set_times(fsi_node *n, const fsi_times *t)
{
    if (n && t)
        n->times = *t;
}

int fsi_node_hidden(const fsi_node *n) { return n && n->hidden; }

void fsi_node_set_hidden(fsi_node *n, int hidden)
{
    if (n)
        n->hidden = (uint8_t)(hidden != 0);
}

/* ---- errors ---------------------------------------------------------------------------------- */

void fsi_err_clear(fsi_err *err)
{
    if (!err)
        return;
    err->code = FSI_OK;
    err->fs = 0;
    err->path_len = 0;
    err->expected = err->found = 0;
}

void fsi_err_set_path(fsi_err *err, fsi_status code, unsigned fs, const uint16_t *path, size_t len)
{
    if (!err)
        return;
    err->code = code;
    err->fs = fs;
    if (len > FSI_ERR_PATH_MAX)
        len = FSI_ERR_PATH_MAX;
    if (len)
        memcpy(err->path, path, len * sizeof(uint16_t));
    err->path_len = len;
}

void fsi_err_set(fsi_err *err, fsi_status code, unsigned fs, const fsi_node *n)
{
    if (!err)
        return;
    err->code = code;
    err->fs = fs;
    err->path_len = 0;
    if (n) {
        size_t l = fsi_node_path(n, err->path, FSI_ERR_PATH_MAX);
        err->path_len = l > FSI_ERR_PATH_MAX ? FSI_ERR_PATH_MAX : l;
    }
}
