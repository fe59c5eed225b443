; Inno Setup 6 script: a per-user Windows installer around the PyInstaller one-folder build.
;
;   python packaging/make_icons.py build/icons
;   python -m PyInstaller --noconfirm --clean packaging/aldesk.spec       -> dist\aldesk\
;   iscc /DAppVersion=0.1.0 packaging\windows\aldesk.iss                   -> dist\aldesk-0.1.0-windows-x64-setup.exe
;
; Installs without administrator rights into %LOCALAPPDATA%\Programs\aldesk (an administrator
; may choose "all users" in the first dialog), adds a Start-menu entry and an uninstaller (Settings
; > Apps). dist\aldesk\ holds aldesk.exe (the window, no console) and aldesk-cli.exe (the same app
; with a console, for `aldesk-cli selfcheck`, `status`, `new`, ...). .github/workflows/release.yml
; builds it and runs the installed aldesk-cli.exe selfcheck.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define Root "..\.."

[Setup]
AppId={{6C1E8E0B-3D4A-4C55-9B7E-A1D35C0E7A51}
AppName=aldesk
AppVersion={#AppVersion}
AppVerName=aldesk {#AppVersion}
AppPublisher=aldesk developers
AppComments=Offline active-learning labeler for folders of images and audio clips
DefaultDirName={autopf}\aldesk
DefaultGroupName=aldesk
DisableProgramGroupPage=yes
; per-user by default, no UAC prompt; "all users" only if the user asks for it and is admin
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#Root}\dist
OutputBaseFilename=aldesk-{#AppVersion}-windows-x64-setup
SetupIconFile={#Root}\build\icons\aldesk.ico
UninstallDisplayIcon={app}\aldesk.exe
UninstallDisplayName=aldesk {#AppVersion}
LicenseFile={#Root}\packaging\windows\LICENSE.txt
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\dist\aldesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\aldesk"; Filename: "{app}\aldesk.exe"; Comment: "Label images and audio clips with active learning"
Name: "{autoprograms}\aldesk third-party licences"; Filename: "{app}\_internal\licenses\THIRD-PARTY-NOTICES.md"
Name: "{autodesktop}\aldesk"; Filename: "{app}\aldesk.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\aldesk.exe"; Description: "{cm:LaunchProgram,aldesk}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Python byte-code caches the app may write next to itself; projects live elsewhere and stay
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
