/*
 * Deep copy of a tree (change points: IFileSystemImage::RollbackToChangePoint). Nodes (with their
 * named streams and real-time flags) are copied; data sources are shared (reference counted), so a
 * copy costs memory for names and nodes only.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

static fsi_status copy_into(fsi_node *dst, const fsi_node *src)
{
    for (size_t i = 0, n = fsi_dir_child_count(src); i < n; i++) {
        const fsi_node *c = fsi_dir_child(src, i);
        fsi_node *copy;
        fsi_times t;
        fsi_status st;
        size_t len;
        const uint16_t *name;

        if (!c)
            continue;
        name = fsi_node_name(c, &len);
        st = c->is_dir ? fsi_node_new_dir(name, len, &copy)
                       : fsi_node_new_file(name, len, c->u.f.size, c->u.f.src, &copy);
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
        }
        if (st == FSI_OK)
            st = fsi_dir_attach(NULL, dst, copy, 0);
        if (st == FSI_OK && c->is_dir)
            st = copy_into(copy, c);
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
