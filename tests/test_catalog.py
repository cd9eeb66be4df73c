"""docs/DESIGN.md's message catalog table is the one tests/tools/msgcatdoc
prints from include/msgschema.h, its process table the one `msgcatdoc -p`
prints from include/proctab.h (`make catalog` rewrites both)."""
import os
import subprocess

DOC = os.path.join(os.path.dirname(__file__), "..", "docs", "DESIGN.md")


def doc_block(mark="msgcat"):
    begin, end = f"<!-- {mark}:begin -->\n", f"<!-- {mark}:end -->"
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    assert text.count(begin) == 1 and text.count(end) == 1, \
        f"docs/DESIGN.md needs exactly one pair of {mark} markers"
    start = text.index(begin) + len(begin)
    return text[start:text.index(end, start)]


def tool_output(build_dir, *args):
    tool = os.path.join(build_dir, "tests", "tools", "msgcatdoc")
    out = subprocess.run([tool, *args], capture_output=True, text=True,
                         check=True, encoding="utf-8").stdout
    assert out, "msgcatdoc printed nothing"
    return out


def test_design_catalog_matches_schema(build_dir):
    assert doc_block() == tool_output(build_dir), \
        "docs/DESIGN.md's message catalog is stale: run `make catalog`"


def test_design_process_table_matches_proctab(build_dir):
    out = tool_output(build_dir, "-p")
    assert doc_block("proctab") == out, \
        "docs/DESIGN.md's process table is stale: run `make catalog`"
    # the production build's table: every worker, and no test-only row
    for exe in ("agentd-watcher", "agentd-executor", "agentd-reporter"):
        assert f"`{exe}`" in out
    assert "noop" not in out


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
