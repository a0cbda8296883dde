' Late-bound use of imapi2fs.dll as VBScript clients do it (tests/com/vbscript.test.sh).
' Usage: cscript //nologo late_binding.vbs SOURCE_FOLDER
Option Explicit
Dim src, fsi, fsi2, root, result, stream, item, names, n
src = WScript.Arguments(0)

Set fsi = CreateObject("IMAPI2FS.MsftFileSystemImage")
fsi.FreeMediaBlocks = 0
fsi.VolumeName = "vbs-test"
fsi.FileSystemsToCreate = 3
fsi.ISO9660InterchangeLevel = 2     ' what fsimage.exe writes by default (a fresh image has 1)
Set root = fsi.Root
root.AddTree src, False
WScript.Echo "FileCount=" & fsi.FileCount
WScript.Echo "DirectoryCount=" & fsi.DirectoryCount
Set result = fsi.CreateResultImage()
WScript.Echo "TotalBlocks=" & result.TotalBlocks
WScript.Echo "BlockSize=" & result.BlockSize
stream = result.ImageStream          ' without Set, as scripts do
WScript.Echo "StreamEmpty=" & IsEmpty(stream)   ' (Wine's TypeName cannot name a VT_UNKNOWN)

' The IMAPI2 alias ProgID creates the same class.
Set fsi2 = CreateObject("IMAPI2.MsftFileSystemImage")
WScript.Echo "Alias=" & TypeName(fsi2)
WScript.Echo "DefaultFS=" & fsi2.FileSystemsToCreate

' For Each over a directory (IEnumVARIANT through _NewEnum), sorted for a stable output.
n = 0
For Each item In fsi.Root
    n = n + 1
Next
WScript.Echo "RootItems=" & n & " Count=" & fsi.Root.Count

' Errors carry the documented HRESULT and text.
On Error Resume Next
root.AddDirectory "dup"
root.AddDirectory "dup"
WScript.Echo "DupErr=" & Hex(Err.Number)
WScript.Echo "DupText=" & Err.Description
Err.Clear
fsi.ImageSizeLimit = 0
WScript.Echo "UnknownErr=" & Err.Number
Err.Clear
Set item = root.Item("no\such\item")
WScript.Echo "NotFoundErr=" & Hex(Err.Number)
Err.Clear
On Error GoTo 0

' BootOptions and the ISO image manager are creatable.
Set item = CreateObject("IMAPI2FS.BootOptions")
WScript.Echo "BootPlatform=" & item.PlatformId
Set item = CreateObject("IMAPI2FS.MsftIsoImageManager")
WScript.Echo "IsoManager=" & TypeName(item)
