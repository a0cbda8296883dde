/*
 * The object model beyond building trees: change points (ChangePoint, RollbackToChangePoint,
 * LockInChangePoint), media defaults (ChooseImageDefaultsForMediaType for every media type,
 * ChooseImageDefaults and SetMaxMediaBlocksFromDevice with a recorder implemented here).
 */
#define CONST_VTABLE
#include "client_util.h"

/* ---- a disc recorder of the caller's: only CurrentProfiles answers -------------------------- */
static LONG recorder_profile;

static IStream *recorder_medium;      /* when set, the recorder answers for IStream with it */

static HRESULT WINAPI rec_QI(IDiscRecorder2 *r, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDispatch) || IsEqualIID(riid, &IID_IDiscRecorder2)) {
        *ppv = r;
        return S_OK;
    }
    if (recorder_medium && IsEqualIID(riid, &IID_IStream)) {
        IStream_AddRef(recorder_medium);
        *ppv = recorder_medium;
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG WINAPI rec_AddRef(IDiscRecorder2 *r) { return 2; }
static ULONG WINAPI rec_Release(IDiscRecorder2 *r) { return 1; }
static HRESULT WINAPI rec_notimpl(void) { return E_NOTIMPL; }
static HRESULT WINAPI rec_get_CurrentProfiles(IDiscRecorder2 *r, SAFEARRAY **out)
{
    SAFEARRAY *sa = SafeArrayCreateVector(VT_VARIANT, 0, recorder_profile ? 1 : 0);
    if (recorder_profile) {
        VARIANT v;
        LONG i = 0;
        V_VT(&v) = VT_I4;
        V_I4(&v) = recorder_profile;
        SafeArrayPutElement(sa, &i, &v);
    }
    *out = sa;
    return S_OK;
}

static IDiscRecorder2Vtbl rec_vtbl;
static IDiscRecorder2 recorder = { &rec_vtbl };

static void init_recorder(void)
{
    void **slots = (void **)&rec_vtbl;
    for (size_t i = 0; i < sizeof(rec_vtbl) / sizeof(void *); i++) slots[i] = (void *)rec_notimpl;
    rec_vtbl.QueryInterface = rec_QI;
    rec_vtbl.AddRef = rec_AddRef;
    rec_vtbl.Release = rec_Release;
    rec_vtbl.get_CurrentProfiles = rec_get_CurrentProfiles;
}

static LONG count(IFileSystemImage *image, int files)
{
    LONG n = -1;
    if (files) IFileSystemImage_get_FileCount(image, &n);
    else IFileSystemImage_get_DirectoryCount(image, &n);
    return n;
}

static void change_points(void)
{
    IFsiDirectoryItem *root;
    IFileSystemImage *image = windows_image(&IID_IFileSystemImage, &root);
    LONG cp0 = -1, cp1 = -1, cp2 = -1, level = 0, fb = 0;
    FsiItemType type;
    BSTR s, name = NULL;

    CHECK_HR(IFileSystemImage_get_ChangePoint(image, &cp0), S_OK);
    add_bytes(root, L"one.txt", "data", 4, S_OK);
    CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"dir")), S_OK); SysFreeString(s);
    CHECK_HR(IFileSystemImage_get_ChangePoint(image, &cp1), S_OK);
    CHECK(cp1 > cp0, "ChangePoint grows with changes (%ld -> %ld)", cp0, cp1);

    add_bytes(root, L"dir\\two.txt", "data", 4, S_OK);
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 3), S_OK);
    CHECK_HR(IFileSystemImage_put_VolumeName(image, s = B(L"later")), S_OK); SysFreeString(s);
    CHECK_HR(IFileSystemImage_put_FreeMediaBlocks(image, 0), S_OK);
    CHECK_HR(IFileSystemImage_get_ChangePoint(image, &cp2), S_OK);
    CHECK(cp2 > cp1, "ChangePoint grows with settings (%ld -> %ld)", cp1, cp2);

    /* Back to cp1: the tree, the counts and the settings of that point. */
    CHECK_HR(IFileSystemImage_RollbackToChangePoint(image, cp1), S_OK);
    CHECK(count(image, 1) == 1 && count(image, 0) == 2, "counts after rollback %ld/%ld", count(image, 1), count(image, 0));
    IFileSystemImage_Exists(image, s = B(L"\\dir\\two.txt"), &type); SysFreeString(s);
    CHECK(type == FsiItemNotFound, "a file added after the point is gone");
    IFileSystemImage_Exists(image, s = B(L"\\one.txt"), &type); SysFreeString(s);
    CHECK(type == FsiItemFile, "a file added before the point stays");
    IFileSystemImage_get_ISO9660InterchangeLevel(image, &level);
    CHECK(level == 1, "level restored (%ld)", level);
    IFileSystemImage_get_VolumeName(image, &name);
    CHECK(name && !*name, "volume name restored ('%ls')", name ? name : L"(null)");
    SysFreeString(name);
    IFileSystemImage_get_FreeMediaBlocks(image, &fb);
    CHECK(fb == 332800, "FreeMediaBlocks restored (%ld)", fb);
    {
        LONG now = -1;
        IFileSystemImage_get_ChangePoint(image, &now);
        CHECK(now == cp1, "ChangePoint is the point's (%ld)", now);
    }
    /* The tree of the point works as before. */
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_get_Root(image, &root);
    add_bytes(root, L"dir\\three.txt", "data", 4, S_OK);
    CHECK(count(image, 1) == 2, "adds after a rollback");
    {
        IFileSystemImageResult *result = NULL;
        CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
        if (result) IFileSystemImageResult_Release(result);
    }
    /* Rollback again to the same point and to the start. */
    CHECK_HR(IFileSystemImage_RollbackToChangePoint(image, cp1), S_OK);
    CHECK(count(image, 1) == 1, "second rollback to the same point");
    CHECK_HR(IFileSystemImage_RollbackToChangePoint(image, cp0), S_OK);
    CHECK(count(image, 1) == 0 && count(image, 0) == 1, "rollback to the start empties the image");
    /* A point never handed out, and one past a lock, are refused. */
    CHECK_HR(IFileSystemImage_RollbackToChangePoint(image, 12345), IMAPI_E_INVALID_PARAM);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_get_Root(image, &root);
    add_bytes(root, L"kept.txt", "data", 4, S_OK);
    {
        LONG before = -1, locked = -1, after = -1;
        IFileSystemImage_get_ChangePoint(image, &before);
        add_bytes(root, L"kept2.txt", "data", 4, S_OK);
        IFileSystemImage_get_ChangePoint(image, &locked);
        CHECK_HR(IFileSystemImage_LockInChangePoint(image), S_OK);
        IFileSystemImage_get_ChangePoint(image, &after);
        CHECK(after == locked, "LockInChangePoint does not change ChangePoint");
        CHECK_HR(IFileSystemImage_RollbackToChangePoint(image, before), IMAPI_E_INVALID_PARAM);
        CHECK(count(image, 1) == 2, "a refused rollback changes nothing");
        CHECK_HR(IFileSystemImage_RollbackToChangePoint(image, locked), S_OK);
    }
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

static void media_defaults(void)
{
    static const struct { IMAPI_MEDIA_PHYSICAL_TYPE type; LONG blocks; LONG profile; } media[] = {
        { IMAPI_MEDIA_TYPE_CDROM, 332800, 0x08 }, { IMAPI_MEDIA_TYPE_CDR, 332800, 0x09 },
        { IMAPI_MEDIA_TYPE_CDRW, 332800, 0x0A }, { IMAPI_MEDIA_TYPE_DVDROM, 2298496, 0x10 },
        { IMAPI_MEDIA_TYPE_DVDRAM, 2236704, 0x12 }, { IMAPI_MEDIA_TYPE_DVDPLUSR, 2295104, 0x1B },
        { IMAPI_MEDIA_TYPE_DVDPLUSRW, 2295104, 0x1A }, { IMAPI_MEDIA_TYPE_DVDPLUSR_DUALLAYER, 4171712, 0x2B },
        { IMAPI_MEDIA_TYPE_DVDDASHR, 2298496, 0x11 }, { IMAPI_MEDIA_TYPE_DVDDASHRW, 2298496, 0x13 },
        { IMAPI_MEDIA_TYPE_DVDDASHR_DUALLAYER, 4173824, 0x15 }, { IMAPI_MEDIA_TYPE_DISK, 0, 0x02 },
        { IMAPI_MEDIA_TYPE_DVDPLUSRW_DUALLAYER, 4171712, 0x2A }, { IMAPI_MEDIA_TYPE_HDDVDROM, 7324208, 0x50 },
        { IMAPI_MEDIA_TYPE_HDDVDR, 7324208, 0x51 }, { IMAPI_MEDIA_TYPE_HDDVDRAM, 7324208, 0x52 },
        { IMAPI_MEDIA_TYPE_BDROM, 12219392, 0x40 }, { IMAPI_MEDIA_TYPE_BDR, 12219392, 0x41 },
        { IMAPI_MEDIA_TYPE_BDRE, 12219392, 0x43 },
    };
    IFsiDirectoryItem *root;
    IFileSystemImage *image = windows_image(&IID_IFileSystemImage, &root);
    FsiFileSystems fs, supported;
    LONG blocks;

    IFileSystemImage_get_FileSystemsSupported(image, &supported);
    for (size_t i = 0; i < ARRAYSIZE(media); i++) {
        CHECK_HR(IFileSystemImage_put_FreeMediaBlocks(image, 100000), S_OK);
        CHECK_HR(IFileSystemImage_ChooseImageDefaultsForMediaType(image, media[i].type), S_OK);
        IFileSystemImage_get_FreeMediaBlocks(image, &blocks);
        IFileSystemImage_get_FileSystemsToCreate(image, &fs);
        CHECK(blocks == media[i].blocks, "media type %d: FreeMediaBlocks %ld, want %ld", media[i].type, blocks, media[i].blocks);
        CHECK(fs && !(fs & ~supported), "media type %d: file systems %d", media[i].type, fs);

        /* The same through a recorder whose current profile is that medium. */
        recorder_profile = media[i].profile;
        CHECK_HR(IFileSystemImage_put_FreeMediaBlocks(image, 100000), S_OK);
        CHECK_HR(IFileSystemImage_SetMaxMediaBlocksFromDevice(image, &recorder), S_OK);
        IFileSystemImage_get_FreeMediaBlocks(image, &blocks);
        CHECK(blocks == media[i].blocks, "SetMaxMediaBlocksFromDevice, profile 0x%lx: %ld", media[i].profile, blocks);
        CHECK_HR(IFileSystemImage_put_FreeMediaBlocks(image, 100000), S_OK);
        CHECK_HR(IFileSystemImage_ChooseImageDefaults(image, &recorder), S_OK);
        IFileSystemImage_get_FreeMediaBlocks(image, &blocks);
        CHECK(blocks == media[i].blocks, "ChooseImageDefaults, profile 0x%lx: %ld", media[i].profile, blocks);
    }
    CHECK_HR(IFileSystemImage_ChooseImageDefaultsForMediaType(image, IMAPI_MEDIA_TYPE_UNKNOWN), IMAPI_E_INVALID_PARAM);
    CHECK_HR(IFileSystemImage_ChooseImageDefaultsForMediaType(image, (IMAPI_MEDIA_PHYSICAL_TYPE)0x14), IMAPI_E_INVALID_PARAM);
    CHECK_HR(IFileSystemImage_ChooseImageDefaults(image, NULL), E_POINTER);
    recorder_profile = 0;
    CHECK_HR(IFileSystemImage_ChooseImageDefaults(image, &recorder), E_IMAPI_RECORDER_MEDIA_NO_MEDIA);
    recorder_profile = 0x7777;
    CHECK_HR(IFileSystemImage_SetMaxMediaBlocksFromDevice(image, &recorder), E_IMAPI_RECORDER_MEDIA_INCOMPATIBLE);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

/* IdentifyFileSystemsOnDisc on a "disc" that is an image we made: a recorder answering IStream. */
static void identify(void)
{
    static const FsiFileSystems sets[] = {
        FsiFileSystemISO9660, FsiFileSystemISO9660 | FsiFileSystemJoliet, FsiFileSystemUDF,
        FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF,
    };
    for (size_t i = 0; i < ARRAYSIZE(sets); i++) {
        IFsiDirectoryItem *root;
        IFileSystemImage *image = windows_image(&IID_IFileSystemImage, &root);
        IFileSystemImageResult *result = NULL;
        FsiFileSystems found = 0;
        add_bytes(root, L"a.txt", "data", 4, S_OK);
        IFileSystemImage_put_FileSystemsToCreate(image, sets[i]);
        CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
        if (!result) continue;
        IFileSystemImageResult_get_ImageStream(result, &recorder_medium);
        CHECK_HR(IFileSystemImage_IdentifyFileSystemsOnDisc(image, &recorder, &found), S_OK);
        CHECK(found == sets[i], "IdentifyFileSystemsOnDisc: %d, want %d", found, sets[i]);
        IStream_Release(recorder_medium);
        recorder_medium = NULL;
        IFileSystemImageResult_Release(result);
        IFsiDirectoryItem_Release(root);
        IFileSystemImage_Release(image);
    }
    {
        /* A medium of zeros holds no file system; an empty one is an empty disc. */
        IFsiDirectoryItem *root;
        IFileSystemImage *image = windows_image(&IID_IFileSystemImage, &root);
        FsiFileSystems found = 1;
        static BYTE zeros[40 * 2048];
        recorder_medium = SHCreateMemStream(zeros, sizeof(zeros));
        CHECK_HR(IFileSystemImage_IdentifyFileSystemsOnDisc(image, &recorder, &found), S_OK);
        CHECK(found == FsiFileSystemNone, "zeros: %d", found);
        IStream_Release(recorder_medium);
        recorder_medium = SHCreateMemStream(NULL, 0);
        CHECK_HR(IFileSystemImage_IdentifyFileSystemsOnDisc(image, &recorder, &found), IMAPI_E_EMPTY_DISC);
        IStream_Release(recorder_medium);
        recorder_medium = NULL;
        CHECK_HR(IFileSystemImage_IdentifyFileSystemsOnDisc(image, NULL, &found), E_POINTER);
        {
            BSTR name = NULL;
            CHECK_HR(IFileSystemImage_get_ImportedVolumeName(image, &name), S_OK);
            CHECK(name && !*name, "nothing imported: empty ImportedVolumeName");
            SysFreeString(name);
        }
        IFsiDirectoryItem_Release(root);
        IFileSystemImage_Release(image);
    }
}

static const test_case cases[] = {
    { "change_points", change_points },
    { "media_defaults", media_defaults },
    { "identify", identify },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    init_recorder();
    rc = RUN_CASES(argc, argv, cases);
    CoUninitialize();
    return rc;
}
