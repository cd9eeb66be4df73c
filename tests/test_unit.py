"""Runs every C unit test (tests/unit/test_*.c) as one pytest case per TEST()."""
import glob
import os
import subprocess
import sys

import pytest


def _build_dir():
    for i, a in enumerate(sys.argv):
        if a.startswith("--build="):
            return a.split("=", 1)[1]
        if a == "--build" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
    return "build"


def _cases():
    out = []
    for exe in sorted(glob.glob(os.path.join(_build_dir(), "tests", "test_*"))):
        if not os.access(exe, os.X_OK):
            continue
        names = subprocess.run([exe, "--list"], capture_output=True,
                               text=True, check=True).stdout.split()
        out += [pytest.param(exe, n, id=f"{os.path.basename(exe)}::{n}")
                for n in names]
    return out


CASES = _cases()


def test_unit_programs_exist():
    # an empty glob would make this whole file vacuous
    assert CASES, "no unit test programs were built"


@pytest.mark.parametrize("exe,name", CASES)
def test_c_unit(exe, name):
    r = subprocess.run([exe, name], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, f"{name} failed:\n{r.stdout}\n{r.stderr}"
