"""pytest fixtures for the test API server, for tests/test_apiserver.py
and agentd's API-mode tests (registered by tests/conftest.py):

  kube_pki     one test CA for the session (certificates take openssl runs)
  kube_api     a fresh, started KubeAPI per test: .url, .ca_path,
               .admin_kubeconfig(), .node_kubeconfig(node[, use_token]),
               .client(node=None | token=... | admin), .kubectl(...)
  kubectl_bin  the kubectl on PATH, or the test is skipped with the reason

A test tunes its server by attribute or hook: bookmark_interval,
min_request_timeout, expired_in_stream, too_large_wait, set_history(n),
set_chunking(...), fail_next(...), end_watches() ... (kubeapi.py).
"""
import os
import shutil
import subprocess

import pytest

from kubeapi import KubeAPI
from kubeclient import Client
from kubepki import CertAuthority


class FixtureKubeAPI(KubeAPI):
    """KubeAPI with the test-side conveniences."""

    def client(self, node=None, token=None, admin=False, cert=None):
        if admin:
            return Client(self, token=self.admin_token)
        if node:
            return Client(self, cert=self.node_cert(node))
        return Client(self, token=token, cert=cert)

    def kubectl(self, *args, kubeconfig=None, check=True, timeout=30,
                input=None):
        """Run the real kubectl against this server; a CompletedProcess."""
        kc = kubeconfig or self.admin_kubeconfig()
        env = dict(os.environ, HOME=self.workdir,
                   KUBECONFIG=kc)
        cmd = [shutil.which("kubectl") or "kubectl", "--kubeconfig", kc,
               "--cache-dir", os.path.join(self.workdir, "kubectl-cache"),
               *args]
        r = subprocess.run(cmd, env=env, capture_output=True, text=True,
                           timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed "
                                 f"({r.returncode}): {r.stderr}")
        return r


@pytest.fixture(scope="session")
def kube_pki(tmp_path_factory):
    return CertAuthority(str(tmp_path_factory.mktemp("kube-pki")))


@pytest.fixture
def kube_api(tmp_path, kube_pki):
    api = FixtureKubeAPI(str(tmp_path / "kube-api"), ca=kube_pki).start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def kubectl_bin():
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl is not installed (contrib/install-deps.sh "
                    "installs Debian's kubernetes-client)")
    r = subprocess.run([path, "version", "--client"], capture_output=True,
                       text=True)
    if r.returncode != 0:
        pytest.skip(f"kubectl does not run: {r.stderr.strip()}")
    return path
