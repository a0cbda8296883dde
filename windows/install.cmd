@echo off
rem install.cmd [/machine] [/x64 or /x86]: install and register the open imapi2fs.dll (IMAPI2FS).
rem   (default)  for the current user, no administrator rights: the DLLs are copied to
rem              %LOCALAPPDATA%\Programs\imapi2fs\x64 and \x86 and registered under
rem              HKCU\Software\Classes (regsvr32 /n /i:user), which this user's programs prefer to
rem              Windows' own registration; Windows' own imapi2fs.dll is left as it is.
rem   /machine   for every user, as administrator: x64\imapi2fs.dll into %SystemRoot%\System32,
rem              x86\imapi2fs.dll into %SystemRoot%\SysWOW64 (System32 on 32-bit Windows), each
rem              registered by the regsvr32 of its folder; refused where an imapi2fs.dll is already
rem              there (Windows' own): for systems without IMAPI2FS (ReactOS, Windows PE, Wine).
rem   /x64, /x86 only that half; by default both halves this Windows can run.
rem What was installed is recorded under HKCU\Software\imapi2fs (HKLM with /machine);
rem uninstall.cmd with the same options removes exactly that. Part of imapi2fs @VERSION@.
rem (Written for Wine's cmd too: no "||" after a redirection, no parentheses in echoed text, no
rem quoted program after "if".)
setlocal EnableExtensions
rem A 32-bit cmd.exe on 64-bit Windows sees SysWOW64 as System32: go on in the 64-bit one.
if not defined PROCESSOR_ARCHITEW6432 goto native
if not exist "%SystemRoot%\Sysnative\cmd.exe" goto native
"%SystemRoot%\Sysnative\cmd.exe" /d /c ""%~f0" %*"
exit /b
:native
set "version=@VERSION@"
set "here=%~dp0"
set "mode=user"
set "only="
:args
if "%~1"=="" goto args_done
if /i "%~1"=="/machine" set "mode=machine"& goto next_arg
if /i "%~1"=="/x64" set "only=x64"& goto next_arg
if /i "%~1"=="/x86" set "only=x86"& goto next_arg
if "%~1"=="/?" goto usage
echo install.cmd: unknown option %1 1>&2
goto usage_error
:next_arg
shift
goto args
:args_done

set "os64="
if exist "%SystemRoot%\SysWOW64\" set "os64=1"
set "key=HKCU\Software\imapi2fs"
set "peruser=/n /i:user"
if "%mode%"=="machine" set "key=HKLM\Software\imapi2fs"& set "peruser="
set "status=0"
if not "%only%"=="x86" call :half x64
if not "%only%"=="x64" call :half x86
if not "%status%"=="0" exit /b %status%
echo imapi2fs %version% installed for the %mode%; uninstall.cmd removes it.
exit /b 0

rem :half ARCH - copy ARCH\imapi2fs.dll, register it, record it
:half
set "arch=%~1"
set "sys=%SystemRoot%\System32"
if "%arch%"=="x64" if not defined os64 goto half_no_x64
if "%arch%"=="x86" if defined os64 set "sys=%SystemRoot%\SysWOW64"
set "regsvr32=%sys%\regsvr32.exe"
if not exist "%regsvr32%" goto half_no_regsvr32
set "dest=%LOCALAPPDATA%\Programs\imapi2fs\%arch%\imapi2fs.dll"
if "%mode%"=="machine" set "dest=%sys%\imapi2fs.dll"
set "recorded="
reg query "%key%" /v %arch% >nul 2>&1
if not errorlevel 1 set "recorded=1"
if exist "%dest%" if not defined recorded goto half_not_ours
if not exist "%here%%arch%\imapi2fs.dll" goto half_no_source
if "%mode%"=="user" if not exist "%LOCALAPPDATA%\Programs\imapi2fs\%arch%\" mkdir "%LOCALAPPDATA%\Programs\imapi2fs\%arch%"
copy /y /b "%here%%arch%\imapi2fs.dll" "%dest%" >nul
if errorlevel 1 goto half_copy_failed
"%regsvr32%" /s %peruser% "%dest%"
if errorlevel 1 goto half_register_failed
reg add "%key%" /v %arch% /d "%dest%" /f >nul
reg add "%key%" /v Version /d "%version%" /f >nul
echo %arch%: installed %dest%, registered
exit /b 0
:half_no_x64
echo x64: this Windows is 32-bit; skipped.
exit /b 0
:half_no_regsvr32
echo %arch%: %regsvr32% not found: this Windows cannot run %arch% programs; skipped.
exit /b 0
:half_not_ours
echo %arch%: %dest% exists and was not installed by this package, Windows' own?; left as it is. 1>&2
if "%mode%"=="machine" echo %arch%: install for the current user instead: install.cmd 1>&2
set "status=1"
exit /b 1
:half_no_source
echo %arch%: %here%%arch%\imapi2fs.dll not found 1>&2
set "status=1"
exit /b 1
:half_copy_failed
echo %arch%: copying to %dest% failed 1>&2
if "%mode%"=="machine" echo %arch%: /machine needs an administrator's command prompt 1>&2
set "status=1"
exit /b 1
:half_register_failed
echo %arch%: registering %dest% failed: regsvr32 returned an error 1>&2
"%regsvr32%" /s /u %peruser% "%dest%"
if not defined recorded del /f "%dest%" >nul 2>&1
set "status=1"
exit /b 1

:usage
echo usage: install.cmd [/machine] [/x64 ^| /x86]
echo   without /machine: for the current user, into %%LOCALAPPDATA%%\Programs\imapi2fs
echo   /machine:  for every user, as administrator, into System32 and SysWOW64
echo   /x64, /x86: only that half; by default both this Windows can run
exit /b 0
:usage_error
echo usage: install.cmd [/machine] [/x64 ^| /x86] 1>&2
exit /b 2
