' An image of the folder given, built the way a script in any Wine prefix would build it
' (tests/install/wine-install.test.sh): CreateObject by ProgID, AddTree, CreateResultImage.
' Prints the files and the image's blocks.
Option Explicit
Dim fsi, result
Set fsi = CreateObject("IMAPI2FS.MsftFileSystemImage")
fsi.VolumeName = "WINEINSTALL"
fsi.Root.AddTree WScript.Arguments(0), False
Set result = fsi.CreateResultImage()
WScript.Echo "FileCount=" & fsi.FileCount
WScript.Echo "TotalBlocks=" & result.TotalBlocks
