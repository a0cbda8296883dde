' MsftIsoImageManager late-bound, as scripts use it: SetPath / Path / Stream (a file-to-IStream
' helper handed to MsftFileSystemImage), SetStream, and Validate's four errors.
' Usage: cscript //nologo isoimagemanager.vbs GOOD.iso UNALIGNED ZEROS BIG(>4GiB) HUGE(>MAXLONG blocks) SOURCE
' Prints name=value lines for tests/com/isoimagemanager.test.sh.
Option Explicit
Dim iim, other, fsi, s, r
Function Try(obj, what)
    On Error Resume Next
    Err.Clear
    Select Case what
        Case "validate": obj.Validate
    End Select
    If Err.Number = 0 Then Try = "ok" Else Try = Hex(Err.Number)
    On Error GoTo 0
End Function

Set iim = CreateObject("IMAPI2FS.MsftIsoImageManager")
WScript.Echo "Empty=" & Try(iim, "validate")
iim.SetPath WScript.Arguments(0)
WScript.Echo "PathSet=" & (iim.Path = WScript.Arguments(0))
WScript.Echo "Good=" & Try(iim, "validate")
iim.SetPath WScript.Arguments(1)
WScript.Echo "Unaligned=" & Try(iim, "validate")
iim.SetPath WScript.Arguments(2)
WScript.Echo "Zeros=" & Try(iim, "validate")
iim.SetPath WScript.Arguments(3)
WScript.Echo "Big=" & Try(iim, "validate")
iim.SetPath WScript.Arguments(4)
WScript.Echo "Huge=" & Try(iim, "validate")
On Error Resume Next
iim.SetPath "Z:\no\such\file.iso"
WScript.Echo "BadPath=" & Hex(Err.Number)
On Error GoTo 0

' a stream from one manager given to another: SetStream replaces the path
iim.SetPath WScript.Arguments(0)
Set s = iim.Stream
Set other = CreateObject("IMAPI2FS.MsftIsoImageManager")
other.SetPath WScript.Arguments(1)
other.SetStream s
WScript.Echo "PathAfterSetStream=[" & other.Path & "]"
WScript.Echo "StreamGood=" & Try(other, "validate")

' the helper's stream as file data in a new image
Set fsi = CreateObject("IMAPI2FS.MsftFileSystemImage")
fsi.Root.AddFile "copy.iso", iim.Stream
WScript.Echo "DataSize=" & fsi.Root.Item("copy.iso").DataSize
Set r = fsi.CreateResultImage()
WScript.Echo "ResultBlocks=" & r.TotalBlocks
