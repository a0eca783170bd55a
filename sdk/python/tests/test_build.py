"""Packaging with the standard library (issue 14, "Done when"): build_backend.py writes a valid sdist and a
pure-Python wheel, reproducibly; the sdist rebuilds the same wheel; the wheel installs with pip (when this
Python has pip) and works."""

import base64
import csv
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest
import venv
import zipfile
from pathlib import Path

from support import SDK_ROOT

sys.path.insert(0, str(SDK_ROOT))
import build_backend  # noqa: E402

VERSION = build_backend.project()["version"]
WHEEL = f"switchyard_sdk-{VERSION}-py3-none-any.whl"
SDIST = f"switchyard_sdk-{VERSION}.tar.gz"


def pip_with_python_option() -> bool:
    """pip ≥ 22.3 installs into another interpreter (`--python`), so a venv needs no pip of its own."""
    probe = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True)
    if probe.returncode != 0:
        return False
    major, minor = (int(x) for x in probe.stdout.split()[1].split(".")[:2])
    return (major, minor) >= (22, 3)


class Build(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = Path(cls.tmp.name)
        cls.sdist = cls.out / build_backend.build_sdist(str(cls.out))
        cls.wheel = cls.out / build_backend.build_wheel(str(cls.out))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_file_names(self) -> None:
        self.assertEqual((self.sdist.name, self.wheel.name), (SDIST, WHEEL))

    def test_the_wheel_holds_the_package_and_a_record_that_matches(self) -> None:
        with zipfile.ZipFile(self.wheel) as archive:
            names = archive.namelist()
            sources = sorted(p.relative_to(SDK_ROOT / "src").as_posix() for p in (SDK_ROOT / "src" / "switchyard").rglob("*.py"))
            self.assertEqual(sorted(n for n in names if n.endswith(".py")), sources)
            self.assertIn("switchyard/py.typed", names)
            dist_info = f"switchyard_sdk-{VERSION}.dist-info"
            record = list(csv.reader(io.StringIO(archive.read(f"{dist_info}/RECORD").decode())))
            self.assertEqual(sorted(r[0] for r in record), sorted(names))
            for name, digest, size in record:
                if name.endswith("RECORD"):
                    self.assertEqual((digest, size), ("", ""))
                    continue
                data = archive.read(name)
                expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                self.assertEqual((digest, int(size)), (f"sha256={expected}", len(data)), name)
            metadata = archive.read(f"{dist_info}/METADATA").decode()
            for line in ("Metadata-Version: 2.1", "Name: switchyard-sdk", f"Version: {VERSION}", "Requires-Python: >=3.9"):
                self.assertIn(line + "\n", metadata)
            self.assertNotIn("Requires-Dist", metadata)
            self.assertIn("Tag: py3-none-any\n", archive.read(f"{dist_info}/WHEEL").decode())
            self.assertIn("Root-Is-Purelib: true\n", archive.read(f"{dist_info}/WHEEL").decode())

    def test_builds_are_reproducible(self) -> None:
        with tempfile.TemporaryDirectory() as again:
            build_backend.build_wheel(again)
            build_backend.build_sdist(again)
            self.assertEqual((Path(again) / WHEEL).read_bytes(), self.wheel.read_bytes())
            self.assertEqual((Path(again) / SDIST).read_bytes(), self.sdist.read_bytes())

    def test_the_sdist_rebuilds_the_same_wheel(self) -> None:
        with tempfile.TemporaryDirectory() as work:
            with tarfile.open(self.sdist) as archive:
                names = archive.getnames()
                self.assertIn(f"switchyard_sdk-{VERSION}/PKG-INFO", names)
                self.assertIn(f"switchyard_sdk-{VERSION}/pyproject.toml", names)
                self.assertTrue(all(n.startswith(f"switchyard_sdk-{VERSION}/") for n in names))
                for member in archive.getmembers():
                    self.assertTrue(member.isfile() and not Path(member.name).is_absolute() and ".." not in member.name)
                archive.extractall(work)  # noqa: S202 — our own archive, members checked above
            root = Path(work) / f"switchyard_sdk-{VERSION}"
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            subprocess.run(
                [sys.executable, "build_backend.py", "--outdir", "out"], cwd=root, check=True, capture_output=True, env=env
            )
            self.assertEqual((root / "out" / WHEEL).read_bytes(), self.wheel.read_bytes())

    def test_the_toml_reader_of_old_pythons_reads_pyproject_as_tomllib_does(self) -> None:
        text = (SDK_ROOT / "pyproject.toml").read_text(encoding="utf-8")
        subset = build_backend._read_toml_subset(text)
        self.assertEqual(subset["build-system"], {"requires": [], "build-backend": "build_backend", "backend-path": ["."]})
        self.assertEqual(subset["project"]["license"], {"text": "Apache-2.0"})
        try:
            import tomllib  # type: ignore[import-not-found]
        except ImportError:
            self.skipTest("tomllib arrived in Python 3.11")
        self.assertEqual(subset, tomllib.loads(text))

    def test_pip_installs_the_wheel_and_the_sdist_into_a_venv_offline(self) -> None:
        if not pip_with_python_option():
            reason = "this Python has no pip >= 22.3 (Debian: apt-get install python3-pip)"
            if os.environ.get("CI") == "true":
                self.fail(f"under CI=true: {reason}")
            self.skipTest(f"SKIPPED: {reason}")
        for artifact in (self.wheel, self.sdist):
            with self.subTest(artifact=artifact.name), tempfile.TemporaryDirectory() as env_dir:
                venv.EnvBuilder(with_pip=False).create(env_dir)
                python = Path(env_dir) / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
                install = subprocess.run(
                    [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "--quiet", str(artifact)],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
                )
                self.assertEqual(install.returncode, 0, install.stderr)
                check = subprocess.run(
                    [
                        str(python),
                        "-I",
                        "-c",
                        "import switchyard, json; "
                        "e = switchyard.compile_ruleset({'revision': 1, 'hashVersion': 1, 'flags': [], 'segments': []}); "
                        "print(json.dumps([switchyard.__version__, switchyard.__file__, e.evaluate('x', {}).error_code]))",
                    ],
                    capture_output=True,
                    text=True,
                )
                self.assertEqual(check.returncode, 0, check.stderr)
                version, location, code = __import__("json").loads(check.stdout)
                self.assertEqual((version, code), (VERSION, "FLAG_NOT_FOUND"))
                self.assertTrue(location.startswith(str(Path(env_dir).resolve())) or location.startswith(env_dir), location)


if __name__ == "__main__":
    unittest.main()
