"""Shared pytest options and fixtures for agentd's test suite."""
import os
import sys

import pytest

# the test API server's fixtures (tests/apiserver/kubefixture.py), for
# tests/test_apiserver.py and the API-mode system tests
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "apiserver"))
from kubefixture import kube_api, kube_pki, kubectl_bin  # noqa: E402,F401


def pytest_addoption(parser):
    parser.addoption("--build", default="build",
                     help="release build directory (make BUILD=...)")
    parser.addoption("--testbuild", default="build-test",
                     help="build with -DAGENTD_TEST_HOOKS")


@pytest.fixture(scope="session")
def build_dir(pytestconfig):
    return os.path.abspath(pytestconfig.getoption("--build"))


@pytest.fixture(scope="session")
def testbuild_dir(pytestconfig):
    return os.path.abspath(pytestconfig.getoption("--testbuild"))

