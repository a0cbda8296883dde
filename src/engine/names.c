/*
 * Name mapping: original UTF-16 names -> ISO 9660 (levels 1..3) and Joliet identifiers, with the
 * deterministic "~N" uniqueness rule. fsi_map_name() and the plan share fsi_map_children(), so an
 * item gets the same name from both.
 *
 * Rules (see engine.h / the project brief):
 *  ISO 9660: a-z upper-cased; anything outside the d-characters A-Z 0-9 _ becomes '_' (one '_' per
 *  code point, so a surrogate pair gives one). Files: the last '.' separates name and extension,
 *  other dots become '_'; the separator is always written ("README" -> "README."), ";1" is added
 *  when rendering. Level 1: name <= 8, extension <= 3, directories <= 8. Levels 2/3: name + '.' +
 *  extension <= 30, directories <= 31 (no '.').
 *  Joliet: at most 64 UTF-16 units (";1" not counted), a surrogate pair is never split; control
 *  characters and * / : ; ? \ become '_'. Truncation keeps the extension when possible.
 *  UDF: names are kept as they are unless their OSTA CS0 form exceeds 255 bytes (254 units when all
 *  are below U+0100, else 127): then they are cut like Joliet names (extension kept, a surrogate
 *  pair never split) and made unique with "~N".
 *  Uniqueness: the children are visited in ECMA-119 9.3 order of their original names; the first
 *  keeps its name, later ones get "~N" at the end of the name part (N = 1, 2, ... per colliding
 *  name), the name part being shortened so that the limits hold. ISO 9660 identifiers may hold
 *  d-characters only and '~' is not one (ECMA-119 7.4.1), so the ISO tree uses "_N" instead
 *  (FSI_ISO_UNIQUE_MARK); Joliet uses "~N". For ISO 9660 a file without
 *  extension "A." and a directory "A" collide (readers show both as "A"). Joliet compares exactly
 *  (case-sensitive), so "a.h" and "A.h" both keep their names.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

/* Marker before N in unique ISO 9660 names: must be a d-character (see above). */
#define FSI_ISO_UNIQUE_MARK '_'

static int is_high(uint16_t c) { return c >= 0xD800 && c <= 0xDBFF; }
static int is_low(uint16_t c) { return c >= 0xDC00 && c <= 0xDFFF; }
static int is_dchar(uint16_t c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

static size_t iso_chars(const uint16_t *s, size_t n, uint16_t *o)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t c = s[i];
        if (is_high(c) && i + 1 < n && is_low(s[i + 1])) {
            i++;
            o[k++] = '_';
            continue;
        }
        if (c >= 'a' && c <= 'z')
            c = (uint16_t)(c - 'a' + 'A');
        else if (!is_dchar(c))
            c = '_';
        o[k++] = c;
    }
    return k;
}

static uint16_t joliet_char(uint16_t c)
{
    if (c < 0x20 || c == '*' || c == '/' || c == ':' || c == ';' || c == '?' || c == '\\')
        return '_';
    return c;
}

static size_t joliet_chars(const uint16_t *s, size_t n, uint16_t *o)
{
    for (size_t i = 0; i < n; i++)
        o[i] = joliet_char(s[i]);
    return n;
}

/* ---- comparison ------------------------------------------------------------------------------ */

static int padcmp(const uint16_t *a, size_t al, const uint16_t *b, size_t bl)
{
    size_t n = al > bl ? al : bl;
    for (size_t i = 0; i < n; i++) {
        uint16_t ca = i < al ? a[i] : 0x20, cb = i < bl ? b[i] : 0x20;
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return 0;
}

int fsi_ident_cmp(const uint16_t *a, size_t alen, size_t aname, const uint16_t *b, size_t blen,
                  size_t bname)
{
    if (aname > alen)
        aname = alen;
    if (bname > blen)
        bname = blen;
    int r = padcmp(a, aname, b, bname);
    if (r)
        return r;
    size_t ael = aname < alen ? alen - aname - 1 : 0, bel = bname < blen ? blen - bname - 1 : 0;
    r = padcmp(a + alen - ael, ael, b + blen - bel, bel);
    if (r)
        return r;
    if (alen != blen)
        return alen < blen ? -1 : 1;
    for (size_t i = 0; i < alen; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Name part length of an original name: before the last '.' for files, whole for directories. */
static size_t orig_name_part(const fsi_node *n)
{
    if (n->is_dir)
        return n->name_len;
    for (size_t i = n->name_len; i > 0; i--)
        if (n->name[i - 1] == '.')
            return i - 1;
    return n->name_len;
}

static int orig_cmp(void *ctx, uint32_t a, uint32_t b)
{
    fsi_node *const *kids = ctx;
    const fsi_node *x = kids[a], *y = kids[b];
    return fsi_ident_cmp(x->name, x->name_len, orig_name_part(x), y->name, y->name_len, orig_name_part(y));
}

/* ---- composing a candidate ------------------------------------------------------------------- */

typedef struct base {
    uint16_t name[FSI_NAME_MAX + 1];
    uint16_t ext[FSI_NAME_MAX + 1];
    size_t nl, el;
    int sep;                        /* write the '.' separator */
    size_t max_name, max_ext, max_total;
} base;

static void make_base(const fsi_node *n, unsigned fs, int level, base *b)
{
    size_t np = orig_name_part(n);
    int has_dot = np < n->name_len;
    if (fs == FSI_FS_ISO9660) {
        if (n->is_dir) {
            b->nl = iso_chars(n->name, n->name_len, b->name);
            b->el = 0;
            b->sep = 0;
            b->max_name = b->max_total = level == 1 ? FSI_ISO_L1_NAME : FSI_ISO_L2_DIR;
            b->max_ext = 0;
        } else {
            b->nl = iso_chars(n->name, np, b->name);
            b->el = has_dot ? iso_chars(n->name + np + 1, n->name_len - np - 1, b->ext) : 0;
            b->sep = 1;
            if (level == 1) {
                b->max_name = FSI_ISO_L1_NAME;
                b->max_ext = FSI_ISO_L1_EXT;
                b->max_total = FSI_ISO_L1_NAME + 1 + FSI_ISO_L1_EXT;
            } else {
                b->max_name = b->max_ext = b->max_total = FSI_ISO_L2_FILE;
            }
        }
    } else {
        if (n->is_dir || !has_dot) {
            b->nl = joliet_chars(n->name, n->name_len, b->name);
            b->el = 0;
            b->sep = 0;
        } else {
            b->nl = joliet_chars(n->name, np, b->name);
            b->el = joliet_chars(n->name + np + 1, n->name_len - np - 1, b->ext);
            b->sep = 1;
        }
        b->max_name = b->max_ext = b->max_total = FSI_JOLIET_MAX;
    }
    if (fs == FSI_FS_UDF) {
        /* raw names; the limit follows the CS0 compression the name needs */
        size_t wide = 0;
        for (size_t i = 0; i < n->name_len; i++)
            wide |= n->name[i] >= 0x100;
        if (n->is_dir || !has_dot) {
            memcpy(b->name, n->name, n->name_len * sizeof *b->name);
            b->nl = n->name_len;
        } else {
            memcpy(b->name, n->name, np * sizeof *b->name);
            b->nl = np;
            memcpy(b->ext, n->name + np + 1, (n->name_len - np - 1) * sizeof *b->ext);
            b->el = n->name_len - np - 1;
        }
        b->max_name = b->max_ext = b->max_total = wide ? 127 : 254;
    }
}

/* Compose name[0..k) + suffix + ('.' if sep) + ext[0..e) into out. 0 if it cannot fit. */
static int compose(const base *b, const uint16_t *suf, size_t sl, uint16_t *out, size_t *len,
                   size_t *name_len)
{
    size_t sep = (size_t)b->sep;
    size_t e = b->el < b->max_ext ? b->el : b->max_ext;
    if (sl > b->max_name)
        return 0;
    size_t need = sl ? sl : (b->nl ? 1 : 0);
    if (sep + e + need > b->max_total) {
        if (b->max_total < sep + need)
            return 0;
        e = b->max_total - sep - need;
    }
    if (e < b->el && e > 0 && is_high(b->ext[e - 1]))
        e--;
    size_t avail = b->max_total - sep - e;
    if (avail > b->max_name)
        avail = b->max_name;
    size_t k = b->nl < avail - sl ? b->nl : avail - sl;
    if (k < b->nl && k > 0 && is_high(b->name[k - 1]))
        k--;
    size_t o = 0;
    memcpy(out, b->name, k * sizeof *out);
    o = k;
    memcpy(out + o, suf, sl * sizeof *out);
    o += sl;
    *name_len = o;
    if (sep)
        out[o++] = '.';
    memcpy(out + o, b->ext, e * sizeof *out);
    o += e;
    *len = o;
    return 1;
}

/* ---- uniqueness set -------------------------------------------------------------------------- */

typedef struct uentry {
    uint32_t off;                   /* in keys */
    uint32_t len;
    uint32_t hash;
    uint32_t next_n;                /* next ~N to try for names colliding with this one */
} uentry;

typedef struct uset {
    uint32_t *tab;                  /* entry index + 1, 0 = empty */
    size_t mask;
    uentry *ent;
    size_t nent;
    fsi_u16pool keys;
} uset;

static uint32_t uset_find(const uset *s, const uint16_t *k, size_t len, uint32_t h)
{
    for (size_t i = h & s->mask;; i = (i + 1) & s->mask) {
        uint32_t e = s->tab[i];
        if (!e)
            return 0;
        const uentry *x = &s->ent[e - 1];
        if (x->hash == h && x->len == len && memcmp(s->keys.p + x->off, k, len * sizeof *k) == 0)
            return e;
    }
}

static int uset_add(uset *s, const uint16_t *k, size_t len, uint32_t h)
{
    if (!fsi_pool_reserve(&s->keys, len))
        return 0;
    uentry *x = &s->ent[s->nent];
    x->off = (uint32_t)s->keys.len;
    x->len = (uint32_t)len;
    x->hash = h;
    x->next_n = 1;
    memcpy(s->keys.p + s->keys.len, k, len * sizeof *k);
    s->keys.len += len;
    size_t i = h & s->mask;
    while (s->tab[i])
        i = (i + 1) & s->mask;
    s->tab[i] = (uint32_t)(++s->nent);
    return 1;
}

/* The name readers see, used for collisions: ISO files without extension drop the '.'. */
static size_t key_len(unsigned fs, const fsi_node *n, size_t len, size_t name_len)
{
    if (fs == FSI_FS_ISO9660 && !n->is_dir && len == name_len + 1)
        return name_len;
    return len;
}

fsi_status fsi_map_children(fsi_node *const *kids, size_t n, unsigned fs, int level,
                            fsi_u16pool *pool, fsi_mapped *out, size_t *bad)
{
    if (n == 0)
        return FSI_OK;
    if (fs != FSI_FS_ISO9660 && fs != FSI_FS_JOLIET && fs != FSI_FS_UDF)
        return FSI_E_INVALID_PARAM;
    if (n > UINT32_MAX / 4)
        return FSI_E_NOMEM;
    fsi_status ret = FSI_E_NOMEM;
    uset s = { 0 };
    base *b = malloc(sizeof *b);
    uint32_t *order = malloc(n * sizeof *order);
    size_t cap = 8;
    while (cap < 2 * n)
        cap *= 2;
    s.tab = calloc(cap, sizeof *s.tab);
    s.mask = cap - 1;
    s.ent = malloc(n * sizeof *s.ent);
    if (!b || !order || !s.tab || !s.ent)
        goto out;
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    if (!fsi_sort_u32(order, n, orig_cmp, (void *)kids))
        goto out;

    uint16_t cand[2 * FSI_NAME_MAX + 16];
    for (size_t oi = 0; oi < n; oi++) {
        size_t idx = order[oi];
        const fsi_node *kid = kids[idx];
        size_t len, nlen;
        make_base(kid, fs, level, b);
        static const uint16_t no_suffix[1] = { 0 };
        compose(b, no_suffix, 0, cand, &len, &nlen);
        size_t kl = key_len(fs, kid, len, nlen);
        uint32_t h = fsi_name_hash(cand, kl);
        uint32_t e = uset_find(&s, cand, kl, h);
        if (e) {
            /* collision: ~N, counting on from the last N used for this name */
            uint32_t first = e;
            uint32_t nn = s.ent[first - 1].next_n;
            for (;; nn++) {
                uint16_t suf[16];
                char digits[16];
                size_t dl = 0;
                for (uint32_t v = nn; v; v /= 10)
                    digits[dl++] = (char)('0' + v % 10);
                suf[0] = fs == FSI_FS_ISO9660 ? FSI_ISO_UNIQUE_MARK : '~';
                for (size_t q = 0; q < dl; q++)
                    suf[1 + q] = (uint16_t)digits[dl - 1 - q];
                if (!compose(b, suf, dl + 1, cand, &len, &nlen) || nn == UINT32_MAX) {
                    if (bad)
                        *bad = idx;
                    ret = FSI_E_NO_UNIQUE_NAME;
                    goto out;
                }
                kl = key_len(fs, kid, len, nlen);
                h = fsi_name_hash(cand, kl);
                if (!uset_find(&s, cand, kl, h))
                    break;
            }
            s.ent[first - 1].next_n = nn + 1;
        }
        if (!uset_add(&s, cand, kl, h))
            goto out;
        if (!fsi_pool_reserve(pool, len))
            goto out;
        out[idx].off = (uint32_t)pool->len;
        out[idx].len = (uint16_t)len;
        out[idx].name_len = (uint16_t)nlen;
        memcpy(pool->p + pool->len, cand, len * sizeof *cand);
        pool->len += len;
    }
    ret = FSI_OK;
out:
    free(b);
    free(order);
    free(s.tab);
    free(s.ent);
    fsi_pool_free(&s.keys);
    return ret;
}

size_t fsi_map_name(const fsi_image *img, const fsi_node *n, unsigned fs, int iso_level,
                    uint16_t *buf, size_t cap)
{
    (void)img;
    if (!n || !n->parent || (fs != FSI_FS_ISO9660 && fs != FSI_FS_JOLIET && fs != FSI_FS_UDF))
        return 0;
    if (fs == FSI_FS_ISO9660 && (iso_level < 1 || iso_level > 3))
        return 0;
    const fsi_node *d = n->parent;
    size_t cnt = d->u.d.nkids - d->u.d.holes, k = 0, me = 0;
    fsi_node **kids = malloc((cnt ? cnt : 1) * sizeof *kids);
    fsi_mapped *m = malloc((cnt ? cnt : 1) * sizeof *m);
    fsi_u16pool pool = { 0 };
    size_t ret = 0;
    if (!kids || !m)
        goto out;
    for (size_t i = 0; i < d->u.d.nkids; i++) {
        fsi_node *c = d->u.d.kids[i];
        if (!c)
            continue;
        if (c == n)
            me = k;
        kids[k++] = c;
    }
    if (fs == FSI_FS_UDF) {
        /* names are kept unless one of the directory's names is too long for UDF */
        int all_fit = 1;
        for (size_t i = 0; i < k && all_fit; i++)
            all_fit = fsi_udf_name_fits(kids[i]->name, kids[i]->name_len);
        if (all_fit) {
            ret = n->name_len;
            for (size_t i = 0; i < ret && i < cap; i++)
                buf[i] = n->name[i];
            goto out;
        }
    }
    if (fsi_map_children(kids, k, fs, iso_level, &pool, m, NULL) != FSI_OK)
        goto out;
    ret = m[me].len;
    for (size_t i = 0; i < ret && i < cap; i++)
        buf[i] = pool.p[m[me].off + i];
out:
    free(kids);
    free(m);
    fsi_pool_free(&pool);
    return ret;
}

/* ---- volume identifiers ---------------------------------------------------------------------- */

void fsi_volume_id_iso(const uint16_t *name, size_t len, uint8_t out[32])
{
    uint16_t tmp[FSI_NAME_MAX + 1];
    if (len > FSI_NAME_MAX)
        len = FSI_NAME_MAX;
    size_t n = name ? iso_chars(name, len, tmp) : 0;
    if (n > 32)
        n = 32;
    memset(out, ' ', 32);
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)tmp[i];
}

void fsi_volume_id_joliet(const uint16_t *name, size_t len, uint8_t out[32])
{
    size_t n = name ? len : 0;
    if (n > 16) {
        n = 16;
        if (is_high(name[15]))
            n = 15;
    }
    for (size_t i = 0; i < 16; i++)
        fsi_put_be16(out + 2 * i, i < n ? joliet_char(name[i]) : 0x20);
}

size_t fsi_volume_name(unsigned fs, const uint16_t *name, size_t len, uint16_t *out, size_t cap)
{
    uint8_t id[32];
    uint16_t tmp[32];
    size_t n = 0;

    if (fs == FSI_FS_ISO9660) {
        fsi_volume_id_iso(name, len, id);
        for (n = 32; n && id[n - 1] == ' '; n--)
            ;
        for (size_t i = 0; i < n; i++)
            tmp[i] = id[i];
    } else if (fs == FSI_FS_JOLIET) {
        fsi_volume_id_joliet(name, len, id);
        for (n = 16; n && id[2 * n - 2] == 0 && id[2 * n - 1] == ' '; n--)
            ;
        for (size_t i = 0; i < n; i++)
            tmp[i] = (uint16_t)(id[2 * i] << 8 | id[2 * i + 1]);
    } else if (fs == FSI_FS_UDF) {
        /* The PVD volume identifier dstring holds 15 UTF-16 units (or 30 with 8-bit CS0); the
         * LVD's logical volume identifier 63 units. The name shown is the LVD's: cut at 30, never
         * splitting a surrogate pair. */
        n = len < 30 ? len : 30;
        if (n == 30 && name[29] >= 0xD800 && name[29] <= 0xDBFF)
            n = 29;
        for (size_t i = 0; i < n; i++)
            tmp[i] = name[i];
    }
    for (size_t i = 0; i < n && i < cap; i++)
        out[i] = tmp[i];
    return n;
}
