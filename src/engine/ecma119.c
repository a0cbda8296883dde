/*
 * ECMA-119 (ISO 9660) on-disc structures, written by ISO 9660, Joliet and El Torito: dates,
 * directory records, path table records, volume descriptors and the set terminator.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

void fsi_put_date7(uint8_t *p, fsi_time t)
{
    int y, mo, d, h, mi, s, cs;
    fsi_time_civil(t, &y, &mo, &d, &h, &mi, &s, &cs);
    if (y < 1900) {
        y = 1900; mo = 1; d = 1; h = mi = s = 0;
    } else if (y > 1900 + 255) {
        y = 1900 + 255; mo = 12; d = 31; h = 23; mi = 59; s = 59;
    }
    p[0] = (uint8_t)(y - 1900);
    p[1] = (uint8_t)mo;
    p[2] = (uint8_t)d;
    p[3] = (uint8_t)h;
    p[4] = (uint8_t)mi;
    p[5] = (uint8_t)s;
    p[6] = 0;                       /* GMT offset: UTC */
}

static void put_digits(uint8_t *p, int v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)('0' + v % 10);
        v /= 10;
    }
}

void fsi_put_date17(uint8_t *p, fsi_time t)
{
    int y, mo, d, h, mi, s, cs;
    fsi_time_civil(t, &y, &mo, &d, &h, &mi, &s, &cs);
    put_digits(p, y, 4);
    put_digits(p + 4, mo, 2);
    put_digits(p + 6, d, 2);
    put_digits(p + 8, h, 2);
    put_digits(p + 10, mi, 2);
    put_digits(p + 12, s, 2);
    put_digits(p + 14, cs, 2);
    p[16] = 0;
}

static void put_date17_unset(uint8_t *p)
{
    memset(p, '0', 16);
    p[16] = 0;
}

size_t fsi_write_dirrec(uint8_t *p, uint32_t lba, uint32_t size, fsi_time t, uint8_t flags,
                        const uint8_t *id, size_t len_fi)
{
    size_t len = fsi_dirrec_len(len_fi);
    p[0] = (uint8_t)len;
    p[1] = 0;                       /* extended attribute record length */
    fsi_put_both32(p + 2, lba);
    fsi_put_both32(p + 10, size);
    fsi_put_date7(p + 18, t);
    p[25] = flags;
    p[26] = 0;                      /* file unit size */
    p[27] = 0;                      /* interleave gap */
    fsi_put_both16(p + 28, 1);      /* volume sequence number */
    p[32] = (uint8_t)len_fi;
    memcpy(p + 33, id, len_fi);
    if (!(len_fi & 1))
        p[33 + len_fi] = 0;
    return len;
}

size_t fsi_write_pathrec(uint8_t *p, int msb, uint32_t lba, uint16_t parent, const uint8_t *id,
                         size_t len_di)
{
    p[0] = (uint8_t)len_di;
    p[1] = 0;
    if (msb) {
        fsi_put_be32(p + 2, lba);
        fsi_put_be16(p + 6, parent);
    } else {
        fsi_put_le32(p + 2, lba);
        fsi_put_le16(p + 6, parent);
    }
    memcpy(p + 8, id, len_di);
    if (len_di & 1)
        p[8 + len_di] = 0;
    return fsi_pathrec_len(len_di);
}

/* Fill an identifier field with a text: ASCII padded with spaces, or UCS-2 BE padded with
 * UCS-2 spaces (a trailing odd byte is 0). */
static void put_text(uint8_t *p, size_t n, const char *text, int ucs2)
{
    size_t tl = text ? strlen(text) : 0;
    if (!ucs2) {
        memset(p, ' ', n);
        memcpy(p, text, tl < n ? tl : n);
        return;
    }
    size_t units = n / 2;
    for (size_t i = 0; i < units; i++)
        fsi_put_be16(p + 2 * i, i < tl ? (uint16_t)(unsigned char)text[i] : 0x20);
    if (n & 1)
        p[n - 1] = 0;
}

#define APPLICATION_ID "IMAPI2FS OPEN IMAGE CREATOR"

void fsi_write_vd(uint8_t *b, const fsi_vd_info *vi)
{
    int j = vi->joliet;
    memset(b, 0, FSI_BLOCK_SIZE);
    b[0] = j ? 2 : 1;
    memcpy(b + 1, "CD001", 5);
    b[6] = 1;
    b[7] = 0;                                   /* volume flags (SVD) / unused */
    put_text(b + 8, 32, "", j);                 /* system identifier */
    memcpy(b + 40, vi->volume_id, 32);
    fsi_put_both32(b + 80, vi->volume_space);
    if (j) {
        b[88] = '%';                            /* UCS-2 level 3 */
        b[89] = '/';
        b[90] = 'E';
    }
    fsi_put_both16(b + 120, 1);                 /* volume set size */
    fsi_put_both16(b + 124, 1);                 /* volume sequence number */
    fsi_put_both16(b + 128, FSI_BLOCK_SIZE);
    fsi_put_both32(b + 132, vi->path_table_size);
    fsi_put_le32(b + 140, vi->path_l);
    fsi_put_le32(b + 144, 0);
    fsi_put_be32(b + 148, vi->path_m);
    fsi_put_be32(b + 152, 0);
    static const uint8_t root_id = 0;
    fsi_write_dirrec(b + 156, vi->root_lba, vi->root_size, vi->root_time, 0x02, &root_id, 1);
    put_text(b + 190, 128, "", j);              /* volume set identifier */
    put_text(b + 318, 128, "", j);              /* publisher */
    put_text(b + 446, 128, "", j);              /* data preparer */
    put_text(b + 574, 128, APPLICATION_ID, j);
    put_text(b + 702, 37, "", j);               /* copyright file */
    put_text(b + 739, 37, "", j);               /* abstract file */
    put_text(b + 776, 37, "", j);               /* bibliographic file */
    fsi_put_date17(b + 813, vi->creation);
    fsi_put_date17(b + 830, vi->creation);
    put_date17_unset(b + 847);                  /* expiration */
    put_date17_unset(b + 864);                  /* effective */
    b[881] = 1;                                 /* file structure version */
}

void fsi_write_vd_terminator(uint8_t *b)
{
    memset(b, 0, FSI_BLOCK_SIZE);
    b[0] = 255;
    memcpy(b + 1, "CD001", 5);
    b[6] = 1;
}
