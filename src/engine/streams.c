/*
 * What a file item holds besides its name: its data (IFsiFileItem::put_Data before the item is
 * added), its named streams and its real-time flag (IFsiFileItem2). The layout writes streams and
 * the flag in UDF only (udf.c); see engine.h for the rules on names and the per-image limit.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

fsi_status fsi_node_set_file_data(fsi_node *n, uint64_t size, fsi_source *src)
{
    if (!n || n->is_dir || n->is_root || n->parent || (size && !src))
        return FSI_E_INVALID_PARAM;
    if (src)
        fsi_source_ref(src);
    if (n->u.f.src)
        fsi_source_unref(n->u.f.src);
    n->u.f.src = src;
    n->u.f.size = size;
    return FSI_OK;
}

static fsi_status check_stream_name(const uint16_t *name, size_t len)
{
    static const uint16_t udf[4] = { '*', 'U', 'D', 'F' };
    if (!name || !len)
        return FSI_E_INVALID_PARAM;
    if (len > FSI_NAME_MAX || !fsi_udf_name_fits(name, len))
        return FSI_E_INVALID_NAME;
    for (size_t i = 0; i < len; i++)
        if (name[i] == 0 || name[i] == '\\' || name[i] == '/' || name[i] == ':')
            return FSI_E_INVALID_NAME;
    if (len >= 4 && !memcmp(name, udf, sizeof udf))
        return FSI_E_INVALID_NAME;
    return FSI_OK;
}

size_t fsi_node_find_stream(const fsi_node *n, const uint16_t *name, size_t name_len)
{
    if (!n || n->is_dir || (!name && name_len))
        return (size_t)-1;
    for (uint32_t i = 0; i < n->u.f.nstreams; i++) {
        const fsi_stream *s = &n->u.f.streams[i];
        if (s->name_len == name_len && !memcmp(s->name, name, name_len * sizeof *name))
            return i;
    }
    return (size_t)-1;
}

fsi_status fsi_node_add_stream(fsi_node *n, const uint16_t *name, size_t name_len, uint64_t size,
                               fsi_source *src)
{
    if (!n || n->is_dir || (size && !src))
        return FSI_E_INVALID_PARAM;
    fsi_status st = check_stream_name(name, name_len);
    if (st)
        return st;
    if (fsi_node_find_stream(n, name, name_len) != (size_t)-1)
        return FSI_E_DUP_NAME;
    if (n->u.f.nstreams == UINT32_MAX || !FSI_GROW(n->u.f.streams, n->u.f.scap, (size_t)n->u.f.nstreams + 1))
        return FSI_E_NOMEM;
    uint16_t *copy = malloc(name_len * sizeof *copy);
    if (!copy)
        return FSI_E_NOMEM;
    memcpy(copy, name, name_len * sizeof *copy);
    fsi_stream *s = &n->u.f.streams[n->u.f.nstreams++];
    s->name = copy;
    s->name_len = (uint16_t)name_len;
    s->size = size;
    s->src = size ? src : NULL;
    fsi_source_ref(s->src);
    return FSI_OK;
}

fsi_status fsi_node_remove_stream(fsi_node *n, const uint16_t *name, size_t name_len)
{
    size_t i = fsi_node_find_stream(n, name, name_len);
    if (i == (size_t)-1)
        return n && !n->is_dir ? FSI_E_NOT_FOUND : FSI_E_INVALID_PARAM;
    fsi_stream *s = &n->u.f.streams[i];
    fsi_source_unref(s->src);
    free(s->name);
    memmove(s, s + 1, (n->u.f.nstreams - i - 1) * sizeof *s);
    n->u.f.nstreams--;
    return FSI_OK;
}

size_t fsi_node_stream_count(const fsi_node *n) { return n && !n->is_dir ? n->u.f.nstreams : 0; }

const uint16_t *fsi_node_stream(const fsi_node *n, size_t i, size_t *name_len, uint64_t *size,
                                fsi_source **src)
{
    if (!n || n->is_dir || i >= n->u.f.nstreams)
        return NULL;
    const fsi_stream *s = &n->u.f.streams[i];
    if (name_len)
        *name_len = s->name_len;
    if (size)
        *size = s->size;
    if (src)
        *src = s->src;
    return s->name;
}

int fsi_node_realtime(const fsi_node *n) { return n && !n->is_dir && n->realtime; }

void fsi_node_set_realtime(fsi_node *n, int realtime)
{
    if (n && !n->is_dir)
        n->realtime = (uint8_t)(realtime != 0);
}

void fsi_node_free_streams(fsi_node *n)
{
    for (uint32_t i = 0; i < n->u.f.nstreams; i++) {
        fsi_source_unref(n->u.f.streams[i].src);
        free(n->u.f.streams[i].name);
    }
    free(n->u.f.streams);
    n->u.f.streams = NULL;
    n->u.f.nstreams = n->u.f.scap = 0;
}
