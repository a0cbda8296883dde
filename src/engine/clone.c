/*
 * Deep copy of a tree (change points: IFileSystemImage::RollbackToChangePoint). Nodes (with their
 * named streams and real-time flags) are copied; data sources are shared (reference counted), so a
 * copy costs memory for names and nodes only.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

static fsi_status copy_into(fsi_node *dst, const fsi_node *src);

/* A detached copy of c with its subtree. */
static fsi_status copy_node(const fsi_node *c, fsi_node **out)
{
    fsi_node *copy;
    fsi_times t;
    fsi_status st;
    size_t len;
    const uint16_t *name = fsi_node_name(c, &len);

    st = c->is_dir ? fsi_node_new_dir(name, len, &copy) : fsi_node_new_file(name, len, c->u.f.size, c->u.f.src, &copy);
    if (st != FSI_OK)
        return st;
    fsi_node_get_times(c, &t);
    fsi_node_set_times(copy, &t);
    fsi_node_set_hidden(copy, fsi_node_hidden(c));
    if (!c->is_dir) {
        copy->realtime = c->realtime;
        for (uint32_t k = 0; k < c->u.f.nstreams && st == FSI_OK; k++) {
            const fsi_stream *s = &c->u.f.streams[k];
            st = fsi_node_add_stream(copy, s->name, s->name_len, s->size, s->src);
        }
    } else {
        st = copy_into(copy, c);
    }
    if (st != FSI_OK) {
        fsi_node_unref(copy);
        return st;
    }
    *out = copy;
    return FSI_OK;
}

static fsi_status copy_into(fsi_node *dst, const fsi_node *src)
{
    for (size_t i = 0, n = fsi_dir_child_count(src); i < n; i++) {
        const fsi_node *c = fsi_dir_child(src, i);
        fsi_node *copy;
        fsi_status st;
        if (!c)
            continue;
        if ((st = copy_node(c, &copy)) != FSI_OK)
            return st;
        st = fsi_dir_attach(NULL, dst, copy, 0);
        fsi_node_unref(copy);
        if (st != FSI_OK)
            return st;
    }
    return FSI_OK;
}

fsi_status fsi_image_clone(const fsi_image *img, fsi_image **out)
{
    fsi_image *copy = fsi_image_new();
    fsi_times t;
    fsi_status st;

    *out = NULL;
    if (!copy)
        return FSI_E_NOMEM;
    fsi_node_get_times(img->root, &t);
    fsi_node_set_times(copy->root, &t);
    fsi_node_set_hidden(copy->root, fsi_node_hidden(img->root));
    st = copy_into(copy->root, img->root);
    if (st != FSI_OK) {
        fsi_image_free(copy);
        return st;
    }
    *out = copy;
    return FSI_OK;
}

static const uint16_t WRAP[] = { 'x' };

fsi_status fsi_image_clone_with(const fsi_image *img, const fsi_node *dir, const fsi_node *src, int whole,
                                fsi_image **out)
{
    fsi_image *copy = NULL;
    fsi_node *at, *wrap = NULL, *part;
    uint16_t *path = NULL;
    size_t len;
    fsi_status st;

    *out = NULL;
    if (fsi_node_standing(img, dir) <= 0 || !dir->is_dir || (!whole && !src->is_dir))
        return dir && dir->is_dir ? FSI_E_NOT_FOUND : FSI_E_INVALID_PARAM;
    len = fsi_node_path(dir, NULL, 0);
    if (!(path = malloc((len + 1) * sizeof *path)))
        return FSI_E_NOMEM;
    fsi_node_path(dir, path, len);
    st = fsi_image_clone(img, &copy);
    if (st == FSI_OK)
        st = fsi_dir_walk(fsi_image_root(copy), path, len, &at);
    if (st == FSI_OK)
        st = fsi_node_new_dir(WRAP, 1, &wrap);         /* any name: only its children count */
    if (st == FSI_OK) {
        if (whole) {
            if ((st = copy_node(src, &part)) == FSI_OK) {
                st = fsi_dir_attach(NULL, wrap, part, 1);
                fsi_node_unref(part);
            }
        } else {
            st = copy_into(wrap, src);
        }
    }
    if (st == FSI_OK)
        st = fsi_dir_merge(copy, at, wrap);
    fsi_node_unref(wrap);
    free(path);
    if (st != FSI_OK) {
        fsi_image_free(copy);
        return st;
    }
    *out = copy;
    return FSI_OK;
}
