' DFileSystemImageEvents in VBScript: Sub <prefix>_Update handlers connected with
' WScript.CreateObject(progid, prefix) and WScript.ConnectObject(object, prefix), as on Windows.
'
' VBScript cannot read an IStream itself, so the image stream is read with Host.ReadStream, which
' test_vbs_events.exe provides (it also provides ConnectObject and the prefix of CreateObject,
' which Wine's wscript.exe lacks). Under plain cscript (events.test.sh) the script only reports
' whether the host can connect events and stops there.
' The script checks itself and ends with "Events=N" (the Update events its handlers got in all) and
' "N passed, N failed".

Dim passed, failed
passed = 0
failed = 0
Sub Check(cond, what)
    If cond Then
        passed = passed + 1
    Else
        failed = failed + 1
        WScript.Echo "not ok - " & what
    End If
End Sub

' ---- what the host supports ------------------------------------------------------------------
Dim fsi, probe, createErr, connectErr
On Error Resume Next
Set fsi = WScript.CreateObject("IMAPI2FS.MsftFileSystemImage", "fsi_")
createErr = Err.Number
Err.Clear
Set probe = CreateObject("IMAPI2FS.MsftFileSystemImage")
WScript.ConnectObject probe, "probe_"
connectErr = Err.Number
Err.Clear
On Error GoTo 0
WScript.Echo "CreateObjectPrefix=" & Hex(createErr)
WScript.Echo "ConnectObject=" & Hex(connectErr)

' ---- the handlers ----------------------------------------------------------------------------
Dim evCount, curFile, curCopied, curTotal, doneFiles, secondCount, probeCount, allEvents
allEvents = 0
evCount = 0
secondCount = 0
probeCount = 0
curFile = ""
doneFiles = ""

Sub fsi_Update(object, currentFile, copiedSectors, totalSectors)
    allEvents = allEvents + 1
    evCount = evCount + 1
    If currentFile <> curFile Then
        If curFile <> "" Then Check curCopied = curTotal, curFile & " ended at " & curCopied & " of " & curTotal
        Check copiedSectors = 0, currentFile & " starts at " & copiedSectors
        doneFiles = doneFiles & currentFile & ";"
    Else
        Check copiedSectors = curCopied + 512 Or (copiedSectors = totalSectors And copiedSectors > curCopied), _
              currentFile & ": " & curCopied & " then " & copiedSectors & " of " & totalSectors
    End If
    curFile = currentFile
    curCopied = copiedSectors
    curTotal = totalSectors
    If evCount = 1 Then
        ' The object argument is the image: script code can use it.
        Check TypeName(object) = "IFileSystemImage3", "TypeName(object) = " & TypeName(object)
        Check object.FileCount = 4, "object.FileCount = " & object.FileCount
        Check VarType(copiedSectors) = vbLong And VarType(totalSectors) = vbLong And VarType(currentFile) = vbString, _
              "argument types " & VarType(currentFile) & " " & VarType(copiedSectors) & " " & VarType(totalSectors)
    End If
End Sub

Sub second_Update(object, currentFile, copiedSectors, totalSectors)
    allEvents = allEvents + 1
    secondCount = secondCount + 1
End Sub

Sub probe_Update(object, currentFile, copiedSectors, totalSectors)
    allEvents = allEvents + 1
    probeCount = probeCount + 1
End Sub

' ---- a folder to image ----------------------------------------------------------------------
Function MakeFolder()
    Dim fso, dir, names, sizes, i, f
    Set fso = CreateObject("Scripting.FileSystemObject")
    dir = fso.BuildPath(fso.GetSpecialFolder(2), "fsi-vbs-events")
    If fso.FolderExists(dir) Then fso.DeleteFolder dir, True
    fso.CreateFolder dir
    fso.CreateFolder dir & "\sub"
    names = Array("a.txt", "sub\big.bin", "sub\c.txt", "empty.txt")
    sizes = Array(10, 3 * 1048576 + 5, 5000, 0)
    For i = 0 To UBound(names)
        Set f = fso.CreateTextFile(dir & "\" & names(i), True)
        If sizes(i) > 0 Then f.Write String(sizes(i), "x")
        f.Close
    Next
    MakeFolder = dir
End Function

Sub Main()
    Dim dir, result, n, item, count, fileItems, items, ranges, second, result2

    dir = MakeFolder()
    Check createErr = 0, "WScript.CreateObject(progid, prefix): " & Hex(createErr)
    Check connectErr = 0, "WScript.ConnectObject: " & Hex(connectErr)
    fsi.FreeMediaBlocks = 0
    fsi.VolumeName = "vbs events"
    fsi.Root.AddTree dir, False
    Set result = fsi.CreateResultImage()
    Check evCount = 0, "no events before the stream is read (" & evCount & ")"

    ' Reading the stream: 0, each megabyte, the total, for every file with data, in image order.
    n = Host.ReadStream(result.ImageStream)
    Check n = result.TotalBlocks * 2048, "read " & n & " bytes of " & result.TotalBlocks * 2048
    Check evCount = 9, "events: " & evCount & ", want 9 (a.txt 0 1, big.bin 0 512 1024 1536 1537, c.txt 0 3)"
    Check curFile = "\sub\c.txt" And curCopied = curTotal And curTotal = 3, "the last event: " & curFile & " " & curCopied & " of " & curTotal
    Check doneFiles = "\a.txt;\sub\big.bin;\sub\c.txt;", "files in order: " & doneFiles
    Check probeCount = 0, "another image's handler hears nothing (" & probeCount & ")"

    ' Read again (a second copy): the same events again.
    evCount = 0
    curFile = ""
    doneFiles = ""
    Dim s
    Set s = result.ImageStream
    n = Host.ReadStream(s)
    Check n = 0, "the stream is at its end: " & n
    Set result2 = fsi.CreateResultImage()
    n = Host.ReadStream(result2.ImageStream)
    Check evCount = 9 And doneFiles = "\a.txt;\sub\big.bin;\sub\c.txt;", "a second result: " & evCount & " events, " & doneFiles

    ' The progress items from script.
    Set items = result.ProgressItems
    count = 0
    fileItems = 0
    For Each item In items
        count = count + 1
        If Left(item.Description, 1) = "\" Then fileItems = fileItems + 1
        ' FirstBlock, LastBlock and BlockCount are ULONG (VT_UI4) in the type library, a type VBScript
        ' stores but does no arithmetic on: CLng first (so it is on Windows too).
        Check CLng(item.LastBlock) = CLng(item.FirstBlock) + CLng(item.BlockCount) - 1, _
              item.Description & ": " & CLng(item.FirstBlock) & ".." & CLng(item.LastBlock)
    Next
    Check count = items.Count And count >= 4, "For Each gave " & count & " of " & items.Count
    Check fileItems = 3, "three files with data (" & fileItems & ")"
    Set item = items.ProgressItemFromDescription("\sub\big.bin")
    Check CLng(item.BlockCount) = 1537, "big.bin BlockCount " & CLng(item.BlockCount)
    Check items.ProgressItemFromBlock(CLng(item.FirstBlock) + 700).Description = "\sub\big.bin", "ProgressItemFromBlock"
    Check CLng(items(0).FirstBlock) = 0, "items(0).FirstBlock"
    Check CLng(items.Item(items.Count - 1).LastBlock) = result.TotalBlocks - 1, "the last item ends the image"
    On Error Resume Next
    Set item = items.Item(items.Count)
    Check Err.Number = &HC0AAB101, "Item(Count): " & Hex(Err.Number)
    Check InStr(Err.Description, "Index") > 0, "Item(Count) text: " & Err.Description
    Err.Clear
    Set item = items.ProgressItemFromDescription("\nothing")
    Check Err.Number = &HC0AAB101, "ProgressItemFromDescription(unknown): " & Hex(Err.Number)
    Err.Clear
    On Error GoTo 0

    ' ModifiedBlocks and DiscId.
    ranges = result.ModifiedBlocks.BlockRanges
    Check UBound(ranges) = 0, "one modified range (" & UBound(ranges) & ")"
    Check ranges(0).StartLba = 0 And ranges(0).EndLba = result.TotalBlocks - 1, _
          "modified " & ranges(0).StartLba & ".." & ranges(0).EndLba
    Check result.DiscId = "0000000000000000", "DiscId " & result.DiscId

    ' WScript.ConnectObject on an object made with CreateObject.
    Set second = CreateObject("IMAPI2FS.MsftFileSystemImage")
    WScript.ConnectObject second, "second_"
    second.FreeMediaBlocks = 0
    second.Root.AddTree dir, False
    evCount = 0
    n = Host.ReadStream(second.CreateResultImage().ImageStream)
    Check secondCount = 9, "ConnectObject handler: " & secondCount & " events"
    Check evCount = 0, "the first image's handler hears nothing of the second (" & evCount & ")"

    CreateObject("Scripting.FileSystemObject").DeleteFolder dir, True
End Sub

If IsObject(Host) Then
    Main
    WScript.Echo "Events=" & allEvents
    WScript.Echo passed & " passed, " & failed & " failed"
Else
    WScript.Echo "events not checked: VBScript cannot read the image stream without Host.ReadStream"
End If
