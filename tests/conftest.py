"""Shared pytest options and fixtures for agentd's test suite."""
import os
import pytest


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
