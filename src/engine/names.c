/*
 * Name mapping: original UTF-16 names -> ISO 9660 (levels 1..3), Joliet and UDF identifiers, made
 * unique within their directory. The one rule for which name an item gets: the plan (snapshot.c for
 * ISO 9660, joliet.c, udf.c) and fsi_map_name() all name a directory's children through
 * fsi_map_children() below, so FileSystemName / FileSystemPath and the image always agree. Every child of a directory is named
 * in every tree written (a file over the 2 GiB ceiling of levels 1 and 2 refuses the image).
 *
 * ISO 9660, level 1: 8.3 names the way Windows makes short names (RtlGenerate8dot3Name), with
 * d-characters:
 *  - A name that is already 8.3 keeps it, upper-cased: a file is 1-8 characters of A-Z a-z 0-9 _,
 *    then optionally '.' and 1-3 of them (one '.' at most, not first or last); a directory is 1-8
 *    of them ("readme.txt" -> "README.TXT", "Docs" -> "DOCS").
 *  - Any other name gets a numeric tail "~N" (N = 1, 2, ...), even when nothing collides: leading
 *    '.'s are skipped; a file's extension is what follows the last '.' (a directory has none);
 *    spaces, control characters, other '.'s and every character outside ASCII (a surrogate pair
 *    too) are dropped, a-z are upper-cased and any other ASCII character that is not a
 *    d-character becomes '_'. The name part is then cut to leave room for "~N" in 8 characters
 *    (6 for ~1..~9, 5 for ~10..~99, ...), the extension to 3: "_internal" -> "_INTER~1",
 *    "AIPacsLiteViewer.exe" -> "AIPACS~1.EXE", "index.html" -> "INDEX~1.HTM", "my file.c" ->
 *    "MYFILE~1.C", ".bashrc" -> "BASHRC~1", "Menu Démarrer" -> "MENUDM~1". A name part left empty
 *    becomes "_" ("été.txt" -> "T~1.TXT", "日本.txt" -> "_~1.TXT").
 *  - An 8.3 name that collides with one already taken (names differing only in case) gets a tail
 *    too: "a.txt" after "A.TXT" -> "A~1.TXT".
 * ISO 9660, levels 2 and 3: a-z upper-cased; anything outside the d-characters A-Z 0-9 _ becomes
 *  '_' (one '_' per code point, so a surrogate pair gives one). Files: the last '.' separates name
 *  and extension, other dots become '_'. Name + '.' + extension <= 30, directories <= 31 (no '.').
 *  A name is cut to fit, keeping its extension when possible, and gets a tail "~N" only when it
 *  collides with one already taken. In every level the separator of a file is always written
 *  ("README" -> "README."), ";1" is added when rendering, and a file without extension "A." and a
 *  directory "A" collide (readers show both as "A").
 * Joliet: at most 64 UTF-16 units (";1" not counted), a surrogate pair is never split; control
 *  characters and * / : ; ? \ become '_'. Truncation keeps the extension when possible. Names are
 *  compared exactly (case-sensitive), so "a.h" and "A.h" both keep their names.
 * UDF: names are kept as they are unless one of the directory's names does not fit 255 bytes of
 *  OSTA CS0 (254 units when all are below U+0100, else 127; udf_names_kept): then every name
 *  of that directory goes through the mapping, where those too long are cut like Joliet names
 *  (extension kept, a surrogate pair never split).
 *
 * Uniqueness (every file system): the children are visited in ECMA-119 9.3 order of their original
 * names, so the result does not depend on the order of adds. A name that needs no tail is taken if
 * free; otherwise the tail "~N" goes at the end of the name part, which is shortened so that the
 * limits hold, keeping at least its first character (the extension is shortened only when the
 * name part cannot make room). N is the lowest number not yet handed out for that shortened name
 * part and extension and number of digits, counted by a hash table of counters, not by trying
 * every N again (50,000 names of one stem are O(n)): "LONGFI~1.TXT" .. "LONGFI~9.TXT", then
 * "LONGF~10.TXT" .. "LONGF~99.TXT", "LONG~100.TXT", ... A candidate that is taken all the same (an
 * original Joliet or UDF name can hold "~N") is skipped. When no N fits (level 1: ~999999 is
 * taken for the name part cut to its first character, with that extension) the plan fails with
 * FSI_E_NO_UNIQUE_NAME. '~' is not an ECMA-119 d-character; Windows writes it all the same and
 * every reader we test lists and extracts such names (tests/iso/tilde-names.sh).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

static int is_high(uint16_t c) { return c >= 0xD800 && c <= 0xDBFF; }
static int is_low(uint16_t c) { return c >= 0xDC00 && c <= 0xDFFF; }
static int is_dchar(uint16_t c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }
static int is_dchar_any_case(uint16_t c) { return is_dchar(c) || (c >= 'a' && c <= 'z'); }

/* a-z upper-cased, anything else that is not a d-character '_' */
static uint16_t to_dchar(uint16_t c)
{
    if (c >= 'a' && c <= 'z')
        return (uint16_t)(c - 'a' + 'A');
    return is_dchar(c) ? c : '_';
}

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
        o[k++] = to_dchar(c);
    }
    return k;
}

/* Level 1 short-name characters (see the top): dropped (0) or the d-character written. */
static size_t short_chars(const uint16_t *s, size_t n, uint16_t *o)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t c = s[i];
        if (c <= ' ' || c == '.' || c >= 0x7F)
            continue;
        o[k++] = to_dchar(c);
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
    int tail;                       /* needs "~N" even when free (level 1: not already 8.3) */
    size_t max_name, max_ext, max_total;
} base;

/* Level 1: is the original name already 8.3 in d-characters (upper or lower case)? */
static int fits_8_3(const fsi_node *n, size_t np)
{
    size_t el = np < n->name_len ? n->name_len - np - 1 : 0;
    if (np < 1 || np > FSI_ISO_L1_NAME)
        return 0;
    if (np < n->name_len && (n->is_dir || el < 1 || el > FSI_ISO_L1_EXT))
        return 0;
    for (size_t i = 0; i < n->name_len; i++)
        if (i != np && !is_dchar_any_case(n->name[i]))
            return 0;
    return 1;
}

/* Level 1 name and extension (see the top). */
static void make_short(const fsi_node *n, size_t np, base *b)
{
    if (fits_8_3(n, np)) {
        b->nl = iso_chars(n->name, np, b->name);
        b->el = np < n->name_len ? iso_chars(n->name + np + 1, n->name_len - np - 1, b->ext) : 0;
        b->tail = 0;
        return;
    }
    size_t start = 0;
    while (start < n->name_len && n->name[start] == '.')
        start++;
    size_t dot = n->name_len;
    if (!n->is_dir)
        for (size_t i = n->name_len; i > start; i--)
            if (n->name[i - 1] == '.') {
                dot = i - 1;
                break;
            }
    b->nl = short_chars(n->name + start, dot - start, b->name);
    b->el = dot < n->name_len ? short_chars(n->name + dot + 1, n->name_len - dot - 1, b->ext) : 0;
    if (!b->nl)
        b->name[b->nl++] = '_';
    b->tail = 1;
}

static void make_base(const fsi_node *n, unsigned fs, int level, base *b)
{
    size_t np = orig_name_part(n);
    int has_dot = np < n->name_len;
    b->tail = 0;
    if (fs == FSI_FS_ISO9660) {
        if (n->is_dir) {
            b->sep = 0;
            b->max_name = b->max_total = level == 1 ? FSI_ISO_L1_NAME : FSI_ISO_L2_DIR;
            b->max_ext = 0;
        } else {
            b->sep = 1;
            if (level == 1) {
                b->max_name = FSI_ISO_L1_NAME;
                b->max_ext = FSI_ISO_L1_EXT;
                b->max_total = FSI_ISO_L1_NAME + 1 + FSI_ISO_L1_EXT;
            } else {
                b->max_name = b->max_ext = b->max_total = FSI_ISO_L2_FILE;
            }
        }
        if (level == 1) {
            make_short(n, np, b);
        } else if (n->is_dir) {
            b->nl = iso_chars(n->name, n->name_len, b->name);
            b->el = 0;
        } else {
            b->nl = iso_chars(n->name, np, b->name);
            b->el = has_dot ? iso_chars(n->name + np + 1, n->name_len - np - 1, b->ext) : 0;
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

/* Compose name[0..k) + suffix + ('.' if sep) + ext[0..e) into out: the longest name part and
 * extension that fit with the suffix. The name part gives way first, down to one unit (none if
 * that would split a surrogate pair); then the extension. 0 if it cannot fit. */
static int compose(const base *b, const uint16_t *suf, size_t sl, uint16_t *out, size_t *len,
                   size_t *name_len)
{
    size_t sep = (size_t)b->sep;
    size_t e = b->el < b->max_ext ? b->el : b->max_ext;
    size_t need = sl + (b->nl ? 1 : 0);
    if (need > b->max_name)
        return 0;
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

/* ---- hash sets ------------------------------------------------------------------------------- */

/* Open-addressing set of strings (the names taken, and the tail counters' keys) with a value per
 * entry. At most as many entries as the directory has children. */
typedef struct uentry {
    uint32_t off;                   /* in keys */
    uint32_t len;
    uint32_t hash;
    uint32_t val;                   /* counters: the next N to hand out */
} uentry;

typedef struct uset {
    uint32_t *tab;                  /* entry index + 1, 0 = empty */
    size_t mask;
    uentry *ent;
    size_t nent;
    fsi_u16pool keys;
} uset;

static int uset_init(uset *s, size_t n)
{
    size_t cap = 8;
    while (cap < 2 * n)
        cap *= 2;
    s->tab = calloc(cap, sizeof *s->tab);
    s->mask = cap - 1;
    s->ent = malloc(n * sizeof *s->ent);
    return s->tab && s->ent;
}

static void uset_free(uset *s)
{
    free(s->tab);
    free(s->ent);
    fsi_pool_free(&s->keys);
}

static uentry *uset_find(const uset *s, const uint16_t *k, size_t len, uint32_t h)
{
    for (size_t i = h & s->mask;; i = (i + 1) & s->mask) {
        uint32_t e = s->tab[i];
        if (!e)
            return NULL;
        uentry *x = &s->ent[e - 1];
        if (x->hash == h && x->len == len && memcmp(s->keys.p + x->off, k, len * sizeof *k) == 0)
            return x;
    }
}

static uentry *uset_add(uset *s, const uint16_t *k, size_t len, uint32_t h, uint32_t val)
{
    if (!fsi_pool_reserve(&s->keys, len))
        return NULL;
    uentry *x = &s->ent[s->nent];
    x->off = (uint32_t)s->keys.len;
    x->len = (uint32_t)len;
    x->hash = h;
    x->val = val;
    memcpy(s->keys.p + s->keys.len, k, len * sizeof *k);
    s->keys.len += len;
    size_t i = h & s->mask;
    while (s->tab[i])
        i = (i + 1) & s->mask;
    s->tab[i] = (uint32_t)(++s->nent);
    return x;
}

/* The name readers see, used for collisions: ISO files without extension drop the '.'. */
static size_t key_len(unsigned fs, const fsi_node *n, size_t len, size_t name_len)
{
    if (fs == FSI_FS_ISO9660 && !n->is_dir && len == name_len + 1)
        return name_len;
    return len;
}

/* ---- the rule -------------------------------------------------------------------------------- */

/* UDF keeps a directory's names unless one of them does not fit a file identifier. */
static int udf_names_kept(fsi_node *const *kids, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (!fsi_udf_name_fits(kids[i]->name, kids[i]->name_len))
            return 0;
    return 1;
}

#define TAIL_DIGITS_MAX 9           /* N < 10^9 */

/* The "~N" name of the child b describes (see the top) into cand, *len, *nlen, its collision key
 * length *kl and hash *h: 1; 0 when no N fits; -1 out of memory. */
static int take_tail(unsigned fs, const fsi_node *kid, const base *b, uset *names, uset *counters,
                     uint16_t *cand, size_t *len, size_t *nlen, size_t *kl, uint32_t *h)
{
    uint32_t lo = 1, hi = 9;
    for (size_t d = 1; d <= TAIL_DIGITS_MAX; d++, lo = hi + 1, hi = hi * 10 + 9) {
        uint16_t suf[1 + TAIL_DIGITS_MAX];
        suf[0] = '~';
        for (size_t q = 1; q <= d; q++)
            suf[q] = '0';
        if (!compose(b, suf, d + 1, cand, len, nlen))
            return 0;
        /* the counter's key: the candidate's collision key with its digits as '0', then the
         * position and number of the digits (two keys never share a candidate) */
        size_t pos = *nlen - d;
        *kl = key_len(fs, kid, *len, *nlen);
        uint16_t *key = cand + *len;
        memcpy(key, cand, *kl * sizeof *key);
        key[*kl] = (uint16_t)pos;
        key[*kl + 1] = (uint16_t)d;
        uint32_t ch = fsi_name_hash(key, *kl + 2);
        uentry *c = uset_find(counters, key, *kl + 2, ch);
        uint32_t nn = c ? c->val : lo;
        for (; nn <= hi; nn++) {
            for (uint32_t v = nn, q = (uint32_t)d; q > 0; v /= 10, q--)
                cand[pos + q - 1] = (uint16_t)('0' + v % 10);
            *h = fsi_name_hash(cand, *kl);
            if (!uset_find(names, cand, *kl, *h))
                break;
        }
        if (!c && !(c = uset_add(counters, key, *kl + 2, ch, nn)))
            return -1;
        c->val = nn <= hi ? nn + 1 : nn;
        if (nn <= hi)
            return 1;
    }
    return 0;
}

fsi_status fsi_map_children(fsi_node *const *kids, size_t n, unsigned fs, int level,
                            fsi_u16pool *pool, fsi_mapped *out, size_t *bad)
{
    if (n == 0)
        return FSI_OK;
    if (fs != FSI_FS_ISO9660 && fs != FSI_FS_JOLIET && fs != FSI_FS_UDF)
        return FSI_E_INVALID_PARAM;
    if (fs == FSI_FS_UDF && udf_names_kept(kids, n)) {
        memset(out, 0, n * sizeof *out);
        return FSI_OK;
    }
    if (n > UINT32_MAX / 4)
        return FSI_E_NOMEM;
    fsi_status ret = FSI_E_NOMEM;
    uset names = { 0 }, counters = { 0 };
    base *b = malloc(sizeof *b);
    uint32_t *order = malloc(n * sizeof *order);
    /* counters: at most one per child that gets a tail, plus those whose every N is taken by
     * original names (each of those holds 9 names or more) */
    if (!b || !order || !uset_init(&names, n) || !uset_init(&counters, 2 * n))
        goto out;
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    if (!fsi_sort_u32(order, n, orig_cmp, (void *)kids))
        goto out;

    /* a candidate, then room for a counter key (the candidate's key and two units) */
    uint16_t cand[2 * (2 * FSI_NAME_MAX + 16) + 2];
    for (size_t oi = 0; oi < n; oi++) {
        size_t idx = order[oi];
        const fsi_node *kid = kids[idx];
        size_t len, nlen, kl;
        uint32_t h;
        make_base(kid, fs, level, b);
        int ok = 0;
        if (!b->tail) {
            static const uint16_t no_suffix[1] = { 0 };
            compose(b, no_suffix, 0, cand, &len, &nlen);
            kl = key_len(fs, kid, len, nlen);
            h = fsi_name_hash(cand, kl);
            ok = !uset_find(&names, cand, kl, h);
        }
        if (!ok) {
            ok = take_tail(fs, kid, b, &names, &counters, cand, &len, &nlen, &kl, &h);
            if (ok < 0)
                goto out;
            if (!ok) {
                if (bad)
                    *bad = idx;
                ret = FSI_E_NO_UNIQUE_NAME;
                goto out;
            }
        }
        if (!uset_add(&names, cand, kl, h, 0))
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
    uset_free(&names);
    uset_free(&counters);
    return ret;
}

size_t fsi_map_name(const fsi_image *img, const fsi_node *n, unsigned fs, int iso_level, uint16_t *buf,
                    size_t cap)
{
    (void)img;
    if (!n || !n->parent || (fs != FSI_FS_ISO9660 && fs != FSI_FS_JOLIET && fs != FSI_FS_UDF))
        return 0;
    if (fs != FSI_FS_UDF && (iso_level < 1 || iso_level > 3))
        return 0;
    const fsi_node *d = n->parent;
    size_t cnt = d->u.d.nkids - d->u.d.holes, k = 0, me = (size_t)-1;
    fsi_node **kids = calloc(cnt ? cnt : 1, sizeof *kids);
    fsi_mapped *m = malloc((cnt ? cnt : 1) * sizeof *m);
    fsi_u16pool pool = { 0 };
    size_t ret = 0;
    if (!kids || !m)
        goto out;
    for (size_t i = 0; i < d->u.d.nkids; i++)
        if (d->u.d.kids[i])
            kids[k++] = d->u.d.kids[i];
    for (size_t i = 0; i < k; i++)
        if (kids[i] == n)
            me = i;
    if (me == (size_t)-1 || fsi_map_children(kids, k, fs, iso_level, &pool, m, NULL) != FSI_OK)
        goto out;
    ret = m[me].len ? m[me].len : n->name_len;          /* 0: UDF keeps the name */
    for (size_t i = 0; i < ret && i < cap; i++)
        buf[i] = m[me].len ? pool.p[m[me].off + i] : n->name[i];
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
