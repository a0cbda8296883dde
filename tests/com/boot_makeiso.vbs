' The MakeISO pattern (MediaCreationTool's DIR2ISO) late-bound: UDF only, FreeMediaBlocks = 0,
' two El Torito entries through BootImageOptionsArray = Array(bios, uefi), the boot streams from
' MsftIsoImageManager.SetPath(...).Stream. Prints name=value lines for tests/com/boot.test.sh.
' Usage: cscript //nologo boot_makeiso.vbs SOURCE_FOLDER BIOS_IMAGE EFI_IMAGE
Option Explicit
Dim src, biosPath, efiPath, fsi, bios, uefi, iim, arr, fixed(1), got, result, check
src = WScript.Arguments(0)
biosPath = WScript.Arguments(1)
efiPath = WScript.Arguments(2)

Function BootFrom(path, platform)
    Dim b, m
    Set m = CreateObject("IMAPI2FS.MsftIsoImageManager")
    m.SetPath path
    Set b = CreateObject("IMAPI2FS.BootOptions")
    b.AssignBootImage m.Stream
    b.PlatformId = platform
    b.Manufacturer = "Microsoft"
    Set BootFrom = b
End Function

Set fsi = CreateObject("IMAPI2FS.MsftFileSystemImage")
fsi.FileSystemsToCreate = 4
fsi.FreeMediaBlocks = 0
fsi.VolumeName = "MAKEISO"
fsi.Root.AddTree src, False

Set bios = BootFrom(biosPath, 0)
Set uefi = BootFrom(efiPath, &HEF)
WScript.Echo "BiosSize=" & bios.ImageSize
WScript.Echo "EfiSize=" & uefi.ImageSize
' a 1.44 MB image switched to floppy emulation by itself; efisys.bin boots without emulation
WScript.Echo "EfiAutoEmulation=" & uefi.Emulation
On Error Resume Next
uefi.Emulation = 1
WScript.Echo "MismatchErr=" & Hex(Err.Number)
Err.Clear
bios.Manufacturer = "a manufacturer name over 24 bytes"
WScript.Echo "ManufacturerErr=" & Hex(Err.Number)
Err.Clear
On Error GoTo 0
uefi.Emulation = 0
bios.Emulation = 0

' BootImageOptions with "=" and with Set; its getter gives a copy
fsi.BootImageOptions = bios
WScript.Echo "PutPlatform=" & fsi.BootImageOptions.PlatformId
Set fsi.BootImageOptions = uefi
WScript.Echo "SetPlatform=" & fsi.BootImageOptions.PlatformId
arr = fsi.BootImageOptionsArray
WScript.Echo "ArrayAfterSingle=" & (UBound(arr) + 1)

' an empty array: not bootable
fsi.BootImageOptionsArray = Array()
WScript.Echo "EmptyIsNothing=" & (fsi.BootImageOptions Is Nothing)
arr = fsi.BootImageOptionsArray
WScript.Echo "EmptyArray=" & (UBound(arr) + 1)

' a fixed array variable (passed by reference)
Set fixed(0) = uefi
Set fixed(1) = bios
fsi.BootImageOptionsArray = fixed
arr = fsi.BootImageOptionsArray
WScript.Echo "FixedFirst=" & arr(0).PlatformId

' what MakeISO does
fsi.BootImageOptionsArray = Array(bios, uefi)
arr = fsi.BootImageOptionsArray
WScript.Echo "Entries=" & (UBound(arr) + 1)
WScript.Echo "Platforms=" & arr(0).PlatformId & "," & arr(1).PlatformId
WScript.Echo "SameObject=" & (arr(1) Is uefi)
WScript.Echo "Manufacturer=" & arr(0).Manufacturer
WScript.Echo "Default=" & fsi.BootImageOptions.PlatformId

Set result = fsi.CreateResultImage()
WScript.Echo "TotalBlocks=" & result.TotalBlocks
Set check = CreateObject("IMAPI2FS.MsftIsoImageManager")
check.SetStream result.ImageStream
check.Validate
WScript.Echo "Validate=ok"
