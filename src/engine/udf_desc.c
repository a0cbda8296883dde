/*
 * ECMA-167 (UDF) building blocks, written by the UDF writer (udf.c, udf_vds.c, udf_area.c) and read by
 * the UDF import (import_udf*.c) and identification (identify.c): descriptor tags with their CRC and
 * checksum (3/7.2), OSTA CS0 and dstrings (1/7.2.12, UDF 2.1.1), timestamps (1/7.3), regids (1/7.4),
 * charspecs (UDF 2.1.2), extent_ad and long_ad, and how a file's data is cut into extents.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

/* ---- tags ----------------------------------------------------------------------------------- */

uint16_t fsi_udf_crc(const uint8_t *p, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int k = 0; k < 8; k++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
}

uint8_t fsi_udf_tag_checksum(const uint8_t *d)
{
    uint8_t sum = 0;
    for (int i = 0; i < 16; i++)
        if (i != 4)
            sum = (uint8_t)(sum + d[i]);
    return sum;
}

void fsi_udf_tag(uint8_t *d, uint16_t id, uint16_t version, uint32_t location, size_t desc_len)
{
    size_t crc_len = desc_len > 16 ? desc_len - 16 : 0;
    if (crc_len > 0xFFFF)
        crc_len = 0xFFFF;
    fsi_put_le16(d, id);
    fsi_put_le16(d + 2, version);
    d[4] = 0;
    d[5] = 0;
    fsi_put_le16(d + 6, 0);                     /* tag serial number */
    fsi_put_le16(d + 8, fsi_udf_crc(d + 16, crc_len));
    fsi_put_le16(d + 10, (uint16_t)crc_len);
    fsi_put_le32(d + 12, location);
    d[4] = fsi_udf_tag_checksum(d);
}

int fsi_udf_tag_is(const uint8_t *d, uint16_t id, uint64_t loc)
{
    return fsi_udf_tag_checksum(d) == d[4] && fsi_le16(d) == id && fsi_le32(d + 12) == loc;
}

int fsi_udf_tag_ok(const uint8_t *d, size_t avail, uint16_t id, uint64_t loc)
{
    if (avail < 16 || !fsi_udf_tag_is(d, id, loc))
        return 0;
    size_t crc_len = fsi_le16(d + 10);
    return 16 + crc_len > avail || fsi_udf_crc(d + 16, crc_len) == fsi_le16(d + 8);
}

/* ---- character sets ------------------------------------------------------------------------- */

static int wide(const uint16_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 0x100)
            return 1;
    return 0;
}

size_t fsi_udf_cs0_len(const uint16_t *s, size_t n)
{
    return n ? 1 + n * (wide(s, n) ? 2u : 1u) : 0;
}

size_t fsi_udf_cs0(const uint16_t *s, size_t n, uint8_t *out)
{
    if (!n)
        return 0;
    if (!wide(s, n)) {
        out[0] = 8;
        for (size_t i = 0; i < n; i++)
            out[1 + i] = (uint8_t)s[i];
        return 1 + n;
    }
    out[0] = 16;
    for (size_t i = 0; i < n; i++)
        fsi_put_be16(out + 1 + 2 * i, s[i]);
    return 1 + 2 * n;
}

int fsi_udf_name_fits(const uint16_t *s, size_t n) { return fsi_udf_cs0_len(s, n) <= 255; }

size_t fsi_udf_cs0_decode(const uint8_t *s, size_t n, uint16_t *out)
{
    if (!n)
        return 0;
    size_t k = 0;
    if (s[0] == 8 || s[0] == 254) {
        for (size_t i = 1; i < n; i++)
            out[k++] = s[i];
    } else if (s[0] == 16 || s[0] == 255) {
        if ((n - 1) & 1)
            return (size_t)-1;
        for (size_t i = 1; i + 1 < n; i += 2)
            out[k++] = fsi_be16(s + i);
    } else {
        return (size_t)-1;
    }
    return k;
}

void fsi_udf_dstring(uint8_t *f, size_t flen, const uint16_t *s, size_t n)
{
    memset(f, 0, flen);
    if (!n || flen < 3)
        return;
    size_t per = wide(s, n) ? 2 : 1;
    size_t max = (flen - 2) / per;             /* units after the compression ID */
    if (n > max) {
        n = max;
        if (n && s[n - 1] >= 0xD800 && s[n - 1] <= 0xDBFF)
            n--;
    }
    size_t len = fsi_udf_cs0(s, n, f);
    f[flen - 1] = (uint8_t)len;
}

void fsi_udf_charspec(uint8_t *p)
{
    static const char info[] = "OSTA Compressed Unicode";
    memset(p, 0, 64);
    memcpy(p + 1, info, sizeof info - 1);
}

/* ---- timestamps ----------------------------------------------------------------------------- */

void fsi_udf_timestamp(uint8_t *p, fsi_time t)
{
    int y, mo, d, h, mi, s, cs;
    fsi_time_civil(t, &y, &mo, &d, &h, &mi, &s, &cs);
    int64_t sub = t % 100000;                   /* ticks below the centisecond */
    if (sub < 0)
        sub += 100000;
    if (y == 1 && mo == 1 && d == 1 && h == 0 && mi == 0 && s == 0 && cs == 0)
        sub = 0;                                /* clamped */
    if (y == 9999 && mo == 12 && d == 31 && h == 23 && mi == 59 && s == 59 && cs == 99)
        sub = 99999;
    fsi_put_le16(p, 0x1000);                    /* type 1, offset 0 minutes */
    fsi_put_le16(p + 2, (uint16_t)y);
    p[4] = (uint8_t)mo;
    p[5] = (uint8_t)d;
    p[6] = (uint8_t)h;
    p[7] = (uint8_t)mi;
    p[8] = (uint8_t)s;
    p[9] = (uint8_t)cs;
    p[10] = (uint8_t)(sub / 1000);              /* hundreds of microseconds */
    p[11] = (uint8_t)(sub / 10 % 100);          /* microseconds */
}

fsi_time fsi_udf_timestamp_read(const uint8_t *p)
{
    uint16_t tz = fsi_le16(p);
    int off = tz & 0xFFF;
    if (off & 0x800)
        off -= 0x1000;
    if (tz >> 12 != 1 || off < -1440 || off > 1440)
        off = 0;
    int64_t ticks = 0;
    if (p[9] <= 99 && p[10] <= 99 && p[11] <= 99)
        ticks = (int64_t)p[9] * 100000 + (int64_t)p[10] * 1000 + (int64_t)p[11] * 10;
    return fsi_time_from_civil((int16_t)fsi_le16(p + 2), p[4], p[5], p[6], p[7], p[8], ticks, off);
}

/* ---- identifiers and addresses -------------------------------------------------------------- */

void fsi_udf_regid(uint8_t *p, const char *id, const uint8_t suffix[8])
{
    memset(p, 0, 32);
    memcpy(p + 1, id, strlen(id));
    if (suffix)
        memcpy(p + 24, suffix, 8);
}

int fsi_udf_regid_is(const uint8_t *r, const char *s)
{
    size_t n = strlen(s);
    return memcmp(r + 1, s, n) == 0 && (n >= 23 || r[1 + n] == 0);
}

void fsi_udf_extent_ad(uint8_t *p, uint32_t len, uint32_t loc)
{
    fsi_put_le32(p, len);
    fsi_put_le32(p + 4, loc);
}

void fsi_udf_long_ad(uint8_t *p, uint32_t len, uint32_t lb, uint16_t part, uint32_t unique)
{
    fsi_put_le32(p, len);
    fsi_put_le32(p + 4, lb);
    fsi_put_le16(p + 8, part);
    fsi_put_le16(p + 10, 0);                    /* ADImpUse flags */
    fsi_put_le32(p + 12, unique);               /* UDF unique ID (UDF 2.3.4.3) */
}

uint64_t fsi_udf_extent_count(uint64_t size) { return (size + FSI_UDF_MAX_EXTENT - 1) / FSI_UDF_MAX_EXTENT; }

uint32_t fsi_udf_extent_len(uint64_t size, uint64_t i)
{
    uint64_t off = i * FSI_UDF_MAX_EXTENT;
    if (off >= size)
        return 0;
    return size - off > FSI_UDF_MAX_EXTENT ? FSI_UDF_MAX_EXTENT : (uint32_t)(size - off);
}
