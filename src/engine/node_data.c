/*
 * Data of a detached file item (IFsiFileItem::put_Data before the item is added).
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
