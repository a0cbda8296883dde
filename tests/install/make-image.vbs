' An image of the folder given, built the way a script in any Wine prefix would build it
' (tests/install/wine-install.test.sh): CreateObject by ProgID, AddTree, CreateResultImage.
' Prints the files and the image's blocks.
Option Explicit
Dim fsi, result
Set fsi = CreateObject("IMAPI2FS.MsftFileSystemImage")
fsi.FileSystemsToCreate = 3                 ' ISO 9660 + Joliet at level 2, as fsimage's defaults
fsi.ISO9660InterchangeLevel = 2             ' (a new image has Windows': 7 and level 1)
fsi.VolumeName = "WINEINSTALL"
fsi.Root.AddTree WScript.Arguments(0), False
Set result = fsi.CreateResultImage()
WScript.Echo "FileCount=" & fsi.FileCount
WScript.Echo "TotalBlocks=" & result.TotalBlocks
