@echo off
rem uninstall.cmd [/machine] [/x64 or /x86]: unregister and remove what install.cmd installed
rem (recorded under HKCU\Software\imapi2fs, HKLM with /machine), and only that: an imapi2fs.dll the
rem record does not name, such as Windows' own, is left alone. Part of imapi2fs @VERSION@.
rem (Written for Wine's cmd too: no "||" after a redirection, no parentheses in echoed text, no
rem quoted program after "if".)
setlocal EnableExtensions
if not defined PROCESSOR_ARCHITEW6432 goto native
if not exist "%SystemRoot%\Sysnative\cmd.exe" goto native
"%SystemRoot%\Sysnative\cmd.exe" /d /c ""%~f0" %*"
exit /b
:native
set "mode=user"
set "only="
:args
if "%~1"=="" goto args_done
if /i "%~1"=="/machine" set "mode=machine"& goto next_arg
if /i "%~1"=="/x64" set "only=x64"& goto next_arg
if /i "%~1"=="/x86" set "only=x86"& goto next_arg
if "%~1"=="/?" goto usage
echo uninstall.cmd: unknown option %1 1>&2
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
rem The record goes with the last half it names.
reg query "%key%" /v x64 >nul 2>&1
if not errorlevel 1 goto done
reg query "%key%" /v x86 >nul 2>&1
if not errorlevel 1 goto done
reg delete "%key%" /f >nul 2>&1
:done
if not "%status%"=="0" exit /b %status%
echo imapi2fs uninstalled for the %mode%.
exit /b 0

rem :half ARCH - unregister and remove the ARCH DLL the record names
:half
set "arch=%~1"
reg query "%key%" /v %arch% >nul 2>&1
if errorlevel 1 goto half_not_installed
set "sys=%SystemRoot%\System32"
if "%arch%"=="x86" if defined os64 set "sys=%SystemRoot%\SysWOW64"
set "regsvr32=%sys%\regsvr32.exe"
set "dest=%LOCALAPPDATA%\Programs\imapi2fs\%arch%\imapi2fs.dll"
if "%mode%"=="machine" set "dest=%sys%\imapi2fs.dll"
if not exist "%dest%" goto half_forget
"%regsvr32%" /s /u %peruser% "%dest%"
if errorlevel 1 goto half_unregister_failed
del /f "%dest%" >nul 2>&1
if exist "%dest%" goto half_del_failed
echo %arch%: removed %dest%
:half_forget
if "%mode%"=="user" rd "%LOCALAPPDATA%\Programs\imapi2fs\%arch%" >nul 2>&1
if "%mode%"=="user" rd "%LOCALAPPDATA%\Programs\imapi2fs" >nul 2>&1
if "%mode%"=="user" rd "%LOCALAPPDATA%\Programs" >nul 2>&1
reg delete "%key%" /v %arch% /f >nul 2>&1
exit /b 0
:half_not_installed
echo %arch%: not installed for the %mode%.
exit /b 0
:half_unregister_failed
echo %arch%: unregistering %dest% failed: regsvr32 returned an error 1>&2
set "status=1"
exit /b 1
:half_del_failed
echo %arch%: %dest% could not be removed; is a program using it? 1>&2
set "status=1"
exit /b 1

:usage
echo usage: uninstall.cmd [/machine] [/x64 ^| /x86]
echo   removes what install.cmd with the same options installed
exit /b 0
:usage_error
echo usage: uninstall.cmd [/machine] [/x64 ^| /x86] 1>&2
exit /b 2
