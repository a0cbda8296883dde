/*
 * Random-write (overwrite) results below the new session (fsi_cursor_read serves the session itself):
 * the medium's blocks, except the rewritten volume recognition area (16 .. head_end - 1: the new
 * session's descriptors, from the plan's store, then zeros over what is left of the old sequence)
 * and the block a format rewrites (UDF: the anchor at 256, which points at the new session's volume
 * descriptor sequences). The new session follows the old volume. See fsi_plan_opts.base and
 * docs/architecture.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

fsi_status fsi_overlay_read(const fsi_plan *p, uint64_t off, void *buf, size_t len, fsi_err *err)
{
    const uint64_t BS = FSI_BLOCK_SIZE;
    uint64_t ss = (uint64_t)p->session_start * BS;
    uint8_t *out = buf;
    uint8_t blk[FSI_BLOCK_SIZE];
    while (len) {
        uint64_t b = off / BS;
        size_t in = (size_t)(off % BS);
        size_t n;
        if (b >= 16 && b < p->head_end) {
            /* the new session's block b (relative): its recognition area, then zeros */
            n = (size_t)(BS - in < len ? BS - in : len);
            if (b < 16 + p->head_new)
                fsi_store_read(p, b, in, out, n);
            else
                memset(out, 0, n);
        } else if (p->rewritten && b == p->rewritten) {
            n = (size_t)(BS - in < len ? BS - in : len);
            memcpy(out, p->rewritten_blk + in, n);
        } else {
            /* the medium's blocks up to the next rewritten one; zeros after the medium's end */
            uint64_t end = ss, mend = fsi_medium_blocks(p->base) * BS;
            if (b < 16)
                end = 16 * BS < end ? 16 * BS : end;
            else if (p->rewritten && b < p->rewritten)
                end = p->rewritten * BS < end ? p->rewritten * BS : end;
            if (off >= mend) {
                n = (size_t)(end - off < len ? end - off : len);
                memset(out, 0, n);
                out += n;
                off += n;
                len -= n;
                continue;
            }
            if (end > mend)
                end = mend;
            n = (size_t)(end - off < len ? end - off : len);
            uint64_t first = b, last = (off + n - 1) / BS;
            /* whole blocks straight in; a partial first or last block through blk */
            size_t done = 0;
            for (uint64_t k = first; k <= last;) {
                size_t kin = k == first ? in : 0;
                size_t want = n - done;
                if (!kin && want >= BS) {
                    uint64_t cnt = want / BS;
                    if (cnt > 65536)
                        cnt = 65536;
                    if (fsi_medium_read(p->base, k, (uint32_t)cnt, out + done)) {
                        fsi_err_set(err, FSI_E_READ, 0, NULL);
                        return FSI_E_READ;
                    }
                    done += (size_t)cnt * BS;
                    k += cnt;
                    continue;
                }
                if (fsi_medium_read(p->base, k, 1, blk)) {
                    fsi_err_set(err, FSI_E_READ, 0, NULL);
                    return FSI_E_READ;
                }
                size_t m = BS - kin < want ? BS - kin : want;
                memcpy(out + done, blk + kin, m);
                done += m;
                k++;
            }
        }
        out += n;
        off += n;
        len -= n;
    }
    return FSI_OK;
}
