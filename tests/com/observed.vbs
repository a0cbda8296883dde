' What real Windows was seen to do, late bound (tests/com/observed.test.sh; test_observed.c pins
' the same through the vtable): a fresh image's values, the root item, AddTree on every entry of a
' folder (files included), the 2 GiB ceiling of ISO 9660 / Joliet, DiscId, and items that stay
' bound to the live image across RollbackToChangePoint and RemoveTree.
' Usage: cscript //nologo observed.vbs SOURCE_FOLDER BIG_FILE
Option Explicit
Dim src, bigFile, fsi, root, fso, entry, result, d, e, b, cp, n

src = WScript.Arguments(0) : bigFile = WScript.Arguments(1)
Set fso = CreateObject("Scripting.FileSystemObject")

Set fsi = CreateObject("IMAPI2FS.MsftFileSystemImage")
WScript.Echo "FileSystemsToCreate=" & fsi.FileSystemsToCreate
WScript.Echo "FileSystemsSupported=" & fsi.FileSystemsSupported
WScript.Echo "ISO9660InterchangeLevel=" & fsi.ISO9660InterchangeLevel
WScript.Echo "UDFRevision=" & fsi.UDFRevision
WScript.Echo "DirectoryCount=" & fsi.DirectoryCount
WScript.Echo "FreeMediaBlocks=" & fsi.FreeMediaBlocks
WScript.Echo "CreateRedundantUdfMetadataFiles=" & fsi.CreateRedundantUdfMetadataFiles
WScript.Echo "LevelsSupported=" & (UBound(fsi.ISO9660InterchangeLevelsSupported) + 1)
WScript.Echo "MultisessionInterfaces=" & (UBound(fsi.MultisessionInterfaces) + 1)
WScript.Echo "BootImageOptionsArray=" & (UBound(fsi.BootImageOptionsArray) + 1)

' The root: no name, no path, DATE 0 until set.
Set root = fsi.Root
WScript.Echo "RootName=[" & root.Name & "] RootFullPath=[" & root.FullPath & "]"
WScript.Echo "RootTimes=" & CDbl(root.CreationTime) & "," & CDbl(root.LastAccessedTime) & "," & CDbl(root.LastModifiedTime)
WScript.Echo "RootCreation=" & Year(root.CreationTime) & "-" & Month(root.CreationTime) & "-" & Day(root.CreationTime)

' AddTree(item.Path, True) on every entry of a folder, files included (New-ISOFile).
fsi.FreeMediaBlocks = 0
For Each entry In fso.GetFolder(src).Files
    root.AddTree entry.Path, True
Next
For Each entry In fso.GetFolder(src).SubFolders
    root.AddTree entry.Path, True
Next
WScript.Echo "Tree Files=" & fsi.FileCount & " Dirs=" & fsi.DirectoryCount
WScript.Echo "ChildPath=" & root.Item("sub\b.txt").FullPath
Set result = fsi.CreateResultImage()
WScript.Echo "DiscId=" & result.DiscId

' A file over 2 GiB: ISO 9660 and Joliet refuse it at levels 1 and 2, UDF alone takes it.
root.AddTree bigFile, False
On Error Resume Next
Set result = fsi.CreateResultImage()
WScript.Echo "TooBigErr=" & Hex(Err.Number)
WScript.Echo "TooBigText=" & Err.Description
Err.Clear
fsi.FileSystemsToCreate = 1
Set result = fsi.CreateResultImage()
WScript.Echo "TooBigIsoText=" & Err.Description
Err.Clear
On Error GoTo 0
fsi.FileSystemsToCreate = 4
Set result = fsi.CreateResultImage()
WScript.Echo "UdfAloneBlocks=" & (result.TotalBlocks > 1048576)

' Items stay bound across a rollback: d works on the live \d, e (made after the point) is gone.
Set fsi = CreateObject("IMAPI2FS.MsftFileSystemImage")
Set root = fsi.Root
root.AddDirectory "d"
Set d = root.Item("d")
cp = fsi.ChangePoint
root.AddDirectory "e"
Set e = root.Item("e")
fsi.RollbackToChangePoint cp
d.AddDirectory "after"
WScript.Echo "BoundAdd=" & fsi.Exists("d\after")
On Error Resume Next
e.AddDirectory "lost"
WScript.Echo "GoneErr=" & Hex(Err.Number)
WScript.Echo "GoneText=" & Err.Description
Err.Clear
On Error GoTo 0
WScript.Echo "GoneName=" & e.Name & " " & e.FullPath

' RemoveTree of an ancestor.
root.AddDirectory "a"
root.AddDirectory "a\b"
Set b = root.Item("a\b")
root.RemoveTree "a"
On Error Resume Next
b.AddDirectory "lost"
WScript.Echo "AncestorErr=" & Hex(Err.Number)
Err.Clear
On Error GoTo 0
WScript.Echo "AncestorGone=" & fsi.Exists("a")

' ISO 9660 names at level 1 (ISO 9660 alone): 8.3 with ~N, as Windows wrote them.
Set fsi = CreateObject("IMAPI2FS.MsftFileSystemImage")
fsi.FileSystemsToCreate = 1
Set root = fsi.Root
root.AddDirectory "_internal"
root.AddTree src & "\a.txt", False
WScript.Echo "ShortDir=" & root.Item("_internal").FileSystemName(1)
WScript.Echo "ShortFile=" & root.Item("a.txt").FileSystemName(1)

' FreeMediaBlocks: an add that would pass the limit fails, with the text clients match.
Set fsi = CreateObject("IMAPI2FS.MsftFileSystemImage")
Set root = fsi.Root
root.AddDirectory "d"
fsi.FreeMediaBlocks = fsi.UsedBlocks + 1
On Error Resume Next
root.AddTree bigFile, False
WScript.Echo "LimitErr=" & Hex(Err.Number)
WScript.Echo "LimitText=" & (Err.Description = "Adding '" & bigFile & "' would result in a result image having a size larger than the current configured limit.")
Err.Clear
On Error GoTo 0
WScript.Echo "LimitFiles=" & fsi.FileCount

