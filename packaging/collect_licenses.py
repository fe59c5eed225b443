"""Collect the licences of everything a build carries into one folder (build time only).

    python packaging/collect_licenses.py OUT [DIST ...]   # default: aldesk's requirements

The PyInstaller spec calls :func:`collect` with the distributions whose modules it analysed,
and puts OUT into the bundle as ``licenses/``; ``make_deb.sh`` copies it to
``/usr/share/doc/aldesk/``, the tarball and the Windows/macOS packages carry it inside the app.
OUT holds:

* ``THIRD-PARTY-NOTICES.md``: every component, its version and licence, and where its files are;
* ``components.json``: the same list for the About dialog (``aldesk.notices``);
* one folder per distribution with the licence files its wheel installed (numpy's and scipy's
  include the bundled OpenBLAS/LAPACK/gfortran terms, soundfile's libsndfile's, onnxruntime's
  its ThirdPartyNotices);
* ``Qt/``: LGPL-3.0 and GPL-3.0 texts (the PySide6 wheels install no licence file);
* ``Python/LICENSE.txt`` and ``models/NOTICE.md`` (the pretrained weights' attribution).
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # this checkout's aldesk.notices, whatever is installed

from aldesk import notices  # noqa: E402

QT_DISTRIBUTIONS = ("PySide6_Essentials", "PySide6_Addons", "shiboken6")
# Wheels that install no licence file: the licence text their metadata names, from licenses/.
LICENCE_TEXTS = {"flatbuffers": "Apache-2.0.txt"}


def distributions_of(top_level_names: set[str]) -> list[str]:
    """Distribution names that provide the given top-level modules or folders."""
    providers = metadata.packages_distributions()
    found = {dist for name in top_level_names for dist in providers.get(name, [])}
    return sorted(found - {"aldesk"}, key=str.lower)


def collect(dist_names: list[str], out: Path) -> list[notices.Component]:
    """Write the licence folder for ``dist_names`` (plus Python, Qt and the models) to ``out``."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    items = [_python(out)]
    for name in sorted(set(dist_names), key=str.lower):
        items.append(_distribution(name, out))
    items += _models(out)
    (out / notices.COMPONENTS_FILE).write_text(notices.to_json(items), encoding="utf-8")
    (out / "THIRD-PARTY-NOTICES.md").write_text(_summary(items), encoding="utf-8")
    return items


def _python(out: Path) -> notices.Component:
    component = notices.python_component()
    src = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    if not src.is_file():  # Windows and some distributions keep it beside the interpreter
        src = Path(sys.base_prefix) / "LICENSE.txt"
    files = [_copy(src, out / "Python" / "LICENSE.txt", out)] if src.is_file() else []
    return notices.Component(**{**component.__dict__, "files": files})


def _distribution(name: str, out: Path) -> notices.Component:
    dist = metadata.distribution(name)
    component = notices.component_of(name)
    folder = out / dist.metadata["Name"]
    files = []
    for src in notices.licence_files(dist):
        relative = _inside_distribution(dist, src)
        files.append(_copy(src, folder / relative, out))
    if name in QT_DISTRIBUTIONS:
        for text in ("LGPL-3.0.txt", "GPL-3.0.txt"):
            files.append(_copy(HERE / "licenses" / text, out / "Qt" / text, out))
    if not files and name in LICENCE_TEXTS:
        text = LICENCE_TEXTS[name]
        files.append(_copy(HERE / "licenses" / text, folder / text, out))
    if not files:
        raise SystemExit(f"collect_licenses: {name} {dist.version} installed no licence file")
    return notices.Component(**{**component.__dict__, "files": sorted(set(files))})


def _models(out: Path) -> list[notices.Component]:
    models = ROOT / "aldesk" / "models"
    items = notices.model_components(models)
    if items:
        notice = _copy(models / "NOTICE.md", out / "models" / "NOTICE.md", out)
        items = [notices.Component(**{**c.__dict__, "files": [notice]}) for c in items]
    return items


def _inside_distribution(dist: metadata.Distribution, src: Path) -> Path:
    """The licence file's path below its .dist-info/licenses folder or the package root."""
    base = Path(str(dist.locate_file("")))
    relative = src.relative_to(base)
    parts = relative.parts
    if parts[0].endswith(".dist-info"):
        parts = parts[2:] if len(parts) > 2 and parts[1] == "licenses" else parts[1:]
    return Path(*parts)


def _copy(src: Path, dest: Path, out: Path) -> str:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return dest.relative_to(out).as_posix()


def _summary(items: list[notices.Component]) -> str:
    lines = [
        "# Third-party components in aldesk",
        "",
        "aldesk itself is MIT-licensed. The application bundles the components below, each",
        "under its own licence; the files named are in this folder.",
        "",
    ]
    for c in items:
        version = f" {c.version}" if c.version else ""
        lines.append(f"## {c.name}{version}")
        lines.append("")
        lines.append(f"- Licence: {c.license}")
        if c.note:
            lines.append(f"- {c.note}")
        lines += [f"- File: `{f}`" for f in c.files]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    out, names = Path(argv[0]), argv[1:] or notices.requirement_closure()
    items = collect(names, out)
    print(f"collect_licenses: {len(items)} components, licence files in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
