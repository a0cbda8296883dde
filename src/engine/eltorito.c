/*
 * El Torito 1.0 ("Bootable CD-ROM Format Specification", Phoenix/IBM 1995): the boot record volume
 * descriptor, the boot catalog and the load sizes. The El Torito writer (writer.h) takes the boot
 * record (and the stub PVD before it) in the DESC phase, the catalog (and the stub's tree) in META;
 * the plan places the boot images at the start of the file data.
 *
 * Layout (relative blocks; every address written is session_start + relative block):
 *   16          PVD: the ISO 9660 tree, or (no ISO 9660 / Joliet selected) a minimal PVD whose root
 *               is empty, as on Windows install media (UDF with a stub ISO 9660 volume): El Torito
 *               lives in the ECMA-119 descriptor set, and firmware sizes the medium from the PVD's
 *               volume space (OVMF takes "the rest of the volume" for an entry loading < 2 sectors)
 *   17          boot record volume descriptor ("EL TORITO SPECIFICATION", catalog address): El
 *               Torito requires it at block 17, so a Joliet SVD follows at 18
 *   next        (Joliet SVD), set terminator, (UDF: BEA01, NSR02/NSR03, TEA01)
 *   next        the boot catalog, one block (two for 64 records): it is after the whole
 *               recognition sequence, which readers scan up to the first block that is not a
 *               descriptor
 *   next 3      (minimal PVD only) its type L and M path tables and its root directory
 *   data        the boot images, in entry order, each from a block boundary, before every file;
 *               they are in no directory tree (as on Windows install media: the catalog and
 *               the images are not files)
 *
 * UDF alone: 16 PVD, 17 boot record, 18 terminator, 19-21 BEA01/NSR/TEA01, 22 catalog (where
 * Windows media have theirs), 23-25 the stub tree, 32.. the UDF volume descriptor sequences.
 *
 * Catalog: the validation entry (header 1, the first entry's platform and ID string, checksum
 * making the 16-bit words sum to 0, key bytes 55 AA), the initial/default entry (entry 0), then
 * for every run of consecutive further entries with the same platform and ID string a section
 * header (0x90, the last 0x91; platform, entry count, ID string) followed by its section entries
 * (bootable 0x88, no selection criteria). 32 entries in the worst case (every further entry a
 * section of its own) take 64 records, a whole block: the catalog then takes a second, zero block,
 * so that readers that look for the terminating empty record (pycdlib) find one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "writer.h"

#define REC 32u

uint16_t fsi_boot_sector_count(unsigned platform, unsigned emulation, uint64_t size)
{
    if (emulation != FSI_EMUL_NONE)
        return 1;                                   /* the emulated disk's boot sector */
    uint64_t s512 = (size + 511) / 512;
    if (platform == FSI_BOOT_EFI)
        return s512 <= 0xFFFF ? (uint16_t)s512 : 0; /* the whole FAT image; 0: "to the end" */
    if (size <= 65536)
        return (uint16_t)((size + FSI_BLOCK_SIZE - 1) / FSI_BLOCK_SIZE * 4);
    return 4;
}

uint8_t fsi_boot_system_type(const void *mbr, size_t len)
{
    const uint8_t *m = mbr;
    if (!m || len < 512 || m[510] != 0x55 || m[511] != 0xAA)
        return 0;
    for (int i = 0; i < 4; i++)
        if (m[446 + 16 * i + 4])
            return m[446 + 16 * i + 4];
    return 0;
}

static uint64_t floppy_bytes(unsigned emulation)
{
    switch (emulation) {
    case FSI_EMUL_FLOPPY12: return 1228800;
    case FSI_EMUL_FLOPPY144: return 1474560;
    case FSI_EMUL_FLOPPY288: return 2949120;
    default: return 0;
    }
}

static size_t id_len(const char *id)
{
    size_t n = 0;
    while (id && id[n] && n <= 24)
        n++;
    return n;
}

fsi_status fsi_boot_check(const fsi_plan_opts *o)
{
    if (!o->boot_count)
        return FSI_OK;
    if (!o->boot || o->boot_count > FSI_BOOT_MAX)
        return FSI_E_INVALID_PARAM;
    for (size_t i = 0; i < o->boot_count; i++) {
        const fsi_boot_entry *e = &o->boot[i];
        unsigned p = e->platform;
        if (p != FSI_BOOT_X86 && p != FSI_BOOT_POWERPC && p != FSI_BOOT_MAC && p != FSI_BOOT_EFI)
            return FSI_E_INVALID_PARAM;
        if (e->emulation > FSI_EMUL_HARD_DISK || !e->src || !e->size || e->size > UINT32_MAX)
            return FSI_E_INVALID_PARAM;
        if (floppy_bytes(e->emulation) && floppy_bytes(e->emulation) != e->size)
            return FSI_E_INVALID_PARAM;
        if (e->sector_count < -1 || e->sector_count > 0xFFFF || id_len(e->id) > 24)
            return FSI_E_INVALID_PARAM;
    }
    return FSI_OK;
}

static void put_id(uint8_t *p, size_t field, const char *id)
{
    size_t n = id_len(id);
    if (n)                                          /* id may be NULL (memcpy wants a pointer) */
        memcpy(p, id, n < field ? n : field);       /* zero padded (the block is zeroed) */
}

static int same_section(const fsi_boot_entry *a, const fsi_boot_entry *b)
{
    size_t n = id_len(a->id);
    return a->platform == b->platform && n == id_len(b->id) && (!n || !memcmp(a->id, b->id, n));
}

/* Blocks of the boot catalog of o->boot: its records and a terminating empty one. */
static uint32_t catalog_blocks(const fsi_plan_opts *o)
{
    size_t records = 2, n = o->boot_count;      /* validation and default entries */
    for (size_t i = 1; i < n; records++) {      /* a header per section ... */
        size_t j = i + 1;
        while (j < n && same_section(&o->boot[i], &o->boot[j]))
            j++;
        records += j - i;                       /* ... and its entries */
        i = j;
    }
    return (uint32_t)((records + 1 + FSI_BLOCK_SIZE / REC - 1) / (FSI_BLOCK_SIZE / REC));
}

static void put_entry(uint8_t *d, const fsi_boot_entry *e, uint32_t lba)
{
    int32_t count = e->sector_count;
    d[0] = 0x88;                                    /* bootable */
    d[1] = (uint8_t)e->emulation;
    fsi_put_le16(d + 2, e->load_segment);
    d[4] = e->system_type;
    fsi_put_le16(d + 6, count < 0 ? fsi_boot_sector_count(e->platform, e->emulation, e->size) : (uint16_t)count);
    fsi_put_le32(d + 8, lba);
    /* byte 12: selection criteria type 0 (none); the rest is zero */
}

/* ---- the El Torito writer ----------------------------------------------------------------------- */

typedef struct boot_writer {
    fsi_writer w;
    int mini;                       /* no ISO 9660 / Joliet: a minimal PVD with an empty root */
    uint32_t pvd, brvd;             /* the minimal PVD; the boot record volume descriptor (17) */
    uint32_t catalog, catalog_blocks;
    uint32_t mini_pl, mini_pm, mini_root;  /* the minimal tree's path tables (L, M) and root */
} boot_writer;

static int boot_selected(const fsi_plan_opts *o) { return o->boot_count != 0; }

static fsi_writer *boot_create(const fsi_snap *s)
{
    boot_writer *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->mini = !(s->o->fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET));
    x->catalog_blocks = catalog_blocks(s->o);
    return &x->w;
}

static fsi_status boot_reserve(fsi_writer *w, enum fsi_phase ph, uint64_t *next)
{
    boot_writer *x = (boot_writer *)w;
    if (ph == FSI_PH_DESC) {
        if (x->mini)
            x->pvd = (uint32_t)(*next)++;
        x->brvd = (uint32_t)(*next)++;          /* El Torito: block 17 */
    } else if (ph == FSI_PH_META) {
        /* after the whole recognition sequence, which readers scan up to the first block that is
         * not a descriptor */
        x->catalog = (uint32_t)*next;
        *next += x->catalog_blocks;
        if (x->mini) {
            x->mini_pl = (uint32_t)(*next)++;
            x->mini_pm = (uint32_t)(*next)++;
            x->mini_root = (uint32_t)(*next)++;
        }
    }
    return FSI_OK;
}

/* The minimal PVD (UDF alone) and the boot record volume descriptor (ECMA-119 8.2, El Torito 2.0). */
static int render_desc(const boot_writer *x, const fsi_plan *p, fsi_meta_store *ms)
{
    static const char SYS_ID[] = "EL TORITO SPECIFICATION";
    const fsi_plan_opts *o = x->w.s->o;
    uint32_t ss = o->session_start;
    uint8_t blk[FSI_BLOCK_SIZE];
    if (x->mini) {
        uint8_t vid[32];
        fsi_vd_info vi = { 0 };
        fsi_volume_id_iso(o->volume_name, o->volume_name_len, vid);
        vi.volume_id = vid;
        vi.volume_space = ss + p->total_blocks;
        vi.root_time = x->w.s->it[0].node->times.modification;
        vi.creation = o->creation_time;
        vi.path_table_size = (uint32_t)fsi_pathrec_len(1);
        vi.path_l = ss + x->mini_pl;
        vi.path_m = ss + x->mini_pm;
        vi.root_lba = ss + x->mini_root;
        vi.root_size = FSI_BLOCK_SIZE;
        fsi_write_vd(blk, &vi);
        if (!fsi_store_blocks(ms, blk, 1))
            return 0;
    }
    memset(blk, 0, FSI_BLOCK_SIZE);
    blk[0] = 0;                                     /* boot record */
    memcpy(blk + 1, "CD001", 5);
    blk[6] = 1;
    memcpy(blk + 7, SYS_ID, sizeof SYS_ID - 1);     /* boot system identifier, zero padded */
    fsi_put_le32(blk + 0x47, ss + x->catalog);
    return fsi_store_blocks(ms, blk, 1);
}

/* The boot catalog (and the minimal tree's path tables and root after it). The boot images are
 * p->files[0 .. n-1]. */
static int render_catalog(const boot_writer *x, const fsi_plan *p, fsi_meta_store *ms)
{
    const fsi_boot_entry *e = x->w.s->o->boot;
    size_t n = x->w.s->o->boot_count;
    uint32_t ss = x->w.s->o->session_start;
    uint8_t blk[FSI_BLOCK_SIZE];
    memset(blk, 0, sizeof blk);

    /* validation entry */
    blk[0] = 1;
    blk[1] = (uint8_t)e[0].platform;
    put_id(blk + 4, 24, e[0].id);
    blk[30] = 0x55;
    blk[31] = 0xAA;
    uint16_t sum = 0;
    for (size_t i = 0; i < REC; i += 2)
        sum = (uint16_t)(sum + (blk[i] | blk[i + 1] << 8));
    fsi_put_le16(blk + 28, (uint16_t)(0x10000u - sum));

    put_entry(blk + REC, &e[0], ss + p->files[0].first_block);
    size_t off = 2 * REC;
    for (size_t i = 1; i < n;) {
        size_t j = i + 1;
        while (j < n && same_section(&e[i], &e[j]))
            j++;
        uint8_t *h = blk + off;
        h[0] = j == n ? 0x91 : 0x90;
        h[1] = (uint8_t)e[i].platform;
        fsi_put_le16(h + 2, (uint16_t)(j - i));
        put_id(h + 4, 28, e[i].id);
        off += REC;
        for (; i < j; i++, off += REC)
            put_entry(blk + off, &e[i], ss + p->files[i].first_block);
    }
    if (!fsi_store_blocks(ms, blk, 1) || !fsi_store_zeros(ms, x->catalog_blocks - 1))
        return 0;
    if (!x->mini)
        return 1;

    /* the stub ISO 9660 tree: path tables (L, M) with the root alone, and the empty root */
    static const uint8_t root_id = 0, dot = 0, dotdot = 1;
    uint32_t root = ss + x->mini_root;
    for (int msb = 0; msb < 2; msb++) {
        memset(blk, 0, sizeof blk);
        fsi_write_pathrec(blk, msb, root, 1, &root_id, 1);
        if (!fsi_store_blocks(ms, blk, 1))
            return 0;
    }
    fsi_time t = x->w.s->it[0].node->times.modification;
    memset(blk, 0, sizeof blk);
    size_t pos = fsi_write_dirrec(blk, root, FSI_BLOCK_SIZE, t, 0x02, &dot, 1);
    fsi_write_dirrec(blk + pos, root, FSI_BLOCK_SIZE, t, 0x02, &dotdot, 1);
    return fsi_store_blocks(ms, blk, 1);
}

static int boot_render(fsi_writer *w, enum fsi_phase ph, const fsi_plan *p, fsi_meta_store *ms)
{
    boot_writer *x = (boot_writer *)w;
    return ph == FSI_PH_DESC ? render_desc(x, p, ms) : render_catalog(x, p, ms);
}

static void boot_free(fsi_writer *w) { free(w); }

const fsi_writer_ops fsi_eltorito_writer = {
    .name = "El Torito",
    .selected = boot_selected,
    .create = boot_create,
    .reserve = boot_reserve,
    .render = boot_render,
    .free = boot_free,
};
