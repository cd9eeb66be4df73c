"""docs/DESIGN.md's message catalog table is the one tests/tools/msgcatdoc
prints from include/msgschema.h (`make catalog` rewrites it)."""
import os
import subprocess

BEGIN = "<!-- msgcat:begin -->\n"
END = "<!-- msgcat:end -->"
DOC = os.path.join(os.path.dirname(__file__), "..", "docs", "DESIGN.md")


def doc_block():
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    assert text.count(BEGIN) == 1 and text.count(END) == 1, \
        "docs/DESIGN.md needs exactly one pair of msgcat markers"
    start = text.index(BEGIN) + len(BEGIN)
    return text[start:text.index(END, start)]


def test_design_catalog_matches_schema(build_dir):
    tool = os.path.join(build_dir, "tests", "tools", "msgcatdoc")
    out = subprocess.run([tool], capture_output=True, text=True, check=True,
                         encoding="utf-8").stdout
    assert out, "msgcatdoc printed nothing"
    assert doc_block() == out, \
        "docs/DESIGN.md's message catalog is stale: run `make catalog`"


def test_catalog_has_every_type():
    # every enum msg_type member of include/msgcat.h has a row
    hdr = os.path.join(os.path.dirname(__file__), "..", "include",
                       "msgcat.h")
    with open(hdr, encoding="utf-8") as f:
        text = f.read()
    enum = text[text.index("enum msg_type {"):text.index("MSG_TYPE_MAX")]
    names = set()
    for line in enum.splitlines():
        word = line.strip().split(",")[0].split("=")[0].strip()
        if word.startswith(("MSG_", "CTL_")):
            names.add(word)
    block = doc_block()
    missing = sorted(n for n in names if f"| `{n}` |" not in block)
    assert names and not missing, f"no catalog row for {missing}"
