"""A test certificate authority for the test API server, made with the
openssl command line tool (Debian's openssl package; Python's stdlib can
verify certificates but not make them).

Keys are EC P-256: generating one takes milliseconds, where RSA-2048 takes
a noticeable fraction of a second per certificate on a loaded CI machine.
Certificates are made with `openssl ca` because it is the one form that can
set a validity period in the past, which the expired-credential tests need
(`openssl x509 -req` can only start at "now" in OpenSSL 3.0).
"""
import os
import subprocess

# a validity window far from "now", for certificates that must be expired
EXPIRED_START = "20200101000000Z"
EXPIRED_END = "20200102000000Z"

CA_CONF = """\
[ca]
default_ca = testca
[testca]
dir = {dir}
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir/newcerts
certificate = $dir/ca.crt
private_key = $dir/ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = no
[anything]
commonName = supplied
organizationName = optional
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = {san}
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
"""


def _openssl(*args, cwd=None):
    r = subprocess.run(("openssl",) + args, cwd=cwd, capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def _subject(cn, orgs):
    # -subj takes "/O=a/O=b/CN=c"; a "/" inside a value would need escaping,
    # none of ours (system:node:NAME) has one
    return "".join(f"/O={o}" for o in orgs) + f"/CN={cn}"


class CertAuthority:
    """One CA in its own directory: ca.crt, ca.key, and one KEY.key /
    KEY.crt pair per issued certificate."""

    def __init__(self, directory, name="agentd-test-ca",
                 san="IP:127.0.0.1,DNS:localhost"):
        self.dir = os.path.abspath(directory)
        os.makedirs(os.path.join(self.dir, "newcerts"), exist_ok=True)
        self.cert = os.path.join(self.dir, "ca.crt")
        self.key = os.path.join(self.dir, "ca.key")
        self.conf = os.path.join(self.dir, "ca.cnf")
        with open(self.conf, "w") as f:
            f.write(CA_CONF.format(dir=self.dir, san=san))
        open(os.path.join(self.dir, "index.txt"), "w").close()
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("1000\n")
        self._genkey(self.key)
        _openssl("req", "-x509", "-new", "-key", self.key, "-sha256",
                 "-days", "30", "-subj", f"/CN={name}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-out", self.cert)

    @staticmethod
    def _genkey(path):
        _openssl("genpkey", "-algorithm", "EC",
                 "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
        os.chmod(path, 0o600)

    def issue(self, stem, cn, orgs=(), server=False, expired=False):
        """Issue a certificate; returns (cert path, key path)."""
        key = os.path.join(self.dir, stem + ".key")
        csr = os.path.join(self.dir, stem + ".csr")
        crt = os.path.join(self.dir, stem + ".crt")
        self._genkey(key)
        _openssl("req", "-new", "-key", key, "-subj", _subject(cn, orgs),
                 "-out", csr)
        when = (["-startdate", EXPIRED_START, "-enddate", EXPIRED_END]
                if expired else ["-days", "30"])
        _openssl("ca", "-batch", "-notext", "-config", self.conf,
                 "-extensions", "server_ext" if server else "client_ext",
                 "-in", csr, "-out", crt, *when)
        os.unlink(csr)
        return crt, key

    def _once(self, stem, *args, **kw):
        # one certificate per stem for the CA's life: a session-wide CA
        # serves every test's server without an openssl run each
        crt = os.path.join(self.dir, stem + ".crt")
        if os.path.exists(crt):
            return crt, os.path.join(self.dir, stem + ".key")
        return self.issue(stem, *args, **kw)

    def server_cert(self):
        return self._once("server", "kube-apiserver-test", server=True)

    def node_cert(self, node, expired=False):
        """A kubelet-style client certificate: CN system:node:NAME,
        O system:nodes (the Node authorizer's identity)."""
        return self._once(("expired-" if expired else "") + "node-" + node,
                          "system:node:" + node, ("system:nodes",),
                          expired=expired)

    def user_cert(self, stem, user, groups=()):
        return self.issue(stem, user, tuple(groups))
