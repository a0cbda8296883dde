/*
 * UTF-8 <-> UTF-16 conversion.
 *
 * Beyond engine.h: with out == NULL and cap == 0 both functions only count (return the length
 * needed, without the NUL; still (size_t)-1 for invalid UTF-8).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

/* Decode one UTF-8 sequence at s[i..len); returns the code point or -1 if invalid; *adv = bytes. */
static int32_t utf8_decode(const unsigned char *s, size_t len, size_t i, size_t *adv)
{
    unsigned c = s[i];
    if (c < 0x80) {
        *adv = 1;
        return (int32_t)c;
    }
    size_t n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; min = 0x10000; }
    else return -1;
    if (len - i < n)
        return -1;
    for (size_t k = 1; k < n; k++) {
        unsigned cc = s[i + k];
        if ((cc & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *adv = n;
    return (int32_t)cp;
}

size_t fsi_utf8_to_utf16(const char *s, size_t len, uint16_t *out, size_t cap)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0;
    int count_only = (out == NULL && cap == 0);
    while (i < len) {
        size_t adv;
        int32_t cp = utf8_decode(u, len, i, &adv);
        if (cp < 0)
            goto fail;
        size_t need = cp >= 0x10000 ? 2 : 1;
        if (!count_only) {
            if (o + need + 1 > cap)
                goto fail;
            if (need == 2) {
                uint32_t v = (uint32_t)cp - 0x10000;
                out[o] = (uint16_t)(0xD800 | (v >> 10));
                out[o + 1] = (uint16_t)(0xDC00 | (v & 0x3FF));
            } else {
                out[o] = (uint16_t)cp;
            }
        }
        o += need;
        i += adv;
    }
    if (!count_only) {
        if (cap == 0)
            return (size_t)-1;
        out[o] = 0;
    }
    return o;
fail:
    if (out && cap > 0)
        out[0] = 0;
    return (size_t)-1;
}

size_t fsi_utf16_to_utf8(const uint16_t *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    int count_only = (out == NULL && cap == 0);
    for (size_t i = 0; i < len; i++) {
        uint32_t cp = s[i];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < len && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (s[i + 1] - 0xDC00u);
            i++;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        unsigned char b[4];
        size_t n;
        if (cp < 0x80) { b[0] = (unsigned char)cp; n = 1; }
        else if (cp < 0x800) { b[0] = (unsigned char)(0xC0 | (cp >> 6)); b[1] = (unsigned char)(0x80 | (cp & 0x3F)); n = 2; }
        else if (cp < 0x10000) {
            b[0] = (unsigned char)(0xE0 | (cp >> 12)); b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            b[2] = (unsigned char)(0x80 | (cp & 0x3F)); n = 3;
        } else {
            b[0] = (unsigned char)(0xF0 | (cp >> 18)); b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (unsigned char)(0x80 | (cp & 0x3F)); n = 4;
        }
        if (!count_only) {
            if (o + n + 1 > cap) {
                if (cap > 0)
                    out[0] = 0;
                return (size_t)-1;
            }
            memcpy(out + o, b, n);
        }
        o += n;
    }
    if (!count_only) {
        if (cap == 0)
            return (size_t)-1;
        out[o] = 0;
    }
    return o;
}
