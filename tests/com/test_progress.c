/*
 * Progress items of a result (IProgressItems, IProgressItem, IEnumProgressItems, _NewEnum):
 * for every file of a test folder, its item's blocks hold exactly that file's bytes (read from the
 * image and compared with the source), the metadata items cover the rest without overlap, and the
 * lookups (Item, ProgressItemFromBlock, ProgressItemFromDescription) and enumerators answer as
 * documented, errors with IMAPI_E_INVALID_PARAM and their IErrorInfo text.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "client_util.h"

typedef struct item_info {
    BSTR desc;
    ULONG first, last, count;
} item_info;

static void get_info(IProgressItem *it, item_info *out)
{
    memset(out, 0, sizeof(*out));
    CHECK_HR(IProgressItem_get_Description(it, &out->desc), S_OK);
    CHECK_HR(IProgressItem_get_FirstBlock(it, &out->first), S_OK);
    CHECK_HR(IProgressItem_get_LastBlock(it, &out->last), S_OK);
    CHECK_HR(IProgressItem_get_BlockCount(it, &out->count), S_OK);
}

static int same_item(IProgressItem *it, const item_info *want)
{
    item_info got;
    int same;
    get_info(it, &got);
    same = got.first == want->first && got.last == want->last && got.count == want->count &&
           got.desc && want->desc && !wcscmp(got.desc, want->desc);
    SysFreeString(got.desc);
    return same;
}

static const src_file *file_of(const WCHAR *desc)
{
    for (size_t f = 0; f < TREE_FILES; f++)
        if (desc[0] == '\\' && !wcscmp(desc + 1, tree_files[f].path)) return &tree_files[f];
    return NULL;
}

/* Check the whole collection of one result against the image bytes and the source files. */
static void check_items(IFileSystemImageResult *result, ULONG start)
{
    IProgressItems *items = NULL;
    IProgressItem *it;
    LONG count = 0, blocks = 0;
    item_info *info;
    IStream *stream;
    char *image;
    int files_seen = 0, files_with_data = 0;

    CHECK_HR(IFileSystemImageResult_get_ProgressItems(result, &items), S_OK);
    if (!items) return;
    CHECK_HR(IFileSystemImageResult_get_TotalBlocks(result, &blocks), S_OK);
    CHECK_HR(IFileSystemImageResult_get_ImageStream(result, &stream), S_OK);
    image = copy_by_blocks(stream, blocks);
    IStream_Release(stream);

    CHECK_HR(IProgressItems_get_Count(items, &count), S_OK);
    for (size_t f = 0; f < TREE_FILES; f++) files_with_data += tree_files[f].size != 0;
    CHECK(count > files_with_data, "Count %ld: one item per file with data (%d) and metadata", count, files_with_data);
    info = calloc(count + 1, sizeof(*info));

    /* Item(i), zero-based: in block order, back to back, covering the image exactly. */
    for (LONG i = 0; i < count; i++) {
        it = NULL;
        CHECK_HR(IProgressItems_get_Item(items, i, &it), S_OK);
        if (!it) break;
        get_info(it, &info[i]);
        IProgressItem_Release(it);
        CHECK(info[i].count >= 1 && info[i].last == info[i].first + info[i].count - 1,
              "item %ld: %lu..%lu count %lu", i, info[i].first, info[i].last, info[i].count);
        CHECK(info[i].first == (i ? info[i - 1].last + 1 : start), "item %ld starts at %lu, right after the one before", i,
              info[i].first);
    }
    CHECK(count && info[count - 1].last == start + blocks - 1, "the items end at the image's last block %lu",
          start + blocks - 1);

    /* Files: each item's blocks hold exactly the file's bytes, zero-padded to the block. */
    for (LONG i = 0; i < count; i++) {
        const src_file *f = info[i].desc ? file_of(info[i].desc) : NULL;
        if (!f) continue;
        files_seen++;
        CHECK(info[i].count == (f->size + 2047) / 2048, "%ls: %lu blocks for %zu bytes", f->path, info[i].count, f->size);
        {
            const char *p = image + (size_t)(info[i].first - start) * 2048;
            size_t padded = (size_t)info[i].count * 2048;
            int ok = !memcmp(p, f->data, f->size);
            for (size_t k = f->size; ok && k < padded; k++) ok = !p[k];
            CHECK(ok, "%ls: blocks %lu..%lu hold the file's bytes", f->path, info[i].first, info[i].last);
        }
    }
    CHECK(files_seen == files_with_data, "an item for every file with data (%d of %d)", files_seen, files_with_data);

    /* The metadata items hold the rest: the system area and the volume descriptors among them. */
    CHECK(count && !file_of(info[0].desc) && info[0].first == start && info[0].last >= start + 17,
          "the first item is metadata from block %lu ('%ls')", start, count ? info[0].desc : L"");

    /* ProgressItemFromBlock: every block finds the item holding it (binary search). */
    for (LONG i = 0; i < count; i++) {
        ULONG probe[3] = { info[i].first, info[i].first + info[i].count / 2, info[i].last };
        for (int k = 0; k < 3; k++) {
            it = NULL;
            CHECK_HR(IProgressItems_ProgressItemFromBlock(items, probe[k], &it), S_OK);
            CHECK(it && same_item(it, &info[i]), "ProgressItemFromBlock(%lu) gives item %ld", probe[k], i);
            if (it) IProgressItem_Release(it);
        }
    }
    CHECK_HR(IProgressItems_ProgressItemFromBlock(items, start + blocks, &it), IMAPI_E_INVALID_PARAM);
    check_error_text(L"block", "ProgressItemFromBlock past the end");
    if (start) CHECK_HR(IProgressItems_ProgressItemFromBlock(items, start - 1, &it), IMAPI_E_INVALID_PARAM);
    CHECK_HR(IProgressItems_ProgressItemFromBlock(items, 0xFFFFFFFFu, &it), IMAPI_E_INVALID_PARAM);
    CHECK_HR(IProgressItems_ProgressItemFromBlock(items, start, NULL), E_POINTER);

    /* ProgressItemFromDescription: every file by its full image path. */
    for (size_t f = 0; f < TREE_FILES; f++) {
        WCHAR path[MAX_PATH];
        BSTR d;
        swprintf(path, MAX_PATH, L"\\%ls", tree_files[f].path);
        it = NULL;
        if (!tree_files[f].size) {
            /* An empty file has no blocks, hence no item. */
            CHECK_HR(IProgressItems_ProgressItemFromDescription(items, d = B(path), &it), IMAPI_E_INVALID_PARAM);
            SysFreeString(d);
            continue;
        }
        CHECK_HR(IProgressItems_ProgressItemFromDescription(items, d = B(path), &it), S_OK);
        SysFreeString(d);
        if (it) {
            item_info got;
            get_info(it, &got);
            CHECK(got.desc && !wcscmp(got.desc, path), "ProgressItemFromDescription(%ls)", path);
            SysFreeString(got.desc);
            IProgressItem_Release(it);
        }
    }
    {
        BSTR d;
        /* A path that differs only in case still finds its file. */
        CHECK_HR(IProgressItems_ProgressItemFromDescription(items, d = B(L"\\SUB\\DEEP\\X\\Y\\BIG.BIN"), &it), S_OK);
        SysFreeString(d);
        if (it) {
            item_info got;
            get_info(it, &got);
            CHECK(got.desc && !wcscmp(got.desc, L"\\sub\\deep\\x\\y\\big.bin"), "case-insensitive description lookup");
            SysFreeString(got.desc);
            IProgressItem_Release(it);
        }
        CHECK_HR(IProgressItems_ProgressItemFromDescription(items, d = B(L"\\no such file"), &it), IMAPI_E_INVALID_PARAM);
        check_error_text(L"description", "ProgressItemFromDescription of an unknown file");
        SysFreeString(d);
        CHECK_HR(IProgressItems_ProgressItemFromDescription(items, NULL, &it), E_FAIL);
        /* The metadata description finds the first metadata item. */
        if (count) {
            CHECK_HR(IProgressItems_ProgressItemFromDescription(items, info[0].desc, &it), S_OK);
            if (it) {
                CHECK(same_item(it, &info[0]), "ProgressItemFromDescription(metadata)");
                IProgressItem_Release(it);
            }
        }
    }

    /* Item errors: out of range, documented parameter name in the text. */
    CHECK_HR(IProgressItems_get_Item(items, -1, &it), IMAPI_E_INVALID_PARAM);
    check_error_text(L"Index", "Item(-1)");
    CHECK_HR(IProgressItems_get_Item(items, count, &it), IMAPI_E_INVALID_PARAM);
    CHECK_HR(IProgressItems_get_Item(items, 0, NULL), E_POINTER);
    CHECK_HR(IProgressItems_get_Count(items, NULL), E_POINTER);
    {
        ISupportErrorInfo *sei = NULL;
        CHECK_HR(IProgressItems_QueryInterface(items, &IID_ISupportErrorInfo, (void **)&sei), S_OK);
        if (sei) {
            CHECK_HR(ISupportErrorInfo_InterfaceSupportsErrorInfo(sei, &IID_IProgressItems), S_OK);
            ISupportErrorInfo_Release(sei);
        }
    }

    /* EnumProgressItems: Next (one, several, past the end), Skip, Reset, Clone. */
    {
        IEnumProgressItems *e = NULL, *c = NULL;
        IProgressItem *got[4];
        ULONG n = 0;
        LONG seen = 0;
        CHECK_HR(IProgressItems_get_EnumProgressItems(items, &e), S_OK);
        if (e) {
            while (IEnumProgressItems_Next(e, 1, got, NULL) == S_OK) {
                CHECK(seen < count && same_item(got[0], &info[seen]), "IEnumProgressItems item %ld", seen);
                IProgressItem_Release(got[0]);
                seen++;
            }
            CHECK(seen == count, "IEnumProgressItems gave %ld of %ld", seen, count);
            CHECK_HR(IEnumProgressItems_Next(e, 1, got, &n), S_FALSE);
            CHECK(n == 0, "nothing after the end");
            CHECK_HR(IEnumProgressItems_Reset(e), S_OK);
            CHECK_HR(IEnumProgressItems_Next(e, 4, got, NULL), E_POINTER);
            CHECK_HR(IEnumProgressItems_Skip(e, 1), S_OK);
            CHECK_HR(IEnumProgressItems_Clone(e, &c), S_OK);
            CHECK_HR(IEnumProgressItems_Next(e, 4, got, &n), count >= 5 ? S_OK : S_FALSE);
            for (ULONG k = 0; k < n; k++) {
                CHECK(same_item(got[k], &info[1 + k]), "Next(4) item %lu", k);
                IProgressItem_Release(got[k]);
            }
            if (c) {
                CHECK_HR(IEnumProgressItems_Next(c, 1, got, &n), S_OK);
                CHECK(n == 1 && same_item(got[0], &info[1]), "a clone goes on from where its original was");
                IProgressItem_Release(got[0]);
                CHECK_HR(IEnumProgressItems_Skip(c, (ULONG)count), S_FALSE);
                IEnumProgressItems_Release(c);
            }
            IEnumProgressItems_Release(e);
        }
    }

    /* _NewEnum: an IEnumVARIANT of IProgressItem dispatch objects, as For Each uses it. */
    {
        IEnumVARIANT *ev = NULL, *c = NULL;
        VARIANT v[3];
        ULONG n = 0;
        LONG seen = 0;
        CHECK_HR(IProgressItems_get__NewEnum(items, &ev), S_OK);
        if (ev) {
            for (;;) {
                HRESULT hr = IEnumVARIANT_Next(ev, 3, v, &n);
                for (ULONG k = 0; k < n; k++) {
                    IProgressItem *pi = NULL;
                    CHECK(V_VT(&v[k]) == VT_DISPATCH, "_NewEnum gives VT_DISPATCH");
                    if (V_VT(&v[k]) == VT_DISPATCH &&
                        SUCCEEDED(IDispatch_QueryInterface(V_DISPATCH(&v[k]), &IID_IProgressItem, (void **)&pi))) {
                        CHECK(seen < count && same_item(pi, &info[seen]), "_NewEnum item %ld", seen);
                        IProgressItem_Release(pi);
                    }
                    VariantClear(&v[k]);
                    seen++;
                }
                if (hr != S_OK) break;
            }
            CHECK(seen == count, "_NewEnum gave %ld of %ld", seen, count);
            CHECK_HR(IEnumVARIANT_Reset(ev), S_OK);
            CHECK_HR(IEnumVARIANT_Clone(ev, &c), S_OK);
            if (c) {
                CHECK_HR(IEnumVARIANT_Next(c, 1, v, NULL), S_OK);
                VariantClear(&v[0]);
                IEnumVARIANT_Release(c);
            }
            IEnumVARIANT_Release(ev);
        }
    }

    /* Late bound, as a script reads it: items.Item(0).Description, items.Count. */
    {
        LPOLESTR name = (LPOLESTR)L"Description";
        DISPID id = 0;
        DISPPARAMS none = { NULL, NULL, 0, 0 };
        VARIANT arg, res;
        DISPPARAMS one = { &arg, NULL, 1, 0 };
        VariantInit(&res);
        V_VT(&arg) = VT_I4;
        V_I4(&arg) = 0;
        CHECK_HR(IProgressItems_Invoke(items, DISPID_VALUE, &IID_NULL, 0, DISPATCH_PROPERTYGET | DISPATCH_METHOD, &one,
                                       &res, NULL, NULL), S_OK);
        if (V_VT(&res) == VT_DISPATCH) {
            IDispatch *d = V_DISPATCH(&res);
            VARIANT r2;
            VariantInit(&r2);
            CHECK_HR(IDispatch_GetIDsOfNames(d, &IID_NULL, &name, 1, 0, &id), S_OK);
            CHECK(id == 1, "DISPID of Description %ld", id);
            CHECK_HR(IDispatch_Invoke(d, id, &IID_NULL, 0, DISPATCH_PROPERTYGET, &none, &r2, NULL, NULL), S_OK);
            CHECK(V_VT(&r2) == VT_BSTR && count && !wcscmp(V_BSTR(&r2), info[0].desc), "Item(0).Description late bound");
            VariantClear(&r2);
        } else CHECK(0, "Item(0) late bound gives an object (vt %u)", V_VT(&res));
        VariantClear(&res);
        V_I4(&arg) = count + 5;
        CHECK_HR(IProgressItems_Invoke(items, DISPID_VALUE, &IID_NULL, 0, DISPATCH_PROPERTYGET, &one, &res, NULL, NULL),
                 DISP_E_EXCEPTION);
    }

    for (LONG i = 0; i < count; i++) SysFreeString(info[i].desc);
    free(info);
    free(image);
    IProgressItems_Release(items);
}

static WCHAR dir[MAX_PATH];              /* the source folder (make_tree) */

/* ISO 9660 + Joliet, a new image from block 0; the collection and its items outlive the image
 * and the result. */
static void from_block_0(void)
{
    IFileSystemImage *image;
    IFileSystemImageResult *result;
    IProgressItems *items = NULL, *items2 = NULL;
    IProgressItem *it = NULL;

    image = image_of_tree(dir);
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (result) {
        check_items(result, 0);
        /* The collection and its items outlive the image and the result. */
        CHECK_HR(IFileSystemImageResult_get_ProgressItems(result, &items), S_OK);
        CHECK_HR(IFileSystemImageResult_get_ProgressItems(result, &items2), S_OK);
        IFileSystemImageResult_Release(result);
    }
    IFileSystemImage_Release(image);
    if (items) {
        LONG c1 = 0, c2 = 0;
        BSTR d = NULL;
        IProgressItems_get_Count(items, &c1);
        IProgressItems_get_Count(items2, &c2);
        CHECK(c1 == c2 && c1 > 0, "two collections of one result agree");
        CHECK_HR(IProgressItems_get_Item(items, c1 - 1, &it), S_OK);
        IProgressItems_Release(items);
        IProgressItems_Release(items2);
        if (it) {
            CHECK_HR(IProgressItem_get_Description(it, &d), S_OK);
            CHECK(d && !wcscmp(d, L"\\z\\last.bin"), "the last item is the last file in ISO order ('%ls')", d ? d : L"");
            SysFreeString(d);
            IProgressItem_Release(it);
        }
    }
}

/* A session that starts later: the items' blocks are the media's. */
static void later_session(void)
{
    IFileSystemImage *image;
    IFileSystemImageResult *result;

    image = image_of_tree(dir);
    CHECK_HR(IFileSystemImage_put_SessionStartBlock(image, 5000), S_OK);
    CHECK_HR(IFileSystemImage_CreateResultImage(image, &result), S_OK);
    if (result) {
        check_items(result, 5000);
        IFileSystemImageResult_Release(result);
    }
    IFileSystemImage_Release(image);
}

/* Every file system the image can have. */
static void file_systems(void)
{
    IFileSystemImage *image;
    IFileSystemImageResult *result;

    for (int fs = 1; fs <= 7; fs++) {
        FsiFileSystems supported = 0;
        image = image_of_tree(dir);
        IFileSystemImage_get_FileSystemsSupported(image, &supported);
        if (((unsigned)fs & (unsigned)supported) == (unsigned)fs && SUCCEEDED(IFileSystemImage_put_FileSystemsToCreate(image, fs)) &&
            SUCCEEDED(IFileSystemImage_CreateResultImage(image, &result))) {
            printf("# file systems %d\n", fs);
            check_items(result, 0);
            IFileSystemImageResult_Release(result);
        }
        IFileSystemImage_Release(image);
    }
}

static const test_case cases[] = {
    { "from_block_0", from_block_0 },
    { "later_session", later_session },
    { "file_systems", file_systems },
};

int wmain(int argc, WCHAR **argv)
{
    int rc;
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    make_tree(dir, L"progress");
    rc = RUN_CASES(argc, argv, cases);
    remove_tree(dir);
    CoUninitialize();
    return rc;
}
