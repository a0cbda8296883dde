' The object model from VBScript (tests/com/model.test.sh): a failed AddTree leaves the image as it
' was, with the error's text; change points roll back; StageFiles and WorkingDirectory round-trip.
' Usage: cscript //nologo model.vbs GOOD_FOLDER BAD_FOLDER WORKDIR
Option Explicit
Dim good, bad, work, fsi, root, cp, n
good = WScript.Arguments(0) : bad = WScript.Arguments(1) : work = WScript.Arguments(2)
Set fsi = CreateObject("IMAPI2FS.MsftFileSystemImage")
Set root = fsi.Root
root.AddTree good, False
WScript.Echo "Files=" & fsi.FileCount & " Dirs=" & fsi.DirectoryCount
cp = fsi.ChangePoint

' BAD_FOLDER holds a name outside the ANSI code page: with UseRestrictedCharacterSet the whole
' AddTree fails and nothing of it is added.
fsi.UseRestrictedCharacterSet = True
On Error Resume Next
root.AddTree bad, True
WScript.Echo "AddTreeErr=" & Hex(Err.Number)
WScript.Echo "AddTreeText=" & (InStr(Err.Description, "ANSI") > 0)
Err.Clear
On Error GoTo 0
WScript.Echo "AfterFailure Files=" & fsi.FileCount & " Dirs=" & fsi.DirectoryCount
fsi.UseRestrictedCharacterSet = False

' Roll back over a successful AddTree.
root.AddTree bad, True
WScript.Echo "Added Files=" & fsi.FileCount & " Dirs=" & fsi.DirectoryCount
fsi.RollbackToChangePoint cp
WScript.Echo "RolledBack Files=" & fsi.FileCount & " Dirs=" & fsi.DirectoryCount
On Error Resume Next
fsi.RollbackToChangePoint 99999
WScript.Echo "BadPointErr=" & Hex(Err.Number)
On Error GoTo 0

' Staging settings.
fsi.StageFiles = True
fsi.WorkingDirectory = work
WScript.Echo "Stage=" & fsi.StageFiles & " Work=" & (fsi.WorkingDirectory = work)
Set root = fsi.Root
root.AddTree bad, True
WScript.Echo "Staged Files=" & fsi.FileCount
WScript.Echo "Blocks=" & (fsi.CreateResultImage().TotalBlocks > 20)
