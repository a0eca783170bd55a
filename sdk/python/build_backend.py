#!/usr/bin/env python3
"""A PEP 517 build backend for switchyard-sdk, written with the standard library only (zipfile, tarfile,
hashlib): the package is pure Python with no dependencies, so building it needs nothing beyond Python.

    python3 build_backend.py [--outdir dist]     # writes the sdist and the wheel, prints names and sizes
    pip install sdk/python                       # pip calls the hooks below (pyproject.toml names this file)

Hooks: build_wheel, build_sdist, build_editable (PEP 660: a .pth pointing at src/), prepare_metadata_for_build_*,
get_requires_for_build_* (nothing). Archives are reproducible: entries sorted, timestamps from
SOURCE_DATE_EPOCH (default 2020-01-01), owners and modes normalized.
"""

import base64
import hashlib
import io
import os
import re
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent
SOURCE = ROOT / "src"
PACKAGE = "switchyard"
WHEEL_TAG = "py3-none-any"
#: What the sdist carries besides the package (enough to build the wheel from it).
SDIST_FILES = ("pyproject.toml", "build_backend.py", "README.md")


# -- pyproject.toml ----------------------------------------------------------------------------------------


def _read_toml(text: str) -> Dict[str, Any]:
    """tomllib where Python has it (3.11+); else a reader for the subset pyproject.toml uses here: tables,
    basic strings, arrays of strings (over several lines), inline tables of strings, booleans, comments."""
    try:
        import tomllib  # type: ignore[import-not-found]

        return tomllib.loads(text)
    except ImportError:
        return _read_toml_subset(text)


_STRING = r'"(?:[^"\\]|\\.)*"'
_TOKEN = re.compile(rf'\s*(?:({_STRING})|(true|false)|(\[)|(\])|(\{{)|(\}})|(,)|(=)|([A-Za-z0-9_-]+))')


def _unquote(token: str) -> str:
    escapes = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), token[1:-1])


def _read_toml_subset(text: str) -> Dict[str, Any]:
    document: Dict[str, Any] = {}
    table = document
    # Comments go first (none of our strings holds a '#'), then the rest is tokenized across lines.
    lines = [re.sub(r'^((?:[^"#]|"(?:[^"\\]|\\.)*")*)#.*$', r"\1", line) for line in text.splitlines()]
    source = "\n".join(lines)
    position = 0

    def value() -> Any:
        nonlocal position
        match = _TOKEN.match(source, position)
        if match is None:
            raise ValueError(f"pyproject.toml: cannot read at {position}")
        position = match.end()
        string, boolean, open_list, _, open_table = match.group(1, 2, 3, 4, 5)
        if string is not None:
            return _unquote(string)
        if boolean is not None:
            return boolean == "true"
        if open_list is not None:
            items = []
            while True:
                ahead = _TOKEN.match(source, position)
                if ahead is not None and ahead.group(4):
                    position = ahead.end()
                    return items
                items.append(value())
                ahead = _TOKEN.match(source, position)
                if ahead is not None and ahead.group(7):
                    position = ahead.end()
        if open_table is not None:
            inline: Dict[str, Any] = {}
            while True:
                ahead = _TOKEN.match(source, position)
                if ahead is not None and ahead.group(6):
                    position = ahead.end()
                    return inline
                if ahead is not None and ahead.group(7):
                    position = ahead.end()
                    continue
                key_match = _TOKEN.match(source, position)
                assert key_match is not None and key_match.group(9)
                position = key_match.end()
                equals = _TOKEN.match(source, position)
                assert equals is not None and equals.group(8)
                position = equals.end()
                inline[key_match.group(9)] = value()
        raise ValueError(f"pyproject.toml: unexpected {match.group(0)!r}")

    while position < len(source):
        rest = source[position:]
        blank = re.match(r"\s+", rest)
        if blank:
            position += blank.end()
            continue
        header = re.match(r"\[([A-Za-z0-9_.-]+)\]", rest)
        if header:
            table = document
            for part in header.group(1).split("."):
                table = table.setdefault(part, {})
            position += header.end()
            continue
        assignment = re.match(r'([A-Za-z0-9_-]+|"[^"]*")\s*=', rest)
        if assignment is None:
            raise ValueError(f"pyproject.toml: cannot read {rest[:40]!r}")
        position += assignment.end()
        key = assignment.group(1).strip('"')
        table[key] = value()
    return document


def project() -> Dict[str, Any]:
    """The [project] table, with the version from src/switchyard/_version.py."""
    meta = dict(_read_toml((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"])
    version_file = (SOURCE / PACKAGE / "_version.py").read_text(encoding="utf-8")
    match = re.search(r'__version__\s*=\s*"([^"]+)"', version_file)
    if match is None:
        raise ValueError("no __version__ in _version.py")
    meta["version"] = match.group(1)
    return meta


def _distribution(meta: Dict[str, Any]) -> str:
    """The normalized name for file names (PEP 427 / PEP 625): switchyard-sdk → switchyard_sdk."""
    return re.sub(r"[-_.]+", "_", meta["name"]).lower()


def metadata(meta: Dict[str, Any]) -> str:
    """Core metadata 2.1 (METADATA in the wheel, PKG-INFO in the sdist)."""
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {meta['name']}",
        f"Version: {meta['version']}",
        f"Summary: {meta['description']}",
        f"Requires-Python: {meta['requires-python']}",
    ]
    license_ = meta.get("license", {})
    if isinstance(license_, dict) and "text" in license_:
        lines.append(f"License: {license_['text']}")
    if meta.get("keywords"):
        lines.append(f"Keywords: {','.join(meta['keywords'])}")
    lines += [f"Classifier: {c}" for c in meta.get("classifiers", [])]
    lines += [f"Requires-Dist: {d}" for d in meta.get("dependencies", [])]
    readme = meta.get("readme")
    body = ""
    if readme:
        lines.append("Description-Content-Type: text/markdown")
        body = (ROOT / readme).read_text(encoding="utf-8")
    return "\n".join(lines) + "\n\n" + body


# -- archives ----------------------------------------------------------------------------------------------


def _timestamp() -> int:
    return int(os.environ.get("SOURCE_DATE_EPOCH", "1577836800"))  # 2020-01-01, the zip format needs >= 1980


def _package_files() -> List[Tuple[str, bytes]]:
    """(path in the wheel, content) of the package, sorted; no bytecode."""
    files = []
    for path in sorted((SOURCE / PACKAGE).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            files.append((path.relative_to(SOURCE).as_posix(), path.read_bytes()))
    return files


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{name},sha256={digest},{len(data)}"


def _dist_info(meta: Dict[str, Any]) -> Tuple[str, List[Tuple[str, bytes]]]:
    dist_info = f"{_distribution(meta)}-{meta['version']}.dist-info"
    wheel = f"Wheel-Version: 1.0\nGenerator: switchyard build_backend.py\nRoot-Is-Purelib: true\nTag: {WHEEL_TAG}\n"
    return dist_info, [
        (f"{dist_info}/METADATA", metadata(meta).encode("utf-8")),
        (f"{dist_info}/WHEEL", wheel.encode("utf-8")),
        (f"{dist_info}/top_level.txt", f"{PACKAGE}\n".encode("utf-8")),
    ]


def _write_wheel(directory: str, files: List[Tuple[str, bytes]], meta: Dict[str, Any]) -> str:
    dist_info, info_files = _dist_info(meta)
    entries = files + info_files
    record = "\n".join([_record_line(n, d) for n, d in entries] + [f"{dist_info}/RECORD,,"]) + "\n"
    entries.append((f"{dist_info}/RECORD", record.encode("utf-8")))
    name = f"{_distribution(meta)}-{meta['version']}-{WHEEL_TAG}.whl"
    stamp = time.gmtime(_timestamp())[:6]
    Path(directory).mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(Path(directory) / name, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry_name, data in entries:
            info = zipfile.ZipInfo(entry_name, date_time=stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return name


# -- PEP 517 / PEP 660 hooks -------------------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: Optional[Dict[str, Any]] = None) -> str:
    meta = project()
    dist_info, files = _dist_info(meta)
    for name, data in files:
        target = Path(metadata_directory) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return dist_info


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(
    wheel_directory: str,
    config_settings: Optional[Dict[str, Any]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    return _write_wheel(wheel_directory, _package_files(), project())


def build_editable(
    wheel_directory: str,
    config_settings: Optional[Dict[str, Any]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    meta = project()
    pth = f"{_distribution(meta)}.pth"
    return _write_wheel(wheel_directory, [(pth, f"{SOURCE}\n".encode("utf-8"))], meta)


def build_sdist(sdist_directory: str, config_settings: Optional[Dict[str, Any]] = None) -> str:
    meta = project()
    base = f"{_distribution(meta)}-{meta['version']}"
    entries = [(f"{base}/PKG-INFO", metadata(meta).encode("utf-8"))]
    entries += [(f"{base}/{name}", (ROOT / name).read_bytes()) for name in SDIST_FILES]
    entries += [(f"{base}/src/{name}", data) for name, data in _package_files()]
    name = f"{base}.tar.gz"
    Path(sdist_directory).mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    # gzip's own header carries a time too: pin it for reproducible archives.
    import gzip

    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=_timestamp()) as zipped:
        with tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive:
            for entry_name, data in sorted(entries):
                info = tarfile.TarInfo(entry_name)
                info.size = len(data)
                info.mtime = _timestamp()
                info.mode = 0o755 if entry_name.endswith("build_backend.py") else 0o644
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                archive.addfile(info, io.BytesIO(data))
    (Path(sdist_directory) / name).write_bytes(buffer.getvalue())
    return name


def main(argv: List[str]) -> int:
    outdir = Path(argv[argv.index("--outdir") + 1]) if "--outdir" in argv else ROOT / "dist"
    for name in (build_sdist(str(outdir)), build_wheel(str(outdir))):
        size = (outdir / name).stat().st_size
        print(f"{outdir / name}  {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
