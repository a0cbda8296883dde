/*
 * A C client of imapi2fs.dll, written against include/ as an SDK client would be:
 * CoCreateInstance(CLSID_MsftFileSystemImage, IID_IFileSystemImage), a small tree built with
 * AddDirectory/AddFile/AddTree, and the result stream copied by every client pattern of
 * shared/reference/clients.md; all copies must be identical.
 *
 *   test_stream [CASE...]                      every case, or those named
 *   test_stream --image SOURCE_DIR OUT_PREFIX  images SOURCE_DIR with AddTree and leaves
 *                                              OUT_PREFIX-{copyto,read}.iso (images.test.sh)
 */
#include "client_util.h"

/* CopyTo in 2 MiB chunks with NULL out-pointers (MakeISO), into a file stream. */
static void copy_chunks_to_file(IStream *s, const WCHAR *path, LONG blocks)
{
    IStream *dst;
    LARGE_INTEGER zero = {{0}};
    ULARGE_INTEGER chunk;
    ULONGLONG total = (ULONGLONG)blocks * 2048, done = 0;
    CHECK_HR(SHCreateStreamOnFileEx(path, STGM_CREATE | STGM_WRITE, FILE_ATTRIBUTE_NORMAL, TRUE, NULL, &dst), S_OK);
    IStream_Seek(s, zero, STREAM_SEEK_SET, NULL);
    while (done < total) {
        chunk.QuadPart = total - done < (2u << 20) ? total - done : (2u << 20);
        if (FAILED(IStream_CopyTo(s, dst, chunk, NULL, NULL))) { InterlockedIncrement(&failures); printf("not ok - chunked CopyTo\n"); break; }
        done += chunk.QuadPart;
    }
    IStream_Commit(dst, STGC_DEFAULT);
    IStream_Release(dst);
}

/* The DLL carries a message table: FormatMessage(FROM_HMODULE) gives the documented text. */
static void message_table(void)
{
    HMODULE dll = LoadLibraryExW(L"imapi2fs.dll", NULL, 0);
    WCHAR text[512] = L"";
    HKEY key;
    WCHAR dllpath[MAX_PATH];
    DWORD cb = sizeof(dllpath);
    if (!dll && !RegOpenKeyExW(HKEY_CLASSES_ROOT, L"CLSID\\{2C941FC5-975B-59BE-A960-9A2A262853A5}\\InprocServer32", 0, KEY_READ, &key)) {
        if (!RegQueryValueExW(key, NULL, NULL, NULL, (BYTE *)dllpath, &cb)) dll = LoadLibraryExW(dllpath, NULL, LOAD_LIBRARY_AS_DATAFILE);
        RegCloseKey(key);
    }
    CHECK(dll != NULL, "imapi2fs.dll found through its registration");
    if (dll) {
        DWORD_PTR args[] = { (DWORD_PTR)L"x.txt" };
        FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY, dll, IMAPI_E_DUP_NAME, 0,
                       text, ARRAYSIZE(text), (va_list *)args);
        CHECK(!wcsncmp(text, L"'x.txt' name already exists.", 28), "FormatMessage(IMAPI_E_DUP_NAME): '%ls'", text);
        FreeLibrary(dll);
    }
}

/* The result of image: its size, Stat, a refused Write; its stream in *stream. */
static IFileSystemImageResult *result_of(IFileSystemImage *image, IStream **stream, LONG *blocks)
{
    IFileSystemImageResult *result = NULL;
    LONG size = 0;
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (!result) { report(); exit(1); }
    CHECK_HR(IFileSystemImageResult_get_TotalBlocks(result, blocks), S_OK);
    CHECK_HR(IFileSystemImageResult_get_BlockSize(result, &size), S_OK);
    CHECK(size == 2048, "BlockSize %ld", size);
    CHECK(*blocks > 18, "TotalBlocks %ld", *blocks);
    CHECK_HR(IFileSystemImageResult_get_ImageStream(result, stream), S_OK);
    {
        STATSTG st;
        CHECK_HR(IStream_Stat(*stream, &st, STATFLAG_NONAME), S_OK);
        CHECK(st.cbSize.QuadPart == (ULONGLONG)*blocks * 2048, "Stat cbSize == TotalBlocks * 2048");
        CHECK_HR(IStream_Write(*stream, "x", 1, NULL), STG_E_ACCESSDENIED);
    }
    return result;
}

/* fsimage.exe's image of source by AddTree, copied by CopyTo in 2 MiB chunks and by Read x
 * TotalBlocks into out-copyto.iso and out-read.iso; images.test.sh compares them. */
static void image_to_files(const WCHAR *source, const WCHAR *prefix)
{
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result;
    IStream *stream;
    LONG blocks = 0;
    BSTR s;

    image = windows_image(&IID_IFileSystemImage, &root);
    /* fsimage.exe's defaults, for the same bytes (a fresh image has Windows' 7 and level 1) */
    CHECK_HR(IFileSystemImage_put_FileSystemsToCreate(image, FsiFileSystemISO9660 | FsiFileSystemJoliet), S_OK);
    CHECK_HR(IFileSystemImage_put_ISO9660InterchangeLevel(image, 2), S_OK);
    CHECK_HR(IFileSystemImage_put_FreeMediaBlocks(image, 0), S_OK);
    CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(source), VARIANT_FALSE), S_OK);
    SysFreeString(s);
    result = result_of(image, &stream, &blocks);
    {
        /* Large images: every client pattern straight to a file, compared by the caller. */
        WCHAR out[MAX_PATH];
        HANDLE h;
        swprintf(out, MAX_PATH, L"%ls-copyto.iso", prefix);
        copy_chunks_to_file(stream, out, blocks);
        swprintf(out, MAX_PATH, L"%ls-read.iso", prefix);
        h = CreateFileW(out, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
        {
            LARGE_INTEGER zero = {{0}};
            char block[2048];
            IStream_Seek(stream, zero, STREAM_SEEK_SET, NULL);
            for (LONG i = 0; i < blocks; i++) {
                ULONG n = 0;
                DWORD w;
                if (FAILED(IStream_Read(stream, block, 2048, &n)) || n != 2048) {
                    InterlockedIncrement(&failures);
                    printf("not ok - Read of block %ld\n", i);
                    break;
                }
                WriteFile(h, block, 2048, &w, NULL);
            }
            InterlockedIncrement(&checks);
        }
        CloseHandle(h);
    }
    IStream_Release(stream);
    IFileSystemImageResult_Release(result);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
}

/* A tree of our own: directories, a file from memory, a folder added with AddTree; the result
 * stream copied by every client pattern gives the same bytes, and outlives the image. */
static void own_tree(void)
{
    IFileSystemImage *image;
    IFsiDirectoryItem *root;
    IFileSystemImageResult *result;
    IStream *stream, *data;
    LONG blocks = 0, count = 0;
    FsiItemType type;
    size_t len1, len2;
    char *a, *b;
    BSTR s;
    static char payload[5000];
    WCHAR tmp[MAX_PATH], dir[MAX_PATH], path[MAX_PATH];

    image = windows_image(&IID_IFileSystemImage, &root);
    {
        for (size_t i = 0; i < sizeof(payload); i++) payload[i] = (char)(i * 7 + 3);
        GetTempPathW(MAX_PATH, tmp);
        swprintf(dir, MAX_PATH, L"%lsfsi-test-%lu", tmp, GetCurrentProcessId());
        CreateDirectoryW(dir, NULL);
        swprintf(path, MAX_PATH, L"%ls\\hello.txt", dir);
        write_file(path, "hello, world\n", 13);
        swprintf(path, MAX_PATH, L"%ls\\sub", dir);
        CreateDirectoryW(path, NULL);
        swprintf(path, MAX_PATH, L"%ls\\sub\\empty.bin", dir);
        write_file(path, "", 0);

        CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"docs")), S_OK); SysFreeString(s);
        CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"docs\\deep")), S_OK); SysFreeString(s);
        /* Adding a name that exists fails with IMAPI_E_DUP_NAME and says which. */
        CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"docs")), IMAPI_E_DUP_NAME); SysFreeString(s);
        check_error_text(L"docs", "IMAPI_E_DUP_NAME text");
        /* The parent must exist. */
        CHECK_HR(IFsiDirectoryItem_AddDirectory(root, s = B(L"nope\\x")), IMAPI_E_DIR_NOT_FOUND); SysFreeString(s);
        data = mem_stream(payload, sizeof(payload));
        CHECK_HR(IFsiDirectoryItem_AddFile(root, s = B(L"docs\\deep\\payload.bin"), data), S_OK); SysFreeString(s);
        IStream_Release(data);
        CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(dir), VARIANT_TRUE), S_OK); SysFreeString(s);
        CHECK_HR(IFsiDirectoryItem_AddTree(root, s = B(L"Z:\\does\\not\\exist"), VARIANT_FALSE), IMAPI_E_DIR_NOT_FOUND); SysFreeString(s);

        CHECK_HR(IFileSystemImage_get_FileCount(image, &count), S_OK);
        CHECK(count == 3, "FileCount %ld, want 3", count);
        CHECK_HR(IFileSystemImage_get_DirectoryCount(image, &count), S_OK);
        CHECK(count == 5, "DirectoryCount %ld, want 5 (the root, docs, deep, base, sub)", count);
        swprintf(path, MAX_PATH, L"\\%ls\\sub\\empty.bin", wcsrchr(dir, '\\') + 1);
        CHECK_HR(IFileSystemImage_Exists(image, s = B(path), &type), S_OK); SysFreeString(s);
        CHECK(type == FsiItemFile, "Exists(file) %d", type);
        CHECK_HR(IFileSystemImage_Exists(image, s = B(L"\\docs\\deep"), &type), S_OK); SysFreeString(s);
        CHECK(type == FsiItemDirectory, "Exists(dir) %d", type);
        CHECK_HR(IFileSystemImage_Exists(image, s = B(L"\\nothing"), &type), S_OK); SysFreeString(s);
        CHECK(type == FsiItemNotFound, "Exists(missing) %d", type);
        CHECK_HR(IFileSystemImage_put_VolumeName(image, s = B(L"fsi-test.volume")), S_OK); SysFreeString(s);
    }
    result = result_of(image, &stream, &blocks);

    a = copy_whole(stream, &len1);
    b = copy_by_blocks(stream, blocks);
    len2 = (size_t)blocks * 2048;
    CHECK(len1 == len2 && !memcmp(a, b, len1), "Stat+CopyTo and Read x TotalBlocks give the same bytes");
    CHECK(!memcmp(a + 16 * 2048 + 1, "CD001", 5), "PVD at block 16");

    /* Random Seek + Read against the straight copy. */
    srand(1);
    for (int i = 0; i < 200; i++) {
        size_t off = (size_t)rand() * 7919 % len1, n = (size_t)rand() % 9000;
        LARGE_INTEGER pos;
        ULONG got = 0;
        char buf[9000];
        if (n > len1 - off) n = len1 - off;
        pos.QuadPart = (LONGLONG)off;
        IStream_Seek(stream, pos, STREAM_SEEK_SET, NULL);
        IStream_Read(stream, buf, (ULONG)n, &got);
        if (got != n || memcmp(buf, a + off, n)) { InterlockedIncrement(&failures); printf("not ok - random read at %zu+%zu\n", off, n); break; }
    }
    InterlockedIncrement(&checks);

    {
        /* The chunked CopyTo with NULL out-pointers gives the same bytes too. */
        WCHAR out[MAX_PATH];
        IStream *f;
        char *c = malloc(len1);
        ULONG n = 0;
        GetTempPathW(MAX_PATH, tmp);
        swprintf(out, MAX_PATH, L"%lsfsi-chunks-%lu.iso", tmp, GetCurrentProcessId());
        copy_chunks_to_file(stream, out, blocks);
        SHCreateStreamOnFileEx(out, STGM_READ, 0, FALSE, NULL, &f);
        IStream_Read(f, c, (ULONG)len1, &n);
        IStream_Release(f);
        DeleteFileW(out);
        CHECK(n == len1 && !memcmp(a, c, len1), "CopyTo in 2 MiB chunks gives the same bytes");
        free(c);
    }

    /* The result stays valid after the image changes or goes away. */
    IFsiDirectoryItem_AddDirectory(root, s = B(L"later")); SysFreeString(s);
    IFsiDirectoryItem_Release(root);
    IFileSystemImage_Release(image);
    image = NULL;
    {
        size_t len3;
        char *c = copy_whole(stream, &len3);
        CHECK(len3 == len1 && !memcmp(a, c, len1), "result unchanged after the image is released");
        free(c);
    }
    free(a);
    free(b);
    IStream_Release(stream);
    IFileSystemImageResult_Release(result);
    if (image) { IFsiDirectoryItem_Release(root); IFileSystemImage_Release(image); }
}

static const test_case cases[] = {
    { "message_table", message_table },
    { "own_tree", own_tree },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    if (argc == 4 && !wcscmp(argv[1], L"--image")) {
        message_table();
        image_to_files(argv[2], argv[3]);
        rc = report();
    } else rc = RUN_CASES(argc, argv, cases);
    CoUninitialize();
    return rc;
}
