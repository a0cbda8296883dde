#!/usr/bin/env bash
# UDF through the DLL: fsimage.exe writes the prepared tree for every UDF revision, UDF alone and
# bridged with ISO 9660 + Joliet (and 2.50 without the metadata mirror); tests/iso/udf-images.sh
# judges each with check-udf.sh (7-Zip test and extraction, udfinfo, udfdump, udfclient) and the
# bridged ones with check-image.sh.
exec bash "$FSI_SRC/tests/iso/udf-images.sh" "$FSI_SRC/tests/com/fsimage-wrap.sh"
